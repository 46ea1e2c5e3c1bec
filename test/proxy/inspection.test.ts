import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { DecisionQuery } from '../../src/engine/types.ts';
import { applySafeSearch, caCommand, createCertificateAuthority, type CaFiles } from '../../src/proxy/index.ts';
import { decision, fakeDecide, hostOf, proxyGet, pupil, selfSignedCert, startOrigin, startTestProxy, testResolve, type TestProxy } from './fixtures.ts';

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // no proxy settings from the environment; nothing leaves 127.0.0.1
    execFile('curl', ['--silent', '--show-error', '--noproxy', '', '--max-time', '10', ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** executables blocked by path; `bank.test` is banking (a private category); the rest as the shared fake */
function decide(query: DecisionQuery) {
  const host = hostOf(query.url);
  if (/\.exe(\?|$)/.test(query.url)) return decision('block', host, { categories: ['executables'], reason: 'Downloading programs is not allowed.', clauses: ['8.4'] });
  if (host === 'bank.test') return decision('allow', host, { categories: ['banking'] });
  return fakeDecide(query);
}

/** the reserved test names, plus search-engine names mapped to the local origin */
async function resolve(host: string): Promise<string[]> {
  if (host === 'www.google.com' || host === 'www.youtube.com') return ['127.0.0.1'];
  return testResolve(host);
}

interface SeenRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

let dir: string;
let schoolCa: CaFiles;
let schoolCaPath: string;
let originCert: { key: string; cert: string };
let origin: HttpsServer;
let originPort: number;
const seen: SeenRequest[] = [];
let untrusted: HttpsServer;
let untrustedPort: number;

async function listenHttps(server: HttpsServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hedgerow-inspection-'));
  schoolCa = await createCertificateAuthority({ name: 'Test school inspection CA' });
  schoolCaPath = join(dir, 'school-ca.pem');
  writeFileSync(schoolCaPath, schoolCa.cert);
  originCert = await selfSignedCert(['allowed.test', 'bank.test', 'www.google.com', 'www.youtube.com']);
  origin = createHttpsServer(originCert, (req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.end(`origin says ${req.headers.host} ${req.url}`);
  });
  originPort = await listenHttps(origin);
  untrusted = createHttpsServer(await selfSignedCert(['untrusted.test']), (_req, res) => res.end('should never be seen'));
  untrustedPort = await listenHttps(untrusted);
});

after(() => {
  origin.closeAllConnections();
  origin.close();
  untrusted.closeAllConnections();
  untrusted.close();
  rmSync(dir, { recursive: true, force: true });
});

function inspectingProxy(extra: Parameters<typeof startTestProxy>[0] = {}): Promise<TestProxy> {
  return startTestProxy({
    decide,
    resolve,
    inspection: {
      ca: schoolCa,
      // inspect everyone, except private categories
      inspect: (_person, _host, categories) => !categories.includes('banking'),
      upstreamCa: originCert.cert,
    },
    safeSearchFor: () => ({ engines: 'strict', youtube: 'moderate' }),
    ...extra,
  });
}

function viaProxy(p: TestProxy, url: string, extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return curl(['--proxy', `http://127.0.0.1:${p.port}`, '--cacert', schoolCaPath, ...extra, url]);
}

/** CONNECT through the proxy, then TLS to `host` over the tunnel; the certificate the client was shown. */
async function certificateThroughTunnel(proxyPort: number, host: string, port: number, ca: string[]): Promise<{ fingerprint256: string; issuer: string }> {
  const socket: Socket = netConnect(proxyPort, '127.0.0.1');
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  socket.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  const head = await new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString('latin1'))));
  assert.match(head, /^HTTP\/1\.1 200/);
  const tls = tlsConnect({ socket, servername: host, ca });
  try {
    await new Promise<void>((r, j) => tls.once('secureConnect', r).once('error', j));
    const peer = tls.getPeerCertificate();
    return { fingerprint256: peer.fingerprint256, issuer: String(peer.issuer.CN ?? '') };
  } finally {
    tls.destroy();
  }
}

test('an inspected https request is decided on its full URL and fetched from the origin', async () => {
  const p = await inspectingProxy();
  try {
    const r = await viaProxy(p, `https://allowed.test:${originPort}/lessons/fractions?week=3`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `origin says allowed.test:${originPort} /lessons/fractions?week=3`);
    const urls = p.events.map((e) => e.url);
    assert.ok(urls.includes(`https://allowed.test:${originPort}/lessons/fractions?week=3`), JSON.stringify(urls));
    // the tunnel's own decision is recorded too, on the host
    assert.ok(p.events.some((e) => e.url === null && e.host === 'allowed.test'));
    assert.equal(p.proxy.stats().inspected, 1);
  } finally {
    await p.close();
  }
});

test('a blocked download inside an allowed host gets the block page over https and never reaches the origin', async () => {
  const p = await inspectingProxy();
  const before = seen.length;
  try {
    const r = await viaProxy(p, `https://allowed.test:${originPort}/downloads/setup.exe`, ['-i', '-H', 'Accept: text/html']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 403 /m);
    assert.match(r.stdout, /This page is blocked/);
    assert.match(r.stdout, /Downloading programs is not allowed/);
    assert.equal(seen.slice(before).filter((s) => s.url.includes('setup.exe')).length, 0);
    const blocked = p.events.find((e) => e.action === 'block');
    assert.equal(blocked?.url, `https://allowed.test:${originPort}/downloads/setup.exe`);
  } finally {
    await p.close();
  }
});

test('a host in a private category is tunnelled, so the client sees the origin\'s own certificate', async () => {
  const p = await inspectingProxy();
  try {
    const originFingerprint = new X509Certificate(originCert.cert).fingerprint256;
    const bank = await certificateThroughTunnel(p.port, 'bank.test', originPort, [originCert.cert, schoolCa.cert]);
    assert.equal(bank.fingerprint256, originFingerprint);
    const other = await certificateThroughTunnel(p.port, 'allowed.test', originPort, [originCert.cert, schoolCa.cert]);
    assert.notEqual(other.fingerprint256, originFingerprint);
    assert.equal(other.issuer, 'Test school inspection CA');
    // and curl trusting only the school CA cannot open the bank: it was not inspected
    const r = await viaProxy(p, `https://bank.test:${originPort}/account`);
    assert.notEqual(r.code, 0);
    assert.equal(p.proxy.stats().inspected, 1);
  } finally {
    await p.close();
  }
});

test('safe search is forced on Google over inspected https and an attempt to turn it off is removed', async () => {
  const p = await inspectingProxy();
  const before = seen.length;
  try {
    const r = await viaProxy(p, `https://www.google.com:${originPort}/search?q=frogs&safe=off&hl=en`);
    assert.equal(r.code, 0, r.stderr);
    const got = seen.slice(before).find((s) => s.url.startsWith('/search'));
    assert.equal(got?.url, '/search?q=frogs&hl=en&safe=active');
    // the log keeps what the pupil asked for
    assert.ok(p.events.some((e) => e.url === `https://www.google.com:${originPort}/search?q=frogs&safe=off&hl=en` && e.searchTerm === 'frogs'));
  } finally {
    await p.close();
  }
});

test('YouTube gets the YouTube-Restrict header at the person\'s level, replacing the client\'s own', async () => {
  const p = await inspectingProxy();
  const before = seen.length;
  try {
    const r = await viaProxy(p, `https://www.youtube.com:${originPort}/watch?v=abc`, ['-H', 'YouTube-Restrict: Off']);
    assert.equal(r.code, 0, r.stderr);
    const got = seen.slice(before).find((s) => s.url === '/watch?v=abc');
    assert.deepEqual(got?.headers['youtube-restrict'], 'Moderate');
  } finally {
    await p.close();
  }
});

test('safe search is forced on plain http:// search requests too', async () => {
  const plain = await startOrigin();
  const p = await inspectingProxy({ safeSearchFor: () => ({ engines: 'strict', youtube: 'strict' }) });
  try {
    const r = await proxyGet(p.port, `http://www.google.com:${plain.port}/search?safe=off&q=owls`);
    assert.equal(r.status, 200);
    assert.equal(plain.requests.at(-1)?.url, '/search?q=owls&safe=active');
  } finally {
    await p.close();
    await plain.close();
  }
});

test('safe search rewrites Bing, DuckDuckGo and Google at each level and leaves other sites alone', () => {
  const strict = { engines: 'strict', youtube: 'strict' } as const;
  const moderate = { engines: 'moderate', youtube: 'moderate' } as const;
  const off = { engines: 'off', youtube: 'off' } as const;
  assert.equal(applySafeSearch('www.bing.com', '/search?q=a&adlt=off', strict).path, '/search?q=a&adlt=strict');
  assert.equal(applySafeSearch('www.bing.com', '/images/search?q=a', moderate).path, '/images/search?q=a&adlt=moderate');
  assert.equal(applySafeSearch('duckduckgo.com', '/?q=a&kp=-2', strict).path, '/?q=a&kp=1');
  assert.equal(applySafeSearch('html.duckduckgo.com', '/html?q=a', moderate).path, '/html?q=a&kp=-1');
  assert.equal(applySafeSearch('www.google.co.uk', '/search?q=a&SAFE=off', strict).path, '/search?q=a&safe=active');
  assert.equal(applySafeSearch('www.google.com', '/search?q=a&safe=off', moderate).path, '/search?q=a');
  assert.equal(applySafeSearch('www.google.com', '/search?q=a&safe=off', off).changed, false);
  assert.equal(applySafeSearch('m.youtube.com', '/', strict).youtubeRestrict, 'Strict');
  assert.equal(applySafeSearch('www.youtube.com', '/', off).youtubeRestrict, null);
  assert.equal(applySafeSearch('google.example', '/search?q=a&safe=off', strict).changed, false);
  assert.equal(applySafeSearch('www.google.com', '/maps/place/x', strict).changed, false);
});

test('an upstream certificate that does not verify gives a clear error page, never the site', async () => {
  const p = await inspectingProxy();
  try {
    const r = await viaProxy(p, `https://untrusted.test:${untrustedPort}/`, ['-i', '-H', 'Accept: text/html']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 502 /m);
    assert.match(r.stdout, /could not be checked/);
    assert.doesNotMatch(r.stdout, /should never be seen/);
    assert.equal(p.proxy.stats().upstreamErrors.certificate, 1);
  } finally {
    await p.close();
  }
});

test('a blocked host still gets the 403 refusal on CONNECT, with or without inspection', async () => {
  for (const p of [await inspectingProxy(), await startTestProxy({ decide, resolve })]) {
    try {
      const r = await viaProxy(p, `https://blocked.example:${originPort}/`);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /403/);
      assert.equal(p.proxy.stats().inspected, 0);
    } finally {
      await p.close();
    }
  }
});

test('a warned host shows its warn page over https when the tunnel is inspected', async () => {
  const p = await inspectingProxy();
  try {
    const r = await viaProxy(p, `https://warned.example:${originPort}/feed`, ['-i', '-H', 'Accept: text/html']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 403 /m);
    assert.match(r.stdout, /name="reason"/);
  } finally {
    await p.close();
  }
});

test('host certificates are made once per host, also for many requests at the same time', async () => {
  const p = await inspectingProxy();
  try {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => viaProxy(p, `https://allowed.test:${originPort}/page/${i}`)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const ip = await viaProxy(p, `https://127.0.0.1:${originPort}/by-address`);
    // the origin's own certificate has no IP address in it: the proxy refuses upstream, but the
    // client accepted the school certificate for the address (a 502 page, not a TLS failure)
    assert.equal(ip.code, 0, ip.stderr);
    const certificates = p.proxy.stats().certificates!;
    assert.equal(certificates.issued, 2);
    assert.equal(certificates.reused, 7);
    assert.equal(certificates.cached, 2);
  } finally {
    await p.close();
  }
});

test('a device without the school CA fails the handshake and nothing is forwarded', async () => {
  const p = await inspectingProxy();
  const before = seen.length;
  try {
    const r = await curl(['--proxy', `http://127.0.0.1:${p.port}`, `https://allowed.test:${originPort}/secret`]);
    assert.notEqual(r.code, 0);
    assert.equal(seen.length, before);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(p.proxy.stats().inspectionHandshakeFailures, 1);
  } finally {
    await p.close();
  }
});

test('the proxy will not start with a CA key that does not belong to the CA certificate', async () => {
  const other = await createCertificateAuthority({ name: 'Another CA' });
  await assert.rejects(startTestProxy({ inspection: { ca: { key: other.key, cert: schoolCa.cert }, inspect: () => true } }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'HR_CONFIG_INVALID');
    assert.match(err.message, /does not belong/);
    assert.doesNotMatch(err.message, /PRIVATE KEY/);
    return true;
  });
});

function io(env: NodeJS.ProcessEnv) {
  const out = new PassThrough();
  const errOut = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  errOut.on('data', (d: Buffer) => (stderr += d.toString()));
  return { io: { stdout: out, stderr: errOut, env }, text: () => ({ stdout, stderr }) };
}

test('hedgerow ca create writes the key owner-only and refuses to replace a CA without --force', async () => {
  const data = join(dir, 'data');
  const env = { HEDGEROW_DATA: data };
  const first = io(env);
  assert.equal(await caCommand(['create', '--name', 'Test school CA', '--days', '30'], first.io), 0, first.text().stderr);
  const keyPath = join(data, 'ca', 'ca-key.pem');
  const certPath = join(data, 'ca', 'ca-cert.pem');
  assert.equal(statSync(keyPath).mode & 0o777, 0o600);
  assert.equal(statSync(certPath).mode & 0o777, 0o644);
  const key = readFileSync(keyPath, 'utf8');
  const cert = readFileSync(certPath, 'utf8');
  assert.doesNotMatch(first.text().stdout, /PRIVATE KEY/);

  const again = io(env);
  assert.equal(await caCommand(['create'], again.io), 1);
  assert.match(again.text().stderr, /already exists.*--force/);
  assert.equal(readFileSync(keyPath, 'utf8'), key);
  assert.equal(readFileSync(certPath, 'utf8'), cert);

  const forced = io(env);
  assert.equal(await caCommand(['create', '--force'], forced.io), 0, forced.text().stderr);
  assert.notEqual(readFileSync(keyPath, 'utf8'), key);
  assert.equal(statSync(keyPath).mode & 0o777, 0o600);

  const bad = io(env);
  assert.equal(await caCommand(['create', '--days', 'soon'], bad.io), 2);
});

test('hedgerow ca show prints the certificate and the fingerprint openssl gives, and openssl reads it as a CA', async () => {
  const data = join(dir, 'data-show');
  const env = { HEDGEROW_DATA: data };
  const missing = io(env);
  assert.equal(await caCommand(['show'], missing.io), 1);
  assert.match(missing.text().stderr, /ca create/);
  assert.equal(await caCommand(['create', '--name', 'Show test CA'], io(env).io), 0);
  const shown = io(env);
  assert.equal(await caCommand(['show'], shown.io), 0);
  const { stdout } = shown.text();
  assert.match(stdout, /-----BEGIN CERTIFICATE-----/);
  assert.doesNotMatch(stdout, /PRIVATE KEY/);
  const certPath = join(data, 'ca', 'ca-cert.pem');
  const opensslFingerprint = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).split('=')[1]!.trim();
  assert.match(stdout, new RegExp(`SHA-256 fingerprint: ${opensslFingerprint}`));
  const text = execFileSync('openssl', ['x509', '-in', certPath, '-noout', '-text'], { encoding: 'utf8' });
  assert.match(text, /CA:TRUE, pathlen:0/);
  assert.match(text, /Certificate Sign, CRL Sign/);
  assert.match(text, /Subject: CN\s*=\s*Show test CA/);
  assert.match(text, /ecdsa-with-SHA256/);
});
