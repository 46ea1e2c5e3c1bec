// The forward proxy: one node `http` server for absolute-form requests, CONNECT and upgrades, and
// one keep-alive upstream pool. Policy comes in through `decide` (swapped atomically on reload);
// decisions go out as events through the sink.
import { Agent, createServer, type Server } from 'node:http';
import { connect as netConnect, isIP, type NetConnectOpts, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Duplex } from 'node:stream';
import type { ProxyContext, ProxyStats } from './context.ts';
import { clientConnections, newStats, type ClientConnection } from './context.ts';
import { assertValidOptions, defaultForbiddenTargets, resolveLimits, type DecideFunction, type ProxyLimits, type ProxyOptions } from './options.ts';
import { buildAddressPortSet, buildAddressSet, canonicalIp } from './cidr.ts';
import { connectionOf, handleRequest } from './http-request.ts';
import { ConnectionCaps, refuseOverCapacity, refuseOverCapacityRaw } from './connection-caps.ts';
import { wantsHtml } from './respond.ts';
import { handleConnect } from './tunnel.ts';
import { handleUpgrade } from './websocket.ts';
import { makeTargetGuard, UpstreamError } from './upstream.ts';
import { WarnGrace } from './warn-grace.ts';
import { guardedRequest, guardedSocket } from './guarded.ts';
import { cachedResolver } from './resolve-cache.ts';
import { createInspection } from './tls-inspection.ts';

export interface ForwardProxy {
  readonly address: { host: string; port: number };
  stats(): ProxyStats;
  /** replace the engine (policy reload); requests already decided keep their decision */
  setDecide(fn: DecideFunction): void;
  /** stop accepting, let requests in flight finish for up to `graceMs`, then close everything */
  close(graceMs?: number): Promise<void>;
}

/** An upstream pool whose new connections give up after the connect timeout. */
function upstreamAgent(limits: ProxyLimits): Agent {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: limits.maxSocketsPerOrigin,
    maxFreeSockets: limits.maxSocketsPerOrigin,
    scheduling: 'lifo',
    // idle pooled sockets are dropped after this
    timeout: Math.min(limits.idleTimeoutMs, 30_000),
  });
  (agent as unknown as { createConnection: (options: NetConnectOpts) => Socket }).createConnection = (options: NetConnectOpts) => {
    const socket = netConnect(options);
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(new UpstreamError('timeout', 'connect timed out')), limits.upstreamConnectTimeoutMs);
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
    return socket;
  };
  return agent;
}

/** The proxy's own listening addresses (every local one when it listens on all interfaces). */
function selfAddresses(host: string): string[] {
  const address = canonicalIp(host);
  if (address !== '0.0.0.0' && address !== '::') return [address];
  const all = ['127.0.0.0/8', '::1', '0.0.0.0', '::'];
  for (const list of Object.values(networkInterfaces())) for (const info of list ?? []) all.push(info.address);
  return all;
}

export async function startProxy(options: ProxyOptions): Promise<ForwardProxy> {
  assertValidOptions(options);
  const limits: ProxyLimits = resolveLimits(options.limits);
  const allowed = buildAddressSet(options.allowedClients).set;
  const server: Server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    // bodies may stream for a long time (uploads); silence is caught by the socket timeout
    requestTimeout: 0,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    noDelay: true,
    requireHostHeader: false,
  });
  // one more than the limit, so that going over it can be seen (node silently drops the rest)
  server.maxHeadersCount = limits.maxHeaders + 1;

  const ctx: ProxyContext = {
    options,
    limits,
    decide: options.decide,
    now: options.now ?? Date.now,
    resolve: options.resolve ?? cachedResolver(async (host: string) => (await dnsLookup(host, { all: true })).map((a) => a.address)),
    guard: { checkAddress: () => undefined },
    grace: new WarnGrace(),
    warnGraceMs: options.warnGraceMs ?? 60 * 60 * 1000,
    stats: newStats(),
    agent: upstreamAgent(limits),
    tunnels: new Set(),
    timeZone: options.blockPage.timeZone ?? 'UTC',
    connectPorts: options.connectPorts === 'any' ? null : new Set(options.connectPorts ?? [443, 8443]),
    inspection: null,
  };
  // before listening, so that an unreadable CA stops the start
  if (options.inspection !== undefined) ctx.inspection = await createInspection(ctx);

  const caps = new ConnectionCaps(limits.maxConnections, limits.maxConnectionsPerClient);
  // a connection over a cap waits this long at most for the request its 503 answers
  const overCapHoldMs = Math.min(limits.headersTimeoutMs, 5_000);
  server.on('connection', (socket: Socket) => {
    ctx.stats.connections++;
    const ip = canonicalIp(socket.remoteAddress ?? '');
    const admission = caps.admit(ip);
    if (admission === 'drop') {
      ctx.stats.overCapacityDropped++;
      socket.destroy();
      return;
    }
    ctx.stats.activeConnections++;
    const conn: ClientConnection = { ip, allowed: allowed.has(ip), authKey: undefined, person: null, personAt: 0 };
    if (admission !== 'serve') {
      conn.overCap = admission;
      socket.setTimeout(overCapHoldMs, () => socket.destroy());
    }
    clientConnections.set(socket, conn);
    socket.once('close', () => {
      ctx.stats.activeConnections--;
      caps.release(ip, admission);
    });
  });
  // A client the proxy does not serve at all still gets its 403 first; an allowed one over a cap, the 503.
  server.on(
    'request',
    guardedRequest(ctx, (req, res) => {
      const conn = connectionOf(req.socket);
      if (conn.overCap !== undefined && conn.allowed) return refuseOverCapacity(ctx, res, conn.overCap, conn.ip, wantsHtml(req.headers.accept));
      handleRequest(ctx, req, res);
    }),
  );
  const overCap = (socket: Socket): boolean => {
    const conn = connectionOf(socket);
    if (conn.overCap === undefined || !conn.allowed) return false;
    socket.on('error', () => socket.destroy());
    refuseOverCapacityRaw(ctx, socket, conn.overCap, conn.ip);
    return true;
  };
  server.on('connect', guardedSocket(ctx, (req, socket, head) => overCap(socket) || handleConnect(ctx, req, socket, head)));
  server.on('upgrade', guardedSocket(ctx, (req, socket, head) => overCap(socket) || handleUpgrade(ctx, req, socket, head)));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    ctx.stats.badRequests++;
    const s = socket as Socket & { _httpMessage?: unknown };
    if (err.code === 'ECONNRESET' || !s.writable || s._httpMessage) {
      s.destroy();
      return;
    }
    const [status, text] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADERS_TIMEOUT'
          ? [408, 'Request Timeout']
          : [400, 'Bad Request'];
    const body = `${text.toLowerCase()}\n`;
    // the same headers as every page of the proxy's own (respond.ts), static text or not
    s.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n` +
        `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n${body}`,
    );
    s.setTimeout(5_000, () => s.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('proxy: no address after listen');
  const forbidden = buildAddressPortSet(options.forbiddenTargets ?? [...defaultForbiddenTargets]).set;
  // 0.0.0.0 and :: reach this machine's listeners too
  const selfSet = buildAddressSet([...selfAddresses(bound.address), '0.0.0.0', '::']).set;
  const self = { has: (ip: string, port: number) => port === bound.port && selfSet.has(ip) };
  const localSet = buildAddressSet(selfAddresses('0.0.0.0')).set;
  const ownPorts = options.ownPorts ?? (() => []);
  const ownServices = { has: (ip: string, port: number) => ownPorts().includes(port) && localSet.has(ip) };
  ctx.guard = makeTargetGuard(forbidden, self, ownServices);

  let closing: Promise<void> | null = null;
  return {
    address: { host: bound.address, port: bound.port },
    stats: () => structuredClone(ctx.stats),
    setDecide(fn: DecideFunction): void {
      if (typeof fn !== 'function') throw new TypeError('decide must be a function');
      ctx.decide = fn;
    },
    close(graceMs = 5_000): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          clearTimeout(timer);
          ctx.agent.destroy();
          ctx.inspection?.agent.destroy();
          resolve();
        });
        const forceClose = (): void => {
          server.closeAllConnections();
          ctx.inspection?.server.closeAllConnections();
          // tunnels and upgraded sockets are no longer the server's to close
          for (const socket of ctx.tunnels) socket.destroy();
        };
        server.closeIdleConnections();
        ctx.inspection?.server.closeIdleConnections();
        // not unref'd: the promise must settle even when nothing else keeps the process alive
        const timer = setTimeout(forceClose, Math.max(0, graceMs));
      });
      return closing;
    },
  };
}
