// The block page's forms on the real HTTP service (127.0.0.1, port 0): the proxy signs who saw the
// block into each form's ticket and the service records the request or report for that person
// (8.4, 7.8, council accidental-access rule); a forged or old ticket gets a clear page and nothing
// is recorded; without a ticket the network's identity is used; long fields are cut and hostile
// text stays text.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { startHttpService } from '../../src/api/index.ts';
import { BlockPageForms, BlockTickets } from '../../src/cases/index.ts';
import type { Person } from '../../src/engine/index.ts';
import type { ProxyOptions } from '../../src/proxy/index.ts';
import { proxyGet, startTestProxy, type TestProxy } from '../proxy/fixtures.ts';
import { Databases, DAY, LESSON, type Harness } from './fixture.ts';

const KEY = 'c'.repeat(64);
// what a browser sends, so the proxy answers with the HTML block page and its forms
const BROWSER = { accept: 'text/html,application/xhtml+xml' };

function ticketIn(html: string): string {
  const match = /<input type="hidden" name="ticket" value="([^"]+)">/.exec(html);
  assert.ok(match, 'the page carries a ticket');
  return match[1]!;
}

describe('block-page forms on the HTTP service', () => {
  const dbs = new Databases('sqlite');
  let h: Harness;
  let tickets: BlockTickets;
  let app: FastifyInstance;
  let base = '';
  let proxy: TestProxy;
  // the network this service sees the forms from: an unidentified guest, whatever the proxy knew
  let network: Person = { role: 'guest' };

  before(async () => {
    await dbs.start();
    h = await dbs.fresh();
    tickets = new BlockTickets({ secret: KEY, now: () => h.clock.now });
    const forms = new BlockPageForms({ workflow: h.workflow, tickets });
    const started = await startHttpService({
      host: '127.0.0.1',
      port: 0,
      publicUrl: () => base,
      pac: () => ({ proxyHost: '127.0.0.1', proxyPort: 3128, bypass: [] }),
      identify: () => network,
      decide: (person, url, at) => h.engine.decide({ person, url, at }),
      isPupil: (person) => person.role === 'pupil' || person.role === 'guest',
      timeZone: () => 'Europe/London',
      blockForms: forms,
      health: () => ({ status: 'ok', policyRevision: null, policyLoadedAt: null, lastReloadProblems: [], points: {}, decisionLog: null, catalogueDomains: 0 }),
      now: () => h.clock.now,
      dashboardDir: null,
    });
    app = started.app;
    base = `http://127.0.0.1:${started.address.port}`;
    const blockPage = { baseUrl: `${base}/block`, smartAdviceFor: (p: Person) => p.role === 'pupil', timeZone: 'Europe/London', ticket: (fields: Parameters<BlockPageForms['ticket']>[0]) => forms.ticket(fields) };
    proxy = await startTestProxy({ blockPage: blockPage as ProxyOptions['blockPage'], now: () => h.clock.now });
  });
  after(async () => {
    await proxy?.close();
    await app?.close();
    await dbs.stop();
  });

  async function post(kind: string, fields: Record<string, string>): Promise<{ status: number; body: string }> {
    const response = await fetch(`${base}/block/${kind}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    return { status: response.status, body: await response.text() };
  }

  it('records a request for the person the proxy identified, from the ticket in the proxy\'s block page (8.4)', async () => {
    const page = await proxyGet(proxy.port, 'http://www.blocked.example/project', BROWSER);
    assert.equal(page.status, 403);
    const ticket = ticketIn(page.body);
    const sent = await post('request-access', { ticket, message: 'for our Victorian project', url: 'http://other.example/', host: 'other.example', categories: 'education' });
    assert.equal(sent.status, 200);
    assert.match(sent.body, /Thank you/);
    const [request] = (await h.workflow.unblock.list({ host: 'www.blocked.example' })).items;
    assert.ok(request, 'the request is stored under the host the page showed, not the one the form claimed');
    assert.deepEqual([request.requester, request.requesterRole, request.source, request.reason], ['ada.pupil', 'pupil', 'block-page', 'for our Victorian project']);
    assert.deepEqual([request.categories, request.clauses], [['social-networking'], ['8.1']]);
    assert.equal(request.eventId, proxy.events.at(-1)!.id, 'the block page reference is the decision event');
    assert.deepEqual((await h.workflow.unblock.list({ state: 'open' })).items.filter((r) => r.host === 'other.example'), []);
  });

  it('finds the first request when the same form is sent again, and says so', async () => {
    const page = await proxyGet(proxy.port, 'http://twice.blocked.example/', BROWSER);
    const ticket = ticketIn(page.body);
    assert.match((await post('request-access', { ticket, message: 'please' })).body, /Thank you/);
    const again = await post('request-access', { ticket, message: 'please' });
    assert.equal(again.status, 200);
    assert.match(again.body, /already sent/);
    assert.equal((await h.workflow.unblock.list({ host: 'twice.blocked.example' })).items.length, 1);
  });

  it('sends "tell a teacher" and "I reached this by accident" from the same page as reports (7.8)', async () => {
    const page = await proxyGet(proxy.port, 'http://worry.blocked.example/', BROWSER);
    const ticket = ticketIn(page.body);
    await post('tell-teacher', { ticket, message: 'a picture upset me' });
    await post('accident', { ticket, message: '' });
    const viewer = { actor: { username: 'ada.pupil', role: 'pupil', groups: [] }, handles: false };
    const reports = (await h.workflow.reports.list({}, viewer)).items;
    assert.deepEqual(reports.map((r) => [r.kind, r.host, r.message]).sort(), [
      ['accident', 'worry.blocked.example', ''],
      ['tell-teacher', 'worry.blocked.example', 'a picture upset me'],
    ]);
  });

  it('refuses a forged ticket with a clear page and records nothing', async () => {
    const page = await proxyGet(proxy.port, 'http://forged.blocked.example/', BROWSER);
    const [version, payload, mac] = ticketIn(page.body).split('.') as [string, string, string];
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const changed = Buffer.from(JSON.stringify({ ...body, p: 'marjorie.wychwood', r: 'headteacher' })).toString('base64url');
    const sent = await post('request-access', { ticket: `${version}.${changed}.${mac}`, message: 'let me in' });
    assert.equal(sent.status, 403);
    assert.match(sent.body, /<h1>This form could not be checked<\/h1>/);
    const other = new BlockTickets({ secret: 'd'.repeat(64), now: () => h.clock.now });
    const foreign = await post('request-access', { ticket: other.sign({ eventId: 'e', person: 'x', role: 'pupil', groups: [], url: 'http://forged.blocked.example/', host: 'forged.blocked.example', categories: [], clauses: [], at: h.clock.now }) });
    assert.equal(foreign.status, 403);
    const junk = await post('request-access', { ticket: 'not a ticket' });
    assert.equal(junk.status, 400);
    assert.equal((await h.workflow.unblock.list({ host: 'forged.blocked.example' })).items.length, 0);
  });

  it('refuses a ticket from a page shown more than a day ago', async () => {
    const page = await proxyGet(proxy.port, 'http://old.blocked.example/', BROWSER);
    const ticket = ticketIn(page.body);
    h.clock.now = LESSON + DAY + 1;
    try {
      const sent = await post('request-access', { ticket, message: 'late' });
      assert.equal(sent.status, 400);
      assert.match(sent.body, /This page is too old/);
    } finally {
      h.clock.now = LESSON;
    }
    assert.equal((await h.workflow.unblock.list({ host: 'old.blocked.example' })).items.length, 0);
  });

  it('falls back to the network identity without a ticket, and asks the engine for the categories', async () => {
    network = { role: 'pupil', groups: ['class-4n'] };
    try {
      const sent = await post('request-access', { url: 'http://www.social.example/x', host: 'www.social.example', categories: 'education', clauses: '1.1', message: 'no ticket' });
      assert.equal(sent.status, 200);
    } finally {
      network = { role: 'guest' };
    }
    const [request] = (await h.workflow.unblock.list({ host: 'www.social.example' })).items;
    assert.deepEqual([request?.requester, request?.requesterRole, request?.requesterGroups], [null, 'pupil', ['class-4n']]);
    assert.ok(request?.categories.includes('social-networking'), `the form's own categories are not believed: ${request?.categories}`);
    assert.ok(!request?.categories.includes('education'));
    assert.deepEqual(request?.clauses, ['8.1', '3.1', '7.1']);
  });

  it('cuts long fields to their limits and keeps hostile text as text', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const sent = await post('request-access', { url: `http://long.blocked.example/${'a'.repeat(10_000)}`, host: 'long.blocked.example', message: hostile + 'b'.repeat(5000) });
    assert.equal(sent.status, 200);
    assert.doesNotMatch(sent.body, /<img/);
    const [request] = (await h.workflow.unblock.list({ host: 'long.blocked.example' })).items;
    assert.equal(request?.url.length, 2048);
    assert.equal(request?.reason.length, 1000);
    assert.ok(request?.reason.startsWith(hostile), 'the text is kept as it was typed, escaped only where shown');
    const huge = await post('tell-teacher', { message: 'x'.repeat(70 * 1024) });
    assert.equal(huge.status, 413);
    assert.match(huge.body, /too large/);
  });

  it('answers an unknown form with 404 and a form with no address with a page that says so', async () => {
    assert.equal((await post('something-else', { message: 'x' })).status, 404);
    const empty = await post('request-access', { message: 'what site?' });
    assert.equal(empty.status, 400);
    assert.match(empty.body, /The form is not complete/);
  });

  it('answers with a page, not a crash, when the store cannot take the form', async () => {
    const broken = await startHttpService({
      host: '127.0.0.1',
      port: 0,
      publicUrl: () => 'http://127.0.0.1',
      pac: () => ({ proxyHost: '127.0.0.1', proxyPort: 3128, bypass: [] }),
      identify: () => network,
      decide: (person, url, at) => h.engine.decide({ person, url, at }),
      isPupil: () => true,
      timeZone: () => 'Europe/London',
      blockForms: { ticket: (fields) => tickets.sign(fields), receive: () => Promise.reject(new Error('the database is not answering')) },
      health: () => ({ status: 'ok', policyRevision: null, policyLoadedAt: null, lastReloadProblems: [], points: {}, decisionLog: null, catalogueDomains: 0 }),
      dashboardDir: null,
    });
    try {
      const response = await fetch(`http://127.0.0.1:${broken.address.port}/block/tell-teacher`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'message=help' });
      assert.equal(response.status, 503);
      const text = await response.text();
      assert.match(text, /could not be recorded just now/);
      assert.doesNotMatch(text, /database/, 'the cause stays in the server log');
    } finally {
      await broken.app.close();
    }
  });

  it('puts a ticket in the block page it serves for names the DNS filter answered', async () => {
    // a browser the DNS filter sent here asks for the blocked name itself (fetch cannot set Host)
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: Number(new URL(base).port), path: '/some/page', headers: { host: 'www.social.example' } }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        })
        .on('error', reject);
    });
    assert.equal(response.status, 403);
    const check = tickets.verify(ticketIn(response.body));
    assert.ok(check.ok);
    assert.deepEqual([check.ticket.host, check.ticket.role, check.ticket.person, check.ticket.clauses], ['www.social.example', 'guest', null, ['8.1', '3.1', '7.1']]);
  });
});
