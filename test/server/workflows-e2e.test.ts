// The workflows end to end through `hedgerow start`: pupils browse through the real proxy with
// their proxy passwords, staff use the API with real sessions and CSRF tokens, and notification
// mail goes over a real SMTP conversation to a listener on 127.0.0.1 whose messages are parsed.
// The reference policy and roster (staff with mail addresses and line managers), a fixed clock
// in lesson time, reserved names pointed at a local origin through the proxy's name lookups, and
// a local resolver behind the DNS filter: nothing leaves this machine.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer } from 'smtp-server';
import { importList } from '../../src/catalog/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { PeopleStore } from '../../src/identity/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { startHedgerow, type RunningHedgerow } from '../../src/server/index.ts';
import { startFakeUpstream, type FakeUpstream } from '../dns/fake-upstream.ts';

/** Tuesday 24 November 2026, 10:15 in London: lesson time in the autumn term. */
const LESSON_TIME = Date.parse('2026-11-24T10:15:00Z');
const DAY = 86_400_000;
const PASSWORD = 'Hazel-Coppice-Lantern-42';
const FROM = 'Hedgerow <hedgerow@school.invalid>';

// pupils who sign in to the proxy, one per scenario so that none disturbs another
const REQUESTER = 'mabel.foxglove'; // class 6S
const OTHER_CLASS = 'nancy.tumbledown'; // class 5M
const CIRCUMVENTER = 'jude.lanternwick'; // class 6S
const SEARCHER = 'edie.millstream'; // class 5M
const PUPILS = [REQUESTER, OTHER_CLASS, CIRCUMVENTER, SEARCHER];

const HEADTEACHER = { username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', role: 'headteacher' };
const ACCOUNTS = [
  { username: 'jonah.birchwood', displayName: 'Jonah Birchwood', role: 'esafety-team' },
  { username: 'nigel.applegarth', displayName: 'Nigel Applegarth', role: 'safeguarding-lead' },
  { username: 'frederick.saltmarsh', displayName: 'Frederick Saltmarsh', role: 'teacher' },
  { username: 'rupert.thornbury', displayName: 'Rupert Thornbury', role: 'governor' },
  { username: 'olive.stonechat', displayName: 'Olive Stonechat', role: 'network-manager' },
  { username: REQUESTER, displayName: 'Mabel Foxglove', role: 'pupil' },
];

// ---------------------------------------------------------------------------------------------
// waiting, bounded

async function until<T>(read: () => T | null | undefined | false | Promise<T | null | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// ---------------------------------------------------------------------------------------------
// the mail relay: a real SMTP server on 127.0.0.1 that keeps and parses what it is given

interface Delivered {
  /** envelope recipients */
  to: string[];
  email: Email;
  header(name: string): string | undefined;
}

interface Mailbox {
  port: number;
  messages: Delivered[];
  to(address: string, kind?: string): Delivered[];
  waitFor(address: string, kind: string, what: string): Promise<Delivered>;
  close(): Promise<void>;
}

async function startMailbox(): Promise<Mailbox> {
  const messages: Delivered[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 200,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        // the message is kept before the relay says 250, so a finished send is already here
        PostalMime.parse(Buffer.concat(chunks)).then(
          (email) => {
            messages.push({ to, email, header: (name) => email.headers.find((h) => h.key === name.toLowerCase())?.value });
            callback(null, 'kept');
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const to = (recipient: string, kind?: string) => messages.filter((m) => m.to.includes(recipient) && (kind === undefined || m.header('x-hedgerow-kind') === kind));
  return {
    port,
    messages,
    to,
    waitFor: (recipient, kind, what) => until(() => to(recipient, kind)[0], what),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// browsing through the proxy as a pupil with a proxy password

interface ProxyAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function browse(proxyPort: number, username: string, url: string): Promise<ProxyAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        method: 'GET',
        path: url,
        agent: false,
        headers: { host: target.host, accept: 'text/html', 'proxy-authorization': `Basic ${Buffer.from(`${username}:${PASSWORD}`).toString('base64')}` },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from the proxy for ${url}`)));
    request.on('error', reject);
    request.end();
  });
}

function decisionRule(answer: ProxyAnswer): string | null {
  const header = answer.headers['x-hedgerow-decision'];
  const value = Array.isArray(header) ? header[0] : header;
  return value ? decodeURIComponent(/;\s*rule=([^;]*)/.exec(value)?.[1] ?? '') : null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' };
const unescapeHtml = (text: string) => text.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_m, name: string) => ENTITIES[name]!);

/** The block page's "request access" form as a browser would send it: its action and fields. */
function requestAccessForm(html: string): { action: string; fields: URLSearchParams } {
  const form = /<form method="post" action="([^"]*\/request-access)">([\s\S]*?)<\/form>/.exec(html);
  assert.ok(form, 'the block page has a request-access form');
  const fields = new URLSearchParams();
  for (const input of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(input[1]!, unescapeHtml(input[2]!));
  return { action: unescapeHtml(form[1]!), fields };
}

// ---------------------------------------------------------------------------------------------
// the API with a real session: cookie and CSRF token

interface Session {
  username: string;
  cookie: string;
  csrf: string;
}

interface ApiAnswer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  /** the answer as JSON (null when it is not): the tests read it field by field */
  json: any;
}

async function call(base: string, session: Session | null, method: string, path: string, body?: unknown, raw?: { bytes: Buffer; type: string }): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (session) {
    headers.cookie = session.cookie;
    if (method !== 'GET') headers['x-csrf-token'] = session.csrf;
  }
  let payload: string | Uint8Array<ArrayBuffer> | undefined;
  if (raw) {
    headers['content-type'] = raw.type;
    payload = new Uint8Array(raw.bytes);
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${base}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}), signal: AbortSignal.timeout(20_000) });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // a PDF or a file: no JSON
  }
  return { status: response.status, headers: response.headers, bytes, text, json };
}

function expectStatus(answer: ApiAnswer, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: ${answer.text.slice(0, 500)}`);
}

// ---------------------------------------------------------------------------------------------
// a real PNG (signature, IHDR, IDAT, IEND with their CRCs): a screenshot kept as evidence

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function screenshotPng(): Buffer {
  const width = 4;
  const height = 3;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push((x * 60) & 0xff, (y * 90) & 0xff, 200);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.from(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------------

describe('the workflows end to end through hedgerow start, its proxy, API and mail', () => {
  let dir = '';
  let running: RunningHedgerow;
  let mailbox: Mailbox;
  let upstream: FakeUpstream;
  let origin: http.Server;
  let originPort = 0;
  let base = '';
  const lines: string[] = [];
  const sessions = new Map<string, Session>();

  const proxyPort = () => running.proxy!.address.port;
  const api = (username: string | null, method: string, path: string, body?: unknown, raw?: { bytes: Buffer; type: string }) =>
    call(base, username === null ? null : sessions.get(username)!, method, path, body, raw);

  async function signIn(username: string): Promise<Session> {
    const response = await call(base, null, 'POST', '/api/session', { username, password: PASSWORD });
    expectStatus(response, 200, `signing in as ${username}`);
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    const session = { username, cookie, csrf: response.json.csrfToken as string };
    sessions.set(username, session);
    return session;
  }

  before(
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'hedgerow-workflows-e2e-'));
      const policyDir = join(dir, 'policy');
      const dataDir = join(dir, 'data');
      mkdirSync(policyDir);
      mkdirSync(dataDir);
      const referenceDir = dirname(referencePolicyPath());
      for (const file of ['council.yaml', 'school.yaml']) copyFileSync(join(referenceDir, file), join(policyDir, file));

      // Reserved names in the catalogue: a social network (blocked for pupils, 8.1) and a web
      // proxy (circumvention, 8.2).
      writeFileSync(join(dir, 'social.txt'), 'chat.example\n');
      importList(dataDir, join(dir, 'social.txt'), { format: 'domains', category: 'social-networking', name: 'test-social' });
      writeFileSync(join(dir, 'proxies.txt'), 'unblocker.example\n');
      importList(dataDir, join(dir, 'proxies.txt'), { format: 'domains', category: 'proxy', name: 'test-proxies' });

      // The reference roster: pupils with their classes, staff with mail addresses and line managers.
      const { policy } = loadPolicy(join(policyDir, 'school.yaml'));
      assert.ok(policy, 'the reference policy loads');
      const people = PeopleStore.open(dataDir);
      try {
        const rosterFile = join(referenceDir, 'roster.csv');
        const imported = people.importRoster(readFileSync(rosterFile, 'utf8'), {
          file: rosterFile,
          policy: { roles: Object.keys(policy.roles), groups: Object.keys(policy.groups), childRoles: ['pupil'] },
          timeZone: 'Europe/London',
          now: LESSON_TIME,
        });
        assert.deepEqual(imported.problems, []);
        for (const username of PUPILS) await people.setPassword(username, PASSWORD);
        assert.equal(people.get('nigel.applegarth')?.email, 'nigel.applegarth@school.invalid');
        assert.equal(people.get('jonah.birchwood')?.lineManager, 'marjorie.wychwood');
      } finally {
        people.close();
      }

      mailbox = await startMailbox();
      upstream = await startFakeUpstream();
      origin = http.createServer((request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end(`origin saw ${request.headers.host} ${request.url}`);
      });
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
      originPort = (origin.address() as { port: number }).port;

      const config = configSchema.parse({
        policy: join(policyDir, 'school.yaml'),
        dataDir,
        proxy: { port: 0, requireAuth: true },
        dns: { port: 0, upstreams: [{ host: '127.0.0.1', port: upstream.port }] },
        http: { port: 0 },
        notify: { smtp: { host: '127.0.0.1', port: mailbox.port, from: FROM, timeoutMs: 5_000 } },
        watchPolicy: false,
      });
      running = await startHedgerow(config, {
        now: () => LESSON_TIME,
        log: (line) => lines.push(line),
        // the reserved names of the test sites are served by the local origin; nothing else resolves
        resolveHost: async (host) => (host === 'lessons.example' || host === 'chat.example' || host.endsWith('.chat.example') ? ['127.0.0.1'] : []),
      });
      base = `http://127.0.0.1:${running.http.port}`;

      // The first administrator through the one-time setup link, the others through the API.
      assert.ok(running.setupUrl, lines.join('\n'));
      const token = new URL(running.setupUrl.replace('#/setup', 'setup')).searchParams.get('token');
      const setup = await call(base, null, 'POST', '/api/setup', { token, username: HEADTEACHER.username, displayName: HEADTEACHER.displayName, password: PASSWORD, role: HEADTEACHER.role });
      expectStatus(setup, 201, 'creating the first administrator');
      await signIn(HEADTEACHER.username);
      for (const account of ACCOUNTS) {
        const added = await api(HEADTEACHER.username, 'POST', '/api/accounts', { ...account, password: PASSWORD, reason: 'a new account for this school year' });
        expectStatus(added, 201, `adding ${account.username}`);
        await signIn(account.username);
      }
    },
    { timeout: 120_000 },
  );

  after(async () => {
    await running?.close();
    await mailbox?.close();
    await upstream?.close();
    origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'a pupil asks from the block page with its signed ticket (8.4); the e-safety team is mailed and recommends, the headteacher approves for the class for a day (8.5); the class gets in, another class does not, and the pupil is told',
    { timeout: 60_000 },
    async () => {
      const url = `http://www.chat.example:${originPort}/groups/class-6s-project`;
      const page = await browse(proxyPort(), REQUESTER, url);
      assert.equal(page.status, 403);
      assert.equal(decisionRule(page), 'pupil-social-media');
      const form = requestAccessForm(page.body);
      assert.equal(form.action, `${base}/block/request-access`);
      assert.match(form.fields.get('ticket') ?? '', /^v1\.[\w-]+\.[\w-]+$/, 'the form carries a signed ticket');

      // the browser posts the form to the HTTP service, with the pupil's reason
      form.fields.set('message', 'our class project on how social networks work');
      const sent = await fetch(form.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.fields.toString(), signal: AbortSignal.timeout(10_000) });
      assert.equal(sent.status, 200, await sent.clone().text());
      assert.match(await sent.text(), /Thank you/);

      // recorded for the pupil the proxy saw (not for the address the form came from)
      const listed = await api('jonah.birchwood', 'GET', '/api/requests?state=submitted');
      expectStatus(listed, 200, 'the e-safety team lists the requests');
      const request = (listed.json.items as Array<Record<string, any>>).find((r) => r.requester === REQUESTER);
      assert.ok(request, 'the request is listed for the pupil');
      assert.equal(request.source, 'block-page');
      assert.equal(request.requesterRole, 'pupil');
      assert.ok(request.requesterGroups.includes('class-6s'));
      assert.equal(request.url, url);
      assert.equal(request.reason, 'our class project on how social networks work');
      assert.ok(request.clauses.includes('8.1'));
      assert.equal(request.allowed.recommend, true);
      assert.equal(request.allowed.decide, false, 'the e-safety team recommends; it does not decide');

      // the e-safety team got mail about the new request through the relay
      const told = await mailbox.waitFor('jonah.birchwood@school.invalid', 'unblock.submitted', 'the mail to the e-safety team');
      assert.equal(told.email.from?.address, 'hedgerow@school.invalid');
      assert.equal(told.email.subject, `Unblock request for ${request.host}`);
      assert.match(told.email.text ?? '', /our class project on how social networks work/);
      assert.match(told.email.text ?? '', /\(8\.4\)/);

      // the e-safety team may not approve; it recommends, with a note for the headteacher
      const tooSoon = await api('jonah.birchwood', 'POST', `/api/requests/${request.id}/approve`, { scope: { type: 'group', group: 'class-6s' }, duration: '1d' });
      expectStatus(tooSoon, 403, 'approval by the e-safety team');
      const recommended = await api('jonah.birchwood', 'POST', `/api/requests/${request.id}/recommend`, { recommendation: 'approve', note: 'the class teacher planned this lesson' });
      expectStatus(recommended, 200, 'the recommendation');
      assert.equal(recommended.json.state, 'recommended');

      const approved = await api(HEADTEACHER.username, 'POST', `/api/requests/${request.id}/approve`, { scope: { type: 'group', group: 'class-6s' }, duration: '1d', note: 'for the project this week' });
      expectStatus(approved, 200, 'the approval');
      assert.equal(approved.json.state, 'approved');
      assert.equal(approved.json.decision.by, HEADTEACHER.username);
      assert.deepEqual(approved.json.approval.grantScope.groups, ['class-6s']);
      assert.equal(approved.json.approval.until, LESSON_TIME + DAY);

      // the same pupil's next request goes through to the site; a pupil of class 5M is still blocked
      const again = await browse(proxyPort(), REQUESTER, url);
      assert.equal(again.status, 200, again.body.slice(0, 300));
      assert.equal(again.body, `origin saw www.chat.example:${originPort} /groups/class-6s-project`);
      const otherClass = await browse(proxyPort(), OTHER_CLASS, url);
      assert.equal(otherClass.status, 403);
      assert.equal(decisionRule(otherClass), 'pupil-social-media');

      // the requester's inbox has the outcome
      const inbox = await api(REQUESTER, 'GET', '/api/inbox');
      expectStatus(inbox, 200, "the pupil's inbox");
      const outcome = (inbox.json.items as Array<Record<string, any>>).find((item) => item.kind === 'unblock.decided');
      assert.ok(outcome, 'the outcome is in the inbox');
      assert.equal(outcome.subject, `Your request to unblock ${request.host} was approved`);
      assert.deepEqual(outcome.about, { type: 'unblock-request', id: request.id });
    },
  );

  it(
    'repeated circumvention through the proxy raises a proposal the headteacher imposes as supervised-only (8.2); the pupil is then blocked with the sanction reason except while the class teacher supervises',
    { timeout: 60_000 },
    async () => {
      const settings = await api(HEADTEACHER.username, 'GET', '/api/sanctions/settings');
      expectStatus(settings, 200, 'the sanction settings');
      const threshold = settings.json.threshold as number;
      assert.ok(threshold >= 2, `a threshold of ${threshold}`);
      assert.equal(settings.json.decider, true);

      const lesson = `http://lessons.example:${originPort}/fractions`;
      const unsanctioned = await browse(proxyPort(), CIRCUMVENTER, lesson);
      assert.equal(unsanctioned.status, 200, 'an ordinary site is open before any sanction');

      // attempts that count (8.2): an address written as numbers, and a web proxy
      const attempts = Array.from({ length: threshold }, (_, i) => (i % 2 === 0 ? 'http://192.0.2.10/' : 'http://unblocker.example/'));
      for (const [i, target] of attempts.entries()) {
        if (i === threshold - 1) {
          // one short of the threshold: counted, and nothing proposed
          assert.equal(running.log.circumventionCount(CIRCUMVENTER), threshold - 1);
          const none = await api(HEADTEACHER.username, 'GET', '/api/sanctions/proposals');
          assert.equal((none.json.items as Array<{ person: string }>).filter((p) => p.person === CIRCUMVENTER).length, 0);
        }
        const blocked = await browse(proxyPort(), CIRCUMVENTER, target);
        assert.equal(blocked.status, 403);
        assert.equal(decisionRule(blocked), target.includes('192.0.2.10') ? 'pupil-ip-address-hosts' : 'pupil-circumvention-services');
      }

      const proposal = await until(async () => {
        const listed = await api(HEADTEACHER.username, 'GET', '/api/sanctions/proposals');
        return (listed.json.items as Array<Record<string, any>>).find((p) => p.person === CIRCUMVENTER);
      }, 'the sanction proposal');
      assert.equal(proposal.recommendation, 'supervised-only');
      assert.equal(proposal.count, threshold);
      assert.equal(proposal.status, 'open');
      assert.deepEqual(new Set((proposal.attempts as Array<{ host: string }>).map((a) => a.host)), new Set(['192.0.2.10', 'unblocker.example']));
      const proposedMail = await mailbox.waitFor('marjorie.wychwood@school.invalid', 'sanction.proposed', 'the mail to the headteacher about the proposal');
      assert.match(proposedMail.email.subject ?? '', /Supervised-only sanction proposed .*\(8\.2\)/);

      const imposed = await api(HEADTEACHER.username, 'POST', '/api/sanctions', { proposal: proposal.id, reason: 'repeated attempts to get round the filter this morning' });
      expectStatus(imposed, 201, 'imposing the sanction');
      assert.equal(imposed.json.person, CIRCUMVENTER);
      assert.equal(imposed.json.status, 'active');

      // the next ordinary request is blocked, and the page says why
      const sanctioned = await browse(proxyPort(), CIRCUMVENTER, lesson);
      assert.equal(sanctioned.status, 403);
      assert.equal(decisionRule(sanctioned), 'sanction.supervised-only');
      assert.match(sanctioned.body, /Your use of the internet at school is supervised only for now/);
      assert.match(sanctioned.body, /8\.2/);

      // the class teacher opens a supervised session: the pupil browses
      const opened = await api('frederick.saltmarsh', 'POST', `/api/sanctions/${imposed.json.id}/sessions`);
      expectStatus(opened, 201, 'opening a supervised session');
      assert.equal(opened.json.open, true);
      assert.equal(opened.json.openedBy, 'frederick.saltmarsh');
      const supervised = await browse(proxyPort(), CIRCUMVENTER, lesson);
      assert.equal(supervised.status, 200, supervised.body.slice(0, 300));
      assert.equal(supervised.body, `origin saw lessons.example:${originPort} /fractions`);

      // closing it blocks again at once
      const closed = await api('frederick.saltmarsh', 'POST', `/api/sanctions/sessions/${opened.json.id}/close`);
      expectStatus(closed, 200, 'closing the supervised session');
      assert.equal(closed.json.open, false);
      assert.equal(closed.json.closeKind, 'closed');
      const afterwards = await browse(proxyPort(), CIRCUMVENTER, lesson);
      assert.equal(afterwards.status, 403);
      assert.equal(decisionRule(afterwards), 'sanction.supervised-only');
    },
  );

  it(
    "a pupil's search through the proxy for a phrase on the self-harm keyword list alerts the safeguarding lead in the dashboard and by mail, once within the dedupe window (DfE monitoring standard)",
    { timeout: 60_000 },
    async () => {
      const search = 'http://www.google.com/search?q=how+to+self+harm';
      const first = await browse(proxyPort(), SEARCHER, search);
      assert.notEqual(first.status, 403, 'the search engine is not blocked; the search is still a signal');

      const alert = await until(async () => {
        const listed = await api('nigel.applegarth', 'GET', '/api/alerts?kind=keyword');
        expectStatus(listed, 200, 'the alerts list');
        return (listed.json.items as Array<Record<string, any>>).find((a) => a.person === SEARCHER);
      }, 'the keyword alert');
      assert.equal(alert.subject, 'self-harm');
      assert.equal(alert.subjectTitle, 'Self-harm and suicide');
      assert.equal(alert.searchTerm, 'how to self harm');
      assert.equal(alert.term, 'how to self harm');
      assert.equal(alert.personName, 'Edie Millstream');
      assert.equal(alert.point, 'proxy');
      assert.equal(alert.count, 1);
      assert.equal(alert.state, 'new');

      const mail = await mailbox.waitFor('nigel.applegarth@school.invalid', 'alert.keyword', 'the alert mail to the safeguarding lead');
      assert.equal(mail.email.subject, 'Safeguarding alert: search matching "Self-harm and suicide"');
      assert.match(mail.email.text ?? '', /A pupil in Year 5, Class 5M searched for words on the keyword list "Self-harm and suicide" \("how to self harm" matched\)/);
      assert.doesNotMatch(mail.email.text ?? '', /Edie|Millstream|edie\.millstream/i, 'the mail does not name the pupil');
      assert.match(mail.email.text ?? '', new RegExp(`Open it in Hedgerow: ${base.replace(/\./g, '\\.')}/dashboard/#/alerts\\?alert=${alert.id}`));

      // the same search again within the window is counted on the alert, not announced again
      const repeat = await browse(proxyPort(), SEARCHER, search);
      assert.notEqual(repeat.status, 403);
      const counted = await until(async () => {
        const listed = await api('nigel.applegarth', 'GET', '/api/alerts?kind=keyword');
        return (listed.json.items as Array<Record<string, any>>).find((a) => a.id === alert.id && a.count === 2);
      }, 'the repeat counted on the alert');
      assert.equal(counted.notificationId, alert.notificationId);
      const others = (await api('nigel.applegarth', 'GET', '/api/alerts?kind=keyword')).json.items as Array<{ person: string }>;
      assert.equal(others.filter((a) => a.person === SEARCHER).length, 1, 'one alert, not two');
      // whatever mail was due has been handed to the relay: still one alert mail
      await running.workflows.alertWatcher.idle();
      await running.workflows.notifications.outbox!.runOnce();
      assert.equal(mailbox.to('nigel.applegarth@school.invalid', 'alert.keyword').length, 1);
    },
  );

  it(
    'a teacher reports cyber-bullying with a PNG screenshot as evidence (9.1, 9.4); the safeguarding lead reads it with a matching SHA-256 digest and the view is audited; a governor is refused',
    { timeout: 60_000 },
    async () => {
      const teacher = 'frederick.saltmarsh';
      const created = await api(teacher, 'POST', '/api/incidents', {
        type: 'cyber-bullying',
        platform: 'facebook',
        description: 'A pupil in my class was sent unkind messages about her drawing in a group chat last night.',
        occurredAt: LESSON_TIME - DAY,
        parties: [{ kind: 'pupil', username: 'clara.nettlebed', role: 'target' }],
      });
      expectStatus(created, 201, 'reporting the incident');
      const id = created.json.case.id as string;
      assert.match(created.json.guidance, /Do not respond or retaliate/);

      const png = screenshotPng();
      const digest = createHash('sha256').update(png).digest('hex');
      const shows = LESSON_TIME - DAY + 3_600_000;
      const uploaded = await api(teacher, 'POST', `/api/incidents/${id}/evidence?name=${encodeURIComponent('group chat.png')}&type=image/png&shows=${shows}`, undefined, {
        bytes: png,
        type: 'application/octet-stream',
      });
      expectStatus(uploaded, 201, 'uploading the screenshot');
      assert.equal(uploaded.json.sha256, digest);
      assert.equal(uploaded.json.size, png.length);
      assert.equal(uploaded.json.contentType, 'image/png');
      assert.equal(uploaded.json.uploadedBy, teacher);
      assert.equal(uploaded.json.shows, shows);

      // the safeguarding lead reads the whole case and the file
      const lead = 'nigel.applegarth';
      const viewed = await api(lead, 'GET', `/api/incidents/${id}`);
      expectStatus(viewed, 200, 'the safeguarding lead reads the case');
      const item = (viewed.json.evidence as Array<Record<string, any>>).find((e) => e.id === uploaded.json.id);
      assert.ok(item, 'the evidence is on the case');
      assert.equal(item.sha256, digest);
      const content = await api(lead, 'GET', `/api/incidents/${id}/evidence/${item.id}/content`);
      expectStatus(content, 200, 'downloading the evidence');
      assert.equal(content.headers.get('content-type'), 'image/png');
      assert.equal(content.headers.get('x-evidence-sha256'), digest);
      assert.equal(createHash('sha256').update(content.bytes).digest('hex'), digest);
      assert.deepEqual(content.bytes, png);

      // both views are in the audit log, under the safeguarding lead's name
      const audit = await api(lead, 'GET', `/api/audit?subject=${encodeURIComponent(`incident:${id}`)}`);
      expectStatus(audit, 200, 'the audit log');
      const entries = audit.json.items as Array<{ actor: string; action: string; after: Record<string, unknown> | null }>;
      assert.ok(entries.some((e) => e.actor === lead && e.action === 'incident.view'));
      const evidenceView = entries.find((e) => e.actor === lead && e.action === 'incident.evidence.view');
      assert.ok(evidenceView, 'the evidence view is audited');
      assert.deepEqual(evidenceView.after, { evidence: item.id, sha256: digest });
      assert.ok(entries.some((e) => e.actor === teacher && e.action === 'incident.evidence.add'));

      // a governor may not see the case or the evidence
      const governor = 'rupert.thornbury';
      expectStatus(await api(governor, 'GET', `/api/incidents/${id}`), 403, "a governor reading the case");
      expectStatus(await api(governor, 'GET', `/api/incidents/${id}/evidence/${item.id}/content`), 403, "a governor reading the evidence");
    },
  );

  it(
    "a governor downloads the governors' report as a PDF, and the network manager's filter check run goes through the real proxy and is recorded (DfE filtering standard)",
    { timeout: 60_000 },
    async () => {
      const pdf = await api('rupert.thornbury', 'GET', '/api/reports/governors.pdf');
      expectStatus(pdf, 200, "the governors' report");
      assert.match(pdf.headers.get('content-type') ?? '', /^application\/pdf/);
      assert.equal(pdf.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
      assert.ok(pdf.bytes.length > 1000);
      expectStatus(await api('frederick.saltmarsh', 'GET', '/api/reports/governors.pdf'), 403, "a teacher asking for the governors' report");

      expectStatus(await api('rupert.thornbury', 'POST', '/api/compliance/checks/run'), 403, 'a governor running the checks');
      const run = await api('olive.stonechat', 'POST', '/api/compliance/checks/run');
      expectStatus(run, 201, 'running the filter checks');
      assert.equal(run.json.trigger, 'manual');
      assert.equal(run.json.requestedBy, 'olive.stonechat');
      const results = run.json.results as Array<Record<string, any>>;
      const find = (testId: string, path: string) => results.find((r) => r.testId === testId && r.path === path)!;
      const social = find('pupil-social', 'proxy');
      assert.deepEqual([social.seen, social.outcome], ['blocked', 'pass'], JSON.stringify(social));
      assert.equal(social.rule, 'pupil-social-media');
      assert.ok(social.clauses.includes('8.1'));
      const education = find('pupil-education', 'proxy');
      assert.deepEqual([education.seen, education.outcome], ['allowed', 'pass'], JSON.stringify(education));
      const legal = find('legal-block', 'proxy');
      assert.deepEqual([legal.seen, legal.outcome], ['blocked', 'pass'], JSON.stringify(legal));
      assert.equal(legal.rule, 'council-legal-lists');
      const socialDns = find('pupil-social', 'dns');
      assert.deepEqual([socialDns.seen, socialDns.outcome], ['blocked', 'pass'], JSON.stringify(socialDns));
      assert.equal(run.json.failed, 0, JSON.stringify(results.filter((r) => r.outcome === 'fail')));

      // recorded in the check log, and the proxy logged the check's request as a pupil's
      const log = await api('olive.stonechat', 'GET', '/api/compliance/checks');
      expectStatus(log, 200, 'the check log');
      assert.ok((log.json.items as Array<{ id: string }>).some((r) => r.id === run.json.id));
      await running.log.flush();
      const events = await running.log.search({ host: 'social.hedgerow-check.invalid' });
      const viaProxy = events.find((e) => e.point === 'proxy');
      assert.ok(viaProxy, 'the proxy decided the check request');
      assert.equal(viaProxy.role, 'pupil');
      assert.equal(viaProxy.action, 'block');
      assert.match(viaProxy.person ?? '', /^hedgerow-check\.pupil/);
    },
  );
});
