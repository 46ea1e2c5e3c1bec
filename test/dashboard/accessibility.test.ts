// The dashboard for everyone: axe-core finds no serious or critical problem on any main page (as
// the headteacher, the teacher and the governor see them), at 1280×800 and on a tablet
// (768×1024), and the whole of it works from the keyboard.
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
  launchChromium,
  openPage,
  PASSWORD,
  PUPIL_5M,
  PUPIL_6S,
  seriousAxeViolations,
  signIn,
  startDemoSchool,
  TEACHER,
  type AxeFinding,
  type DemoSchool,
} from './harness.ts';

const skip = !existsSync(chromiumPath) && !process.env.CI ? 'Debian chromium is not installed (scripts/install-system-packages.sh)' : false;

/** The headteacher's pages, with the heading each opens with. */
const MAIN_PAGES: Array<[route: string, heading: string]> = [
  ['overview', 'Overview'],
  ['activity', 'Activity'],
  ['policy', 'Policy'],
  ['overrides', 'Overrides'],
  ['people', 'People and devices'],
  ['reports', 'Reports'],
  ['settings', 'Settings'],
  ['audit', 'Audit log'],
];

function describeFindings(where: string, findings: AxeFinding[]): string {
  return findings.map((f) => `${where}: ${f.impact} ${f.id} (${f.help}) at ${f.targets.join(' | ')}`).join('\n');
}

describe('the dashboard for everyone', { skip }, () => {
  let school: DemoSchool;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(viewport?: { width: number; height: number }): Promise<Page> {
    const context = await dashboardContext(browser, { bypassCSP: true, ...(viewport ? { viewport } : {}) });
    contexts.push(context);
    return context.newPage();
  }

  async function signedIn(username: string, viewport?: { width: number; height: number }): Promise<Page> {
    const page = await newPage(viewport);
    await signIn(page, school.dashboardUrl, username);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  }

  /** Waits until nothing on the page is still loading. */
  async function settled(page: Page): Promise<void> {
    await page.waitForFunction(() => document.querySelector('.loading, [aria-busy="true"]') === null);
  }

  let head: Page;

  before(async () => {
    [school, browser] = await Promise.all([startDemoSchool(), launchChromium()]);
    assert.ok(school.setupLink, `Hedgerow printed no setup link at its first start:\n${school.lines.join('\n')}`);
    // Decisions to show: blocked attempts by two pupils.
    for (const pupil of [PUPIL_6S, PUPIL_5M]) assert.equal(await school.browseAs(pupil, 'http://www.facebook.com/'), 403);
    await school.running.log.flush();
    head = await newPage();
    await createFirstAdministrator(head, school.setupLink);
    await addAccount(head, school.baseUrl, TEACHER);
    await addAccount(head, school.baseUrl, GOVERNOR);
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await school?.close();
  });

  it('has no serious or critical axe findings on the sign-in and setup pages', async () => {
    const page = await newPage();
    await page.goto(school.dashboardUrl);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    const findings = await seriousAxeViolations(page);
    // A refused sign-in shows an error beside the form.
    await signIn(page, school.dashboardUrl, TEACHER.username, 'wrong password');
    await page.getByRole('alert').waitFor();
    findings.push(...(await seriousAxeViolations(page)));
    await page.goto(`${school.dashboardUrl}#/setup`);
    await page.getByRole('heading', { level: 1, name: 'Set up Hedgerow' }).waitFor();
    findings.push(...(await seriousAxeViolations(page)));
    assert.deepEqual(findings, [], describeFindings('sign-in', findings));
  });

  it('has no serious or critical axe findings on any main page at 1280×800, with their forms and answers open', async () => {
    const problems: string[] = [];
    for (const [route, heading] of MAIN_PAGES) {
      await openPage(head, school.dashboardUrl, route, heading);
      await settled(head);
      problems.push(describeFindings(route, await seriousAxeViolations(head)));
    }
    // The states a page changes into: a simulator answer, a rule's site editor, the purpose prompt,
    // the chart's table, the recipients' editor.
    await openPage(head, school.dashboardUrl, 'policy', 'Policy');
    await settled(head);
    const simulator = head.getByRole('region', { name: 'Try the policy' });
    await simulator.getByLabel('Web address').fill('www.facebook.com');
    await simulator.getByRole('button', { name: 'Show the decision' }).click();
    await simulator.locator('.decision').waitFor();
    await head.getByRole('button', { name: 'Edit sites of pupil-wikispaces' }).click();
    problems.push(describeFindings('policy with answer and editor', await seriousAxeViolations(head)));
    await openPage(head, school.dashboardUrl, 'activity?person=gwendolyn.ash', 'Activity');
    await head.getByRole('heading', { name: /Why are you reading/ }).waitFor();
    problems.push(describeFindings('activity purpose prompt', await seriousAxeViolations(head)));
    await openPage(head, school.dashboardUrl, 'overview', 'Overview');
    await settled(head);
    await head.getByText('Show the figures as a table').click();
    problems.push(describeFindings('overview with the chart table', await seriousAxeViolations(head)));
    await openPage(head, school.dashboardUrl, 'settings', 'Settings');
    await head.getByRole('button', { name: 'Change the recipients' }).click();
    await head.getByRole('button', { name: 'Add a recipient' }).click();
    problems.push(describeFindings('settings editor', await seriousAxeViolations(head)));

    const teacher = await signedIn(TEACHER.username);
    for (const [route, heading] of [['overview', 'Overview'], ['activity', 'Activity'], ['overrides', 'Overrides']] as const) {
      await openPage(teacher, school.dashboardUrl, route, heading);
      await settled(teacher);
      problems.push(describeFindings(`teacher ${route}`, await seriousAxeViolations(teacher)));
    }
    const governor = await signedIn(GOVERNOR.username);
    await openPage(governor, school.dashboardUrl, 'reports', 'Reports');
    await settled(governor);
    problems.push(describeFindings('governor reports', await seriousAxeViolations(governor)));
    assert.deepEqual(problems.filter(Boolean), []);
  });

  it('works on a tablet (768×1024): no serious findings, and no page wider than the screen', async () => {
    const tablet = await signedIn('marjorie.wychwood', { width: 768, height: 1024 });
    const problems: string[] = [];
    for (const [route, heading] of MAIN_PAGES) {
      await openPage(tablet, school.dashboardUrl, route, heading);
      await settled(tablet);
      problems.push(describeFindings(`tablet ${route}`, await seriousAxeViolations(tablet)));
      // Wide tables scroll inside their own region; the page itself never scrolls sideways.
      const width = await tablet.evaluate(() => document.documentElement.scrollWidth);
      if (width > 768) {
        const wide = await tablet.evaluate(() =>
          [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth && !e.closest('.table-region'))
            .slice(0, 5)
            .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
        );
        problems.push(`tablet ${route}: the page is ${width}px wide (${wide.join(', ')})`);
      }
    }
    assert.deepEqual(problems.filter(Boolean), []);
  });

  it('can be used from the keyboard alone: sign in, skip to the content, move between pages', async () => {
    const page = await newPage();
    await page.goto(school.dashboardUrl);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('autocomplete')), 'username');
    await page.keyboard.type(GOVERNOR.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main' }).waitFor();

    // From the top of a page, the first Tab reaches the skip link, which moves focus past the
    // header and navigation.
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to main content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

    // Tab through the header to the navigation's Reports link, open it with Enter: its heading takes focus.
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    let reached = '';
    for (let i = 0; i < 12 && reached !== 'Reports'; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.textContent ?? '');
    }
    assert.equal(reached, 'Reports');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused link shows where the focus is');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === 'Reports');
    await page.getByRole('region', { name: 'Decisions by group, category and decision table' }).waitFor();
  });
});
