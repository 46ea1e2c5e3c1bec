// The soak in CI: `scripts/soak.ts` (the `npm run soak` command) for 2 minutes — Hedgerow with the
// reference policy under a steady mix of proxy HTTP, CONNECT, DNS and API reads — with no errors,
// no decision event lost, and no heap growth after the first minute beyond a generous bound.
// HEDGEROW_SOAK_MINUTES shortens (or lengthens) it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SoakReport } from '../../scripts/soak.ts';

const minutes = Number(process.env.HEDGEROW_SOAK_MINUTES ?? 2);
const rate = 50;
/** MiB per minute of heap (after a full GC) from the first minute to the last: generous */
const heapGrowthBound = 5;
const script = fileURLToPath(new URL('../../scripts/soak.ts', import.meta.url));

test(`runs ${minutes} min at ${rate} operations/s with no errors, no decision event lost and a flat heap`, { timeout: (minutes * 60 + 120) * 1000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-soak-test-'));
  const out = join(dir, 'soak.json');
  try {
    const lines: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', script, '--minutes', String(minutes), '--rate', String(rate), '--json', out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      const collect = (chunk: Buffer): void => {
        text += chunk.toString('utf8');
        let i: number;
        while ((i = text.indexOf('\n')) >= 0) {
          lines.push(text.slice(0, i));
          text = text.slice(i + 1);
        }
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.on('error', reject);
      child.on('close', (exit) => {
        if (text) lines.push(text);
        resolve(exit);
      });
    });
    for (const line of lines) if (line.trim() !== '') t.diagnostic(line);
    assert.equal(code, 0, `the soak exited with ${code}:\n${lines.slice(-20).join('\n')}`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as SoakReport;
    assert.deepEqual(report.errors, {}, 'no errors of any kind');
    const total = Object.values(report.operations).reduce((a, b) => a + b, 0);
    // the schedule is fixed: it cannot be met only by skipping (skips are errors, above)
    assert.ok(total >= minutes * 60 * rate * 0.95, `${total} operations in ${minutes} min`);
    assert.equal(report.events.dropped, 0);
    assert.equal(report.events.storedFromDriver, report.events.caused, 'every event the driver caused is stored');
    assert.equal(report.events.stored, report.events.handed, 'every event handed to the decision log is stored');
    assert.equal(report.events.lost, 0);
    assert.ok(report.gc, 'heap figures are taken after a full GC');
    if (minutes >= 2) {
      assert.ok(report.growth.heapMiBPerMin < heapGrowthBound, `the heap grew ${report.growth.heapMiBPerMin.toFixed(2)} MiB/min after the first minute`);
    } else t.diagnostic('shorter than 2 minutes: the growth bound is not checked (no separate first and last minute)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
