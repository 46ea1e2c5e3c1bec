// Screenshots of the block and warn pages for docs/: `node --import tsx scripts/block-page-screenshots.ts pupil|teacher OUT.png`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { importList } from '../src/catalog/index.ts';
import { configSchema } from '../src/config/index.ts';
import { startHedgerow } from '../src/server/index.ts';
const dataDir = mkdtempSync(join(tmpdir(), 'shot-'));
writeFileSync(join(dataDir, 's.txt'), 'social.example\n');
importList(dataDir, join(dataDir, 's.txt'), { format: 'domains', category: 'social-networking' });
const server = await startHedgerow(configSchema.parse({ dataDir, proxy: { port: 0 }, dns: { enabled: false }, http: { port: 0 }, networks: [{ cidr: '127.0.0.0/8', role: process.argv[2] }], watchPolicy: false }), { now: () => Date.parse('2026-11-24T10:15:00Z'), log: () => undefined });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-features=HttpsUpgrades'] });
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, proxy: { server: `http://127.0.0.1:${server.proxy!.address.port}`, bypass: '<-loopback>' } });
const page = await context.newPage();
await page.goto('http://www.social.example/some/page');
await page.screenshot({ path: process.argv[3]!, fullPage: true });
await browser.close(); await server.close();
