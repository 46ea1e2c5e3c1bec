import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { connect as netConnect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fakeDecide, decision, parseResponse, rawExchange, selfSignedCert, staff, startTestProxy } from './fixtures.ts';

let cert: { key: string; cert: string };

before(async () => {
  cert = await selfSignedCert(['secure.example', 'other.example', 'blocked.example']);
});

async function startTlsOrigin(): Promise<{ server: HttpsServer; port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = createHttpsServer({ key: cert.key, cert: cert.cert }, (req, res) => res.end(`secure hello ${req.headers.host} ${req.url}`));
  server.on('secureConnection', () => connections++);
  server.on('connection', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Open a CONNECT tunnel; resolves with the socket and the proxy's answer head. */
function openTunnel(proxyPort: number, authority: string, headers = ''): Promise<{ socket: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(proxyPort, '127.0.0.1');
    let data = '';
    const onData = (d: Buffer): void => {
      data += d.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end >= 0) {
        socket.off('data', onData);
        resolve({ socket, head: data });
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${headers}\r\n`);
  });
}

function httpsGetOver(socket: Socket, servername: string, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    const tls: TLSSocket = tlsConnect({ socket, servername, ca: cert.cert });
    let text = '';
    let secure = false;
    tls.on('secureConnect', () => (secure = true) && tls.write(`GET ${path} HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`));
    tls.on('data', (d) => (text += d.toString()));
    const done = (): void => (secure ? resolve(text) : reject(new Error('closed before the TLS handshake finished')));
    tls.on('end', done);
    tls.on('close', done);
    tls.on('error', reject);
  });
}

test('opens a CONNECT tunnel to an allowed host and carries TLS end to end', async () => {
  const origin = await startTlsOrigin();
  const p = await startTestProxy();
  try {
    const { socket, head } = await openTunnel(p.port, `secure.example:${origin.port}`);
    assert.match(head, /^HTTP\/1\.1 200 Connection established\r\n/);
    const answer = await httpsGetOver(socket, 'secure.example', '/inside');
    assert.match(answer, /secure hello secure\.example \/inside/);
    assert.equal(p.events.length, 1);
    assert.equal(p.events[0]!.host, 'secure.example');
    assert.equal(p.events[0]!.url, null);
    assert.equal(p.events[0]!.circumvention, false);
    assert.equal(p.proxy.stats().tunnels, 1);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('refuses a CONNECT to a blocked host with 403 before any byte is forwarded', async () => {
  const origin = await startTlsOrigin();
  const p = await startTestProxy();
  try {
    const r = parseResponse(await rawExchange(p.port, `CONNECT blocked.example:${origin.port} HTTP/1.1\r\nHost: blocked.example\r\n\r\n`));
    assert.equal(r.status, 403);
    assert.match(r.body, /^blocked: blocked\.example:\d+\nreason: Social networking/);
    assert.match(r.body, new RegExp(`reference: ${p.events[0]!.id}`));
    assert.equal(p.events[0]!.action, 'block');
    assert.equal(origin.connections(), 0);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('flags an SNI that differs from the CONNECT host as circumvention and decides on the SNI too', async () => {
  const origin = await startTlsOrigin();
  const p = await startTestProxy();
  try {
    const { socket, head } = await openTunnel(p.port, `secure.example:${origin.port}`);
    assert.match(head, / 200 /);
    const answer = await httpsGetOver(socket, 'other.example');
    assert.match(answer, /secure hello other\.example/);
    assert.equal(p.events.length, 2);
    assert.equal(p.events[0]!.host, 'secure.example');
    assert.equal(p.events[0]!.circumvention, true);
    assert.equal(p.events[1]!.host, 'other.example');
    assert.equal(p.events[1]!.circumvention, true);
    assert.equal(p.proxy.stats().sniMismatches, 1);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('closes the tunnel when the SNI names a blocked host, without connecting upstream', async () => {
  const origin = await startTlsOrigin();
  const p = await startTestProxy();
  try {
    const { socket } = await openTunnel(p.port, `secure.example:${origin.port}`);
    await assert.rejects(httpsGetOver(socket, 'blocked.example'));
    assert.equal(origin.connections(), 0);
    const sniEvent = p.events.find((e) => e.host === 'blocked.example');
    assert.equal(sniEvent?.action, 'block');
    assert.equal(sniEvent?.circumvention, true);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('treats a host name in the SNI of a tunnel to an IP address as a mismatch', async () => {
  const origin = await startTlsOrigin();
  const p = await startTestProxy();
  try {
    const { socket } = await openTunnel(p.port, `127.0.0.1:${origin.port}`);
    const answer = await httpsGetOver(socket, 'secure.example');
    assert.match(answer, /secure hello/);
    assert.equal(p.events[0]!.host, '127.0.0.1');
    assert.equal(p.events[0]!.circumvention, true);
    assert.equal(p.events[1]!.host, 'secure.example');
  } finally {
    await p.close();
    await origin.close();
  }
});

test('refuses a CONNECT the policy warns about unless a reason was given on the http warn page', async () => {
  const origin = await startTlsOrigin();
  const p = await startTestProxy({ identify: () => staff });
  try {
    const r = parseResponse(await rawExchange(p.port, `CONNECT warned.example:${origin.port} HTTP/1.1\r\nHost: warned.example\r\n\r\n`));
    assert.equal(r.status, 403);
    assert.match(r.body, /cannot show the warning page/);
    assert.match(r.body, /open http:\/\/warned\.example\//);
    assert.equal(origin.connections(), 0);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('refuses CONNECT to ports other than the allowed ones by default', async () => {
  const p = await startTestProxy({ connectPorts: undefined });
  try {
    const r = parseResponse(await rawExchange(p.port, 'CONNECT secure.example:22 HTTP/1.1\r\nHost: secure.example\r\n\r\n'));
    assert.equal(r.status, 403);
    assert.match(r.body, /port 22/);
  } finally {
    await p.close();
  }
});

test('answers a CONNECT to an unknown, a forbidden or its own address with a refusal, not a tunnel', async () => {
  const p = await startTestProxy();
  try {
    const unknown = parseResponse(await rawExchange(p.port, 'CONNECT nowhere.invalid:443 HTTP/1.1\r\nHost: nowhere.invalid\r\n\r\n'));
    assert.equal(unknown.status, 502);
    assert.match(unknown.body, /could not find nowhere\.invalid/);
    const metadata = parseResponse(await rawExchange(p.port, 'CONNECT 169.254.169.254:443 HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(metadata.status, 403);
    const loop = parseResponse(await rawExchange(p.port, `CONNECT 127.0.0.1:${p.port} HTTP/1.1\r\nHost: x\r\n\r\n`));
    assert.equal(loop.status, 403);
  } finally {
    await p.close();
  }
});

test('asks for proxy credentials on CONNECT and opens the tunnel with them', async () => {
  const origin = await startTlsOrigin();
  const p = await startTestProxy({ requireAuth: true, identify: (_ip, c) => (c?.username === 'grace.teacher' && c.password === 'pw' ? staff : null) });
  try {
    const denied = parseResponse(await rawExchange(p.port, `CONNECT secure.example:${origin.port} HTTP/1.1\r\nHost: x\r\n\r\n`));
    assert.equal(denied.status, 407);
    assert.match(denied.headers['proxy-authenticate'] ?? '', /^Basic realm=/);
    const { socket, head } = await openTunnel(p.port, `secure.example:${origin.port}`, `Proxy-Authorization: Basic ${Buffer.from('grace.teacher:pw').toString('base64')}\r\n`);
    assert.match(head, / 200 /);
    assert.match(await httpsGetOver(socket, 'secure.example'), /secure hello/);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('uses the decision of the swapped engine for new tunnels', async () => {
  const origin = await startTlsOrigin();
  const p = await startTestProxy();
  try {
    p.proxy.setDecide((q) => (q.url.startsWith('secure.example') ? decision('block', 'secure.example') : fakeDecide(q)));
    const r = parseResponse(await rawExchange(p.port, `CONNECT secure.example:${origin.port} HTTP/1.1\r\nHost: x\r\n\r\n`));
    assert.equal(r.status, 403);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('opens a CONNECT the policy warns about once a reason was given on the http warn page', async () => {
  const origin = await startTlsOrigin();
  const p = await startTestProxy({ identify: () => staff, resolve: async () => ['127.0.0.1'] });
  try {
    const warnPage = await rawExchange(p.port, `GET http://warned.example:${origin.port}/ HTTP/1.1\r\nHost: warned.example\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
    const token = /name="token" value="([^"]+)"/.exec(warnPage)?.[1] ?? '';
    const form = new URLSearchParams({ token, url: `http://warned.example:${origin.port}/`, reason: 'checking a pupil report' }).toString();
    const continued = parseResponse(
      await rawExchange(p.port, `POST http://warned.example:${origin.port}/.hedgerow/continue HTTP/1.1\r\nHost: warned.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`),
    );
    assert.equal(continued.status, 303);
    const { socket, head } = await openTunnel(p.port, `warned.example:${origin.port}`);
    assert.match(head, / 200 /);
    socket.destroy();
    assert.equal(p.events.at(-1)?.host, 'warned.example');
    assert.equal(p.events.at(-1)?.warnReason, 'checking a pupil report');
  } finally {
    await p.close();
    await origin.close();
  }
});
