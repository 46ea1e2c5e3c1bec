// Security through the running product (issue 8, section 4): Hedgerow is not an open proxy, and
// nobody reaches through it what they could not reach themselves — the metadata address, the
// filter's own dashboard and API, loopback or private networks (when the school forbids them) —
// in any spelling of the address, by a name that resolves there, or by a redirect. A tripwire
// refuses and records any connection this process tries to make off the machine, so a target
// the proxy failed to refuse fails the test instead of sending traffic anywhere.
import assert from 'node:assert/strict';
import http from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HedgerowError } from '../../src/errors/index.ts';
import { validateOptions } from '../../src/proxy/index.ts';
import { parseResponse, rawExchange } from '../proxy/fixtures.ts';
import { request, startSecuritySchool, type Answer, type SecuritySchool } from './support/security-school.ts';
import { installTripwire } from './support/security-tripwire.ts';

const tripwire = installTripwire();

/** The reserved names of these tests and where they point (`resolveHost`); nothing else resolves. */
const names: Record<string, string[]> = {
  'lessons.example': ['127.0.0.1'],
  'redirector.example': ['127.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'dashboard.example': ['127.0.0.1'],
  'intranet.example': ['10.20.30.40'],
  'router.example': ['192.168.0.1'],
  'mixed.example': ['192.0.2.10', '172.16.5.5'],
};
const resolveHost = async (host: string): Promise<string[]> => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

// The school's staff machine (127.0.0.1) may use the proxy; 127.0.0.2 is outside the allowed list.
// A teacher, so that the policy allows numeric addresses and the refusals below are the proxy's own.
const baseConfig = {
  proxy: { port: 0, allowedClients: ['127.0.0.1/32'] },
  networks: [{ cidr: '127.0.0.1/32', role: 'teacher', groups: [] }],
};

/** Loopback and private networks, as docs/security.md recommends for a proxy host that can reach networks its clients cannot. */
const HARDENED = ['127.0.0.0/8', '::1/128', '0.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'];

let originHits: string[] = [];
let origin: http.Server;
let originPort = 0;
let httpPortForRedirects = 0;

before(async () => {
  origin = http.createServer((req, res) => {
    originHits.push(`${req.headers.host ?? ''} ${req.url ?? ''}`);
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (to) {
      res.writeHead(302, { location: to.replace('HTTP_PORT', String(httpPortForRedirects)), 'content-length': '0' });
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('lesson material');
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  originPort = (origin.address() as { port: number }).port;
});

after(() => {
  origin.close();
  tripwire.remove();
});

function viaProxy(proxyPort: number, url: string, headers: Record<string, string> = {}, localAddress?: string, method = 'GET', body?: string): Promise<Answer> {
  return request(proxyPort, method, url, { host: new URL(url).host, accept: 'text/html', ...headers }, body, localAddress);
}

/** Follows redirects through the proxy as a browser would; returns every answer on the way. */
async function follow(proxyPort: number, url: string, hops = 5): Promise<Array<Answer & { url: string }>> {
  const answers: Array<Answer & { url: string }> = [];
  let next: string | null = url;
  while (next !== null && answers.length < hops) {
    const answer = await viaProxy(proxyPort, next);
    answers.push({ ...answer, url: next });
    next = answer.status >= 300 && answer.status < 400 && answer.headers.location ? new URL(answer.headers.location, next).href : null;
  }
  return answers;
}

type Refusal = 'forbidden' | 'loop';
const titles: Record<Refusal, RegExp> = {
  forbidden: /<h1>This address cannot be reached through the filter<\/h1>/,
  loop: /<h1>This address is the web filter itself<\/h1>/,
};

/** The proxy's typed refusal: 403, its page, and the failure named in `X-Hedgerow-Decision`. */
function assertRefused(answer: Answer, failure: Refusal, what: string): void {
  assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.body.slice(0, 300)}`);
  assert.equal(answer.headers['x-hedgerow-decision'], `upstream-error; failure=${failure}`, what);
  assert.match(answer.body, titles[failure], what);
}

// One school for the default configuration: the open-proxy and default SSRF checks share it.
let school: SecuritySchool;
before(async () => {
  school = await startSecuritySchool(baseConfig, { resolveHost });
  httpPortForRedirects = school.httpPort;
});
after(() => school?.close());

it('the tripwire refuses and records a connection that would leave this machine', async () => {
  const error = await new Promise<NodeJS.ErrnoException>((resolve) => connect({ host: '192.0.2.10', port: 80 }).on('error', resolve));
  assert.match(error.message, /tripwire/);
  assert.deepEqual(tripwire.tripped.splice(0), ['192.0.2.10:80']);
});

describe('not an open proxy', () => {
  it('refuses a client outside proxy.allowedClients (127.0.0.2) with 403 and a closed connection, for requests and tunnels, while the listed client is served', async () => {
    originHits = [];
    const url = `http://lessons.example:${originPort}/worksheet`;
    const outsider = await viaProxy(school.proxyPort, url, {}, '127.0.0.2');
    assert.equal(outsider.status, 403);
    assert.match(outsider.body, /This web filter is not for your network/);
    assert.equal(outsider.headers.connection, 'close');
    const tunnel = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: school.proxyPort, localAddress: '127.0.0.2' }, () => socket.write('CONNECT lessons.example:443 HTTP/1.1\r\nHost: lessons.example:443\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.equal(parseResponse(tunnel).status, 403, tunnel);
    assert.match(tunnel, /does not serve your network/);
    assert.deepEqual(originHits, [], 'nothing from the outsider reached the origin');
    assert.ok(school.running.proxy!.stats().refusedClients >= 2);

    const member = await viaProxy(school.proxyPort, url);
    assert.equal(member.status, 200, member.body);
    assert.equal(member.body, 'lesson material');
  });

  it('refuses to start with an allowed-clients list that covers every address', async () => {
    await assert.rejects(
      startSecuritySchool({ ...baseConfig, proxy: { port: 0, allowedClients: ['0.0.0.0/0'] } }),
      (error: unknown) => error instanceof HedgerowError && error.code === 'HR_CONFIG_INVALID' && /open proxy/.test(error.message),
    );
  });
});

describe('no SSRF through the proxy, with the default forbidden targets', () => {
  it('refuses the metadata and link-local addresses in every spelling and by a name that resolves to one', async (t) => {
    const targets = [
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/latest/meta-data/',
      'http://0xA9FEA9FE/latest/meta-data/',
      'http://0251.0376.0251.0376/latest/meta-data/',
      'http://169.254.43518/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'http://[fe80::1]/',
      'http://100.100.100.200/latest/meta-data/',
      'http://metadata.example/latest/meta-data/',
    ];
    for (const url of targets) assertRefused(await viaProxy(school.proxyPort, url), 'forbidden', url);
    t.diagnostic(`metadata and link-local spellings refused: ${targets.length}`);
  });

  it('refuses the proxy itself and the HTTP service (dashboard, API, health) on every local spelling', async (t) => {
    const http = school.httpPort;
    const proxy = school.proxyPort;
    const targets = [
      `http://127.0.0.1:${proxy}/`,
      `http://0.0.0.0:${proxy}/`,
      `http://127.0.0.1:${http}/dashboard/`,
      `http://127.0.0.1:${http}/api/session`,
      `http://127.0.0.1:${http}/api/accounts`,
      `http://127.0.0.1:${http}/health`,
      `http://127.0.0.1:${http}/block/../api/session`,
      `http://127.0.0.1:${http}/block/%2e%2e/api/session`,
      `http://dashboard.example:${http}/api/session`,
      `http://2130706433:${http}/api/session`,
      `http://0x7f000001:${http}/dashboard/`,
      `http://0x7f.1:${http}/health`,
      `http://127.1:${http}/health`,
      `http://0177.0.0.1:${http}/health`,
      `http://0.0.0.0:${http}/health`,
      `http://[::1]:${http}/health`,
      `http://[::ffff:127.0.0.1]:${http}/api/session`,
      `http://[::ffff:7f00:1]:${http}/api/session`,
    ];
    for (const url of targets) assertRefused(await viaProxy(school.proxyPort, url), 'loop', url);
    // a WebSocket upgrade to the service is refused too
    const upgrade = parseResponse(
      await rawExchange(school.proxyPort, `GET http://127.0.0.1:${http}/api/session HTTP/1.1\r\nHost: 127.0.0.1:${http}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`),
    );
    assert.equal(upgrade.status, 403, upgrade.rawHead);
    t.diagnostic(`own-service spellings refused: ${targets.length}, and 1 WebSocket upgrade`);
  });

  it('regression: a pupil reached the API, the dashboard and health through the proxy by the block page\'s own address, in any spelling, unfiltered', async () => {
    const pupil = await startSecuritySchool({ proxy: { port: 0 }, networks: [{ cidr: '127.0.0.0/8', role: 'pupil', groups: ['class-4n'] }] });
    try {
      // what was found: the block page's address let every path through, and 0x7f000001 is that address
      for (const path of ['/api/session', '/dashboard/', '/health']) {
        for (const host of ['127.0.0.1', '0x7f000001', '2130706433']) {
          const url = `http://${host}:${pupil.httpPort}${path}`;
          assertRefused(await viaProxy(pupil.proxyPort, url), 'loop', url);
        }
      }
      // and 0.0.0.0 reached the proxy itself, which then answered as if asked directly
      assertRefused(await viaProxy(pupil.proxyPort, `http://0.0.0.0:${pupil.proxyPort}/`, {}, undefined), 'loop', '0.0.0.0');
    } finally {
      await pupil.close();
    }
  });

  it('still passes the block page forms to the HTTP service, which answers them itself', async () => {
    const form = new URLSearchParams({ url: 'http://www.facebook.com/', host: 'www.facebook.com', message: 'for our project' }).toString();
    const answer = await viaProxy(school.proxyPort, `http://127.0.0.1:${school.httpPort}/block/request-access`, { 'content-type': 'application/x-www-form-urlencoded' }, undefined, 'POST', form);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.headers['x-hedgerow-decision'], undefined, 'the service answered, not a refusal of the proxy');
    assert.match(answer.body, /request has been sent/);
  });

  it('the HTTP service refuses everything but the block page forms when a request comes through a Hedgerow proxy (another node\'s, say)', async () => {
    const dashboard = await request(school.httpPort, 'GET', '/api/session', { via: '1.1 hedgerow' });
    assert.equal(dashboard.status, 403);
    assert.match(dashboard.body, /not opened through the filter itself/);
    const page = await request(school.httpPort, 'GET', '/dashboard/', { via: '1.0 cache.example, 1.1 hedgerow' });
    assert.equal(page.status, 403);
    const direct = await request(school.httpPort, 'GET', '/api/session');
    assert.equal(direct.status, 401, 'asked directly, the API answers as usual');
  });

  it('refuses tunnels to the metadata address, by number and by name', async () => {
    for (const authority of ['169.254.169.254:443', 'metadata.example:443', '[fe80::1]:443']) {
      const answer = parseResponse(await rawExchange(school.proxyPort, `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
      assert.equal(answer.status, 403, authority);
      assert.match(answer.body, /never connects to/, authority);
    }
  });

  it('passes a redirect to the browser without following it, and refuses where it points (metadata, the dashboard)', async () => {
    originHits = [];
    const toMetadata = await follow(school.proxyPort, `http://redirector.example:${originPort}/next?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/iam/')}`);
    assert.deepEqual(toMetadata.map((a) => a.status), [302, 403]);
    assertRefused(toMetadata[1]!, 'forbidden', toMetadata[1]!.url);
    const toDashboard = await follow(school.proxyPort, `http://redirector.example:${originPort}/next?to=${encodeURIComponent('http://127.0.0.1:HTTP_PORT/api/accounts')}`);
    assert.deepEqual(toDashboard.map((a) => a.status), [302, 403]);
    assertRefused(toDashboard[1]!, 'loop', toDashboard[1]!.url);
    assert.equal(originHits.length, 2, 'the proxy asked the origin once per redirect and followed nothing itself');
  });

  it('made no connection off this machine', () => {
    assert.deepEqual(tripwire.tripped, []);
  });
});

describe('no SSRF to loopback and private networks when the school forbids them (proxy.forbiddenTargets)', () => {
  let hardened: SecuritySchool;
  before(async () => {
    hardened = await startSecuritySchool({ ...baseConfig, proxy: { port: 0, allowedClients: ['127.0.0.1/32'], forbiddenTargets: HARDENED } }, { resolveHost });
  });
  after(() => hardened?.close());

  it('refuses loopback, private and unique-local addresses, by number and by a name that resolves to one', async (t) => {
    originHits = [];
    const targets = [
      `http://127.0.0.1:${originPort}/`,
      `http://lessons.example:${originPort}/`,
      `http://2130706433:${originPort}/`,
      `http://0177.0.0.1:${originPort}/`,
      `http://[::1]:${originPort}/`,
      'http://intranet.example/',
      'http://router.example/admin',
      'http://mixed.example/',
      'http://[fd00::1]/',
      'http://169.254.169.254/latest/meta-data/',
    ];
    for (const url of targets) assertRefused(await viaProxy(hardened.proxyPort, url), 'forbidden', url);
    const tunnel = parseResponse(await rawExchange(hardened.proxyPort, 'CONNECT intranet.example:443 HTTP/1.1\r\nHost: intranet.example:443\r\n\r\n'));
    assert.equal(tunnel.status, 403);
    assert.deepEqual(originHits, [], 'the loopback origin was never reached');
    assert.deepEqual(tripwire.tripped, [], 'nothing left this machine');
    t.diagnostic(`loopback and private targets refused: ${targets.length + 1}`);
  });

  it('names a forbidden-targets entry it cannot read, so a typo never leaves a network open', () => {
    const problems = validateOptions({ host: '127.0.0.1', port: 0, allowedClients: ['127.0.0.1/32'], forbiddenTargets: [...HARDENED, '10.0.0.0/33'], identify: () => null, decide: () => { throw new Error('not asked'); }, blockPage: { baseUrl: 'http://127.0.0.1:8080/block', smartAdviceFor: () => false } });
    assert.deepEqual(problems, ['forbiddenTargets: `10.0.0.0/33` is not a CIDR or address:port']);
  });
});
