// Security of every page Hedgerow serves, through the running product (issue 8, section 4):
// security headers on every route of the HTTP service (each API route from `allRoutes`, the
// block page, PAC, health, the dashboard's files, 404s and errors) and on the proxy's own pages;
// reflected XSS (URL, host, query, `javascript:`) in the block, warn and error pages, PAC and the
// API's errors, each hostile page also rendered in Chromium with a canary; CSRF (every
// state-changing route, and a real cross-site form post in Chromium), session fixation and
// sign-in throttling.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { allRoutes, type ApiDeps } from '../../src/api/index.ts';
import { dashboardDist, ensureDashboardBuilt } from '../../scripts/build-dashboard.ts';
import { launchChromium } from '../dashboard/harness.ts';
import { parseResponse, rawExchange, type RawResponse } from '../proxy/fixtures.ts';
import { freePort } from '../support/free-port.ts';
import { ADMIN, ApiClient, firstAdministrator, request, startSecuritySchool, type Answer, type SecuritySchool } from './support/security-school.ts';
import { installTripwire } from './support/security-tripwire.ts';

const tripwire = installTripwire();

// pupils on 127.0.0.1, a teacher on 127.0.0.3; 127.0.0.2 is not a client of the proxy
const config = {
  proxy: { port: 0, allowedClients: ['127.0.0.1/32', '127.0.0.3/32'] },
  networks: [
    { cidr: '127.0.0.1/32', role: 'pupil', groups: ['class-4n'] },
    { cidr: '127.0.0.3/32', role: 'teacher', groups: [] },
  ],
};

/** The hostile strings, none with a space (they travel in request lines too). */
const PAYLOADS = ['<script>window.__xss=1</script>', '"><img/src="x"/onerror="window.__xss=1">', "'><svg/onload=window.__xss=1>", 'javascript:window.__xss=1//'];

let school: SecuritySchool;
let admin: ApiClient;
let browser: Browser;
const names: Record<string, string[]> = { 'metadata.example': ['169.254.169.254'] };

before(async () => {
  await ensureDashboardBuilt();
  const mailPort = await freePort();
  school = await startSecuritySchool(
    { ...config, mail: { beforeQueue: { port: mailPort }, relay: { port: await freePort() }, quarantine: { key: randomBytes(32).toString('base64') } } },
    { resolveHost: async (host) => names[host] ?? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })) },
  );
  admin = await firstAdministrator(school);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await school?.close();
  tripwire.remove();
});

// ---------------------------------------------------------------------------------------------
// Headers

type Headers = http.IncomingHttpHeaders | Record<string, string>;

function header(headers: Headers, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/** What every answer of the HTTP service carries; `what` names it in a failure. */
function assertServiceHeaders(what: string, headers: Headers, kind: 'page' | 'dashboard-file' = 'page'): void {
  const csp = header(headers, 'content-security-policy');
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP ${csp}`);
  assert.match(csp, /default-src '(none|self)'/, `${what}: CSP ${csp}`);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/, `${what}: no inline scripts`);
  assert.equal(header(headers, 'x-frame-options'), 'DENY', what);
  assert.equal(header(headers, 'x-content-type-options'), 'nosniff', what);
  assert.equal(header(headers, 'referrer-policy'), 'no-referrer', what);
  assert.equal(header(headers, 'cross-origin-opener-policy'), 'same-origin', what);
  if (kind === 'page') assert.equal(header(headers, 'cache-control'), 'no-store', what);
  else assert.match(csp, /script-src 'self'/, `${what}: the dashboard runs only its own scripts`);
}

/** What the proxy's own pages carry (they are answers to someone else's address, so never cached either). */
function assertProxyPageHeaders(what: string, headers: Headers): void {
  assert.match(header(headers, 'content-security-policy'), /default-src 'none'.*frame-ancestors 'none'/, what);
  assert.equal(header(headers, 'x-content-type-options'), 'nosniff', what);
  assert.equal(header(headers, 'referrer-policy'), 'no-referrer', what);
  assert.equal(header(headers, 'cache-control'), 'no-store', what);
}

// Route lists read their dependencies only when a request comes: the list is built without any.
const routeDeps = new Proxy({} as ApiDeps, { get: (_target, property) => (property === 'quarantine' || property === 'workflows' ? {} : undefined) });

describe('security headers on every page', () => {
  it('every API route from allRoutes answers with the security headers and no-store, signed in and signed out; no state-changing route acts without the CSRF token', async (t) => {
    const routes = allRoutes(routeDeps);
    const outsider = new ApiClient(school.httpPort);
    let csrfRefusals = 0;
    let requests = 0;
    const statuses = new Map<number, number>();
    for (const route of routes) {
      const path = route.url.replace(/:[A-Za-z]+/g, 'no-such-id');
      const what = `${route.method} ${route.url}`;
      const stateChanging = route.method !== 'GET';
      // signed in, but a state-changing request goes without its token (as a forged one would)
      const signedIn = new ApiClient(school.httpPort);
      signedIn.cookie = admin.cookie;
      const answer = await signedIn.send(route.method, path, stateChanging ? {} : undefined);
      requests++;
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      assertServiceHeaders(what, answer.headers);
      assert.ok(answer.status < 500, `${what}: ${answer.status} ${answer.body.slice(0, 200)}`);
      if (stateChanging && route.action !== 'public') {
        assert.equal(answer.status, 403, `${what} acted without the CSRF token: ${answer.status}`);
        const code = (JSON.parse(answer.body) as { error: { code: string } }).error.code;
        assert.ok(code === 'HR_API_CSRF' || code === 'HR_API_FORBIDDEN', `${what}: ${code}`);
        if (code === 'HR_API_CSRF') csrfRefusals++;
      }
      const signedOut = await outsider.send(route.method, path, stateChanging ? {} : undefined);
      requests++;
      assertServiceHeaders(`${what} signed out`, signedOut.headers);
      if (route.action !== 'public') assert.equal(signedOut.status, 401, `${what} signed out`);
    }
    // the walk above never sent a token: the session it used (DELETE /api/session among them) is still there
    assert.equal((await admin.send('GET', '/api/session')).status, 200);
    t.diagnostic(`API routes walked: ${routes.length}, requests: ${requests}, state-changing refused for want of the CSRF token: ${csrfRefusals}, statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  });

  it('the block page, PAC, health, the dashboard and its files, 404s and errors carry them too', async (t) => {
    const service = school.httpPort;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const pages: Array<[string, Promise<Answer>, number]> = [
      ['block page for a name the DNS filter answered', request(service, 'GET', '/video?x=1', { host: 'www.tiktok.com', accept: 'text/html' }), 403],
      ['own host, nothing there', request(service, 'GET', '/nothing-here'), 404],
      ['PAC', request(service, 'GET', '/proxy.pac'), 200],
      ['WPAD', request(service, 'GET', '/wpad.dat'), 200],
      ['health', request(service, 'GET', '/health'), 200],
      ['dashboard redirect', request(service, 'GET', '/dashboard'), 302],
      ['no such block form', request(service, 'POST', '/block/no-such-form', form, 'x=1'), 404],
      ['damaged ticket', request(service, 'POST', '/block/request-access', form, 'ticket=not-a-ticket'), 400],
      ['form too large', request(service, 'POST', '/block/request-access', form, `message=${'x'.repeat(70 * 1024)}`), 413],
      ['unknown API route', request(service, 'GET', '/api/no-such-route'), 404],
      ['malformed JSON', request(service, 'POST', '/api/session', { 'content-type': 'application/json' }, '{"username":'), 400],
      ['sign-in form post', request(service, 'POST', '/api/session', form, 'username=a&password=b'), 415],
      ['through a Hedgerow proxy', request(service, 'GET', '/api/session', { via: '1.1 hedgerow' }), 403],
    ];
    for (const [what, pending, status] of pages) {
      const answer = await pending;
      assert.equal(answer.status, status, `${what}: ${answer.body.slice(0, 200)}`);
      assertServiceHeaders(what, answer.headers);
    }

    const index = await request(service, 'GET', '/dashboard/');
    assert.equal(index.status, 200);
    assertServiceHeaders('dashboard index', index.headers, 'dashboard-file');
    const assets = readdirSync(join(dashboardDist, 'assets'));
    for (const file of assets) {
      const answer = await request(service, 'GET', `/dashboard/assets/${file}`);
      assert.equal(answer.status, 200, file);
      assertServiceHeaders(file, answer.headers, 'dashboard-file');
    }
    const missing = await request(service, 'GET', '/dashboard/assets/no-such-file.js');
    assert.equal(missing.status, 404);
    assertServiceHeaders('missing dashboard file', missing.headers, 'dashboard-file');
    t.diagnostic(`service pages checked: ${pages.length + assets.length + 2}`);
  });

  it('regression: a request neither server could parse was answered without the security headers', async () => {
    for (const [what, port] of [['HTTP service', school.httpPort], ['proxy', school.proxyPort]] as const) {
      const garbled = parseResponse(await rawExchange(port, 'GET http://127.0.0.1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n'));
      assert.equal(garbled.status, 400, `${what}: ${garbled.rawHead}`);
      if (port === school.httpPort) assertServiceHeaders(`unparsable request to the ${what}`, garbled.headers);
      else assertProxyPageHeaders(`unparsable request to the ${what}`, garbled.headers);
    }
  });

  it('regression: the block page for a name the DNS filter answered (it carries a signed ticket), PAC and health were cacheable', async () => {
    for (const [path, host] of [['/', 'www.tiktok.com'], ['/proxy.pac', '127.0.0.1'], ['/health', '127.0.0.1']]) {
      const answer = await request(school.httpPort, 'GET', path!, { host: host!, accept: 'text/html' });
      assert.equal(answer.headers['cache-control'], 'no-store', path);
    }
  });

  it("the proxy's own pages (block, warn, refusals, errors) carry them too", async (t) => {
    const proxy = school.proxyPort;
    const html = { accept: 'text/html' };
    const pages: Array<[string, RawResponse, number]> = [];
    const get = async (what: string, url: string, headers: Record<string, string>, status: number, localAddress?: string) => {
      const answer = await request(proxy, 'GET', url, { host: url.startsWith('http') ? new URL(url).host : 'x', ...headers }, undefined, localAddress);
      pages.push([what, { status: answer.status, headers: answer.headers as Record<string, string>, rawHead: '', body: answer.body }, status]);
    };
    await get('block page', 'http://www.facebook.com/', html, 403);
    await get('block text', 'http://www.facebook.com/', {}, 403);
    await get('warn page', 'http://www.facebook.com/', html, 403, '127.0.0.3');
    await get('forbidden target', 'http://169.254.169.254/', html, 403);
    await get('the filter itself', `http://127.0.0.1:${school.httpPort}/api/session`, html, 403);
    await get('unknown name', 'http://no-such-name.example/', html, 502);
    await get('origin-form request', '/not-a-proxy-request', html, 400);
    await get('client not allowed', 'http://www.example.com/', html, 403, '127.0.0.2');
    pages.push(['tunnel refusal', parseResponse(await rawExchange(proxy, 'CONNECT 169.254.169.254:443 HTTP/1.1\r\nHost: 169.254.169.254:443\r\n\r\n')), 403]);
    pages.push(['tunnel port refusal', parseResponse(await rawExchange(proxy, 'CONNECT www.example.com:25 HTTP/1.1\r\nHost: www.example.com:25\r\n\r\n')), 403]);
    for (const [what, answer, status] of pages) {
      assert.equal(answer.status, status, `${what}: ${answer.body.slice(0, 200)}`);
      assertProxyPageHeaders(what, answer.headers);
    }
    t.diagnostic(`proxy pages checked: ${pages.length}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Reflected XSS

/** No payload comes back as markup: no raw payload, no tag the page did not write itself. */
function assertInert(what: string, body: string): void {
  for (const payload of PAYLOADS.slice(0, 3)) assert.ok(!body.includes(payload), `${what}: the payload \`${payload}\` came back raw`);
  assert.doesNotMatch(body, /<(script|img|svg|iframe)\b/i, `${what}: a tag the page did not write`);
  assert.doesNotMatch(body, /href="javascript:/i, `${what}: a javascript: link`);
}

/** A page that renders HTML with no CSP at all (so only escaping can keep the canary unset) and reports what ran. */
async function renderer(): Promise<{ runs(html: string): Promise<{ canary: unknown; dialogs: string[] }>; close(): Promise<void> }> {
  const page = await browser.newPage();
  let dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return {
    async runs(html) {
      dialogs = [];
      await page.evaluate(() => delete (window as unknown as { __xss?: unknown }).__xss);
      await page.setContent(html, { waitUntil: 'load' });
      return { canary: await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), dialogs };
    },
    close: () => page.close(),
  };
}

describe('reflected XSS', () => {
  const rendered: Array<[string, string]> = [];

  it('the proxy\'s block, warn and error pages show a hostile URL, path, query and host as text', async (t) => {
    const proxy = school.proxyPort;
    let tried = 0;
    for (const payload of PAYLOADS) {
      const exchanges: Array<[string, string, string?]> = [
        ['block page', `GET http://www.facebook.com/${payload}?q=${payload}&next=${payload} HTTP/1.1\r\nHost: www.facebook.com\r\nAccept: text/html\r\n\r\n`],
        ['warn page', `GET http://www.facebook.com/search?q=${payload} HTTP/1.1\r\nHost: www.facebook.com\r\nAccept: text/html\r\n\r\n`, '127.0.0.3'],
        ['unreadable address', `GET http://${payload}/ HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n`],
        ['origin-form request', `GET /${payload} HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n`],
        ['https without a tunnel', `GET https://www.example.com/${payload} HTTP/1.1\r\nHost: www.example.com\r\nAccept: text/html\r\n\r\n`],
        ['unknown name', `GET http://no-such-name.example/${payload} HTTP/1.1\r\nHost: no-such-name.example\r\nAccept: text/html\r\n\r\n`],
      ];
      for (const [what, bytes, localAddress] of exchanges) {
        const text = localAddress ? await rawFrom(proxy, bytes, localAddress) : await rawExchange(proxy, bytes, { until: (d) => /\r\n\r\n[\s\S]*<\/html>/.test(d) });
        const answer = parseResponse(text);
        assert.ok(answer.status >= 400, `${what}: ${answer.status}`);
        assertInert(`${what} with ${payload}`, answer.body);
        rendered.push([`${what} with ${payload}`, answer.body]);
        tried++;
      }
    }
    t.diagnostic(`proxy pages with a payload: ${tried}`);
  });

  it('the HTTP service shows a hostile Host header, path and form fields as text, and PAC and API errors reflect nothing runnable', async (t) => {
    const service = school.httpPort;
    const pac = (await request(service, 'GET', '/proxy.pac')).body;
    let tried = 0;
    for (const payload of PAYLOADS) {
      const landing = parseResponse(await rawExchange(service, `GET /${payload}?q=${payload} HTTP/1.1\r\nHost: www.tiktok.com\r\nAccept: text/html\r\nConnection: close\r\n\r\n`));
      assert.equal(landing.status, 403);
      assertInert(`landing with ${payload}`, landing.body);
      rendered.push([`landing with ${payload}`, landing.body]);
      // a Host header that is itself the payload (the service builds the blocked URL from it)
      const hostile = parseResponse(await rawExchange(service, `GET / HTTP/1.1\r\nHost: ${payload}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`));
      assert.ok(hostile.status === 403 || hostile.status === 400, `host ${payload}: ${hostile.status}`);
      assertInert(`landing for host ${payload}`, hostile.body);
      rendered.push([`landing for host ${payload}`, hostile.body]);
      const form = await request(service, 'POST', '/block/tell-teacher', { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams({ url: payload, host: payload, message: payload, clauses: payload }).toString());
      assertInert(`block form with ${payload}`, form.body);
      rendered.push([`block form with ${payload}`, form.body]);
      // PAC: neither the Host header nor the query changes a byte of it
      const hostilePac = parseResponse(await rawExchange(service, `GET /proxy.pac?${payload} HTTP/1.1\r\nHost: ${payload}\r\nConnection: close\r\n\r\n`));
      assert.equal(hostilePac.body, pac, 'the PAC file reflects nothing from the request');
      // API errors are JSON that the browser will not read as a page
      const apiError = parseResponse(await rawExchange(service, `GET /api/${payload}?limit=${payload} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
      assert.equal(apiError.status, 404);
      assert.match(apiError.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(apiError.headers['x-content-type-options'], 'nosniff');
      const badInput = await admin.send('GET', `/api/audit?limit=${encodeURIComponent(payload)}&actor=${encodeURIComponent(payload)}`);
      assert.match(String(badInput.headers['content-type']), /^application\/json/);
      tried += 5;
    }
    t.diagnostic(`service answers with a payload: ${tried}`);
  });

  it('none of those pages runs a script in Chromium, even with no CSP to stop it (canary and dialogs)', async (t) => {
    assert.ok(rendered.length >= 30, `pages to render: ${rendered.length}`);
    const render = await renderer();
    try {
      // the canary is not blind: each payload, left unescaped, sets it
      for (const payload of PAYLOADS.slice(0, 3)) assert.equal((await render.runs(`<p title="x">${payload}</p>`)).canary, 1, `unescaped ${payload} sets the canary`);
      for (const [what, html] of rendered) {
        const ran = await render.runs(html);
        assert.equal(ran.canary, undefined, `${what}: a script ran`);
        assert.deepEqual(ran.dialogs, [], `${what}: a dialog opened`);
      }
    } finally {
      await render.close();
    }
    t.diagnostic(`pages rendered in Chromium: ${rendered.length}`);
  });

  it('Chromium opening a hostile API address or landing page itself runs nothing (the CSP applies too)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    for (const path of [`/api/${encodeURIComponent(PAYLOADS[0]!)}`, `/${PAYLOADS[1]}?q=${PAYLOADS[0]}`, `/block/${PAYLOADS[0]}`]) {
      await page.goto(`${school.base}${path}`);
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined, path);
    }
    assert.deepEqual(dialogs, []);
    await context.close();
  });
});

function rawFrom(port: number, bytes: string, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (/<\/html>/.test(text)) socket.destroy();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// CSRF, session fixation, brute force

describe('CSRF, session fixation and sign-in throttling', () => {
  const teacher = { username: 'frederick.saltmarsh', displayName: 'Frederick Saltmarsh', role: 'teacher', password: 'Saltmarsh-Lantern-Moss-7' };

  before(async () => {
    const made = await admin.send('POST', '/api/accounts', { ...teacher, reason: 'a teacher for the security tests' });
    assert.equal(made.status, 201, made.body);
  });

  it('a state-changing call without the token, with another session\'s token, or as a form is refused with 403 and changes nothing', async () => {
    const body = { username: 'mallory.outsider', displayName: 'Mallory Outsider', role: 'headteacher', password: 'Outsider-Password-99', reason: 'forged' };
    const other = new ApiClient(school.httpPort);
    await other.signIn(teacher.username, teacher.password);
    const attempts: Answer[] = [
      await admin.send('POST', '/api/accounts', body, { 'x-csrf-token': '' }),
      await admin.send('POST', '/api/accounts', body, { 'x-csrf-token': other.csrf! }),
      await request(school.httpPort, 'POST', '/api/accounts', { cookie: admin.cookie!, 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' }, new URLSearchParams(body).toString()),
      await request(school.httpPort, 'POST', '/api/accounts', { cookie: admin.cookie!, 'content-type': 'text/plain', origin: 'http://evil.example' }, JSON.stringify(body)),
    ];
    for (const answer of attempts) {
      assert.equal(answer.status, 403, answer.body);
      assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'HR_API_CSRF');
    }
    const list = JSON.parse((await admin.send('GET', '/api/accounts')).body) as { items: Array<{ username: string }> };
    assert.ok(!list.items.some((a) => a.username === 'mallory.outsider'), 'no account was made');
  });

  it('the session cookie is HttpOnly and SameSite=Strict, and sign-in takes JSON only, so a form on another site cannot sign anyone in', async () => {
    const answer = await new ApiClient(school.httpPort).send('POST', '/api/session', { username: teacher.username, password: teacher.password });
    const cookie = answer.headers['set-cookie']!.find((c) => c.startsWith('hedgerow_session='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const form = await request(school.httpPort, 'POST', '/api/session', { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' }, `username=${teacher.username}&password=${teacher.password}`);
    assert.equal(form.status, 415);
    assert.equal(form.headers['set-cookie'], undefined);
  });

  it('a form on another site posted by a signed-in browser (Chromium) does not act: cross-site the cookie stays home, same-site the token is missing', async () => {
    const count = async () => (JSON.parse((await admin.send('GET', '/api/accounts')).body) as { items: unknown[] }).items.length;
    const before = await count();
    // JSON smuggled in a text/plain form, the one body a form can send that looks like the API's
    const attacker = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<form id="f" method="post" enctype="text/plain" action="${school.base}/api/accounts">` +
          `<input name='{"username":"mallory.outsider","displayName":"Mallory","role":"headteacher","password":"Outsider-Password-99","reason":"x","pad":"' value='"}'></form>` +
          `<script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const attackerPort = (attacker.address() as { port: number }).port;
    const context = await browser.newContext();
    try {
      await context.addCookies([{ name: 'hedgerow_session', value: admin.cookie!.split('=')[1]!, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Strict' }]);
      const page = await context.newPage();
      // `localhost` is another site than `127.0.0.1`: SameSite=Strict keeps the cookie back
      let posted = page.waitForResponse((response) => response.url().endsWith('/api/accounts'));
      await page.goto(`http://localhost:${attackerPort}/`);
      let answer = await posted;
      assert.equal(answer.status(), 401, 'cross-site, the browser sent no session');
      // another port of the same address is the same site: the cookie goes, the token does not
      posted = page.waitForResponse((response) => response.url().endsWith('/api/accounts'));
      await page.goto(`http://127.0.0.1:${attackerPort}/`);
      answer = await posted;
      assert.equal(answer.status(), 403);
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'HR_API_CSRF');
    } finally {
      await context.close();
      attacker.close();
    }
    assert.equal(await count(), before, 'no account was made');
  });

  it('a planted session cookie never becomes a session: it is refused and cleared, and signing in issues a new one', async () => {
    const planted = `hedgerow_session=${randomBytes(32).toString('base64url')}`;
    const refused = await request(school.httpPort, 'GET', '/api/session', { cookie: planted });
    assert.equal(refused.status, 401);
    assert.ok(refused.headers['set-cookie']?.some((c) => /^hedgerow_session=;/.test(c)), 'the unknown cookie is cleared');
    const victim = new ApiClient(school.httpPort);
    victim.cookie = planted;
    assert.equal((await victim.signIn(teacher.username, teacher.password)).status, 200);
    assert.notEqual(victim.cookie, planted);
    assert.equal((await request(school.httpPort, 'GET', '/api/session', { cookie: planted })).status, 401, 'the planted value is still no session');
    // an attacker's real session planted in a victim's browser is ended by the victim's sign-in
    const attacker = new ApiClient(school.httpPort);
    await attacker.signIn(teacher.username, teacher.password);
    const theirs = attacker.cookie!;
    const victim2 = new ApiClient(school.httpPort);
    victim2.cookie = theirs;
    assert.equal((await victim2.signIn(ADMIN.username, ADMIN.password)).status, 200);
    assert.notEqual(victim2.cookie, theirs);
    assert.equal((await request(school.httpPort, 'GET', '/api/session', { cookie: theirs })).status, 401);
  });

  it('sign-in is throttled after the free failures: 429 with Retry-After, even for the right password, and other accounts are not held up', async (t) => {
    const guesser = new ApiClient(school.httpPort);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await guesser.send('POST', '/api/session', { username: teacher.username, password: `guess-number-${i}` })).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
    const sixth = await guesser.send('POST', '/api/session', { username: teacher.username, password: 'guess-number-5' });
    assert.equal(sixth.status, 401, 'the sixth failure is still checked');
    const throttled = await guesser.send('POST', '/api/session', { username: teacher.username, password: teacher.password });
    assert.equal(throttled.status, 429, throttled.body);
    assert.equal((JSON.parse(throttled.body) as { error: { code: string } }).error.code, 'HR_AUTH_THROTTLED');
    assert.ok(Number(throttled.headers['retry-after']) >= 1, `Retry-After: ${throttled.headers['retry-after']}`);
    assert.equal((await new ApiClient(school.httpPort).signIn(ADMIN.username, ADMIN.password)).status, 200, 'another account signs in');
    t.diagnostic(`free failures: 5, then 429 with Retry-After ${throttled.headers['retry-after']} s`);
  });

  it('made no connection off this machine', () => {
    assert.deepEqual(tripwire.tripped, []);
  });
});
