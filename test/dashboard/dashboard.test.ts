// The dashboard in a real browser (Debian's Chromium) against a running Hedgerow: the people who
// run the policy sign in, find what the filter did, grant a class an override and see the engine's
// answer change, and are refused what their role does not allow.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  addAccount,
  chromiumPath,
  createFirstAdministrator,
  dashboardContext,
  GOVERNOR,
  HEADTEACHER,
  launchChromium,
  openPage,
  PASSWORD,
  PUPIL_5M,
  PUPIL_6S,
  signIn,
  startDemoSchool,
  TEACHER,
  type DemoSchool,
} from './harness.ts';

/** The navigation's labels, with the inbox's unread count (which reminders may raise at any moment) left out. */
function navLabels(texts: string[]): string[] {
  return texts.map((text) => (text.startsWith('Inbox') ? 'Inbox' : text));
}

/** a lesson later the same morning (school time), inside the hour the override is granted for */
const LESSON = '2026-11-24T10:50';
const skip = !existsSync(chromiumPath) && !process.env.CI ? 'Debian chromium is not installed (scripts/install-system-packages.sh)' : false;

describe('the dashboard', { skip }, () => {
  let school: DemoSchool;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  /** script errors and CSP refusals seen on any page */
  const pageProblems: string[] = [];
  let head: Page;
  let teacher: Page;

  async function newPage(): Promise<Page> {
    const context = await dashboardContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) pageProblems.push(`CSP: ${message.text()}`);
    });
    return page;
  }

  /** Asks the simulator on the policy page about a person (or a class, by its title); returns the text of the answer. */
  async function simulate(page: Page, who: string | { group: string }, when: string, url: string): Promise<string> {
    await openPage(page, school.dashboardUrl, 'policy', 'Policy');
    const form = page.getByRole('region', { name: 'Try the policy' });
    if (typeof who === 'string') {
      await form.getByLabel('A person').check();
      await form.getByLabel('Person (username)').fill(who);
    } else {
      await form.getByLabel('A class or year group').check();
      await form.getByLabel('Class or year group', { exact: true }).selectOption({ label: who.group });
    }
    await form.getByLabel('Date and time').fill(when);
    await form.getByLabel('Web address').fill(url);
    await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/policy/simulate')), form.getByRole('button', { name: 'Show the decision' }).click()]);
    // The answer, or the refusal when there is one (so a failure says what the API said).
    const answer = form.locator('.decision, [role="alert"]').first();
    await answer.waitFor();
    return answer.innerText();
  }

  /** Searches the activity log for a person; resolves once the page shows the answer. */
  async function searchActivity(page: Page, person: string, action?: 'Blocked'): Promise<void> {
    await openPage(page, school.dashboardUrl, 'activity', 'Activity');
    await page.getByLabel('Person (username)').fill(person);
    if (action) await page.getByLabel('Decision', { exact: true }).selectOption({ label: action });
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/activity?') && r.url().includes(`person=${encodeURIComponent(person)}`)),
      page.getByRole('button', { name: 'Search', exact: true }).click(),
    ]);
    await page.waitForFunction(() => document.querySelector('[aria-busy="true"]') === null);
  }

  before(async () => {
    [school, browser] = await Promise.all([startDemoSchool(), launchChromium()]);
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await school?.close();
  });

  it('creates the first administrator from the one-time link Hedgerow prints at first start, signed in at once', async () => {
    assert.ok(school.setupLink, `Hedgerow printed no setup link at its first start:\n${school.lines.join('\n')}`);
    head = await newPage();
    await createFirstAdministrator(head, school.setupLink);
    const header = await head.locator('header').innerText();
    assert.match(header, /Marjorie Wychwood/);
    assert.match(header, /Headteacher/);
    const nav = navLabels(await head.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts());
    assert.deepEqual(nav, [
      'Overview', 'Inbox', 'Alerts', 'Activity', 'Requests', 'Incidents', 'Sanctions', 'Policy', 'Overrides', 'People',
      'Compliance', 'Acknowledge', 'Reports', 'Governors', 'Settings', 'Audit log',
    ]);
    await addAccount(head, school.baseUrl, TEACHER);
    await addAccount(head, school.baseUrl, GOVERNOR);
  });

  it('refuses a wrong password with a message, then signs in with the right one', async () => {
    teacher = await newPage();
    await signIn(teacher, school.dashboardUrl, TEACHER.username, 'not the password');
    assert.match(await teacher.getByRole('alert').innerText(), /username or password is not right/);
    await teacher.getByLabel('Password').fill(PASSWORD);
    await teacher.getByRole('button', { name: 'Sign in' }).click();
    await teacher.getByRole('navigation', { name: 'Main' }).waitFor();
    assert.match(await teacher.locator('header').innerText(), /Frederick Saltmarsh\s+Teacher/);
  });

  it("finds a pupil's blocked attempt in the activity log with its rule and clause (8.1)", async () => {
    assert.equal(await school.browseAs(PUPIL_6S, 'http://www.facebook.com/'), 403);
    assert.equal(await school.browseAs(PUPIL_5M, 'http://www.facebook.com/groups'), 403);
    await school.running.log.flush();
    await searchActivity(head, PUPIL_6S, 'Blocked');
    const rows = head.getByRole('region', { name: 'Decisions table' }).locator('tbody tr');
    await rows.first().waitFor();
    const texts = await rows.allInnerTexts();
    assert.equal(texts.length, 1, texts.join('\n---\n'));
    assert.match(texts[0]!, /mabel\.foxglove/);
    assert.match(texts[0]!, /www\.facebook\.com/);
    assert.match(texts[0]!, /Blocked/);
    assert.match(texts[0]!, /pupil-social-media/);
    assert.match(texts[0]!, /8\.1/);
    assert.doesNotMatch(texts[0]!, /nancy/);

    await openPage(head, school.dashboardUrl, 'overview', 'Overview');
    const blocked = Number((await head.locator('.total-blocked dd').innerText()).replace(/\D/g, ''));
    assert.ok(blocked >= 2, `the overview counts ${blocked} blocks`);
    assert.match(await head.getByRole('region', { name: 'Blocks by category' }).innerText(), /Social networking\s+\d/);
  });

  it("lets a teacher grant their own class a site, and the engine's answer for their pupil changes at once (7.1)", async () => {
    assert.match(await simulate(teacher, PUPIL_6S, LESSON, 'www.facebook.com'), /Blocked/);

    await openPage(teacher, school.dashboardUrl, 'overrides', 'Overrides');
    const form = teacher.getByRole('region', { name: 'Grant an override' });
    // Only the teacher's own class is offered.
    assert.deepEqual(await form.getByLabel('Class or group', { exact: true }).locator('option').allInnerTexts(), ['Class 6S']);
    await form.getByLabel('Site', { exact: true }).fill('facebook.com');
    await form.getByLabel('Minutes', { exact: true }).fill('60');
    await form.getByLabel('Reason', { exact: true }).fill('Year 6 lesson on spotting fake profiles');
    await form.getByRole('button', { name: 'Grant the override' }).click();
    await teacher.getByText('facebook.com is now open to Class 6S for 60 minutes').waitFor();
    const row = teacher.getByRole('region', { name: 'Overrides table' }).locator('tbody tr', { hasText: 'facebook.com' });
    assert.match(await row.innerText(), /Class 6S[\s\S]*Year 6 lesson on spotting fake profiles[\s\S]*frederick\.saltmarsh[\s\S]*In force/);

    const now = await simulate(teacher, PUPIL_6S, LESSON, 'www.facebook.com');
    assert.match(now, /Allowed/);
    assert.match(now, /Year 6 lesson on spotting fake profiles/);
    // Another class is not covered.
    assert.match(await simulate(teacher, { group: 'Class 5M' }, LESSON, 'www.facebook.com'), /Blocked/);
  });

  it('lets the headteacher revoke the override with a reason, and the class is blocked again at once', async () => {
    await openPage(head, school.dashboardUrl, 'overrides', 'Overrides');
    const row = head.getByRole('region', { name: 'Overrides table' }).locator('tbody tr', { hasText: 'facebook.com' });
    await row.getByRole('button', { name: /^Revoke/ }).click();
    await row.getByLabel('Reason for revoking').fill('the lesson was moved to Thursday');
    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    await head.getByText('The override of facebook.com for Class 6S was revoked.').waitFor();
    // The list reloads after the message: wait for the table to go (it stays if the override does).
    await head.getByRole('region', { name: 'Overrides table' }).waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await head.getByRole('region', { name: 'Overrides table' }).count(), 0, 'no override is in force');
    await head.getByLabel('All, with past ones').check();
    assert.match(await head.getByRole('region', { name: 'Overrides table' }).locator('tbody tr', { hasText: 'facebook.com' }).innerText(), /Revoked/);
    assert.match(await simulate(head, PUPIL_6S, LESSON, 'www.facebook.com'), /Blocked/);
  });

  it('refuses a teacher the browsing of a member of staff and of a pupil outside their classes', async () => {
    await searchActivity(teacher, 'gwendolyn.ash');
    const refusal = await teacher.getByRole('alert').innerText();
    assert.match(refusal, /You do not have permission/);
    assert.match(refusal, /HR_API_FORBIDDEN/);
    assert.equal(await teacher.getByRole('region', { name: 'Decisions table' }).count(), 0);

    await searchActivity(teacher, PUPIL_5M);
    assert.match(await teacher.getByRole('alert').innerText(), /not in one of your classes/);

    const nav = navLabels(await teacher.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts());
    assert.deepEqual(nav, ['Overview', 'Inbox', 'Activity', 'Requests', 'Incidents', 'Sanctions', 'Policy', 'Overrides', 'Compliance', 'Acknowledge']);
    await openPage(teacher, school.dashboardUrl, 'audit', 'Not available to you');
  });

  it("asks the headteacher for a lawful purpose before showing a member of staff's browsing, and the audit log records it", async () => {
    await searchActivity(head, 'gwendolyn.ash');
    await head.getByRole('heading', { name: /Why are you reading this member of staff's browsing/ }).waitFor();
    await head.getByLabel('Detecting unauthorised use of the internet').check();
    await head.getByRole('button', { name: 'Continue with this purpose' }).click();
    await head.getByText('No decisions match this search.').waitFor();

    await openPage(head, school.dashboardUrl, 'audit', 'Audit log');
    const entry = head.getByRole('region', { name: 'Audit log entries table' }).locator('tbody tr', { hasText: 'activity.read.staff' });
    assert.match(await entry.innerText(), /marjorie\.wychwood[\s\S]*person:gwendolyn\.ash[\s\S]*Detecting unauthorised use of the internet/);
    await head.getByRole('button', { name: 'Check the chain' }).click();
    await head.getByText(/The chain is intact/).waitFor();
  });

  it('shows a governor counts by group and category, never a name, and nothing else', async () => {
    const governor = await newPage();
    await signIn(governor, school.dashboardUrl, GOVERNOR.username);
    await governor.getByRole('navigation', { name: 'Main' }).waitFor();
    assert.deepEqual(navLabels(await governor.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()), ['Inbox', 'Policy', 'Compliance', 'Acknowledge', 'Reports', 'Governors']);
    await openPage(governor, school.dashboardUrl, 'reports', 'Reports');
    const table = governor.getByRole('region', { name: 'Decisions by group, category and decision table' });
    await table.waitFor();
    // Columns: group, category, allowed, warned, blocked; one blocked attempt from each class.
    const figures = await table.innerText();
    assert.match(figures, /Class 6S\s+Social networking\s+0\s+0\s+1(\n|$)/);
    assert.match(figures, /Class 5M\s+Social networking\s+0\s+0\s+1(\n|$)/);
    assert.match(await governor.getByRole('list', { name: /Blocked attempts at .* sites, by group/ }).innerText(), /Class 6S\s+1/);
    const everything = await governor.locator('body').innerText();
    for (const name of ['mabel', 'Mabel', 'Foxglove', 'nancy', 'Tumbledown']) assert.ok(!everything.includes(name), `the report shows \`${name}\``);

    await openPage(governor, school.dashboardUrl, 'activity', 'Not available to you');
    assert.equal((await governor.request.get(`${school.baseUrl}/api/activity`)).status(), 403);
  });

  it("puts a site added to a school rule in force at once, and shows the linter's lines when it refuses an edit", async () => {
    await openPage(head, school.dashboardUrl, 'policy', 'Policy');
    const rule = (id: string) => head.locator('li.rule', { has: head.getByRole('heading', { name: id, exact: true }) });
    const staffRule = rule('staff-youtube-pinterest-work-time');
    await staffRule.getByRole('button', { name: 'Edit sites of staff-youtube-pinterest-work-time' }).click();
    await staffRule.getByLabel('Sites to add').fill('blocked.example');
    await staffRule.getByLabel('Reason for the change').fill('a video site staff use for lessons (8.1)');
    await staffRule.getByRole('button', { name: 'Save the change' }).click();
    await head.getByText(/The sites of rule staff-youtube-pinterest-work-time were changed and the filters now use policy revision/).waitFor();
    assert.match(await simulate(head, TEACHER.username, LESSON, 'http://blocked.example/'), /Warned[\s\S]*staff-youtube-pinterest-work-time/);

    // Removing the only site would leave a rule that matches nothing: the linter refuses it.
    await openPage(head, school.dashboardUrl, 'policy', 'Policy');
    const pupilRule = rule('pupil-wikispaces');
    await pupilRule.getByRole('button', { name: 'Edit sites of pupil-wikispaces' }).click();
    await pupilRule.getByLabel('wikispaces.com').check();
    await pupilRule.getByLabel('Reason for the change').fill('no longer used');
    await pupilRule.getByRole('button', { name: 'Save the change' }).click();
    const refusal = await pupilRule.getByRole('alert').innerText();
    assert.match(refusal, /The policy check refused this change/);
    assert.match(refusal, /HR_POLICY_EDIT_LINT/);
    assert.match(refusal, /school\.yaml:\d+:\d+: rules\[\d+\]\.what: rule matches nothing/);
    const policy = (await (await head.request.get(`${school.baseUrl}/api/policy`)).json()) as { rules: Array<{ id: string; what: { sites?: string[] } }> };
    assert.deepEqual(policy.rules.find((r) => r.id === 'pupil-wikispaces')?.what.sites, ['wikispaces.com']);
    // Category rules have no site editor: sites would narrow them to those sites.
    assert.equal(await rule('pupil-social-media').getByRole('button', { name: /Edit sites/ }).count(), 0);
  });

  it('imports a roster file, finds the new pupil, and registers and removes their device', async () => {
    await openPage(head, school.dashboardUrl, 'people', 'People and devices');
    await head.getByLabel('Roster file (CSV)').setInputFiles({
      name: 'new-starters.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('name,username,role,year group,date of birth,groups\nWren Blackthorn,wren.blackthorn,pupil,Year 3,2019-03-14,class-3t\n'),
    });
    await head.getByRole('button', { name: 'Import', exact: true }).click();
    await head.getByText('1 new person, 0 updated.').waitFor();
    await head.getByLabel('Name or username').fill('Blackthorn');
    await head.getByRole('button', { name: 'Find' }).click();
    const person = head.getByRole('region', { name: 'People table' }).locator('tbody tr');
    await head.waitForFunction(() => document.querySelectorAll('[aria-label="People table"] tbody tr').length === 1);
    assert.match(await person.innerText(), /Wren Blackthorn\s+wren\.blackthorn\s+Pupil\s+Year 3, Class 3T\s+Roster/);

    const register = head.getByRole('form', { name: 'Register a device' });
    await register.getByLabel('Device name or MAC address').fill('AA-BB-CC-00-11-22');
    await register.getByLabel('Person (username)').fill('wren.blackthorn');
    await register.getByRole('button', { name: 'Register the device' }).click();
    const devices = head.getByRole('region', { name: 'Devices table' });
    await devices.waitFor();
    const device = await devices.locator('tbody tr').innerText();
    assert.match(device, /wren\.blackthorn/);
    await devices.getByRole('button', { name: /^Remove/ }).click();
    await head.getByText('No devices are registered.').waitFor();
  });

  it('changes who is told about alerts', async () => {
    await openPage(head, school.dashboardUrl, 'settings', 'Settings');
    await head.getByRole('button', { name: 'Change the recipients' }).click();
    await head.getByRole('button', { name: 'Add a recipient' }).click();
    const recipient = head.getByRole('group', { name: 'Recipient 1' });
    await recipient.getByLabel('Email address').fill('dsl@school.example');
    await recipient.getByLabel('Name (optional)').fill('Designated safeguarding lead');
    await recipient.getByLabel('Requests to unblock a site').uncheck();
    await head.getByRole('button', { name: 'Save', exact: true }).click();
    await head.getByText('The alert recipients were saved.').waitFor();
    const listed = await head.getByRole('region', { name: 'Alert recipients table' }).innerText();
    assert.match(listed, /Designated safeguarding lead\s+dsl@school\.example/);
    assert.match(listed, /Attempts to get round the filter/);
    assert.doesNotMatch(listed, /Requests to unblock a site/);
  });

  it("pages through a pupil's decisions by cursor, and exports the same search as CSV", async () => {
    // 55 more attempts: 56 in all, so two pages of 50.
    for (let i = 0; i < 55; i++) assert.equal(await school.browseAs(PUPIL_6S, `http://www.facebook.com/page/${i}`), 403);
    await school.running.log.flush();
    await searchActivity(head, PUPIL_6S);
    const rows = head.getByRole('region', { name: 'Decisions table' }).locator('tbody tr');
    assert.equal(await rows.count(), 50);
    const firstOfPageOne = await rows.first().innerText();
    await Promise.all([head.waitForResponse((r) => r.url().includes('cursor=')), head.getByRole('button', { name: 'Next page' }).click()]);
    await head.getByRole('heading', { name: /page 2, 6 shown/ }).waitFor();
    assert.equal(await rows.count(), 6);
    assert.equal(await head.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    await head.getByRole('button', { name: 'Previous page' }).click();
    await head.getByRole('heading', { name: /page 1, 50 shown/ }).waitFor();
    assert.equal(await rows.first().innerText(), firstOfPageOne);

    const href = await head.getByRole('link', { name: 'Export as CSV' }).getAttribute('href');
    assert.ok(href?.startsWith('/api/activity.csv?') && href.includes(`person=${PUPIL_6S}`), String(href));
    const csv = await head.request.get(`${school.baseUrl}${href}`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'] ?? '', /text\/csv/);
    const lines = (await csv.text()).trim().split(/\r?\n/);
    assert.equal(lines.length, 1 + 56, lines.slice(0, 3).join('\n'));
    assert.ok(lines.slice(1).every((line) => line.includes(PUPIL_6S) && line.includes('www.facebook.com')));
  });

  it('signs out, and signing out everywhere ends the sessions in other browsers too', async () => {
    const second = await newPage();
    await signIn(second, school.dashboardUrl, TEACHER.username);
    await second.getByRole('navigation', { name: 'Main' }).waitFor();
    await teacher.getByRole('button', { name: 'Sign out everywhere' }).click();
    await teacher.getByText('You have signed out on every device.').waitFor();
    await second.reload();
    await second.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal((await second.request.get(`${school.baseUrl}/api/session`)).status(), 401);

    await head.getByRole('button', { name: 'Sign out', exact: true }).click();
    await head.getByText('You have signed out.').waitFor();
    assert.equal((await head.request.get(`${school.baseUrl}/api/session`)).status(), 401);
  });

  it('returns to sign-in with a note when a session ends after a time with nothing done (6.16)', async () => {
    const governor = await newPage();
    await signIn(governor, school.dashboardUrl, GOVERNOR.username);
    await openPage(governor, school.dashboardUrl, 'reports', 'Reports');
    // The reference configuration signs a dashboard session out after 15 minutes idle.
    school.advance(16 * 60_000);
    await governor.getByRole('link', { name: 'Policy' }).click();
    await governor.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.match(await governor.getByRole('status').first().innerText(), /Your session has ended/);
  });

  it('ran without a script error or a refusal by the content security policy', () => {
    assert.deepEqual(pageProblems, []);
  });
});
