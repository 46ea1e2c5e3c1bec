// Screenshots of the dashboard's main pages for docs/screenshots/: `npm run screenshots`.
// Starts Hedgerow on a temporary data folder with the reference policy and roster (the demo school
// of the dashboard tests), makes the accounts through the setup link and the API, browses as
// pupils through the proxy during a school day, then photographs each page as the person who
// uses it. Allowed visits would leave this machine through the proxy, so they are recorded
// through the decision log's sink with the engine's own decisions, as the proxy records them.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { decisionEvent } from '../src/engine/index.ts';
import {
  addAccount,
  createFirstAdministrator,
  dashboardContext,
  GOVERNOR,
  launchChromium,
  NETWORK_MANAGER,
  openPage,
  signIn,
  startDemoSchool,
  TEACHER,
} from '../test/dashboard/harness.ts';

const out = resolve(fileURLToPath(new URL('..', import.meta.url)), 'docs', 'screenshots');
mkdirSync(out, { recursive: true });

// A Tuesday in term: the clock starts before school and the day is walked through below.
const dayStart = Date.parse('2026-11-24T08:30:00Z');
const pupils = ['mabel.foxglove', 'jude.lanternwick', 'nancy.tumbledown', 'felix.harebell', 'isla.merriweather', 'reuben.thistlecroft', 'orla.peppercorn'];
const school = await startDemoSchool({ start: dayStart, browsers: pupils });
const browser = await launchChromium();
const say = (line: string) => process.stdout.write(`${line}\n`);

try {
  // The day: every few minutes someone browses; pupils now and then try a blocked site.
  const blockedTries = ['http://www.facebook.com/', 'http://www.tiktok.com/foryou', 'http://www.roblox.com/games', 'http://www.instagram.com/', 'http://www.twitch.tv/', 'http://www.snapchat.com/'];
  const allowedHosts = ['www.bbc.co.uk', 'www.google.co.uk', 'www.topmarks.co.uk', 'www.wikipedia.org', 'classroom.google.com', 'www.natgeokids.com', 'www.purplemash.com'];
  let blocked = 0;
  let allowed = 0;
  for (let minute = 20; minute < 400; minute += 4) {
    school.advance(4 * 60_000);
    const hour = 8.5 + minute / 60;
    const pupil = pupils[minute % pupils.length]!;
    const busy = hour < 12 || hour > 13 ? 6 : 2;
    for (let i = 0; i < busy; i++) {
      const person = school.running.people.get(pupils[(minute + i) % pupils.length]!)!;
      const url = `https://${allowedHosts[(minute * 7 + i) % allowedHosts.length]}/`;
      const at = school.now();
      const identity = { id: person.username, role: person.role, groups: person.groups };
      school.running.log.sink(decisionEvent({ point: 'proxy', at, person: identity, clientIp: '192.0.2.10', decision: school.running.engine.decide({ person: identity, url, at }), url }));
      allowed++;
    }
    if (minute % 12 === 0) {
      await school.browseAs(pupil, blockedTries[(minute / 12) % blockedTries.length]!);
      blocked++;
    }
    // One pupil, after lunch, tries proxy sites to get round the filter (8.2).
    if (minute >= 300 && minute < 320) {
      await school.browseAs('jude.lanternwick', minute % 8 === 0 ? 'http://www.kproxy.com/' : 'http://www.proxysite.com/');
      blocked++;
    }
  }
  await school.running.log.flush();
  say(`demo day: ${allowed} allowed visits recorded, ${blocked} blocked attempts through the proxy`);

  const context = await dashboardContext(browser);
  const head = await context.newPage();
  if (!school.setupLink) throw new Error(`Hedgerow printed no setup link:\n${school.lines.join('\n')}`);
  await createFirstAdministrator(head, school.setupLink);
  for (const account of [TEACHER, GOVERNOR, NETWORK_MANAGER]) await addAccount(head, school.baseUrl, account);

  const shoot = async (page: Page, name: string, clipHeight?: number) => {
    await page.waitForFunction(() => document.querySelector('.loading, [aria-busy="true"]') === null);
    const path = join(out, `dashboard-${name}.png`);
    if (clipHeight) {
      const height = Math.min(clipHeight, await page.evaluate(() => document.documentElement.scrollHeight));
      await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: page.viewportSize()!.width, height } });
    } else {
      await page.screenshot({ path, fullPage: true });
    }
    say(`wrote ${path}`);
  };

  // The teacher grants their class a site for the afternoon lesson.
  const teacherContext = await dashboardContext(browser);
  const teacher = await teacherContext.newPage();
  await signIn(teacher, school.dashboardUrl, TEACHER.username);
  await openPage(teacher, school.dashboardUrl, 'overrides', 'Overrides');
  const grant = teacher.getByRole('region', { name: 'Grant an override' });
  await grant.getByLabel('Site', { exact: true }).fill('youtube.com');
  await grant.getByLabel('Minutes', { exact: true }).fill('45');
  await grant.getByLabel('Reason', { exact: true }).fill('Science: the water cycle video for Class 6S');
  await grant.getByRole('button', { name: 'Grant the override' }).click();
  await teacher.getByText(/is now open to Class 6S/).waitFor();
  await shoot(teacher, 'overrides-teacher');

  const signInContext = await dashboardContext(browser);
  const signInPage = await signInContext.newPage();
  await signInPage.goto(school.dashboardUrl);
  await signInPage.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await shoot(signInPage, 'sign-in');

  await openPage(head, school.dashboardUrl, 'overview', 'Overview');
  await shoot(head, 'overview');
  await openPage(head, school.dashboardUrl, 'activity?action=block', 'Activity');
  await shoot(head, 'activity', 1300);
  await openPage(head, school.dashboardUrl, 'policy', 'Policy');
  const simulator = head.getByRole('region', { name: 'Try the policy' });
  await simulator.getByLabel('Class or year group', { exact: true }).selectOption({ label: 'Year 4' });
  await simulator.getByLabel('Date and time').fill('2026-11-24T10:15');
  await simulator.getByLabel('Web address').fill('https://www.youtube.com/watch?v=example');
  await simulator.getByRole('button', { name: 'Show the decision' }).click();
  await simulator.locator('.decision').waitFor();
  await shoot(head, 'policy', 1800);
  await openPage(head, school.dashboardUrl, 'audit', 'Audit log');
  await shoot(head, 'audit', 1300);

  const managerContext = await dashboardContext(browser);
  const manager = await managerContext.newPage();
  await signIn(manager, school.dashboardUrl, NETWORK_MANAGER.username);
  await openPage(manager, school.dashboardUrl, 'people?group=class-6s', 'People and devices');
  await shoot(manager, 'people', 1500);
  await openPage(manager, school.dashboardUrl, 'settings', 'Settings');
  await shoot(manager, 'settings');

  const governorContext = await dashboardContext(browser);
  const governor = await governorContext.newPage();
  await signIn(governor, school.dashboardUrl, GOVERNOR.username);
  await openPage(governor, school.dashboardUrl, 'reports', 'Reports');
  await shoot(governor, 'reports-governor', 1500);

  const tabletContext = await dashboardContext(browser, { viewport: { width: 768, height: 1024 } });
  const tablet = await tabletContext.newPage();
  await signIn(tablet, school.dashboardUrl, 'marjorie.wychwood');
  await openPage(tablet, school.dashboardUrl, 'overview', 'Overview');
  await shoot(tablet, 'overview-tablet');
} finally {
  await browser.close();
  await school.close();
}
