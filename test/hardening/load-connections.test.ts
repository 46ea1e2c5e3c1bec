// Load: 2,000 client connections held open on the proxy at once (half kept-alive HTTP, half
// CONNECT tunnels carrying TLS), each served, a fresh client still served while they are held,
// then all released; the proxy's memory before, while held and after. The proxy runs in its own
// process so that its memory is measured alone. HEDGEROW_LOAD_CONNECTIONS changes the count.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { listen, selfSignedCert } from '../proxy/fixtures.ts';
import { startProxyProcess } from './support/load-proxy-process.ts';
import { connectFrom, connectOn, eventually, getOn, mib, openFileLimit, pool, readResponse } from './support/load-clients.ts';

const wanted = Number(process.env.HEDGEROW_LOAD_CONNECTIONS ?? 2_000);
const fdLimit = openFileLimit();
// each held connection costs two descriptors in this process (client, origin side) and two in
// the proxy's (client side, upstream side); leave room for everything else
const count = fdLimit === null ? wanted : Math.min(wanted, Math.floor((fdLimit - 500) / 2));
// spread over addresses so that the default per-client cap (256) is not what is being measured
const addresses = Array.from({ length: 20 }, (_, i) => `127.0.0.${10 + i}`);

const origin = createHttpServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  const body = `plain ${req.url}`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
origin.headersTimeout = 130_000;
const originPort = await listen(origin);
const pem = await selfSignedCert(['tls.example']);
const secureOrigin = createHttpsServer({ key: pem.key, cert: pem.cert, keepAliveTimeout: 120_000 }, (req, res) => {
  const body = `secure ${req.url}`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
const securePort = await listen(secureOrigin);
const proxy = await startProxyProcess({ idleTimeoutMs: 120_000 });
const held: Socket[] = [];
after(async () => {
  for (const socket of held) socket.destroy();
  await proxy.close();
  origin.closeAllConnections();
  secureOrigin.closeAllConnections();
  origin.close();
  secureOrigin.close();
});

/** a GET inside a TLS session carried by a CONNECT tunnel */
async function tlsGet(tunnel: Socket, path: string): Promise<{ tls: TLSSocket; status: number; body: string }> {
  const tls = tlsConnect({ socket: tunnel, servername: 'tls.example', ca: pem.cert });
  await new Promise<void>((resolve, reject) => {
    tls.once('secureConnect', resolve);
    tls.once('error', reject);
  });
  const answer = readResponse(tls as unknown as Socket);
  tls.write(`GET ${path} HTTP/1.1\r\nHost: tls.example\r\n\r\n`);
  const response = await answer;
  return { tls, status: response.status, body: response.body };
}

test(`holds ${count} concurrent client connections (kept-alive HTTP and TLS tunnels), serves each, and still serves a fresh client`, { timeout: 120_000 }, async (t) => {
  t.diagnostic(`open files limit (ulimit -n): ${fdLimit ?? 'unknown'}; connections asked for: ${wanted}; held: ${count}`);
  if (count < wanted) t.diagnostic(`the open files limit is below what ${wanted} connections need (about ${2 * wanted + 500}); tested the highest that fits`);
  const before = await proxy.memory();
  const keepAlive = Math.ceil(count / 2);
  const tunnels = count - keepAlive;
  const started = performance.now();

  // kept-alive HTTP: one GET each, the connection left open afterwards
  const plain = await pool(keepAlive, 100, async (i) => {
    const socket = await connectFrom(proxy.port, addresses[i % addresses.length]);
    socket.on('error', () => undefined);
    held.push(socket);
    const response = await getOn(socket, `http://www.example:${originPort}/k${i}`);
    return response.status === 200 && response.body === `plain /k${i}` && !response.closed;
  });
  // CONNECT tunnels: a TLS session to the origin through each, one GET inside, left open
  const secure = await pool(tunnels, 50, async (i) => {
    const socket = await connectFrom(proxy.port, addresses[i % addresses.length]);
    socket.on('error', () => undefined);
    held.push(socket);
    const opened = await connectOn(socket, `tls.example:${securePort}`);
    if (opened.status !== 200) return false;
    const { tls, status, body } = await tlsGet(socket, `/t${i}`);
    tls.on('error', () => undefined);
    return status === 200 && body === `secure /t${i}`;
  });
  const openMs = performance.now() - started;
  const servedPlain = plain.filter(Boolean).length;
  const servedSecure = secure.filter(Boolean).length;
  t.diagnostic(`opened and served ${servedPlain} kept-alive + ${servedSecure} tunnelled connections in ${(openMs / 1000).toFixed(1)} s`);
  assert.equal(servedPlain, keepAlive, 'every kept-alive connection was served');
  assert.equal(servedSecure, tunnels, 'every tunnel was opened and carried its TLS request');

  const heldStats = await proxy.stats();
  assert.ok(heldStats.activeConnections >= count, `the proxy holds them all (${heldStats.activeConnections} open)`);
  assert.equal(heldStats.activeTunnels, tunnels);
  assert.equal(heldStats.overCapacity + heldStats.overCapacityDropped, 0, 'no connection was refused');
  const whileHeld = await proxy.memory();

  // a fresh client, from an address not used above, while every connection is held
  const fresh = await connectFrom(proxy.port, '127.0.0.200');
  const asked = performance.now();
  const response = await getOn(fresh, `http://fresh.example:${originPort}/now`);
  const freshMs = performance.now() - asked;
  fresh.destroy();
  t.diagnostic(`a fresh client's GET while ${count} connections were held: ${freshMs.toFixed(1)} ms`);
  assert.equal(response.status, 200);
  assert.equal(response.body, 'plain /now');
  // "promptly": an answer, and well within a generous bound (this is not a speed benchmark)
  assert.ok(freshMs < 5_000, `the fresh client waited ${freshMs.toFixed(0)} ms`);
  const blocked = await connectFrom(proxy.port, '127.0.0.201');
  assert.equal((await getOn(blocked, 'http://blocked.example/')).status, 403, 'and is still filtered');
  blocked.destroy();

  // release everything; the proxy lets go of every socket
  for (const socket of held.splice(0)) socket.destroy();
  const released = await eventually(async () => (await proxy.stats()).activeConnections === 0, 10_000);
  const afterStats = await proxy.stats();
  assert.ok(released, `the proxy still holds ${afterStats.activeConnections} connections after the clients left`);
  assert.equal(afterStats.activeTunnels, 0);
  const after = await proxy.memory();
  t.diagnostic(
    `proxy memory (MiB, after a full GC): heap ${mib(before.heapUsed)} before → ${mib(whileHeld.heapUsed)} while held → ${mib(after.heapUsed)} after; ` +
      `rss ${mib(before.rss)} → ${mib(whileHeld.rss)} → ${mib(after.rss)}; ` +
      `per held connection ≈ ${((whileHeld.heapUsed - before.heapUsed) / count / 1024).toFixed(1)} KiB of heap`,
  );
  t.diagnostic(`proxy stats: ${afterStats.connections} connections, ${afterStats.requests} requests, ${afterStats.tunnels} tunnels, ${afterStats.events} events`);
  // what the connections held is given back (generous: the heap may keep some warmed-up caches)
  assert.ok(after.heapUsed - before.heapUsed < 32 * 1024 * 1024, `heap grew by ${mib(after.heapUsed - before.heapUsed)} MiB after release`);
});
