// CONNECT tunnels. The host is decided before any byte is forwarded: first the CONNECT authority;
// then, after `200 Connection established`, the first client bytes are held back and read as a
// TLS ClientHello. An SNI that differs from the CONNECT host is flagged as circumvention and
// decided on too. Only then is the upstream connection made, and the held bytes written first.
//
// With TLS inspection (`tls-inspection.ts`), a tunnel the caller chooses to inspect is terminated
// here instead of joined to the origin, and its requests are decided one by one on full URLs.
//
// NOTE: a `warn` decision cannot show a page inside an uninspected tunnel. A CONNECT that the
// policy warns about is allowed only while a "continue" given on the http:// warn page for that
// person and host is in force, or when the tunnel will be inspected (the warn page is then shown
// over https); otherwise it is refused with a 403 that says so.
import { connect as netConnect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Decision, Person } from '../engine/types.ts';
import type { ProxyContext } from './context.ts';
import { graceKey } from './context.ts';
import { blockText, decideSafely } from './decision-pages.ts';
import { buildEvent, emit, newEventId } from './events.ts';
import { connectionOf } from './http-request.ts';
import { withPersonOnSocket } from './socket-identity.ts';
import { writeRawResponse } from './respond.ts';
import { extractSni } from './sni.ts';
import { normaliseHost, parseConnectTarget, type ConnectTarget } from './target.ts';
import { UpstreamError, classifyUpstreamError, resolveGuarded } from './upstream.ts';
import { upstreamPage } from './http-request.ts';
import { startInspection, wantsInspection } from './tls-inspection.ts';

export function handleConnect(ctx: ProxyContext, req: IncomingMessage, socket: Socket, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const conn = connectionOf(socket);
  if (!conn.allowed) {
    ctx.stats.refusedClients++;
    return writeRawResponse(socket, 403, 'this proxy does not serve your network\n');
  }
  ctx.stats.requests++;
  const target = parseConnectTarget(req.url ?? '');
  if (!target) {
    ctx.stats.badRequests++;
    return writeRawResponse(socket, 400, 'CONNECT needs host:port\n');
  }
  if (ctx.connectPorts !== null && !ctx.connectPorts.has(target.port)) {
    ctx.stats.badRequests++;
    return writeRawResponse(socket, 403, `tunnels to port ${target.port} are not allowed\n`);
  }
  withPersonOnSocket(ctx, conn, req, socket, (person) => decideAuthority(ctx, socket, head, conn.ip, target, person));
}

/** What the tunnel's first decision said, held back until the ClientHello is seen. */
interface Pending {
  id: string;
  at: number;
  decision: Decision;
  warnReason: string | null;
  /** opened only to be inspected (a warn without a grace): closed if it is not */
  mustInspect: boolean;
}

function decideAuthority(ctx: ProxyContext, socket: Socket, head: Buffer, clientIp: string, target: ConnectTarget, person: Person): void {
  const authority = `${target.ipLiteral && target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const at = ctx.now();
  const decision = decideSafely(ctx, { person, url: authority, at, clientIp });
  if (decision === null) return writeRawResponse(socket, 503, 'the filter could not make a decision about this address\n');
  const id = newEventId();
  let refusal = refusalFor(ctx, person, clientIp, target.host, decision, at);
  let mustInspect = false;
  if (refusal !== null && decision.action === 'warn' && wantsInspection(ctx, person, target.host, decision.categories)) {
    // the warn page will be shown inside the inspected tunnel
    refusal = null;
    mustInspect = true;
  }
  if (refusal !== null) {
    if (decision.action === 'block') ctx.stats.blocked++;
    else ctx.stats.warned++;
    record(ctx, id, at, person, clientIp, decision, target.host, false, refusal.warnReason);
    return writeRawResponse(socket, 403, refusal.text(authority, id));
  }
  const warnReason = decision.action === 'warn' ? (ctx.grace.get(graceKey(person, clientIp), target.host, at)?.reason ?? null) : null;
  if (warnReason !== null) ctx.stats.warnContinued++;
  else if (!mustInspect) ctx.stats.allowed++;
  const pending: Pending = { id, at, decision, warnReason, mustInspect };
  // resolve before answering 200, so a missing or forbidden host still gets a readable refusal
  resolveGuarded(target.host, target.port, ctx.resolve, ctx.guard).then(
    (addresses) => {
      if (socket.destroyed) return record(ctx, id, at, person, clientIp, decision, target.host, false, warnReason);
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
      peek(ctx, socket, head, (first, sni) => inspect(ctx, socket, first, sni, clientIp, target, person, pending, addresses));
    },
    (err: unknown) => {
      record(ctx, id, at, person, clientIp, decision, target.host, false, warnReason);
      const failure = classifyUpstreamError(err);
      ctx.stats.upstreamErrors[failure]++;
      const page = upstreamPage(failure, target.host);
      writeRawResponse(socket, page.status, `${page.message}\n`);
    },
  );
}

/** null when the tunnel may open; else the text of the 403 */
function refusalFor(
  ctx: ProxyContext,
  person: Person,
  clientIp: string,
  host: string,
  decision: Decision,
  at: number,
): { text: (target: string, id: string) => string; warnReason: null } | null {
  if (decision.action === 'block') return { text: (t, id) => blockText(decision, t, id), warnReason: null };
  if (decision.action === 'warn' && ctx.grace.get(graceKey(person, clientIp), host, at) === null) {
    return {
      text: (t, id) =>
        `${blockText(decision, t, id)}` +
        'this site needs a reason before you continue, and a secure (https) connection cannot show the warning page:\n' +
        `open http://${host}/ in a web browser and give your reason there, then try again, or ask the IT team to turn on TLS inspection for this site\n`,
      warnReason: null,
    };
  }
  return null;
}

/** Hold the first client bytes until the ClientHello is complete (or the cap or time runs out). */
function peek(ctx: ProxyContext, socket: Socket, head: Buffer, done: (first: Buffer, sni: ReturnType<typeof extractSni> | null) => void): void {
  let buffered = head;
  let finished = false;
  const finish = (sni: ReturnType<typeof extractSni> | null): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.pause();
    done(buffered, sni);
  };
  const check = (): boolean => {
    if (buffered.length === 0) return false;
    const result = extractSni(buffered);
    if (result.complete) {
      finish(result);
      return true;
    }
    if (buffered.length >= ctx.limits.peekMaxBytes) {
      finish({ sni: null, complete: true, error: 'client hello larger than the peek limit' });
      return true;
    }
    return false;
  };
  const onData = (chunk: Buffer): void => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    check();
  };
  const onEnd = (): void => finish(buffered.length === 0 ? null : extractSni(buffered));
  // Server-speaks-first protocols send nothing: after the wait, connect with nothing held. A
  // ClientHello begun but not finished by then (sent a byte at a time) is left incomplete, and
  // the tunnel is closed: its SNI was never seen, so it must not be forwarded.
  const timer = setTimeout(() => finish(buffered.length === 0 ? null : extractSni(buffered)), ctx.limits.peekTimeoutMs);
  if (check()) return;
  socket.on('data', onData);
  socket.on('end', onEnd);
  // a client that resets the connection gives no 'end'; the held decision is still recorded
  socket.on('close', onEnd);
  socket.resume();
}

function inspect(
  ctx: ProxyContext,
  socket: Socket,
  first: Buffer,
  sni: ReturnType<typeof extractSni> | null,
  clientIp: string,
  target: ConnectTarget,
  person: Person,
  pending: Pending,
  addresses: string[],
): void {
  let circumvention = false;
  let sniName: string | null = null;
  if (sni !== null && !sni.complete) {
    // the ClientHello did not arrive whole in time (or the client left half-way)
    ctx.stats.peekTimeouts++;
    record(ctx, pending.id, pending.at, person, clientIp, pending.decision, target.host, false, pending.warnReason);
    socket.destroy();
    return;
  }
  if (sni !== null && sni.error !== undefined && sni.error !== 'not tls') {
    // TLS whose server name cannot be read (`blocked.example.`, two server name extensions, bad
    // lengths) may still name a blocked host to a lenient server: never forwarded unchecked
    record(ctx, pending.id, pending.at, person, clientIp, pending.decision, target.host, true, pending.warnReason);
    socket.destroy();
    return;
  }
  const isTls = sni !== null && sni.error !== 'not tls';
  if (sni !== null && sni.sni !== null) {
    sniName = normaliseHost(sni.sni);
    // an IP-literal authority with a name in the SNI is a mismatch too (domain fronting by address)
    if (sniName !== target.host) circumvention = true;
  } else if (!isTls && first.length > 0 && target.port === 443) {
    const mode = ctx.options.nonTlsOn443 ?? 'flag';
    if (mode !== 'allow') circumvention = true;
    if (mode === 'block') {
      record(ctx, pending.id, pending.at, person, clientIp, pending.decision, target.host, true, pending.warnReason);
      socket.destroy();
      return;
    }
  }
  record(ctx, pending.id, pending.at, person, clientIp, pending.decision, target.host, circumvention, pending.warnReason);
  let categories = pending.decision.categories;
  let mustInspect = pending.mustInspect;
  if (sniName !== null && circumvention) {
    ctx.stats.sniMismatches++;
    const at = ctx.now();
    const decision = decideSafely(ctx, { person, url: `${sniName}:${target.port}`, at, clientIp });
    if (decision === null) {
      socket.destroy();
      return;
    }
    const warnNeedsPage = decision.action === 'warn' && ctx.grace.get(graceKey(person, clientIp), sniName, at) === null;
    const refused = decision.action === 'block' || (warnNeedsPage && !wantsInspection(ctx, person, sniName, decision.categories));
    const warnReason = decision.action === 'warn' ? (ctx.grace.get(graceKey(person, clientIp), sniName, at)?.reason ?? null) : null;
    record(ctx, newEventId(), at, person, clientIp, decision, sniName, true, warnReason);
    if (refused) {
      ctx.stats.blocked++;
      socket.destroy();
      return;
    }
    if (warnNeedsPage) mustInspect = true;
    categories = [...new Set([...categories, ...decision.categories])];
  }
  if (socket.destroyed) return;
  if (isTls && first.length > 0) {
    const host = sniName ?? target.host;
    if (wantsInspection(ctx, person, host, categories)) return startInspection(ctx, socket, first, { host, port: target.port, person, clientIp });
  }
  if (mustInspect) {
    socket.destroy();
    return;
  }
  openUpstream(ctx, socket, first, target, addresses, 0);
}

function openUpstream(ctx: ProxyContext, socket: Socket, first: Buffer, target: ConnectTarget, addresses: string[], index: number): void {
  const address = addresses[index]!;
  const upstream = netConnect({ host: address, port: target.port });
  upstream.setNoDelay(true);
  const timer = setTimeout(() => upstream.destroy(new UpstreamError('timeout', 'connect timed out')), ctx.limits.upstreamConnectTimeoutMs);
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    if (socket.destroyed) {
      upstream.destroy();
      return;
    }
    splice(ctx, socket, upstream, first);
  });
  upstream.on('error', (err) => {
    clearTimeout(timer);
    if (!connected) {
      ctx.stats.upstreamErrors[classifyUpstreamError(err)]++;
      // several addresses (IPv6 and IPv4, say): try the next one
      if (index + 1 < addresses.length && !socket.destroyed) return openUpstream(ctx, socket, first, target, addresses, index + 1);
      socket.destroy();
    }
  });
}

/** Join client and upstream; either side closing or erring closes both. */
export function splice(ctx: ProxyContext, client: Socket, upstream: Socket, first: Buffer): void {
  ctx.stats.tunnels++;
  ctx.stats.activeTunnels++;
  ctx.tunnels.add(client);
  if (first.length > 0) upstream.write(first);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    ctx.stats.activeTunnels--;
    ctx.tunnels.delete(client);
    client.destroy();
    upstream.destroy();
  };
  client.setTimeout(ctx.limits.tunnelIdleTimeoutMs, close);
  upstream.setTimeout(ctx.limits.tunnelIdleTimeoutMs, close);
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
  client.pipe(upstream);
  upstream.pipe(client);
  client.resume();
}

function record(ctx: ProxyContext, id: string, at: number, person: Person, clientIp: string, decision: Decision, host: string, circumvention: boolean, warnReason: string | null): void {
  const sink = ctx.options.sink;
  if (!sink) return;
  emit(sink, buildEvent({ id, at, person, clientIp, decision, host, url: null, searchTerm: null, circumvention, warnReason }), () => ctx.stats.sinkErrors++);
}
