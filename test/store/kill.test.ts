// Nothing handed to the sink and reported durable is lost when the process is killed with
// SIGKILL, and nothing is stored twice when the spool is replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DecisionLog, SqliteEventStore, databasePath } from '../../src/store/index.ts';
import { makeEvent, tempDataDir } from './helpers.ts';

const fixture = fileURLToPath(new URL('./fixtures/kill-writer.ts', import.meta.url));

function runUntil(dataDir: string, total: number, killAt: number, mode: 'keeping-up' | 'lagging'): Promise<{ durable: number; written: number; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir, String(total), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let durable = 0;
    let written = 0;
    let finished = false;
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      rest += chunk;
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^durable (\d+) written (\d+)$/.exec(line);
        if (match) {
          durable = Number(match[1]);
          written = Number(match[2]);
        }
        if (line === 'done') finished = true;
        if ((durable >= killAt || finished) && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited without being killed (${signal ?? _code})`));
      else resolve({ durable, written, finished });
    });
  });
}

for (const mode of ['keeping-up', 'lagging'] as const) {
  const when = mode === 'lagging' ? 'with the database held back' : 'with the database keeping up';
  test(`every event reported durable survives kill -9 and is stored exactly once after reopening, ${when}`, { timeout: 120_000 }, async (t) => {
    const dataDir = tempDataDir();
    const total = 200_000;
    const report = await runUntil(dataDir, total, 15_000, mode);
    assert.ok(report.durable >= 15_000, `the writer reported ${report.durable}`);
    assert.ok(!report.finished, 'the writer was killed mid-stream');
    if (mode === 'lagging') assert.equal(report.written, 0);

    const log = DecisionLog.open({ dataDir, onWarning: () => {} });
    const { replayed } = log.stats();
    t.diagnostic(`killed after ${report.durable} durable, ${report.written} in the database; ${replayed} replayed from the spool at open`);
    if (mode === 'lagging') assert.ok(replayed >= report.durable);
    await log.close();
    const store = SqliteEventStore.open(databasePath(dataDir));
    const ids = store.readAfter(0, total).map((row) => row.event.id);
    store.close();
    // Every durable event is there, in the order handed over, and nothing appears twice.
    assert.ok(ids.length >= report.durable, `${ids.length} stored, ${report.durable} reported durable`);
    assert.equal(new Set(ids).size, ids.length);
    // Anything beyond the last report was still handed over in order: a prefix of what was sent.
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, n) => makeEvent(n).id));
  });
}
