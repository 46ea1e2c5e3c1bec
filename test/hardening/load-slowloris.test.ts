// Slowloris: clients that send their request one byte at a time are closed (408 or a close) by
// the header timeout, within the configured bound, while a normal client is served meanwhile.
// The same for a TLS ClientHello sent a byte at a time into a CONNECT tunnel (the SNI peek
// timeout: nothing is forwarded), and for a query trickled into the DNS filter over TCP.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { captureClientHello, listen } from '../proxy/fixtures.ts';
import { startDnsFilter } from '../../src/dns/index.ts';
import { ask, baseOptions } from '../dns/helpers.ts';
import { startFakeUpstream } from '../dns/fake-upstream.ts';
import { startProxyProcess } from './support/load-proxy-process.ts';
import { closedWithin, connectFrom, connectOn, getOn, pool, trickle } from './support/load-clients.ts';

const headersTimeoutMs = 1_500;
const peekTimeoutMs = 1_500;
/** node checks header timeouts every quarter of the timeout (at most every second); then slack */
const headerBoundMs = headersTimeoutMs + 2_500;
const peekBoundMs = peekTimeoutMs + 2_500;
/** the DNS filter's TCP idle time (src/dns/server.ts) and slack */
const dnsBoundMs = 10_000 + 4_000;

const slowClients = Number(process.env.HEDGEROW_SLOWLORIS_CLIENTS ?? 200);
const slowHellos = Number(process.env.HEDGEROW_SLOW_HELLOS ?? 100);
const slowDnsClients = Number(process.env.HEDGEROW_SLOW_DNS_CLIENTS ?? 50);

const origin = createHttpServer((req, res) => {
  const body = `origin ${req.url}`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
const originPort = await listen(origin);
// the tunnels' destination: counts every connection the proxy makes to it
let upstreamConnections = 0;
const tunnelTarget = createNetServer((socket) => {
  upstreamConnections++;
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
});
const tunnelPort = await listen(tunnelTarget);
const proxy = await startProxyProcess({ headersTimeoutMs, peekTimeoutMs });
const dnsUpstream = await startFakeUpstream();
const dns = await startDnsFilter(baseOptions(dnsUpstream.port));
const sockets = new Set<Socket>();
after(async () => {
  for (const socket of sockets) socket.destroy();
  await proxy.close();
  await dns.close();
  await dnsUpstream.close();
  origin.closeAllConnections();
  origin.close();
  tunnelTarget.close();
});

async function open(address: string, port = proxy.port): Promise<Socket> {
  const socket = await connectFrom(port, address);
  socket.on('error', () => undefined);
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  return socket;
}

function sawStatus(socket: Socket, status: number): () => boolean {
  let data = '';
  socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
  return () => data.includes(`HTTP/1.1 ${status} `);
}

function summary(times: Array<number | null>): string {
  const closed = times.filter((t): t is number => t !== null).sort((a, b) => a - b);
  if (closed.length === 0) return 'none closed';
  return `closed after ${closed[0]!.toFixed(0)}–${closed[closed.length - 1]!.toFixed(0)} ms (median ${closed[Math.floor(closed.length / 2)]!.toFixed(0)})`;
}

describe('slow senders', { concurrency: true }, () => {
  test(`the header timeout closes ${slowClients} clients sending their headers a byte at a time, and a normal client is served meanwhile`, { timeout: 60_000 }, async (t) => {
    const request = Buffer.from(`GET http://www.example:${originPort}/slow HTTP/1.1\r\nHost: www.example:${originPort}\r\nUser-Agent: slow-client\r\nAccept: */*\r\n\r\n`);
    let closedSoFar = 0;
    const connectRequest = Buffer.from(`CONNECT tls.example:${tunnelPort} HTTP/1.1\r\nHost: tls.example:${tunnelPort}\r\nUser-Agent: slow-client\r\n\r\n`);
    // three kinds: a first request trickled; a second request trickled on a kept-alive
    // connection after a normal first one; a CONNECT trickled
    const kinds = ['first', 'second', 'connect'] as const;
    const running = pool(slowClients, slowClients, async (i) => {
      const kind = kinds[i % kinds.length]!;
      const socket = await open(`127.0.1.${1 + (i % 50)}`);
      if (kind === 'second') {
        const first = await getOn(socket, `http://www.example:${originPort}/first`);
        assert.equal(first.status, 200);
      }
      const got408 = sawStatus(socket, 408);
      const since = performance.now();
      const closing = closedWithin(socket, headerBoundMs, since);
      void trickle(socket, kind === 'connect' ? connectRequest : request, 100);
      const ms = await closing;
      closedSoFar++;
      return { kind, ms, got408: got408() };
    });
    // meanwhile, with every slow client part-way through its headers: a normal client is served
    await sleep(headersTimeoutMs / 2);
    const normal = await open('127.0.2.1');
    const response = await getOn(normal, `http://www.example:${originPort}/normal`);
    assert.equal(response.status, 200);
    normal.destroy();
    const trickling = slowClients - closedSoFar;
    const results = await running;
    t.diagnostic(`the normal client was served while ${trickling} slow clients were still open`);
    assert.ok(trickling > 0, 'the normal client was served while slow clients were held');

    const times = results.map((r) => r.ms);
    const open_ = results.filter((r) => r.ms === null);
    t.diagnostic(`${slowClients} slow clients (headers one byte per 100 ms; header timeout ${headersTimeoutMs} ms): ${summary(times)}; ${results.filter((r) => r.got408).length} answered 408 before the close`);
    assert.equal(open_.length, 0, `${open_.length} slow clients were still open after ${headerBoundMs} ms (${open_.map((r) => r.kind).join(', ')})`);
    for (const r of results) assert.ok(r.ms! >= headersTimeoutMs - 200, `a ${r.kind} slow client was closed after only ${r.ms!.toFixed(0)} ms`);
    const stats = await proxy.stats();
    assert.equal(stats.requests - stats.blocked - stats.allowed, 0, 'no trickled request was ever decided');
  });

  test(`regression: the SNI peek timeout closes ${slowHellos} tunnels whose ClientHello comes a byte at a time, and forwards nothing`, { timeout: 60_000 }, async (t) => {
    const hello = await captureClientHello('tls.example');
    const before = await proxy.stats();
    const running = pool(slowHellos, slowHellos, async (i) => {
      const socket = await open(`127.0.3.${1 + (i % 50)}`);
      const opened = await connectOn(socket, `tls.example:${tunnelPort}`);
      assert.equal(opened.status, 200);
      const since = performance.now();
      const closing = closedWithin(socket, peekBoundMs, since);
      void trickle(socket, hello, 50);
      const ms = await closing;
      closedSoFar++;
      return ms;
    });
    let closedSoFar = 0;
    // meanwhile a normal tunnel, its whole ClientHello at once, is joined to the origin
    await sleep(peekTimeoutMs / 2);
    const normal = await open('127.0.4.1');
    assert.equal((await connectOn(normal, `tls.example:${tunnelPort}`)).status, 200);
    normal.write(hello);
    const joined = await new Promise<boolean>((resolve) => {
      const end = performance.now() + 5_000;
      const check = (): void => (upstreamConnections >= 1 ? resolve(true) : performance.now() > end ? resolve(false) : void setTimeout(check, 20));
      check();
    });
    assert.ok(joined, 'a normal tunnel reaches its destination while the slow ones are held');
    assert.ok(closedSoFar < slowHellos, 'the slow tunnels were still held when the normal one was joined');
    normal.destroy();
    const results = await running;

    const after = await proxy.stats();
    t.diagnostic(`${slowHellos} slow ClientHellos (${hello.length} bytes, one per 50 ms; peek timeout ${peekTimeoutMs} ms): ${summary(results)}; tunnels closed by the peek timeout: ${after.peekTimeouts - before.peekTimeouts}`);
    assert.equal(results.filter((ms) => ms === null).length, 0, `slow ClientHellos still open after ${peekBoundMs} ms`);
    for (const ms of results) assert.ok(ms! >= peekTimeoutMs - 200, `a slow ClientHello was cut off after only ${ms!.toFixed(0)} ms`);
    assert.equal(upstreamConnections, 1, 'no slow ClientHello was forwarded to the destination: only the normal tunnel connected');
    assert.equal(after.peekTimeouts - before.peekTimeouts, slowHellos);
  });

  test(`regression: the DNS filter closes ${slowDnsClients} TCP clients trickling a query a byte at a time, and answers a normal TCP query meanwhile`, { timeout: 60_000 }, async (t) => {
    const running = pool(slowDnsClients, slowDnsClients, async (i) => {
      const socket = await open(`127.0.5.${1 + (i % 50)}`, dns.address.port);
      const since = performance.now();
      const closing = closedWithin(socket, dnsBoundMs, since);
      // a length prefix for a 512-byte message, then the message a byte every half second:
      // each byte comes well inside the idle time, the whole would take minutes
      void trickle(socket, Buffer.concat([Buffer.from([0x02, 0x00]), randomBytes(512)]), 500);
      const ms = await closing;
      closedSoFar++;
      return ms;
    });
    let closedSoFar = 0;
    await sleep(2_000);
    const answer = await ask(dns.address.port, 'www.example.org', { tcp: true });
    assert.equal((answer.answers?.[0] as { data?: unknown } | undefined)?.data, '192.0.2.1');
    assert.equal(closedSoFar, 0, 'the normal query was answered while every slow client was held');
    const results = await running;
    t.diagnostic(`${slowDnsClients} slow DNS-over-TCP clients (one byte per 500 ms; TCP idle time 10 s): ${summary(results)}`);
    assert.equal(results.filter((ms) => ms === null).length, 0, `slow DNS clients still open after ${dnsBoundMs} ms`);
  });
});
