import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCert, startOrigin, startTestProxy } from './fixtures.ts';

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // no proxy settings from the environment; nothing leaves 127.0.0.1
    execFile('curl', ['--silent', '--show-error', '--noproxy', '', '--max-time', '10', ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('curl -x fetches an http:// page through the proxy', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy();
  try {
    const r = await curl(['-x', `http://127.0.0.1:${p.port}`, '-i', `http://curl.example:${origin.port}/from-curl`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 200 OK/);
    assert.match(r.stdout, /Via: 1\.1 hedgerow/i);
    assert.match(r.stdout, /hello from curl\.example:\d+ GET \/from-curl/);
    const blocked = await curl(['-x', `http://127.0.0.1:${p.port}`, '-H', 'Accept: text/html', `http://blocked.example:${origin.port}/`]);
    assert.match(blocked.stdout, /This page is blocked/);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('curl -x fetches an https:// page through a CONNECT tunnel, and gets 403 for a blocked host', async () => {
  const cert = await selfSignedCert(['secure.example']);
  const origin = createHttpsServer(cert, (req, res) => res.end(`tls hello ${req.url}`));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const port = (origin.address() as AddressInfo).port;
  const p = await startTestProxy();
  try {
    const r = await curl(['-x', `http://127.0.0.1:${p.port}`, '--insecure', `https://secure.example:${port}/tunnelled`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'tls hello /tunnelled');
    assert.equal(p.events[0]!.host, 'secure.example');
    const blocked = await curl(['-x', `http://127.0.0.1:${p.port}`, '--insecure', `https://blocked.example:${port}/`]);
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr, /403/);
  } finally {
    await p.close();
    origin.closeAllConnections();
    origin.close();
  }
});
