// The workflow pages in a real browser (Debian's Chromium) against one demo school: each page
// opens for a role that may use it with no serious axe finding; an unblock request goes from a
// teacher through the e-safety team to the headteacher and opens the site for a class (8.4,
// 8.5); a member of staff accepts the policy and the compliance records show it (6.6–6.10); a
// teacher opens an incident and the safeguarding lead, first in the chain, sees it (9.2); the
// Inbox link counts what is unread; a governor is offered the governors' report and not the
// safeguarding pages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  addAccount,
  chromiumPath,
  createFirstAdministrator,
  dashboardContext,
  ESAFETY_TEAM,
  GOVERNOR,
  HEAD_OF_SCHOOL,
  launchChromium,
  openPage,
  PUPIL_5M,
  PUPIL_6S,
  SAFEGUARDING_LEAD,
  seriousAxeViolations,
  signIn,
  startDemoSchool,
  TEACHER,
  type AxeFinding,
  type DemoAccount,
  type DemoSchool,
} from './harness.ts';

const skip = !existsSync(chromiumPath) && !process.env.CI ? 'Debian chromium is not installed (scripts/install-system-packages.sh)' : false;

/** the site the teacher asks for: social networking, blocked for pupils (8.1) */
const SITE = 'www.facebook.com';
const LESSON_REASON = 'Year 6 lesson on spotting fake profiles';

function describeFindings(where: string, findings: AxeFinding[]): string {
  return findings.map((f) => `${where}: ${f.impact} ${f.id} (${f.help}) at ${f.targets.join(' | ')}`).join('\n');
}

describe('the workflow pages', { skip }, () => {
  let school: DemoSchool;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** script errors seen on any page */
  const pageProblems: string[] = [];
  /** axe findings gathered in the flows, reported by the accessibility test */
  const axeProblems: string[] = [];
  let head: Page;
  let teacher: Page;
  let esafety: Page;
  let lead: Page;
  let requestId = '';

  async function newPage(): Promise<Page> {
    // axe-core is injected as a script tag, which the dashboard's CSP refuses
    const context = await dashboardContext(browser, { bypassCSP: true });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    return page;
  }

  async function signedIn(account: DemoAccount): Promise<Page> {
    const page = await newPage();
    await signIn(page, school.dashboardUrl, account.username);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  }

  /** Waits until nothing on the page is still loading. */
  async function settled(page: Page): Promise<void> {
    await page.waitForFunction(() => document.querySelector('.loading, [aria-busy="true"]') === null);
  }

  async function axe(page: Page, where: string): Promise<void> {
    await settled(page);
    const found = describeFindings(where, await seriousAxeViolations(page));
    if (found) axeProblems.push(found);
  }

  async function navLabels(page: Page): Promise<string[]> {
    const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    return (await links.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
  }

  /** The engine's answer for a pupil on the site now, from the policy simulator's API. */
  async function simulatedAction(page: Page, person: string): Promise<string> {
    const { csrfToken } = (await (await page.request.get(`${school.baseUrl}/api/session`)).json()) as { csrfToken: string };
    const response = await page.request.post(`${school.baseUrl}/api/policy/simulate`, {
      headers: { 'x-csrf-token': csrfToken },
      data: { person, url: `http://${SITE}/`, at: school.now() },
    });
    assert.equal(response.status(), 200, await response.text());
    return ((await response.json()) as { decision: { action: string } }).decision.action;
  }

  /** Resolves once the account signed in on the page has a notification of this kind (30 seconds at most). */
  async function waitForNotification(page: Page, kind: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const inbox = (await (await page.request.get(`${school.baseUrl}/api/inbox`)).json()) as { items: Array<{ kind: string }> };
      if (inbox.items.some((item) => item.kind === kind)) return;
      if (Date.now() > deadline) throw new Error(`no \`${kind}\` notification arrived: ${JSON.stringify(inbox.items.map((item) => item.kind))}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  before(async () => {
    [school, browser] = await Promise.all([startDemoSchool(), launchChromium()]);
    assert.ok(school.setupLink, `Hedgerow printed no setup link at its first start:\n${school.lines.join('\n')}`);
    // A safeguarding alert to show: a pupil's blocked attempt at a site on the legal block list.
    assert.equal(await school.browseAs(PUPIL_6S, 'http://legal.hedgerow-check.invalid/'), 403);
    head = await newPage();
    await createFirstAdministrator(head, school.setupLink);
    for (const account of [TEACHER, GOVERNOR, ESAFETY_TEAM, SAFEGUARDING_LEAD, HEAD_OF_SCHOOL]) await addAccount(head, school.baseUrl, account);
    [teacher, esafety, lead] = await Promise.all([signedIn(TEACHER), signedIn(ESAFETY_TEAM), signedIn(SAFEGUARDING_LEAD)]);
    // Hedgerow's first compliance round, 10 seconds after start, asks staff to accept the policy
    // (an inbox notification each); wait for it here, so it cannot land in the middle of a count.
    await waitForNotification(teacher, 'compliance.acknowledgement-due');
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await school?.close();
  });

  it("offers each role the workflow pages it may use, and a governor the governors' report but no incidents or alerts", async () => {
    const teacherNav = await navLabels(teacher);
    for (const label of ['Requests', 'Incidents', 'Sanctions', 'Compliance', 'Acknowledge']) assert.ok(teacherNav.includes(label), `the teacher's navigation lacks ${label}: ${teacherNav.join(', ')}`);
    assert.ok(teacherNav.some((label) => label.startsWith('Inbox')), teacherNav.join(', '));
    for (const label of ['Alerts', 'Governors']) assert.ok(!teacherNav.includes(label), `the teacher is offered ${label}`);

    const leadNav = await navLabels(lead);
    for (const label of ['Alerts', 'Incidents', 'Requests']) assert.ok(leadNav.includes(label), `the safeguarding lead's navigation lacks ${label}: ${leadNav.join(', ')}`);

    const governor = await signedIn(GOVERNOR);
    const governorNav = await navLabels(governor);
    assert.ok(governorNav.includes('Governors'), governorNav.join(', '));
    for (const label of ['Incidents', 'Alerts', 'Requests', 'Sanctions']) assert.ok(!governorNav.includes(label), `the governor is offered ${label}: ${governorNav.join(', ')}`);
    await openPage(governor, school.dashboardUrl, 'incidents', 'Not available to you');
    await openPage(governor, school.dashboardUrl, 'alerts', 'Not available to you');
    assert.equal((await governor.request.get(`${school.baseUrl}/api/incidents`)).status(), 403);
  });

  it('takes a teacher’s unblock request from the Requests page through the e-safety team’s recommendation to the headteacher’s approval for a class (8.4, 8.5)', async () => {
    assert.equal(await simulatedAction(head, PUPIL_6S), 'block');

    // The teacher asks.
    await openPage(teacher, school.dashboardUrl, 'requests', 'Requests and reports');
    const ask = teacher.getByRole('region', { name: 'Ask for a site to be unblocked' });
    await ask.getByLabel('Address').fill(`https://${SITE}/`);
    await ask.getByLabel('Why is it needed?').fill(LESSON_REASON);
    await ask.getByRole('button', { name: 'Send the request' }).click();
    await teacher.getByText(`Your request for ${SITE} was sent to the e-safety team.`).waitFor();
    const mine = teacher.getByRole('region', { name: 'Unblock requests table' }).locator('tbody tr', { hasText: SITE });
    assert.match(await mine.innerText(), new RegExp(`${LESSON_REASON}[\\s\\S]*Waiting`));
    const href = await mine.getByRole('link', { name: /^Open/ }).getAttribute('href');
    requestId = new URL(`http://x/${href?.replace(/^#\//, '') ?? ''}`).searchParams.get('id') ?? '';
    assert.ok(requestId, `no request id in the link ${href}`);
    await axe(teacher, 'requests (teacher, with a request)');

    // The e-safety team is told in its inbox, opens the request from there and recommends.
    await openPage(esafety, school.dashboardUrl, 'inbox', 'Inbox');
    const note = esafety.getByRole('region', { name: 'Notifications table' }).locator('tbody tr', { hasText: `Unblock request for ${SITE}` });
    await note.waitFor();
    await axe(esafety, 'inbox (e-safety team, a notification unread)');
    await note.getByRole('link', { name: /^Open/ }).click();
    await esafety.getByRole('heading', { level: 2, name: `Request to unblock ${SITE}` }).waitFor();
    const recommend = esafety.getByRole('region', { name: 'Recommend a decision (8.4)' });
    await recommend.waitFor();
    await axe(esafety, 'request detail (e-safety team, recommend form)');
    await recommend.getByLabel('Approve').check();
    await recommend.getByLabel('Note for the decider').fill('A curriculum use; open it to Class 6S only, for the lesson series');
    await recommend.getByRole('button', { name: 'Send the recommendation' }).click();
    await esafety.getByText('Your recommendation was sent to the headteacher.').waitFor();
    // Recorded on the request; a later recommendation could still replace it before the decision.
    await esafety.locator('dl.facts', { hasText: 'Recommendation' }).waitFor();
    assert.match(await esafety.locator('dl.facts').innerText(), /State\s+Recommended[\s\S]*Recommendation\s+Approve, by jonah\.birchwood/);
    // The team reviews; it does not decide.
    assert.equal(await esafety.getByRole('region', { name: 'Decide (8.5)' }).count(), 0);

    // The headteacher finds it among the waiting requests, with the recommendation, and approves it for Class 6S.
    await openPage(head, school.dashboardUrl, 'requests', 'Requests and reports');
    const waiting = head.getByRole('region', { name: 'Unblock requests table' }).locator('tbody tr', { hasText: SITE });
    assert.match(await waiting.innerText(), /frederick\.saltmarsh[\s\S]*Recommended, waiting for a decision/);
    await waiting.getByRole('link', { name: /^Open/ }).click();
    const decide = head.getByRole('region', { name: 'Decide (8.5)' });
    await decide.waitFor();
    assert.match(await head.locator('dl.facts').innerText(), /Recommendation\s+Approve, by jonah\.birchwood/);
    await decide.getByLabel('A class or group').check();
    await decide.getByLabel('Class or group', { exact: true }).selectOption({ label: 'Class 6S' });
    await decide.getByLabel('For how many days').fill('30');
    await axe(head, 'request detail (headteacher, decide forms)');
    await decide.getByRole('button', { name: 'Approve', exact: true }).click();
    await head.getByText(`Approved: ${SITE} is open now for Class 6S, for 30 days.`).waitFor();
    const facts = await head.locator('dl.facts').innerText();
    assert.match(facts, /State\s+Approved/);
    assert.match(facts, /Open to\s+Class 6S/);

    // The grant is an override in force for the class, and the engine answers with it at once.
    await openPage(head, school.dashboardUrl, 'overrides', 'Overrides');
    const grantRow = head.getByRole('region', { name: 'Overrides table' }).locator('tbody tr', { hasText: SITE });
    assert.match(await grantRow.innerText(), new RegExp(`Class 6S[\\s\\S]*approved unblock request ${requestId}[\\s\\S]*marjorie\\.wychwood[\\s\\S]*In force`));
    const overrides = (await (await head.request.get(`${school.baseUrl}/api/overrides`)).json()) as {
      items: Array<{ kind: string; scope: { groups?: string[] }; what: { sites?: string[] }; state: string; reason: string }>;
    };
    const grant = overrides.items.find((o) => o.what.sites?.includes(SITE));
    assert.ok(grant, JSON.stringify(overrides.items));
    assert.equal(grant.kind, 'unblock');
    assert.deepEqual(grant.scope.groups, ['class-6s']);
    assert.equal(grant.state, 'active');
    assert.equal(await simulatedAction(head, PUPIL_6S), 'allow');
    assert.equal(await simulatedAction(head, PUPIL_5M), 'block', 'another class is not covered');
  });

  it('shows an unread count on the Inbox link once a notification arrives, and drops it when the notification is read', async () => {
    // The teacher signed in on a second browser whose timers the test controls (a clock is the
    // whole context's), so the minute between reads of the count passes at once.
    const tab = await newPage();
    await tab.clock.install();
    await signIn(tab, school.dashboardUrl, TEACHER.username);
    await tab.getByRole('navigation', { name: 'Main' }).waitFor();
    await tab.clock.pauseAt(Date.now() + 1_000);
    const unread = async () => ((await (await tab.request.get(`${school.baseUrl}/api/inbox/unread`)).json()) as { unread: number }).unread;
    const inboxLink = tab.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Inbox/ });
    /** what the link reads, the badge and its words for screen readers included */
    const label = (count: number) => (count === 0 ? 'Inbox' : `Inbox ${count}, ${count} unread`);
    const linkShows = (text: string) =>
      tab.waitForFunction((want) => document.querySelector('nav[aria-label="Main"] a[href="#/inbox"]')?.textContent?.replace(/\s+/g, ' ').trim() === want, text);
    const before = await unread();
    await linkShows(label(before));

    // A notification arrives: the headteacher declines the teacher's second request.
    await openPage(teacher, school.dashboardUrl, 'requests', 'Requests and reports');
    const ask = teacher.getByRole('region', { name: 'Ask for a site to be unblocked' });
    await ask.getByLabel('Address').fill('http://blocked.example/quiz');
    await ask.getByLabel('Why is it needed?').fill('a quiz for the Year 6 assembly');
    await ask.getByRole('button', { name: 'Send the request' }).click();
    await teacher.getByText('Your request for blocked.example was sent to the e-safety team.').waitFor();
    await openPage(head, school.dashboardUrl, 'requests', 'Requests and reports');
    await head.getByRole('region', { name: 'Unblock requests table' }).locator('tbody tr', { hasText: 'blocked.example' }).getByRole('link', { name: /^Open/ }).click();
    const decide = head.getByRole('region', { name: 'Decide (8.5)' });
    await decide.getByLabel('Reason, for the requester').fill('the quiz site collects pupils’ names; use the school quiz tool instead');
    await decide.getByRole('button', { name: 'Decline' }).click();
    await head.getByText('Declined. The requester is told your reason.').waitFor();
    assert.equal(await unread(), before + 1);

    // The link still shows the old count until its next read, a minute on.
    assert.equal((await inboxLink.textContent())?.replace(/\s+/g, ' ').trim(), label(before));
    await tab.clock.fastForward(61_000);
    await linkShows(label(before + 1));
    assert.equal(await tab.locator('nav a[href="#/inbox"] .badge').innerText(), String(before + 1));
    // axe runs on timers of its own
    await tab.clock.resume();
    await axe(tab, 'navigation with an unread count');

    // Reading it in the inbox brings the count down at once.
    await inboxLink.click();
    await tab.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    const declined = tab.getByRole('region', { name: 'Notifications table' }).locator('tbody tr', { hasText: 'blocked.example' });
    assert.match(await declined.innerText(), /Unread/);
    await declined.getByRole('button', { name: /^Read/ }).click();
    await declined.getByText(/the quiz site collects pupils’ names/).waitFor();
    await linkShows(label(before));
    assert.equal(await unread(), before);
    await tab.context().close();
  });

  it('records a member of staff’s acceptance of the policy from the Acknowledge page, and the Compliance page shows it done (6.6–6.10)', async () => {
    // Before: the teacher is among those who have not accepted.
    await openPage(head, school.dashboardUrl, 'compliance?tab=acknowledgement', 'Compliance records');
    const outstanding = head.getByRole('region', { name: 'Not yet accepted table' });
    await outstanding.locator('tbody tr', { hasText: TEACHER.displayName }).waitFor();

    await openPage(teacher, school.dashboardUrl, 'compliance', 'Compliance records');
    await settled(teacher);
    const mine = teacher.getByRole('region', { name: 'Your records' });
    assert.doesNotMatch(await mine.innerText(), /Policy acceptance \(version [^)]+\): Done/);

    await openPage(teacher, school.dashboardUrl, 'acknowledge', 'Policy acknowledgement');
    await teacher.getByRole('heading', { level: 2, name: 'What the policy asks of you' }).waitFor();
    const clauses = await teacher.locator('ol.clauses').innerText();
    for (const clause of ['6.6', '6.7', '6.8', '6.9', '6.10', '6.16']) assert.match(clauses, new RegExp(`(^|\\n)${clause.replace('.', '\\.')}\\s`), clauses);
    await axe(teacher, 'acknowledge (teacher, not yet accepted)');
    const form = teacher.getByRole('form', { name: 'Accept the policy' });
    await form.getByLabel(/I have read and accept version 2020-autumn/).check();
    await form.getByRole('button', { name: 'Accept' }).click();
    await teacher.getByText(/You accepted version 2020-autumn on /).waitFor();
    assert.equal(await form.count(), 0);

    await openPage(teacher, school.dashboardUrl, 'compliance', 'Compliance records');
    await settled(teacher);
    assert.match(await mine.innerText(), /Policy acceptance \(version 2020-autumn\): Done/);
    assert.match(await teacher.getByRole('region', { name: 'Acceptances table' }).innerText(), /2020-autumn[\s\S]*6\.6, 6\.7, 6\.8, 6\.9, 6\.10, 6\.16/);
    await axe(teacher, 'compliance (teacher, accepted)');

    // The headteacher's list no longer names the teacher (a reload: the address is the one already open).
    await head.reload();
    await head.getByRole('heading', { level: 1, name: 'Compliance records' }).waitFor();
    await settled(head);
    const list = await head.getByRole('region', { name: 'Policy acceptance' }).innerText();
    assert.match(list, /\d+ of \d+ accepted/);
    assert.doesNotMatch(list, new RegExp(TEACHER.displayName));
  });

  it('lets a teacher report an incident, which the safeguarding lead, first in the chain, finds in the Incidents list (9.2)', async () => {
    await openPage(teacher, school.dashboardUrl, 'incidents', 'Incidents');
    await teacher.getByRole('link', { name: 'Report an incident' }).click();
    const form = teacher.getByRole('region', { name: 'Report an incident' });
    await form.waitFor();
    await form.getByLabel('What kind of incident').selectOption({ label: 'Cyber-bullying' });
    await form.getByLabel('Where it happened').selectOption({ label: 'Instagram' });
    await form.getByLabel('When it happened').fill('2026-11-24T08:40');
    await form.getByLabel('What happened').fill('A pupil in Class 6S showed me unkind comments posted about a classmate on a photo last night.');
    await form.getByRole('button', { name: 'Add a person' }).click();
    await form.getByRole('group', { name: 'Person 1' }).getByLabel('Name', { exact: true }).fill('Clara Nettlebed');
    await axe(teacher, 'incidents (teacher, report form)');
    await form.getByRole('button', { name: 'Report the incident' }).click();
    await teacher.getByText('The incident was reported and passed to the first person in the reporting chain.').waitFor();
    await teacher.getByRole('heading', { level: 2, name: /Cyber-bullying/ }).waitFor();
    assert.match(await teacher.locator('main').innerText(), /What you reported\s+A pupil in Class 6S showed me unkind comments/);

    await openPage(lead, school.dashboardUrl, 'incidents', 'Incidents');
    const row = lead.getByRole('region', { name: 'Incident cases table' }).locator('tbody tr', { hasText: 'Instagram' });
    await row.waitFor();
    assert.match(await row.innerText(), /Cyber-bullying\s+Instagram[\s\S]*Open\s+Designated safeguarding lead/);
    await axe(lead, 'incidents (safeguarding lead, list)');
    await row.getByRole('link', { name: /^Open/ }).click();
    await lead.getByRole('heading', { level: 2, name: /Cyber-bullying/ }).waitFor();
    assert.match(await lead.locator('main').innerText(), /unkind comments posted about a classmate/);
    await axe(lead, 'incident case (safeguarding lead)');
  });

  it('opens every workflow page for a role that may see it, with its heading, and axe finds no serious or critical problem', async () => {
    const governor = await signedIn(GOVERNOR);
    const headOfSchool = await signedIn(HEAD_OF_SCHOOL);
    const pages: Array<[who: string, page: Page, route: string, heading: string]> = [
      ['teacher', teacher, 'inbox', 'Inbox'],
      ['safeguarding lead', lead, 'alerts', 'Safeguarding alerts'],
      ['head of school', headOfSchool, 'alerts', 'Safeguarding alerts'],
      ['teacher', teacher, 'requests', 'Requests and reports'],
      ['e-safety team', esafety, 'requests?view=register', 'Requests and reports'],
      ['teacher', teacher, 'requests?view=reports', 'Requests and reports'],
      ['teacher', teacher, 'incidents', 'Incidents'],
      ['safeguarding lead', lead, 'incidents', 'Incidents'],
      ['teacher', teacher, 'sanctions', 'Sanctions'],
      ['headteacher', head, 'sanctions', 'Sanctions'],
      ['teacher', teacher, 'compliance', 'Compliance records'],
      ['headteacher', head, 'compliance?tab=training', 'Compliance records'],
      ['headteacher', head, 'compliance?tab=review', 'Compliance records'],
      ['headteacher', head, 'compliance?tab=checks', 'Compliance records'],
      ['governor', governor, 'acknowledge', 'Policy acknowledgement'],
      ['governor', governor, 'governors', "Governors' report"],
      ['head of school', headOfSchool, 'governors', "Governors' report"],
    ];
    for (const [who, page, route, heading] of pages) {
      await openPage(page, school.dashboardUrl, route, heading);
      await axe(page, `${route} (${who})`);
    }
    // An alert and its details, as the safeguarding lead, whom the policy tells.
    await openPage(lead, school.dashboardUrl, 'alerts', 'Safeguarding alerts');
    const alert = lead.getByRole('region', { name: 'Alerts table' }).locator('tbody tr', { hasText: 'legal.hedgerow-check.invalid' });
    assert.match(await alert.innerText(), /mabel\.foxglove|Mabel Foxglove/);
    await alert.getByRole('link', { name: /^Open/ }).click();
    await lead.getByRole('heading', { level: 2, name: /^Alert: / }).waitFor();
    await axe(lead, 'alert details (safeguarding lead)');
    assert.deepEqual(axeProblems, []);
  });

  it('ran without a script error', () => {
    assert.deepEqual(pageProblems, []);
  });
});
