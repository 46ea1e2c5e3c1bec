// `hedgerow logs tail|search` for operators, reading HEDGEROW_DATA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { DecisionLog, logsCommand } from '../../src/store/index.ts';
import { makeEvent, tempDataDir, T0 } from './helpers.ts';

function capture(dataDir: string, signal?: AbortSignal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  return {
    io: { stdout, stderr, env: { HEDGEROW_DATA: dataDir }, signal, followIntervalMs: 10 },
    out: () => out,
    err: () => err,
  };
}

async function seeded(): Promise<string> {
  const dataDir = tempDataDir();
  const log = DecisionLog.open({ dataDir });
  for (let n = 0; n < 12; n++) log.sink(makeEvent(n, n === 6 ? { searchTerm: 'how to bypass filter', circumvention: true } : {}));
  await log.close();
  return dataDir;
}

test('logs tail prints the newest events oldest first, one readable line each', async () => {
  const c = capture(await seeded());
  assert.equal(await logsCommand(['tail', '-n', '3'], c.io), 0, c.err());
  const lines = c.out().trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^2026-11-24T09:00:09\.000Z\s+BLOCK\s+proxy\s+ben\.pupil\s+https:\/\/blocked\.example\/\s+rule=pupil-social-media\s+clauses=8\.1/);
  assert.match(lines[2]!, /ALLOW .*allowed\.example .*id=ev-00000011$/);
});

test('logs search filters by user, host, time and action, newest first', async () => {
  const dataDir = await seeded();
  const c = capture(dataDir);
  const code = await logsCommand(['search', '--user', 'ada.pupil', '--host', 'blocked.example', '--action', 'block', '--from', '2026-11-24T09:00:01Z', '--to', '2026-11-24T09:00:12Z', '--json'], c.io);
  assert.equal(code, 0, c.err());
  const events = c.out().trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(events.map((e) => e.id), ['ev-00000006']);
  assert.equal(events[0].searchTerm, 'how to bypass filter');

  const readable = capture(dataDir);
  assert.equal(await logsCommand(['search', '--user', 'ada.pupil', '--limit', '3'], readable.io), 0);
  const lines = readable.out().trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[2]!, /ada\.pupil .*CIRCUMVENTION .*search="how to bypass filter"/);
});

test('logs tail --follow prints events stored after it started until stopped', async () => {
  const dataDir = await seeded();
  const controller = new AbortController();
  const c = capture(dataDir, controller.signal);
  const running = logsCommand(['tail', '-n', '1', '--follow', '--json'], c.io);
  const log = DecisionLog.open({ dataDir });
  log.sink(makeEvent(20, { at: T0 + 20_000 }));
  await log.flush();
  for (let i = 0; i < 200 && !c.out().includes('ev-00000020'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  controller.abort();
  assert.equal(await running, 0);
  await log.close();
  assert.deepEqual(c.out().trim().split('\n').map((line) => JSON.parse(line).id), ['ev-00000011', 'ev-00000020']);
});

test('logs reports bad flags with exit code 2 and a missing log with exit code 1', async () => {
  const dataDir = await seeded();
  const bad = capture(dataDir);
  assert.equal(await logsCommand(['search', '--from', 'yesterday'], bad.io), 2);
  assert.match(bad.err(), /--from wants an ISO-8601 time .*`yesterday`/);
  const unknown = capture(dataDir);
  assert.equal(await logsCommand(['search', '--colour'], unknown.io), 2);
  assert.equal(await logsCommand(['rotate'], capture(dataDir).io), 2);
  const limit = capture(dataDir);
  assert.equal(await logsCommand(['tail', '-n', '0'], limit.io), 2);
  const missing = capture(tempDataDir());
  assert.equal(await logsCommand(['tail'], missing.io), 1);
  assert.match(missing.err(), /HR_STORE_OPEN: no decision log at `.*hedgerow\.db`/);
});
