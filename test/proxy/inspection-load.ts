// TLS inspection costs, measured locally (not a test: run by hand, prints milliseconds).
//   node --import tsx test/proxy/inspection-load.ts [requests=200]
// 1. host certificate generation (first visit of a host) and a cache hit;
// 2. one https request on a fresh connection (CONNECT + TLS + GET) through a plain tunnel and
//    through an inspected one (certificate cached), and a request on an open keep-alive connection.
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createCertificateAuthority, LeafIssuer, startProxy } from '../../src/proxy/index.ts';
import { fakeDecide, selfSignedCert } from './fixtures.ts';

const n = Number(process.argv[2] ?? 200);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.95)]!;
}

const ca = await createCertificateAuthority({ name: 'Load test CA' });
const issuer = new LeafIssuer(ca);
await issuer.init();
const generation: number[] = [];
for (let i = 0; i < n; i++) {
  const t = performance.now();
  await issuer.contextFor(`host-${i}.test`);
  generation.push(performance.now() - t);
}
const hits: number[] = [];
for (let i = 0; i < n; i++) {
  const t = performance.now();
  await issuer.contextFor(`host-${i % 10}.test`);
  hits.push(performance.now() - t);
}
console.log(`host certificate: generate median ${median(generation).toFixed(2)} ms, p95 ${p95(generation).toFixed(2)} ms; cache hit median ${(median(hits) * 1000).toFixed(1)} µs`);

const originCert = await selfSignedCert(['load.test']);
const body = 'x'.repeat(958);
const origin = createHttpsServer({ ...originCert }, (_req, res) => res.end(body));
await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
const originPort = (origin.address() as AddressInfo).port;

async function proxyWith(inspect: boolean) {
  return startProxy({
    host: '127.0.0.1',
    port: 0,
    allowedClients: ['127.0.0.0/8'],
    identify: () => ({ id: 'load.pupil', role: 'pupil' }),
    decide: fakeDecide,
    blockPage: { baseUrl: 'http://127.0.0.1:8080', smartAdviceFor: () => true },
    resolve: async () => ['127.0.0.1'],
    connectPorts: 'any',
    ...(inspect ? { inspection: { ca, inspect: () => true, upstreamCa: originCert.cert } } : {}),
  });
}

async function tunnel(proxyPort: number): Promise<Socket> {
  const socket = netConnect(proxyPort, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((r) => socket.once('connect', r));
  socket.write(`CONNECT load.test:${originPort} HTTP/1.1\r\nHost: load.test:${originPort}\r\n\r\n`);
  await new Promise<void>((r) => socket.once('data', () => r()));
  return socket;
}

async function get(tls: ReturnType<typeof tlsConnect>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    // the TLS socket is already open: plain HTTP/1.1 is written on it
    const req = httpRequest({ createConnection: () => tls, host: 'load.test', path: '/', headers: { Connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

for (const inspect of [false, true]) {
  const proxy = await proxyWith(inspect);
  const trust = [originCert.cert, ca.cert];
  const fresh: number[] = [];
  const reused: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const t = performance.now();
    const raw = await tunnel(proxy.address.port);
    const tls = tlsConnect({ socket: raw, servername: 'load.test', ca: trust, ALPNProtocols: ['http/1.1'] });
    await new Promise<void>((r, j) => tls.once('secureConnect', r).once('error', j));
    await get(tls);
    const first = performance.now() - t;
    const t2 = performance.now();
    await get(tls);
    const second = performance.now() - t2;
    tls.destroy();
    // the first ten warm up (JIT, certificate cache, upstream pool)
    if (i >= 10) {
      fresh.push(first);
      reused.push(second);
    }
  }
  console.log(
    `${inspect ? 'inspected' : 'plain tunnel'}: new connection + GET median ${median(fresh).toFixed(2)} ms (p95 ${p95(fresh).toFixed(2)}); GET on open connection median ${median(reused).toFixed(2)} ms (p95 ${p95(reused).toFixed(2)})`,
  );
  await proxy.close(0);
}
origin.closeAllConnections();
origin.close();
