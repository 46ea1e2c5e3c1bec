// Connection caps: one address holding more connections than `maxConnectionsPerClient` is
// refused (503 with a page that says why, then a close) while other addresses are served; a
// flood past the cap is closed at once; `maxConnections` caps every address together; the caps
// come from `proxy.limits` in the configuration through `hedgerow start`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Socket } from 'node:net';
import { configSchema } from '../../src/config/index.ts';
import { startHedgerow } from '../../src/server/index.ts';
import { ConnectionCaps, refusedPagesPerClient, validateOptions, type ProxyOptions } from '../../src/proxy/index.ts';
import { startOrigin, startTestProxy, type TestProxy } from '../proxy/fixtures.ts';
import { closedWithin, connectFrom, connectOn, eventually, getOn } from './support/load-clients.ts';

const origin = await startOrigin();
const url = (path: string) => `http://www.example:${origin.port}${path}`;
const sockets = new Set<Socket>();
const proxies: TestProxy[] = [];
after(async () => {
  for (const socket of sockets) socket.destroy();
  for (const proxy of proxies) await proxy.close();
  await origin.close();
});

async function proxyWith(limits: ProxyOptions['limits']): Promise<TestProxy> {
  const proxy = await startTestProxy({ limits });
  proxies.push(proxy);
  return proxy;
}

async function open(port: number, address: string): Promise<Socket> {
  const socket = await connectFrom(port, address);
  socket.on('error', () => undefined);
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  return socket;
}

/** `count` connections from `address`, each served one GET and left open */
async function hold(port: number, address: string, count: number): Promise<Socket[]> {
  const held: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = await open(port, address);
    const response = await getOn(socket, url(`/held-${i}`));
    assert.equal(response.status, 200, `held connection ${i} from ${address} is served`);
    held.push(socket);
  }
  return held;
}

test('counts connections per address and in total, and gives back what is released', () => {
  const caps = new ConnectionCaps(5, 2);
  assert.equal(caps.admit('192.0.2.10'), 'serve');
  assert.equal(caps.admit('192.0.2.10'), 'serve');
  assert.equal(caps.admit('192.0.2.10'), 'client');
  assert.equal(caps.admit('192.0.2.11'), 'serve');
  assert.equal(caps.served(), 3);
  assert.equal(caps.served('192.0.2.10'), 2);
  caps.release('192.0.2.10', 'client');
  caps.release('192.0.2.10', 'serve');
  assert.equal(caps.admit('192.0.2.10'), 'serve');
  assert.equal(caps.admit('192.0.2.12'), 'serve');
  assert.equal(caps.admit('192.0.2.13'), 'serve');
  assert.equal(caps.admit('192.0.2.14'), 'total', 'five served in all: the sixth is over the total cap');
  for (const ip of ['192.0.2.10', '192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13']) caps.release(ip, 'serve');
  caps.release('192.0.2.14', 'total');
  assert.equal(caps.served(), 0);
  assert.equal(caps.clients, 0, 'no address is remembered once all its connections are gone');
});

test('refuses a page to no more than a few over-cap connections of one address, and drops the rest', () => {
  const caps = new ConnectionCaps(1_000, 1);
  assert.equal(caps.admit('192.0.2.20'), 'serve');
  const answers = Array.from({ length: refusedPagesPerClient + 5 }, () => caps.admit('192.0.2.20'));
  assert.equal(answers.filter((a) => a === 'client').length, refusedPagesPerClient);
  assert.equal(answers.filter((a) => a === 'drop').length, 5);
});

test('rejects caps that are not positive numbers', () => {
  const base = { host: '127.0.0.1', port: 0, allowedClients: ['127.0.0.0/8'], identify: () => null, decide: () => { throw new Error('unused'); }, blockPage: { baseUrl: 'http://127.0.0.1:8080', smartAdviceFor: () => false } } as unknown as ProxyOptions;
  assert.deepEqual(validateOptions({ ...base, limits: { maxConnectionsPerClient: 0, maxConnections: -5 } }), [
    'limits.maxConnectionsPerClient: must be a positive number',
    'limits.maxConnections: must be a positive number',
  ]);
  assert.deepEqual(validateOptions({ ...base, limits: { maxConnections: undefined } }), [], 'an unset limit keeps its default');
});

test('one address over its connection cap gets a 503 page and a close, while another address is served', { timeout: 30_000 }, async (t) => {
  const proxy = await proxyWith({ maxConnectionsPerClient: 20 });
  const held = await hold(proxy.port, '127.0.6.1', 20);

  const over = await open(proxy.port, '127.0.6.1');
  const refused = await getOn(over, url('/one-too-many'), { Accept: 'text/html' });
  assert.equal(refused.status, 503);
  assert.match(refused.headers['content-type'] ?? '', /text\/html/);
  assert.match(refused.body, /The web filter is busy/);
  assert.match(refused.body, /Too many connections are open from your device \(127\.0\.6\.1\)/);
  assert.equal(refused.headers['retry-after'], '10');
  assert.equal(refused.headers.connection, 'close');
  assert.ok((await closedWithin(over, 5_000)) !== null, 'the refused connection is closed');

  const overTunnel = await open(proxy.port, '127.0.6.1');
  const tunnel = await connectOn(overTunnel, `tls.example:${origin.port}`);
  assert.equal(tunnel.status, 503, 'a CONNECT over the cap is refused too');
  assert.match(tunnel.body, /too many connections are open from 127\.0\.6\.1/);
  assert.ok(tunnel.closed);

  const other = await open(proxy.port, '127.0.6.2');
  assert.equal((await getOn(other, url('/other-address'))).status, 200, 'another address is served');
  assert.equal((await getOn(held[0]!, url('/again'))).status, 200, 'the held connections go on being served');

  // one held connection goes: the address may open another
  held.pop()!.destroy();
  assert.ok(await eventually(() => proxy.proxy.stats().activeConnections === 20, 5_000));
  const again = await open(proxy.port, '127.0.6.1');
  assert.equal((await getOn(again, url('/after-release'))).status, 200);
  const stats = proxy.proxy.stats();
  t.diagnostic(`cap 20 per address: 20 held and served, the 21st refused (HTTP and CONNECT), another address served; overCapacity ${stats.overCapacity}`);
  assert.equal(stats.overCapacity, 2);
  assert.equal(proxy.events.filter((e) => e.url?.includes('one-too-many')).length, 0, 'a refused request is never decided');
});

test('a flood of connections from one address past its cap costs only a few sockets: the rest are closed at once', { timeout: 30_000 }, async (t) => {
  const proxy = await proxyWith({ maxConnectionsPerClient: 10, headersTimeoutMs: 2_000 });
  await hold(proxy.port, '127.0.7.1', 10);
  const flood = 200;
  const started = performance.now();
  const floods = await Promise.all(Array.from({ length: flood }, () => open(proxy.port, '127.0.7.1')));
  const closed = await Promise.all(floods.map((socket) => closedWithin(socket, 6_000, started)));
  const early = closed.filter((ms) => ms !== null && ms < 1_000).length;
  const stats = proxy.proxy.stats();
  t.diagnostic(`${flood} connections past a cap of 10 from one address, sending nothing: ${stats.overCapacityDropped} closed at once, ${refusedPagesPerClient} held at most ${2_000} ms for a 503 page; all closed within ${Math.max(...closed.map((ms) => ms ?? Infinity)).toFixed(0)} ms`);
  assert.equal(closed.filter((ms) => ms === null).length, 0, 'every flood connection is closed');
  assert.equal(stats.overCapacityDropped, flood - refusedPagesPerClient);
  assert.ok(early >= flood - refusedPagesPerClient, `${early} closed within a second`);
  const other = await open(proxy.port, '127.0.7.2');
  assert.equal((await getOn(other, url('/during-flood'))).status, 200, 'another address is served');
});

test('past the total cap every address is refused with a 503 page until connections are released', { timeout: 30_000 }, async (t) => {
  const proxy = await proxyWith({ maxConnections: 40, maxConnectionsPerClient: 20 });
  const held = [...(await hold(proxy.port, '127.0.8.1', 20)), ...(await hold(proxy.port, '127.0.8.2', 20))];
  const newcomer = await open(proxy.port, '127.0.8.3');
  const refused = await getOn(newcomer, url('/full'), { Accept: 'text/html' });
  assert.equal(refused.status, 503);
  assert.match(refused.body, /as many connections open as it is set up to serve/);
  held.pop()!.destroy();
  assert.ok(await eventually(() => proxy.proxy.stats().activeConnections === 39, 5_000));
  const next = await open(proxy.port, '127.0.8.3');
  assert.equal((await getOn(next, url('/room-again'))).status, 200);
  t.diagnostic('total cap 40: two addresses holding 20 each; a third refused, then served once one was released');
});

test('hedgerow start takes the caps from proxy.limits in the configuration', { timeout: 30_000 }, async () => {
  assert.equal(configSchema.safeParse({ proxy: { limits: { maxConnectionsPerClient: 0 } } }).success, false);
  const unknown = configSchema.safeParse({ proxy: { limits: { maxConections: 5 } } });
  assert.equal(unknown.success, false);
  assert.deepEqual(unknown.error!.issues[0]!.path, ['proxy', 'limits']);
  const running = await startHedgerow(
    configSchema.parse({
      dataDir: mkdtempSync(join(tmpdir(), 'hedgerow-load-caps-')),
      proxy: { port: 0, limits: { maxConnectionsPerClient: 2 } },
      dns: { enabled: false },
      http: { port: 0 },
      watchPolicy: false,
    }),
    { log: () => undefined, resolveHost: async () => ['127.0.0.1'] },
  );
  try {
    const port = running.proxy!.address.port;
    await open(port, '127.0.9.1');
    await open(port, '127.0.9.1');
    assert.ok(await eventually(() => running.proxy!.stats().activeConnections === 2, 5_000));
    const third = await open(port, '127.0.9.1');
    const refused = await getOn(third, 'http://www.facebook.com/');
    assert.equal(refused.status, 503);
    assert.match(refused.body, /too many connections are open from your device/i);
    const other = await open(port, '127.0.9.2');
    assert.equal((await getOn(other, 'http://www.facebook.com/')).status, 403, 'another address is decided as usual (blocked social networking)');
  } finally {
    for (const socket of sockets) socket.destroy();
    await running.close();
  }
});
