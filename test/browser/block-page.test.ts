// A real browser (Debian's Chromium, headless) pointed at Hedgerow's proxy: the block page a pupil
// sees, reachable by keyboard, and the warn page a teacher sees, continued with a reason.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, type Browser } from 'playwright-core';
import { writeFileSync } from 'node:fs';
import { importList } from '../../src/catalog/index.ts';
import { configSchema } from '../../src/config/index.ts';
import { startHedgerow, type RunningHedgerow } from '../../src/server/index.ts';

const chromiumPath = '/usr/bin/chromium';
const skip = !existsSync(chromiumPath) && !process.env.CI ? 'Debian chromium is not installed (scripts/install-system-packages.sh)' : false;

const lessonTime = Date.parse('2026-11-24T10:15:00Z');
let running: RunningHedgerow;
let browser: Browser;

async function launch(role: string) {
  // Real social networks are on browsers' HSTS preload lists (the browser would only ever ask
  // for a CONNECT tunnel), so the test uses a reserved name listed as social networking.
  const dataDir = mkdtempSync(join(tmpdir(), `hedgerow-browser-${role}-`));
  const list = join(dataDir, 'social.txt');
  writeFileSync(list, 'social.example\n');
  importList(dataDir, list, { format: 'domains', category: 'social-networking' });
  const server = await startHedgerow(
    configSchema.parse({
      dataDir,
      proxy: { port: 0 },
      dns: { enabled: false },
      http: { port: 0 },
      networks: [{ cidr: '127.0.0.0/8', role }],
      watchPolicy: false,
    }),
    { now: () => lessonTime, log: () => undefined },
  );
  const context = await browser.newContext({ proxy: { server: `http://127.0.0.1:${server.proxy!.address.port}`, bypass: '<-loopback>' } });
  return { server, context };
}

before(async () => {
  if (skip) return;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable'],
  });
});
after(async () => {
  await browser?.close();
  await running?.close();
});

test('a pupil browsing to a social network sees the block page with the reason, clause 8.1, a reference and the Be SMART advice', { skip }, async () => {
  const { server, context } = await launch('pupil');
  running = server;
  const page = await context.newPage();
  const response = await page.goto('http://www.social.example/');
  assert.equal(response?.status(), 403);
  assert.equal(await page.locator('h1').first().textContent(), 'This page is blocked');
  const text = await page.locator('main, body').first().innerText();
  assert.match(text, /Social networking, forums, video sharing and chat sites are blocked for pupils/);
  assert.match(text, /8\.1/);
  assert.match(text, /Be SMART online/);
  // Keyboard: the request form is reachable with Tab and can be sent with Enter.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.tagName);
  assert.ok(focused && focused !== 'BODY', 'Tab moves focus into the page');
  await page.locator('textarea[name="message"]').first().fill('We need it for the online safety lesson');
  await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: /unblocked|Request access/ }).click()]);
  assert.match(await page.content(), /Thank you/, await page.locator('body').innerText());
  const [request] = (await server.requests.unblock.list({ limit: 1 })).items;
  assert.equal(request!.host, 'www.social.example');
  assert.equal(request!.reason, 'We need it for the online safety lesson');
  assert.equal(request!.source, 'block-page');
  await context.close();
  await server.close();
});

test('a teacher in lesson time gets the warn page for a social network and may continue after giving a reason, which is recorded (6.1)', { skip }, async () => {
  const { server, context } = await launch('teacher');
  running = server;
  const page = await context.newPage();
  const response = await page.goto('http://www.social.example/watch?v=abc');
  assert.equal(response?.status(), 403);
  const text = await page.locator('body').innerText();
  assert.match(text, /Staff may not use social media in work time/);
  await page.locator('textarea, input[type="text"]').first().fill('Showing a clip in the Year 5 science lesson');
  await Promise.all([page.waitForNavigation(), page.locator('form button[type="submit"], form input[type="submit"]').first().click()]);
  // The grace now lets the request through to the (unreachable, in tests) origin.
  assert.doesNotMatch(await page.locator('body').innerText(), /Staff may not use social media in work time/);
  await server.log.flush();
  const events = await server.log.search({ host: 'www.social.example' });
  assert.ok(events.some((e) => e.warnReason === 'Showing a clip in the Year 5 science lesson'), JSON.stringify(events));
  await context.close();
  await server.close();
});
