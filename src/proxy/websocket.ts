// Upgrade requests. A WebSocket (`Upgrade: websocket`) is decided like any other request, then
// the upstream handshake is made and, on `101`, both sockets are joined. Other upgrades (h2c, …)
// are not offered upstream: the request is answered as plain HTTP/1.1 on a closing connection.
import { request as httpRequest, ServerResponse, STATUS_CODES, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Person } from '../engine/types.ts';
import type { ProxyContext } from './context.ts';
import { graceKey } from './context.ts';
import { blockText, decideSafely } from './decision-pages.ts';
import { buildEvent, emit, newEventId } from './events.ts';
import { requestHeaders, responseHeaders } from './hop-by-hop.ts';
import { connectionOf, handleRequest, upstreamPage } from './http-request.ts';
import { withPersonOnSocket } from './socket-identity.ts';
import { writeRawResponse } from './respond.ts';
import { parseHttpTarget, type HttpTarget } from './target.ts';
import { UpstreamError, classifyUpstreamError, guardedLookup } from './upstream.ts';
import { splice } from './tunnel.ts';

export function handleUpgrade(ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade !== 'websocket') return answerAsPlainHttp(ctx, req, socket, head);
  const conn = connectionOf(socket);
  if (!conn.allowed) {
    ctx.stats.refusedClients++;
    return writeRawResponse(socket, 403, 'this proxy does not serve your network\n');
  }
  ctx.stats.requests++;
  if (req.rawHeaders.length > ctx.limits.maxHeaders * 2) {
    ctx.stats.badRequests++;
    return writeRawResponse(socket, 431, 'request has too many header fields\n');
  }
  const target = parseHttpTarget(req.url ?? '');
  if (!target || (target.scheme !== 'http' && target.scheme !== 'ws')) {
    ctx.stats.badRequests++;
    return writeRawResponse(socket, 400, 'a WebSocket through this proxy needs an absolute http:// address (use CONNECT for wss://)\n');
  }
  withPersonOnSocket(ctx, conn, req, socket, (person) => decideAndOpen(ctx, req, socket, head, conn.ip, target, person));
}

/** Decide a WebSocket request on its URL and, when allowed, open it upstream (wss:// from an inspected tunnel over verified TLS). */
export function decideAndOpen(ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer, clientIp: string, target: HttpTarget, person: Person): void {
  if (target.ipLiteral) {
    try {
      ctx.guard.checkAddress(target.host, target.port);
    } catch (err) {
      return failUpstream(ctx, socket, err, target);
    }
  }
  const at = ctx.now();
  const decision = decideSafely(ctx, { person, url: target.href, at, clientIp });
  if (decision === null) return writeRawResponse(socket, 503, 'the filter could not make a decision about this address\n');
  const id = newEventId();
  const grace = decision.action === 'warn' ? ctx.grace.get(graceKey(person, clientIp), target.host, at) : null;
  if (ctx.options.sink) {
    emit(ctx.options.sink, buildEvent({ id, at, person, clientIp, decision, host: target.host, url: target.href, searchTerm: null, warnReason: grace?.reason ?? null }), () => ctx.stats.sinkErrors++);
  }
  if (decision.action === 'block' || (decision.action === 'warn' && grace === null)) {
    if (decision.action === 'block') ctx.stats.blocked++;
    else ctx.stats.warned++;
    return writeRawResponse(socket, 403, blockText(decision, target.href, id));
  }
  ctx.stats.allowed++;
  const common = {
    host: target.host,
    port: target.port,
    method: req.method,
    path: target.path,
    headers: requestHeaders(req.rawHeaders, target.authority, { websocket: true }),
    setHost: false,
    agent: false as const,
    lookup: guardedLookup(target.port, ctx.resolve, ctx.guard),
  };
  const upstreamCa = ctx.inspection?.options.upstreamCa;
  const up =
    target.scheme === 'https' && ctx.inspection !== null
      ? httpsRequest({
          ...common,
          minVersion: 'TLSv1.2',
          ...(target.ipLiteral ? {} : { servername: target.host }),
          ...(upstreamCa === undefined ? {} : { ca: typeof upstreamCa === 'string' ? upstreamCa : [...upstreamCa] }),
        })
      : httpRequest(common);
  const timer = setTimeout(() => up.destroy(new UpstreamError('timeout', 'no answer to the upgrade')), ctx.limits.upstreamResponseTimeoutMs);
  socket.on('close', () => {
    clearTimeout(timer);
    up.destroy();
  });
  up.on('upgrade', (upRes, upSocket, upHead) => {
    clearTimeout(timer);
    ctx.stats.upgrades++;
    const headers = responseHeaders(upRes.rawHeaders, { websocket: true });
    let text = `HTTP/1.1 101 ${upRes.statusMessage || 'Switching Protocols'}\r\n`;
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
    socket.write(`${text}\r\n`);
    if (upHead.length > 0) socket.write(upHead);
    upSocket.setNoDelay(true);
    splice(ctx, socket, upSocket, head);
  });
  up.on('response', (upRes) => {
    // the origin declined the upgrade: pass its answer on and close
    clearTimeout(timer);
    const headers = responseHeaders(upRes.rawHeaders);
    let text = `HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage || STATUS_CODES[upRes.statusCode ?? 502] || ''}\r\n`;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!.toLowerCase();
      if (name !== 'content-length') text += `${headers[i]}: ${headers[i + 1]}\r\n`;
    }
    socket.write(`${text}Connection: close\r\n\r\n`);
    upRes.pipe(socket);
  });
  up.on('error', (err) => {
    clearTimeout(timer);
    failUpstream(ctx, socket, err, target);
  });
  up.end();
}

function failUpstream(ctx: ProxyContext, socket: Socket, err: unknown, target: HttpTarget): void {
  const failure = classifyUpstreamError(err);
  ctx.stats.upstreamErrors[failure]++;
  const page = upstreamPage(failure, target.host);
  writeRawResponse(socket, page.status, `${page.message}\n`);
}

/**
 * node hands every `Upgrade:` request to the upgrade handler. A non-WebSocket upgrade is served
 * as an ordinary request (its `Upgrade` header is hop-by-hop and dropped) with a fresh
 * ServerResponse on the socket, then the connection is closed.
 */
function answerAsPlainHttp(ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
    // node parses no body after an upgrade, so it could never be forwarded
    ctx.stats.badRequests++;
    return writeRawResponse(socket, 400, 'a request that asks to switch protocols (Upgrade) cannot carry a body through this proxy: send it without the Upgrade header\n');
  }
  if (head.length > 0) socket.unshift(head);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.on('finish', () => {
    socket.end();
    // NOTE: the socket is no longer the server's, so nothing else times it out; and node never
    // parses a body after an upgrade, so unread bytes would hide the client's close for good
    socket.resume();
    socket.setTimeout(5_000, () => socket.destroy());
  });
  handleRequest(ctx, req, res);
}
