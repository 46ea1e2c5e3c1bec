// Stored XSS (issue 8, section 4): hostile text saved through the product's own doors — a pupil's
// unblock request from the block page, an incident description and platform, a display name in a
// roster, a dashboard account's name, a policy rule's reason and the reason for an edit, a
// teacher's reason on the warn page, a search term that raises a safeguarding alert — is shown as
// text wherever the dashboard (real Chromium) and the proxy's block page show it. The dashboard
// runs here with its CSP switched off, so escaping alone has to hold; a `window.__xss` canary and
// any dialog would give a script away, and each page must show the hostile text itself (so a
// page that shows nothing cannot pass).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureDashboardBuilt } from '../../scripts/build-dashboard.ts';
import { samples } from '../cases-incidents/samples.ts';
import { launchChromium } from '../dashboard/harness.ts';
import { ApiClient, firstAdministrator, LESSON_TIME, request, startSecuritySchool, type SecuritySchool } from './support/security-school.ts';
import { installTripwire } from './support/security-tripwire.ts';

const tripwire = installTripwire();

const IMG = '<img src=x onerror="window.__xss=1;alert(1)">';
const SCRIPT = '<script>window.__xss=2;alert(2)</script>';
const SVG = '"><svg onload="window.__xss=3;alert(3)">';
const LINK = 'javascript:window.__xss=4;alert(4)';
const TEACHER = { username: 'tobias.warrender', password: 'Warrender-Lantern-Moss-3' };

let school: SecuritySchool;
let admin: ApiClient;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];
const stored = { requestId: '', incidentId: '', alertId: '', evidenceId: '' };

function json<T>(body: string): T {
  return JSON.parse(body) as T;
}

/** CSV field quoting: the display name travels in a roster file. */
function csvField(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

before(async () => {
  await ensureDashboardBuilt();
  school = await startSecuritySchool({
    proxy: { port: 0, allowedClients: ['127.0.0.1/32'] },
    networks: [{ cidr: '127.0.0.1/32', role: 'pupil', groups: ['class-6s'] }],
  });
  admin = await firstAdministrator(school);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  // a pupil's unblock request, from the block page's form (no sign-in: the network's identity)
  const asked = await request(school.httpPort, 'POST', '/block/request-access', form, new URLSearchParams({ url: `http://www.facebook.com/${LINK}`, host: 'www.facebook.com', message: `${IMG} ${LINK}` }).toString());
  assert.equal(asked.status, 200, asked.body);
  stored.requestId = json<{ items: Array<{ id: string }> }>((await admin.send('GET', '/api/requests')).body).items[0]!.id;

  const incident = await admin.send('POST', '/api/incidents', { type: 'cyber-bullying', platform: SVG, description: `${SCRIPT} ${IMG}`, occurredAt: LESSON_TIME - 3_600_000 });
  assert.equal(incident.status, 201, incident.body);
  stored.incidentId = json<{ case: { id: string } }>(incident.body).case.id;
  // evidence whose file name is markup
  const evidence = await request(
    school.httpPort,
    'POST',
    `/api/incidents/${encodeURIComponent(stored.incidentId)}/evidence?name=${encodeURIComponent(`shot ${IMG}.png`)}&type=image%2Fpng`,
    { cookie: admin.cookie!, 'x-csrf-token': admin.csrf!, 'content-type': 'application/octet-stream' },
    samples.png,
  );
  assert.equal(evidence.status, 201, evidence.body);
  stored.evidenceId = json<{ id: string }>(evidence.body).id;

  const roster =
    'name,username,role,year group,date of birth,groups,email,line manager\n' +
    `${csvField(`Ada ${IMG}`)},ada.xss,pupil,Year 6,2015-01-01,class-6s,,\n` +
    `Tobias Warrender,${TEACHER.username},teacher,,,,,\n`;
  const importedAnswer = await request(school.httpPort, 'POST', '/api/people/import', { cookie: admin.cookie!, 'x-csrf-token': admin.csrf!, 'content-type': 'text/csv' }, roster);
  assert.equal(importedAnswer.status, 200, importedAnswer.body);

  // a dashboard account whose display name is markup
  const account = await admin.send('POST', '/api/accounts', { username: 'oswin.xss', displayName: `Oswin ${SVG}`, role: 'teacher', password: 'Oswin-Lantern-Moss-11', reason: `new teacher ${IMG}` });
  assert.equal(account.status, 201, account.body);

  const rule = await admin.send('POST', '/api/policy/rules', {
    rule: { id: 'xss-probe', clauses: ['8.1'], who: { roles: ['pupil'] }, what: { sites: ['xss-probe.example'] }, action: 'block', reason: `Blocked ${SCRIPT} ${IMG}` },
    reason: `probe ${SVG}`,
  });
  assert.ok(rule.status === 200 || rule.status === 201, rule.body);

  // a teacher, signed in to the proxy, continues past the warn page with a hostile reason
  await school.running.people.setPassword(TEACHER.username, TEACHER.password);
  const proxyAuth = { 'proxy-authorization': `Basic ${Buffer.from(`${TEACHER.username}:${TEACHER.password}`).toString('base64')}` };
  const warn = await request(school.proxyPort, 'GET', 'http://www.facebook.com/', { host: 'www.facebook.com', accept: 'text/html', ...proxyAuth });
  const token = /name="token" value="([^"]+)"/.exec(warn.body)?.[1];
  assert.ok(token, `the warn page has its token: ${warn.status}`);
  const reason = new URLSearchParams({ token, url: 'http://www.facebook.com/', reason: `lesson ${IMG}` }).toString();
  const continued = await request(school.proxyPort, 'POST', 'http://www.facebook.com/.hedgerow/continue', { host: 'www.facebook.com', ...form, accept: 'text/html', ...proxyAuth }, reason);
  assert.equal(continued.status, 303, continued.body);

  // a pupil's search that matches a safeguarding keyword (nothing resolves: the search itself fails, its event stays)
  await request(school.proxyPort, 'GET', `http://www.google.com/search?q=${encodeURIComponent(`want to die ${SVG}`)}`, { host: 'www.google.com', accept: 'text/html' });
  for (let i = 0; i < 50 && stored.alertId === ''; i++) {
    const alerts = json<{ items: Array<{ id: string }> }>((await admin.send('GET', '/api/alerts')).body).items;
    if (alerts[0]) stored.alertId = alerts[0].id;
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(stored.alertId, 'the search raised an alert');

  browser = await launchChromium();
  // no CSP: only escaping stands between the stored text and a script
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' });
  await context.addCookies([{ name: 'hedgerow_session', value: admin.cookie!.split('=')[1]!, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Strict' }]);
  page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});

after(async () => {
  await context?.close();
  await browser?.close();
  await school?.close();
  tripwire.remove();
});

/** Opens a dashboard route, waits for its heading and for `shows` as text, and returns the canary. */
async function visit(route: string, heading: string | RegExp, shows: string[]): Promise<unknown> {
  await page.goto(`${school.base}/dashboard/#/${route}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  for (const text of shows) await page.getByText(text, { exact: false }).first().waitFor({ timeout: 10_000 });
  // whatever a broken page would run on load has had its chance
  await page.waitForLoadState('load');
  return page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
}

describe('stored XSS in the dashboard and the block page', () => {
  const pages: Array<[string, string, string | RegExp, () => string[]]> = [
    ['an unblock request from the block page', 'requests?id=ID', 'Requests and reports', () => [IMG]],
    ['an incident description, platform and evidence file name', 'incidents?case=CASE', 'Incidents', () => [SCRIPT, SVG, `shot ${IMG}.png`]],
    ['a display name from a roster', 'people?q=ada.xss', 'People and devices', () => [`Ada ${IMG}`]],
    ['a policy rule reason', 'policy', 'Policy', () => [`Blocked ${SCRIPT}`]],
    ['a warn-page reason in the activity log', `activity?person=${TEACHER.username}&purpose=unauthorised-use`, 'Activity', () => [`lesson ${IMG}`]],
    ['a search term in a safeguarding alert', 'alerts?alert=ALERT', 'Safeguarding alerts', () => [`want to die ${SVG}`]],
    ['reasons and names in the audit log', 'audit', 'Audit log', () => [`probe ${SVG}`]],
    ['the inbox notifications of the incident and the request', 'inbox', 'Inbox', () => []],
    ['the overview', 'overview', 'Overview', () => []],
  ];

  for (const [what, route, heading, shows] of pages) {
    it(`runs nothing on the page showing ${what}`, async () => {
      const target = route.replace('ID', encodeURIComponent(stored.requestId)).replace('CASE', encodeURIComponent(stored.incidentId)).replace('ALERT', encodeURIComponent(stored.alertId));
      const canary = await visit(target, heading, shows());
      assert.equal(canary, undefined, `${what}: a script ran`);
      assert.deepEqual(dialogs, [], `${what}: a dialog opened`);
    });
  }

  it("shows a dashboard account's display name as text in the header when that account signs in", async () => {
    const oswin = new ApiClient(school.httpPort);
    assert.equal((await oswin.signIn('oswin.xss', 'Oswin-Lantern-Moss-11')).status, 200);
    const own = await browser.newContext({ bypassCSP: true });
    try {
      await own.addCookies([{ name: 'hedgerow_session', value: oswin.cookie!.split('=')[1]!, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Strict' }]);
      const view = await own.newPage();
      const seen: string[] = [];
      view.on('dialog', (dialog) => {
        seen.push(dialog.message());
        void dialog.dismiss();
      });
      await view.goto(`${school.base}/dashboard/#/overview`);
      await view.locator('header').getByText(`Oswin ${SVG}`).waitFor();
      assert.equal(await view.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
      assert.deepEqual(seen, []);
    } finally {
      await own.close();
    }
  });

  it('no link on the pages visited leads to a javascript: address', async () => {
    for (const route of [`requests?id=${encodeURIComponent(stored.requestId)}`, `incidents?case=${encodeURIComponent(stored.incidentId)}`]) {
      await page.goto(`${school.base}/dashboard/#/${route}`);
      await page.getByText(route.startsWith('requests') ? IMG : SCRIPT, { exact: false }).first().waitFor();
      const hrefs = await page.$$eval('a[href], form[action]', (nodes) => nodes.map((n) => n.getAttribute('href') ?? n.getAttribute('action') ?? ''));
      assert.ok(hrefs.length > 0);
      assert.deepEqual(hrefs.filter((h) => /^\s*javascript:/i.test(h)), [], route);
    }
  });

  it('the proxy\'s block page shows the stored rule reason as text', async () => {
    const blocked = await request(school.proxyPort, 'GET', 'http://xss-probe.example/', { host: 'xss-probe.example', accept: 'text/html' });
    assert.equal(blocked.status, 403);
    assert.ok(blocked.body.includes('Blocked &lt;script&gt;window.__xss=2;alert(2)&lt;/script&gt;'), 'the reason is on the page, escaped');
    assert.doesNotMatch(blocked.body, /<(script|img|svg)\b/i);
    const view = await context.newPage();
    try {
      await view.setContent(blocked.body, { waitUntil: 'load' });
      assert.equal(await view.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), undefined);
    } finally {
      await view.close();
    }
    assert.deepEqual(dialogs, []);
  });

  it('regression: an evidence download keeps its own sandboxing CSP (the service\'s page policy used to replace it)', async () => {
    const content = await request(school.httpPort, 'GET', `/api/incidents/${encodeURIComponent(stored.incidentId)}/evidence/${encodeURIComponent(stored.evidenceId)}/content`, { cookie: admin.cookie! });
    assert.equal(content.status, 200, content.body);
    assert.match(String(content.headers['content-security-policy']), /sandbox/, 'the route\'s own sandboxing policy is kept');
    assert.match(String(content.headers['content-disposition']), /^attachment/);
    assert.equal(content.headers['x-content-type-options'], 'nosniff');
    assert.equal(content.headers['cache-control'], 'no-store');
  });

  it('the canary is not blind: markup put into the page unescaped sets it and opens a dialog', async () => {
    await page.evaluate((html) => document.body.insertAdjacentHTML('beforeend', html), IMG);
    await page.waitForFunction(() => (window as unknown as { __xss?: unknown }).__xss === 1);
    assert.deepEqual(dialogs.splice(0), ['1']);
  });

  it('made no connection off this machine', () => {
    assert.deepEqual(tripwire.tripped, []);
  });
});
