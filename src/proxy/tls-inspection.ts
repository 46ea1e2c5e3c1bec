// TLS inspection. A tunnel the policy allowed, for a person and host the caller chose to inspect,
// is not joined to the origin: TLS is terminated here with a certificate for the host signed by
// the school CA, and the decrypted stream is fed to an internal HTTP server whose requests go
// through the same decision, block page, safe search and event path as plain http://, on the
// full `https://host/path` URL. Upstream is a fresh TLS connection that verifies the origin's
// certificate; a certificate that fails is an error page, never accepted.
//
// NOTE: the person is the one identified on the CONNECT. Browsers send Proxy-Authorization on
// the CONNECT only, so asking again inside the tunnel would find nobody.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Person } from '../engine/types.ts';
import type { Inspection, ProxyContext } from './context.ts';
import { clientConnections } from './context.ts';
import { LeafIssuer } from './certificate-authority.ts';
import { decideSafely, sendBlock } from './decision-pages.ts';
import { buildEvent, emit, newEventId } from './events.ts';
import { decideAndForward, scanRequest } from './http-request.ts';
import { sendBody, sendError, wantsHtml, writeRawResponse } from './respond.ts';
import { normaliseHost, parseHttpTarget } from './target.ts';
import { UpstreamError } from './upstream.ts';
import { decideAndOpen } from './websocket.ts';
import { guardedRequest, guardedSocket } from './guarded.ts';

/** What an inspected connection is for: fixed when the tunnel was opened. */
export interface InspectedTunnel {
  /** the name the client's TLS asked for (SNI), else the CONNECT host */
  host: string;
  port: number;
  person: Person;
  clientIp: string;
}

const inspectedTunnels = new WeakMap<Socket, InspectedTunnel>();

/** The parts inspection needs; the CA is checked here (a bad one stops the proxy from starting). */
export async function createInspection(ctx: ProxyContext): Promise<Inspection> {
  const options = ctx.options.inspection!;
  const issuer = new LeafIssuer(options.ca, { ...(options.leafCacheSize === undefined ? {} : { cacheSize: options.leafCacheSize }), now: ctx.now });
  await issuer.init();
  const limits = ctx.limits;
  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    noDelay: true,
    requireHostHeader: false,
  });
  server.maxHeadersCount = limits.maxHeaders + 1;
  server.on('request', guardedRequest(ctx, (req, res) => handleInspectedRequest(ctx, req, res)));
  server.on('upgrade', guardedSocket(ctx, (req, socket, head) => handleInspectedUpgrade(ctx, req, socket, head)));
  server.on('clientError', (_err: Error, socket: Duplex) => {
    ctx.stats.badRequests++;
    socket.destroy();
  });
  const agentOptions: AgentOptions = {
    keepAlive: true,
    maxSockets: limits.maxSocketsPerOrigin,
    maxFreeSockets: limits.maxSocketsPerOrigin,
    scheduling: 'lifo',
    timeout: Math.min(limits.idleTimeoutMs, 30_000),
    minVersion: 'TLSv1.2',
    ...(options.upstreamCa === undefined ? {} : { ca: typeof options.upstreamCa === 'string' ? options.upstreamCa : [...options.upstreamCa] }),
  };
  const agent = new HttpsAgent(agentOptions);
  const base = agent.createConnection.bind(agent) as (options: object, callback?: unknown) => Socket;
  (agent as unknown as { createConnection: (options: object, callback?: unknown) => Socket }).createConnection = (connectOptions, callback) => {
    const socket = base(connectOptions, callback);
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(new UpstreamError('timeout', 'connect timed out')), limits.upstreamConnectTimeoutMs);
    socket.once('secureConnect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
    return socket;
  };
  ctx.stats.certificates = issuer.stats;
  return { options, issuer, server, agent };
}

/** The caller's answer on whether to inspect; a callback that throws means "do not inspect". */
export function wantsInspection(ctx: ProxyContext, person: Person, host: string, categories: readonly string[]): boolean {
  const inspection = ctx.inspection;
  if (inspection === null) return false;
  try {
    return inspection.options.inspect(person, host, categories) === true;
  } catch {
    ctx.stats.internalErrors++;
    return false;
  }
}

/**
 * Terminate TLS on a client tunnel whose first bytes (the ClientHello, already read while
 * peeking) are in `first`, and hand the decrypted connection to the internal HTTP server.
 */
export function startInspection(ctx: ProxyContext, socket: Socket, first: Buffer, tunnel: InspectedTunnel): void {
  const inspection = ctx.inspection!;
  ctx.tunnels.add(socket);
  socket.once('close', () => ctx.tunnels.delete(socket));
  inspection.issuer.contextFor(tunnel.host).then(
    (secureContext) => {
      if (socket.destroyed) return;
      ctx.stats.inspected++;
      // the held ClientHello goes back in front of the stream; TLSSocket reads what is buffered first
      if (first.length > 0) socket.unshift(first);
      const tls = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'], requestCert: false });
      let secured = false;
      tls.once('secure', () => (secured = true));
      tls.on('error', () => {
        if (!secured) ctx.stats.inspectionHandshakeFailures++;
        tls.destroy();
        socket.destroy();
      });
      tls.setTimeout(ctx.limits.tunnelIdleTimeoutMs, () => tls.destroy());
      const conn = clientConnections.get(socket);
      clientConnections.set(tls as unknown as Socket, { ip: tunnel.clientIp, allowed: true, authKey: conn?.authKey, person: tunnel.person, personAt: ctx.now() });
      inspectedTunnels.set(tls as unknown as Socket, tunnel);
      inspection.server.emit('connection', tls);
    },
    () => {
      ctx.stats.internalErrors++;
      socket.destroy();
    },
  );
}

/** One request on an inspected connection: made absolute (`https://host/…`) and decided in full. */
function handleInspectedRequest(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  const tunnel = inspectedTunnels.get(req.socket);
  const conn = clientConnections.get(req.socket);
  if (tunnel === undefined || conn === undefined) {
    res.destroy();
    return;
  }
  ctx.stats.requests++;
  const scan = scanRequest(req.rawHeaders);
  const html = wantsHtml(scan.accept);
  if (req.rawHeaders.length > ctx.limits.maxHeaders * 2) {
    ctx.stats.badRequests++;
    res.shouldKeepAlive = false;
    return sendBody(res, 431, 'request has too many header fields\n', false, ['Connection', 'close']);
  }
  const target = absoluteTarget(tunnel, req.url ?? '');
  if (target === null) {
    ctx.stats.badRequests++;
    req.resume();
    return sendError(res, { status: 400, title: 'This request could not be understood', message: 'The address in the request could not be read.', at: ctx.now(), timeZone: ctx.timeZone }, html);
  }
  if (misdirected(ctx, req, res, tunnel, target.path, html)) return;
  decideAndForward(ctx, req, res, conn, target, scan, html, tunnel.person);
}

function authorityOf(tunnel: InspectedTunnel): string {
  const host = tunnel.host.includes(':') ? `[${tunnel.host}]` : tunnel.host;
  return tunnel.port === 443 ? host : `${host}:${tunnel.port}`;
}

function absoluteTarget(tunnel: InspectedTunnel, url: string): ReturnType<typeof parseHttpTarget> {
  // origin form only: an absolute URL inside the tunnel could name another host
  if (url.charCodeAt(0) !== 47 /* '/' */) return null;
  return parseHttpTarget(`https://${authorityOf(tunnel)}${url}`);
}

/**
 * A `Host` header naming another site than the tunnel's (domain fronting) is circumvention: it
 * is decided and recorded as such, blocked if the policy says so, and otherwise answered 421, so
 * a connection inspected for one host never carries requests for another.
 */
function misdirected(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, tunnel: InspectedTunnel, path: string, html: boolean): boolean {
  const hostHeader = req.headers.host;
  if (hostHeader === undefined) return false;
  const named = parseHttpTarget(`https://${hostHeader}${path}`);
  if (named !== null && named.host === tunnel.host) return false;
  req.resume();
  ctx.stats.sniMismatches++;
  const at = ctx.now();
  const url = named?.href ?? `https://${authorityOf(tunnel)}${path}`;
  const decision = named === null ? null : decideSafely(ctx, { person: tunnel.person, url, at, clientIp: tunnel.clientIp });
  const id = newEventId();
  if (decision !== null && ctx.options.sink) {
    emit(ctx.options.sink, buildEvent({ id, at, person: tunnel.person, clientIp: tunnel.clientIp, decision, host: named!.host, url, searchTerm: null, circumvention: true }), () => ctx.stats.sinkErrors++);
  }
  if (decision !== null && decision.action === 'block') {
    ctx.stats.blocked++;
    sendBlock(ctx, res, tunnel.person, decision, url, named!.host, at, id, html);
    return true;
  }
  sendError(
    res,
    {
      status: 421,
      title: 'This request was sent on the wrong connection',
      message: `The request names ${normaliseHost(hostHeader.replace(/:\d+$/, ''))}, but the secure connection was opened for ${tunnel.host}.`,
      hint: 'Reload the page. If this keeps happening, tell the IT team.',
      target: url,
      at,
      timeZone: ctx.timeZone,
    },
    html,
  );
  return true;
}

/** A WebSocket inside an inspected connection (wss://): decided on its full URL like any request. */
function handleInspectedUpgrade(ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const tunnel = inspectedTunnels.get(socket);
  if (tunnel === undefined || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    return writeRawResponse(socket, 400, 'only WebSocket upgrades are allowed here\n');
  }
  ctx.stats.requests++;
  const target = absoluteTarget(tunnel, req.url ?? '');
  const hostHeader = req.headers.host;
  const named = hostHeader === undefined ? null : parseHttpTarget(`https://${hostHeader}/`);
  if (target === null || (named !== null && named.host !== tunnel.host)) {
    ctx.stats.badRequests++;
    return writeRawResponse(socket, 400, 'this WebSocket request does not belong to this connection\n');
  }
  decideAndOpen(ctx, req, socket, head, tunnel.clientIp, target, tunnel.person);
}
