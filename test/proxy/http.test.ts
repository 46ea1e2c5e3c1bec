import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request, type IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { createServer as createNetServer } from 'node:net';
import { once } from 'node:events';
import { decision, fakeDecide, listen, parseResponse, proxyGet, pupil, rawExchange, staff, startOrigin, startTestProxy } from './fixtures.ts';

interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: Buffer;
}

function viaProxy(proxyPort: number, url: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, method: options.method ?? 'GET', path: url, headers: options.headers ?? {}, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

test('forwards GET requests over one kept-alive client connection and reuses the upstream connection', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await viaProxy(p.port, `http://a.example:${origin.port}/page/${i}?x=1`, { agent });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), `hello from a.example:${origin.port} GET /page/${i}?x=1`);
    }
    assert.equal(p.proxy.stats().connections, 1);
    assert.equal(p.events.length, 3);
    assert.equal(p.events[0]!.url, `http://a.example:${origin.port}/page/0?x=1`);
    assert.equal(p.events[0]!.point, 'proxy');
    assert.equal(p.events[0]!.person, pupil.id);
    assert.equal(p.events[0]!.action, 'allow');
  } finally {
    agent.destroy();
    await p.close();
    await origin.close();
  }
});

test('forwards a POST body with Content-Length', async () => {
  const origin = await startOrigin((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`got ${req.headers['content-length']}: ${Buffer.concat(chunks).toString()}`));
  });
  const p = await startTestProxy();
  try {
    const r = await viaProxy(p.port, `http://a.example:${origin.port}/form`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'name=Ada&topic=volcanoes' });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'got 24: name=Ada&topic=volcanoes');
  } finally {
    await p.close();
    await origin.close();
  }
});

test('streams a 20 MB chunked upload and a 20 MB chunked download intact, without waiting for the whole body', async () => {
  const size = 20 * 1024 * 1024;
  const block = Buffer.alloc(64 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 7) & 255;
  let firstUploadBytesSeenBeforeClientFinished = false;
  let clientFinished = false;
  const origin = await startOrigin((req, res) => {
    if (req.method === 'POST') {
      const hash = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        if (n === 0 && !clientFinished) firstUploadBytesSeenBeforeClientFinished = true;
        n += c.length;
        hash.update(c);
      });
      req.on('end', () => res.end(JSON.stringify({ n, sha: hash.digest('hex'), te: req.headers['transfer-encoding'] ?? null })));
      return;
    }
    // download: no Content-Length, so chunked on every hop
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += block.length;
        if (!res.write(block)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const p = await startTestProxy();
  try {
    // upload
    const expected = createHash('sha256');
    const upload = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: p.port, method: 'POST', path: `http://a.example:${origin.port}/upload`, headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          sent += block.length;
          expected.update(block);
          if (!req.write(block)) return void req.once('drain', pump);
        }
        clientFinished = true;
        req.end();
      };
      pump();
    });
    const result = JSON.parse(upload) as { n: number; sha: string; te: string | null };
    assert.equal(result.n, size);
    assert.equal(result.sha, expected.digest('hex'));
    assert.equal(result.te, 'chunked');
    assert.equal(firstUploadBytesSeenBeforeClientFinished, true);

    // download
    const hash = createHash('sha256');
    let received = 0;
    let firstChunkBeforeOriginDone = false;
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port: p.port, path: `http://a.example:${origin.port}/download` }, (res) => {
        assert.equal(res.headers['transfer-encoding'], 'chunked');
        res.on('data', (c: Buffer) => {
          if (received === 0) firstChunkBeforeOriginDone = true;
          received += c.length;
          hash.update(c);
        });
        res.on('end', resolve);
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    const want = createHash('sha256');
    for (let i = 0; i < size / block.length; i++) want.update(block);
    assert.equal(received, size);
    assert.equal(hash.digest('hex'), want.digest('hex'));
    assert.equal(firstChunkBeforeOriginDone, true);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('removes hop-by-hop headers both ways and adds Via', async () => {
  const origin = await startOrigin((req, res) => {
    res.writeHead(200, [
      'Content-Type', 'text/plain',
      'Connection', 'X-Origin-Hop',
      'X-Origin-Hop', 'secret',
      'Keep-Alive', 'timeout=5',
      'Proxy-Authenticate', 'Basic realm="origin"',
      'X-Kept', 'yes',
    ]);
    res.end(JSON.stringify(req.rawHeaders));
  });
  const p = await startTestProxy();
  try {
    const r = await viaProxy(p.port, `http://a.example:${origin.port}/h`, {
      headers: {
        Host: 'wrong.example',
        Connection: 'keep-alive, X-Client-Hop',
        'X-Client-Hop': 'secret',
        'Keep-Alive': 'timeout=5',
        'Proxy-Connection': 'keep-alive',
        'Proxy-Authorization': 'Basic eDp5',
        TE: 'trailers',
        'X-Client-Kept': 'yes',
      },
    });
    const seen = JSON.parse(r.body.toString()) as string[];
    const names = seen.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const gone of ['x-client-hop', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te']) assert.ok(!names.includes(gone), `${gone} was forwarded`);
    assert.ok(names.includes('x-client-kept'));
    assert.equal(seen[names.indexOf('host') * 2 + 1], `a.example:${origin.port}`);
    assert.equal(seen[names.indexOf('via') * 2 + 1], '1.1 hedgerow');
    assert.equal(r.headers['x-origin-hop'], undefined);
    assert.equal(r.headers['proxy-authenticate'], undefined);
    assert.equal(r.headers['x-kept'], 'yes');
    assert.equal(r.headers.via, '1.1 hedgerow');
  } finally {
    await p.close();
    await origin.close();
  }
});

test('answers 431 to headers that are too large or too many', async () => {
  const p = await startTestProxy({ limits: { maxHeaderBytes: 4096, maxHeaders: 10 } });
  try {
    const big = await rawExchange(p.port, `GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    assert.equal(parseResponse(big).status, 431);
    let many = 'GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n';
    for (let i = 0; i < 20; i++) many += `X-H${i}: ${i}\r\n`;
    const r = await rawExchange(p.port, `${many}\r\n`);
    assert.equal(parseResponse(r).status, 431);
  } finally {
    await p.close();
  }
});

test('closes a connection whose headers arrive too slowly with 408', async () => {
  const p = await startTestProxy({ limits: { headersTimeoutMs: 300 } });
  try {
    const started = Date.now();
    const r = await rawExchange(p.port, 'GET http://a.example/ HTTP/1.1\r\nHost: a.ex', { timeoutMs: 5000 });
    assert.equal(parseResponse(r).status, 408);
    assert.ok(Date.now() - started < 4900, 'the proxy closed the connection itself');
  } finally {
    await p.close();
  }
});

test('blocks with an HTML page showing the reason, clause and reference id, and records the decision', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy();
  try {
    const r = await proxyGet(p.port, `http://blocked.example:${origin.port}/chat`, { Accept: 'text/html,application/xhtml+xml' });
    assert.equal(r.status, 403);
    assert.match(r.headers['content-type'] ?? '', /text\/html/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.match(r.body, /Social networking sites are blocked for pupils\./);
    assert.match(r.body, /<dt>Policy clause<\/dt><dd>8\.1<\/dd>/);
    assert.equal(p.events.length, 1);
    const event = p.events[0]!;
    assert.equal(event.action, 'block');
    assert.equal(event.host, 'blocked.example');
    assert.ok(r.body.includes(event.id), 'the page quotes the event id as its reference');
    assert.match(r.body, /Be SMART online/);
    assert.equal(origin.requests.length, 0);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('blocks non-browser clients with a plain-text answer', async () => {
  const p = await startTestProxy();
  try {
    const r = await proxyGet(p.port, 'http://blocked.example/api', { Accept: 'application/json' });
    assert.equal(r.status, 403);
    assert.match(r.headers['content-type'] ?? '', /text\/plain/);
    assert.match(r.body, /^blocked: http:\/\/blocked\.example\/api\nreason: Social networking/);
    assert.match(r.body, new RegExp(`reference: ${p.events[0]!.id}`));
  } finally {
    await p.close();
  }
});

test('escapes a hostile URL on the block page and on the bad-request page', async () => {
  const p = await startTestProxy();
  try {
    const r = await proxyGet(p.port, "http://blocked.example/<script>alert(2)</script>?q='><img/src=x>", { Accept: 'text/html' });
    assert.equal(r.status, 403);
    assert.match(r.body, /blocked\.example\/%3Cscript%3Ealert\(2\)%3C\/script%3E\?q=%27%3E%3Cimg/);
    assert.doesNotMatch(r.body, /<script>alert/);
    assert.doesNotMatch(r.body, /<img/);
    // a host-ish part is refused by the HTTP parser itself, never reflected
    const host = parseResponse(await rawExchange(p.port, 'GET http://blocked<script>alert(3)</script>.example/ HTTP/1.1\r\nAccept: text/html\r\n\r\n'));
    assert.equal(host.status, 400);
    assert.doesNotMatch(host.body, /<script>/);
    // the page for a request in origin form quotes the request target: escaped
    const bad = parseResponse(await rawExchange(p.port, "GET /<script>alert(3)</script>?a='\"> HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n"));
    assert.equal(bad.status, 400);
    assert.doesNotMatch(bad.body, /<script>alert/);
    assert.match(bad.body, /&lt;script&gt;alert\(3\)/);
  } finally {
    await p.close();
  }
});

test('refuses clients outside the allowed networks with 403 and closes the connection', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy({ allowedClients: ['192.0.2.0/24'] });
  try {
    const r = await rawExchange(p.port, `GET http://a.example:${origin.port}/ HTTP/1.1\r\nHost: a.example\r\n\r\nGET http://a.example:${origin.port}/again HTTP/1.1\r\nHost: a.example\r\n\r\n`);
    const first = parseResponse(r);
    assert.equal(first.status, 403);
    assert.equal(first.headers.connection, 'close');
    assert.equal(r.match(/HTTP\/1\.1 /g)?.length, 1, 'one answer, then the connection is closed');
    assert.equal(origin.requests.length, 0);
    const tunnel = parseResponse(await rawExchange(p.port, 'CONNECT secure.example:443 HTTP/1.1\r\nHost: secure.example:443\r\n\r\n'));
    assert.equal(tunnel.status, 403);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('refuses to start as an open proxy', async () => {
  await assert.rejects(startTestProxy({ allowedClients: ['0.0.0.0/0'] }), { code: 'HR_CONFIG_INVALID', message: /open proxy/ });
  await assert.rejects(startTestProxy({ allowedClients: [] }), { code: 'HR_CONFIG_INVALID' });
  await assert.rejects(startTestProxy({ allowedClients: ['not-a-network'] }), { code: 'HR_CONFIG_INVALID', message: /`not-a-network`/ });
});

test('refuses link-local and metadata targets, by address and by a name that resolves to one', async () => {
  const p = await startTestProxy();
  try {
    const direct = await proxyGet(p.port, 'http://169.254.169.254/latest/meta-data/');
    assert.equal(direct.status, 403);
    assert.match(direct.body, /never connects to/);
    const byName = await proxyGet(p.port, 'http://metadata.example.internal/latest/meta-data/');
    assert.equal(byName.status, 403);
    const v6 = await proxyGet(p.port, 'http://[fe80::1]/');
    assert.equal(v6.status, 403);
    assert.equal(p.proxy.stats().upstreamErrors.forbidden, 3);
  } finally {
    await p.close();
  }
});

test('refuses a request addressed to the proxy itself', async () => {
  const p = await startTestProxy();
  try {
    const r = await proxyGet(p.port, `http://127.0.0.1:${p.port}/`);
    assert.equal(r.status, 403);
    assert.match(r.body, /the web filter itself/i);
    assert.equal(p.proxy.stats().upstreamErrors.loop, 1);
  } finally {
    await p.close();
  }
});

test('answers 502 with a clear page when the name cannot be found', async () => {
  const p = await startTestProxy();
  try {
    const r = await proxyGet(p.port, 'http://nowhere.invalid/page', { Accept: 'text/html' });
    assert.equal(r.status, 502);
    assert.match(r.body, /Could not find nowhere\.invalid/);
  } finally {
    await p.close();
  }
});

test('answers 502 when the origin refuses the connection', async () => {
  const probe = createNetServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const p = await startTestProxy();
  try {
    const r = await proxyGet(p.port, `http://a.example:${port}/`, { Accept: 'text/html' });
    assert.equal(r.status, 502);
    assert.match(r.body, /refused the connection/);
  } finally {
    await p.close();
  }
});

test('answers 504 when the origin does not answer in time', async () => {
  const silent = createNetServer((s) => s.on('error', () => undefined));
  const port = await listen(silent);
  const p = await startTestProxy({ limits: { upstreamResponseTimeoutMs: 300 } });
  try {
    const r = await proxyGet(p.port, `http://a.example:${port}/`, { Accept: 'text/html' });
    assert.equal(r.status, 504);
    assert.match(r.body, /took too long/);
  } finally {
    await p.close();
    silent.close();
  }
});

test('asks for Basic proxy credentials with 407, then serves the signed-in person', async () => {
  const origin = await startOrigin();
  const seen: Array<string | null> = [];
  const p = await startTestProxy({
    requireAuth: true,
    realm: 'school web filter',
    identify: (_ip, credentials) => {
      seen.push(credentials?.username ?? null);
      return credentials?.username === 'grace.teacher' && credentials.password === 'correct horse' ? staff : null;
    },
  });
  try {
    const anonymous = await proxyGet(p.port, `http://a.example:${origin.port}/`);
    assert.equal(anonymous.status, 407);
    assert.equal(anonymous.headers['proxy-authenticate'], 'Basic realm="school web filter", charset="UTF-8"');
    const wrong = await proxyGet(p.port, `http://a.example:${origin.port}/`, { 'Proxy-Authorization': `Basic ${Buffer.from('grace.teacher:nope').toString('base64')}` });
    assert.equal(wrong.status, 407);
    const ok = await proxyGet(p.port, `http://a.example:${origin.port}/`, { 'Proxy-Authorization': `Basic ${Buffer.from('grace.teacher:correct horse').toString('base64')}` });
    assert.equal(ok.status, 200);
    assert.equal(p.events.at(-1)?.person, 'grace.teacher');
    assert.equal(p.events.at(-1)?.role, 'staff');
    assert.deepEqual(seen, [null, 'grace.teacher', 'grace.teacher']);
    // the credentials were for the proxy and never reach the origin
    assert.ok(!origin.requests[0]!.rawHeaders.some((h) => h.toLowerCase() === 'proxy-authorization'));
  } finally {
    await p.close();
    await origin.close();
  }
});

test('survives garbage on the socket and keeps serving good requests', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy();
  const garbage: Array<string | Buffer> = [
    'HELLO\r\n\r\n',
    Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]),
    'GET http://a.example/ HTTP/9.9\r\n\r\n',
    'GET http://a.example/ HTTP/1.1\r\nBad Header Line\r\n\r\n',
    'POST http://a.example/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot-hex\r\n',
    'POST http://a.example/ HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
    'GET http://a.example/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
    'CONNECT \r\n\r\n',
    'CONNECT nohost HTTP/1.1\r\n\r\n',
    'GET * HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET ftp://a.example/ HTTP/1.1\r\nHost: a\r\n\r\n',
    '\x16\x03\x01\x00\x05hello',
    `GET http://a.example:${origin.port}/ HTTP/1.1\r\nHost: a\r\nX: \x01\x02\r\n\r\n`,
  ];
  try {
    for (const bytes of garbage) {
      const answer = await rawExchange(p.port, bytes, { timeoutMs: 2000 });
      const status = parseResponse(answer).status;
      assert.ok(status === 0 || (status >= 400 && status < 500), `garbage ${JSON.stringify(bytes.toString().slice(0, 40))} got ${status}`);
    }
    const good = await proxyGet(p.port, `http://a.example:${origin.port}/still-here`);
    assert.equal(good.status, 200);
    assert.match(good.body, /still-here/);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('explains itself to a browser that treats it as a web site, and redirects proxy auto-configuration', async () => {
  const p = await startTestProxy();
  try {
    const page = await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n');
    const r = parseResponse(page);
    assert.equal(r.status, 400);
    assert.match(r.body, /web filter \(a proxy\), not a web site/);
    const pac = parseResponse(await rawExchange(p.port, 'GET /proxy.pac HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
    assert.equal(pac.status, 302);
    assert.equal(pac.headers.location, 'http://127.0.0.1:8080/proxy.pac');
    const wpad = parseResponse(await rawExchange(p.port, 'GET /wpad.dat HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
    assert.equal(wpad.headers.location, 'http://127.0.0.1:8080/wpad.dat');
  } finally {
    await p.close();
  }
});

test('a warn page lets a person continue after giving a reason, recorded and honoured for the host', async () => {
  const origin = await startOrigin();
  let now = Date.UTC(2026, 10, 25, 10, 0, 0);
  const p = await startTestProxy({ identify: () => staff, warnGraceMs: 60_000, now: () => now });
  const url = `http://warned.example:${origin.port}/feed`;
  try {
    const warn = await proxyGet(p.port, url, { Accept: 'text/html' });
    assert.equal(warn.status, 403);
    assert.match(warn.body, /Think before you continue/);
    assert.match(warn.body, /<form method="post" action="\/\.hedgerow\/continue">/);
    const token = /name="token" value="([^"]+)"/.exec(warn.body)?.[1] ?? '';
    assert.ok(token.length > 10);
    assert.equal(origin.requests.length, 0);

    const post = (form: Record<string, string>) =>
      viaProxy(p.port, `http://warned.example:${origin.port}/.hedgerow/continue`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' }, body: new URLSearchParams(form).toString() });

    const noReason = await post({ token, url, reason: '  ' });
    assert.equal(noReason.status, 403);
    assert.match(noReason.body.toString(), /Please give a reason/);
    const forged = await post({ token: `${token}x`, url, reason: 'lesson' });
    assert.equal(forged.status, 403);
    assert.match(forged.body.toString(), /form has expired/);
    const otherSite = await post({ token, url: 'http://blocked.example/', reason: 'lesson' });
    assert.equal(otherSite.status, 400);

    const ok = await post({ token, url, reason: 'Year 6 media lesson <b>today</b>' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, url);
    const recorded = p.events.find((e) => e.warnReason !== null);
    assert.equal(recorded?.warnReason, 'Year 6 media lesson <b>today</b>');
    assert.equal(recorded?.action, 'warn');

    const through = await proxyGet(p.port, url, { Accept: 'text/html' });
    assert.equal(through.status, 200);
    assert.equal(p.events.at(-1)?.warnReason, 'Year 6 media lesson <b>today</b>');

    now += 61_000;
    const expired = await proxyGet(p.port, url, { Accept: 'text/html' });
    assert.equal(expired.status, 403);
    assert.match(expired.body, /Think before you continue/);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('records the search term of a search engine URL', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy({ resolve: async () => ['127.0.0.1'] });
  try {
    await proxyGet(p.port, `http://www.bing.com:${origin.port}/search?q=volcano+facts`);
    assert.equal(p.events[0]!.searchTerm, 'volcano facts');
    await proxyGet(p.port, `http://a.example:${origin.port}/search?q=x`);
    assert.equal(p.events[1]!.searchTerm, null);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('fails closed with 503 when the engine throws, and a swapped engine takes effect at once', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy({
    decide: () => {
      throw new Error('snapshot missing');
    },
  });
  try {
    const r = await proxyGet(p.port, `http://a.example:${origin.port}/`);
    assert.equal(r.status, 503);
    assert.equal(origin.requests.length, 0);
    p.proxy.setDecide(fakeDecide);
    assert.equal((await proxyGet(p.port, `http://a.example:${origin.port}/`)).status, 200);
    p.proxy.setDecide((q) => decision('block', 'a.example', { reason: `new policy for ${q.person.role}` }));
    const blocked = await proxyGet(p.port, `http://a.example:${origin.port}/`);
    assert.equal(blocked.status, 403);
    assert.match(blocked.body, /new policy for pupil/);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('a sink that throws does not stop traffic', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy({
    sink: () => {
      throw new Error('queue full');
    },
  });
  try {
    assert.equal((await proxyGet(p.port, `http://a.example:${origin.port}/`)).status, 200);
    assert.equal(p.proxy.stats().sinkErrors, 1);
  } finally {
    await p.close();
    await origin.close();
  }
});

test('close() waits for a request in flight, then stops listening', async () => {
  let release: () => void = () => undefined;
  const origin = await startOrigin((_req, res) => {
    release = () => res.end('late');
  });
  const p = await startTestProxy();
  try {
    const pending = viaProxy(p.port, `http://a.example:${origin.port}/slow`);
    while (origin.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    const closed = p.proxy.close(5000);
    release();
    const r = await pending;
    assert.equal(r.body.toString(), 'late');
    await closed;
    const refused = createNetServer();
    await assert.rejects(rawExchange(p.port, 'GET http://a.example/ HTTP/1.1\r\n\r\n'), { code: 'ECONNREFUSED' });
    refused.close();
  } finally {
    await origin.close();
  }
});

void once;

test('closes a kept-alive client connection after the idle timeout', async () => {
  const origin = await startOrigin();
  const p = await startTestProxy({ limits: { idleTimeoutMs: 200 } });
  try {
    const started = Date.now();
    const answer = await rawExchange(p.port, `GET http://a.example:${origin.port}/ HTTP/1.1\r\nHost: a.example\r\n\r\n`, { timeoutMs: 5000 });
    assert.equal(parseResponse(answer).status, 200);
    const waited = Date.now() - started;
    assert.ok(waited >= 150 && waited < 4900, `closed by the proxy after ${waited} ms`);
  } finally {
    await p.close();
    await origin.close();
  }
});
