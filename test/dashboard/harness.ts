// A demo school for the dashboard's browser tests and the screenshot script: Hedgerow started on
// a temporary data folder with a copy of the reference policy (so policy edits never touch
// examples/), the reference roster, proxy passwords for two pupils, and a clock that starts on a
// Tuesday in lesson time and runs forward in real time. Accounts are made the way a school makes
// them: the first administrator through the one-time setup link Hedgerow prints at first start,
// the others through the API.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureDashboardBuilt } from '../../scripts/build-dashboard.ts';
import { configSchema } from '../../src/config/index.ts';
import { PeopleStore } from '../../src/identity/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { referencePolicyPath } from '../../src/runtime/index.ts';
import { startHedgerow, type RunningHedgerow } from '../../src/server/index.ts';

export const chromiumPath = '/usr/bin/chromium';
/** Tuesday 24 November 2026, 10:15 in London: lesson time. */
export const LESSON_TIME = Date.parse('2026-11-24T10:15:00Z');
export const PASSWORD = 'Hazel-Coppice-Lantern-42';
/** pupils who sign in to the proxy: one in class 6S, one in class 5M */
export const PUPIL_6S = 'mabel.foxglove';
export const PUPIL_5M = 'nancy.tumbledown';
const PUPILS = [PUPIL_6S, PUPIL_5M];

export interface DemoAccount {
  username: string;
  displayName: string;
  role: string;
}

export const HEADTEACHER: DemoAccount = { username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', role: 'headteacher' };
export const TEACHER: DemoAccount = { username: 'frederick.saltmarsh', displayName: 'Frederick Saltmarsh', role: 'teacher' };
export const GOVERNOR: DemoAccount = { username: 'rupert.thornbury', displayName: 'Rupert Thornbury', role: 'governor' };
export const NETWORK_MANAGER: DemoAccount = { username: 'olive.stonechat', displayName: 'Olive Stonechat', role: 'network-manager' };
/** the workflows' other roles: the e-safety team reviews unblock requests (8.4), the safeguarding lead heads the incident chain (9.2) */
export const ESAFETY_TEAM: DemoAccount = { username: 'jonah.birchwood', displayName: 'Jonah Birchwood', role: 'esafety-team' };
export const SAFEGUARDING_LEAD: DemoAccount = { username: 'nigel.applegarth', displayName: 'Nigel Applegarth', role: 'safeguarding-lead' };
export const HEAD_OF_SCHOOL: DemoAccount = { username: 'katherine.rookwood', displayName: 'Katherine Rookwood', role: 'head-of-school' };

export interface DemoSchool {
  running: RunningHedgerow;
  /** `http://127.0.0.1:PORT` of the HTTP service */
  baseUrl: string;
  dashboardUrl: string;
  /** the one-time link Hedgerow printed at its first start, or null when it printed none */
  setupLink: string | null;
  /** what Hedgerow printed */
  lines: string[];
  /** sends a GET through the proxy as a roster person with the proxy password; resolves to the status code */
  browseAs(username: string, url: string): Promise<number>;
  /** the server's clock, and a way to move it on */
  now(): number;
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface DemoSchoolOptions {
  /** where the clock starts (default LESSON_TIME) */
  start?: number;
  /** roster people who get the proxy password (default the two pupils) */
  browsers?: readonly string[];
}

export async function startDemoSchool(options: DemoSchoolOptions = {}): Promise<DemoSchool> {
  await ensureDashboardBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-dashboard-'));
  const referenceDir = dirname(referencePolicyPath());
  for (const file of ['council.yaml', 'school.yaml']) copyFileSync(join(referenceDir, file), join(dataDir, file));
  const { policy } = loadPolicy(join(dataDir, 'school.yaml'));
  if (!policy) throw new Error('the reference policy does not load');

  const people = PeopleStore.open(dataDir);
  const rosterFile = join(referenceDir, 'roster.csv');
  const imported = people.importRoster(readFileSync(rosterFile, 'utf8'), {
    file: rosterFile,
    policy: { roles: Object.keys(policy.roles), groups: Object.keys(policy.groups), childRoles: ['pupil'] },
    timeZone: 'Europe/London',
  });
  if (imported.problems.length > 0) throw new Error(`the reference roster has problems: ${JSON.stringify(imported.problems)}`);
  for (const username of options.browsers ?? PUPILS) await people.setPassword(username, PASSWORD);
  people.close();

  const started = Date.now();
  let offset = 0;
  const start = options.start ?? LESSON_TIME;
  const now = () => start + (Date.now() - started) + offset;
  const lines: string[] = [];
  const running = await startHedgerow(
    configSchema.parse({
      dataDir,
      policy: join(dataDir, 'school.yaml'),
      proxy: { port: 0, requireAuth: true },
      dns: { enabled: false },
      http: { port: 0 },
      watchPolicy: false,
    }),
    { now, log: (line) => lines.push(line) },
  );
  const baseUrl = `http://127.0.0.1:${running.http.port}`;
  const link = lines.join('\n').match(/https?:\/\/\S+\/dashboard\/#\/setup\?token=[^\s]+/);
  return {
    running,
    baseUrl,
    dashboardUrl: `${baseUrl}/dashboard/`,
    setupLink: link ? link[0] : null,
    lines,
    browseAs(username, url) {
      const target = new URL(url);
      const headers = { host: target.host, 'proxy-authorization': `Basic ${Buffer.from(`${username}:${PASSWORD}`).toString('base64')}` };
      return new Promise((resolve, reject) => {
        http
          .request({ host: '127.0.0.1', port: running.proxy!.address.port, path: url, headers, agent: false }, (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          })
          .on('error', reject)
          .end();
      });
    },
    now,
    advance(ms) {
      offset += ms;
    },
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface ContextOptions {
  viewport?: { width: number; height: number };
  /** axe-core is injected as a script tag, which the dashboard's CSP (rightly) refuses */
  bypassCSP?: boolean;
}

export function dashboardContext(browser: Browser, options: ContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    bypassCSP: options.bypassCSP ?? false,
  });
}

/** Creates the first administrator from the setup link, in the browser; the page ends signed in. */
export async function createFirstAdministrator(page: Page, setupLink: string, account: DemoAccount = HEADTEACHER): Promise<void> {
  await page.goto(setupLink);
  await page.getByLabel('Your name').fill(account.displayName);
  await page.getByLabel('Username').fill(account.username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Password again').fill(PASSWORD);
  await page.getByRole('button', { name: /Create the account/ }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** Adds an account through the API as the administrator signed in on this page. */
export async function addAccount(page: Page, baseUrl: string, account: DemoAccount): Promise<void> {
  const session = await page.request.get(`${baseUrl}/api/session`);
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  const response = await page.request.post(`${baseUrl}/api/accounts`, {
    headers: { 'x-csrf-token': csrfToken },
    data: { ...account, password: PASSWORD, reason: 'a new account for this school year' },
  });
  if (!response.ok()) throw new Error(`adding ${account.username}: ${response.status()} ${await response.text()}`);
}

/** Signs in on the sign-in page; resolves when the dashboard (or the refusal) is shown. */
export async function signIn(page: Page, dashboardUrl: string, username: string, password = PASSWORD): Promise<void> {
  await page.goto(dashboardUrl);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).or(page.getByRole('alert')).first().waitFor();
}

/** Goes to a page of the dashboard and waits for its heading. */
export async function openPage(page: Page, dashboardUrl: string, route: string, heading: string | RegExp): Promise<void> {
  await page.goto(`${dashboardUrl}#/${route}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

const require = createRequire(import.meta.url);
export const axePath = require.resolve('axe-core/axe.min.js');

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** axe-core's serious and critical findings on the page as it is now (WCAG 2.1 AA rules and best practice). */
export async function seriousAxeViolations(page: Page): Promise<AxeFinding[]> {
  await page.addScriptTag({ path: axePath });
  const findings = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  return findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
}
