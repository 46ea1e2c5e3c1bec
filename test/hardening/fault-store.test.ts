// Issue 8, section 3: the store becomes unavailable or its disk fills up. Traffic keeps flowing
// through the proxy and the DNS filter; decision events wait in the spool and are replayed exactly
// once when the store returns; with the spool's own disk full too, events are counted as lost and
// health says so, never a crash. Events sent and stored are counted: none is lost while the spool
// had room.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecisionEvent } from '../../src/engine/index.ts';
import { DecisionLog, SqliteEventStore, databasePath, type EventQuery, type EventStoreBackend } from '../../src/store/index.ts';
import { postgresUnavailable } from '../support/postgres.ts';
import { mountSmallDisk, type SmallDisk } from './support/fault-disk.ts';
import { startRestartablePostgres } from './support/fault-postgres.ts';
import { TEACHER_IP, eventually, startStack, type Stack } from './support/fault-stack.ts';

const cleanups: Array<() => void> = [];
after(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

/** `n` requests through the proxy and `n` DNS questions, each with its own name; all must be answered. */
async function burst(stack: Stack, tag: string, n: number): Promise<string[]> {
  const keys: string[] = [];
  const work: Array<Promise<void>> = [];
  for (let i = 0; i < n; i++) {
    keys.push(`${tag}.example/${i}`, `${tag}-${i}.example.org`);
    work.push(
      stack.get(stack.originUrl(tag, `/${i}`), i % 2 === 0 ? {} : { from: TEACHER_IP }).then((reply) => {
        assert.equal(reply.status, 200, `proxy request ${tag}/${i}: ${reply.ended}`);
      }),
      stack.ask(`${tag}-${i}.example.org`, i % 2 === 0 ? {} : { from: TEACHER_IP }).then((reply) => {
        assert.equal(reply.rcode, 0, `DNS question ${tag}-${i}`);
      }),
    );
  }
  await Promise.all(work);
  return keys;
}

/** How often each key (`host/path` for the proxy, the name for DNS) is in the store. */
async function storedKeys(stack: Stack): Promise<Map<string, number>> {
  const events = (await stack.running.log.search({ limit: 10_000 })) as DecisionEvent[];
  const counts = new Map<string, number>();
  for (const event of events) {
    const key = event.point === 'proxy' && event.url ? `${event.host}${new URL(event.url).pathname}` : event.host;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Keys sent but not stored, and keys stored more than once. */
function compare(sent: readonly string[], stored: Map<string, number>): { lost: string[]; twice: string[] } {
  return { lost: sent.filter((key) => !stored.has(key)), twice: sent.filter((key) => (stored.get(key) ?? 0) > 1) };
}

test('with the database disk full, then the spool disk full too, traffic flows, events spool or are counted lost, and every spooled one is stored once after', { timeout: 90_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-fault-disk-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const dataDisk = mountSmallDisk(dataDir, 16 << 20);
  if (typeof dataDisk === 'string') return t.skip(`no small disk to fill: ${dataDisk}`);
  cleanups.push(() => dataDisk.unmount());
  const spoolDisk = mountSmallDisk(join(dataDir, 'spool'), 4 << 20) as SmallDisk | string;
  if (typeof spoolDisk === 'string') return t.skip(`no small disk to fill: ${spoolDisk}`);
  cleanups.push(() => spoolDisk.unmount());

  const stack = await startStack({ dataDir });
  try {
    const sent: string[] = [];
    let faults = 0;
    sent.push(...(await burst(stack, 'before', 25)));
    await stack.running.log.flush();

    // Fault 1: the database's disk is full.
    dataDisk.fill();
    faults++;
    const whileDbFull = await burst(stack, 'dbfull', 100);
    sent.push(...whileDbFull);
    await assert.rejects(stack.running.log.flush(), /full|disk|space/i);
    let stats = stack.running.log.stats();
    assert.equal(stats.mode, 'catch-up');
    assert.match(stats.storeError ?? '', /full|disk|space/i);
    const degraded = await stack.health();
    assert.equal(degraded.status, 503);
    assert.ok(degraded.body.problems.some((line) => /database is failing since .*events wait in the spool/.test(line)), degraded.body.problems.join('\n'));
    assert.equal(stats.dropped, 0, 'the spool had room: nothing lost');

    // Fault 2: the spool's disk fills too. Traffic still flows; events are counted as lost.
    spoolDisk.fill();
    faults++;
    const whileBothFull = await burst(stack, 'bothfull', 50);
    stats = stack.running.log.stats();
    assert.ok(stats.dropped > 0, 'events neither spooled nor stored are counted');
    assert.match(stats.spoolError ?? '', /ENOSPC|no space/i);
    const worse = await stack.health();
    assert.ok(worse.body.problems.some((line) => /spool cannot be written since/.test(line)), worse.body.problems.join('\n'));
    assert.ok(worse.body.problems.some((line) => new RegExp(`${stats.dropped} decision events were lost`).test(line)), worse.body.problems.join('\n'));
    const droppedWhileBothFull = stats.dropped;

    // The spool's disk is freed: events spool again while the database is still full.
    spoolDisk.free();
    const afterSpoolFreed = await burst(stack, 'spoolfreed', 50);
    sent.push(...afterSpoolFreed);
    assert.equal(stack.running.log.stats().dropped, droppedWhileBothFull, 'nothing more lost once the spool has room');

    // The database's disk is freed: everything spooled is replayed, once.
    dataDisk.free();
    await stack.running.log.flush();
    stats = stack.running.log.stats();
    assert.equal(stats.mode, 'live');
    assert.equal(stats.storeError, null);
    const stored = await storedKeys(stack);
    const { lost, twice } = compare(sent, stored);
    assert.deepEqual(twice, [], 'no event stored twice');
    assert.deepEqual(lost, [], 'no event lost while the spool had room');
    const bothFullStored = whileBothFull.filter((key) => stored.has(key)).length;
    assert.equal(bothFullStored + droppedWhileBothFull, whileBothFull.length, 'each event of the full-spool phase was stored or counted lost');
    t.diagnostic(
      `faults injected: ${faults} (database disk full, then spool disk full); events sent ${sent.length + whileBothFull.length}; ` +
        `with the spool full: ${whileBothFull.length} sent, ${droppedWhileBothFull} counted lost, ${bothFullStored} kept; ` +
        `while the spool had room: ${sent.length} sent, ${sent.length - lost.length} stored, lost ${lost.length}; replayed ${stats.replayed}, spool write failures ${stats.spoolFailed}`,
    );
    // Once the log has caught up and its spool writes again, health is back (the lost count stays visible).
    assert.ok(!(await stack.health()).body.problems.some((line) => /database is failing|spool cannot be written/.test(line)));
  } finally {
    await stack.close();
  }
});

test('regression: with the data folder removed under a running server, events after the removal are spooled again, stored in a new database and none is lost', { timeout: 60_000 }, async (t) => {
  const stack = await startStack();
  try {
    const before = await burst(stack, 'early', 20);
    await stack.running.log.flush();
    assert.equal(compare(before, await storedKeys(stack)).lost.length, 0);

    // Fault: the data folder (database, spool and all) is deleted. SQLite would go on writing to
    // the deleted file and report success; the log must notice instead.
    rmSync(stack.dataDir, { recursive: true, force: true });
    const sent = await burst(stack, 'removed', 50);
    await eventually(() => existsSync(join(stack.dataDir, 'spool')), 'the spool folder is made again');
    await stack.running.log.flush();
    assert.ok(existsSync(databasePath(stack.dataDir)), 'a new database file is where the old one was');
    const stored = await storedKeys(stack);
    const { lost, twice } = compare(sent, stored);
    assert.deepEqual(twice, []);
    assert.deepEqual(lost, [], 'every event after the removal is in the new database');
    // Read straight from the file now at the path, not through the log's connections.
    const fresh = SqliteEventStore.open(databasePath(stack.dataDir), { readonly: true });
    const onDisk = fresh.count();
    fresh.close();
    assert.ok(onDisk >= sent.length, `the file on disk holds ${onDisk} events`);
    t.diagnostic(`faults injected: 1 (data folder removed); events sent after it ${sent.length}, stored ${sent.length - lost.length}, lost ${lost.length}; the ${before.length} stored before went with the removed file`);
  } finally {
    await stack.close();
  }
});

test('with the database files made read-only (immutable), traffic flows, events spool, and all are stored once they are writable again', { timeout: 60_000 }, async (t) => {
  const stack = await startStack();
  const files = [databasePath(stack.dataDir), `${databasePath(stack.dataDir)}-wal`];
  // NOTE: not the -shm file: SQLite maps it into memory, and an immutable mapping kills the
  // process with SIGBUS on the next write, which no program can catch
  const chattr = (flag: string) => spawnSync('chattr', [flag, ...files], { encoding: 'utf8' });
  try {
    const sent = await burst(stack, 'rwbefore', 10);
    await stack.running.log.flush();
    const made = chattr('+i');
    if (made.status !== 0) return t.skip(`chattr cannot make files immutable here: ${(made.stderr || String(made.error)).trim()}`);
    const whileReadOnly = await burst(stack, 'readonly', 50);
    sent.push(...whileReadOnly);
    await assert.rejects(stack.running.log.flush());
    assert.equal(stack.running.log.stats().mode, 'catch-up');
    assert.equal((await stack.health()).body.status, 'degraded');
    chattr('-i');
    await stack.running.log.flush();
    const { lost, twice } = compare(sent, await storedKeys(stack));
    assert.deepEqual(twice, []);
    assert.deepEqual(lost, []);
    t.diagnostic(`faults injected: 1 (database and WAL immutable); events sent ${sent.length}, stored ${sent.length - lost.length}, lost ${lost.length}`);
  } finally {
    chattr('-i');
    await stack.close();
  }
});

const pgMissing = postgresUnavailable();

test('with PostgreSQL stopped, traffic flows and events spool; when it starts again every event is stored once', { skip: pgMissing ?? false, timeout: 90_000 }, async (t) => {
  const server = await startRestartablePostgres('hedgerow_fault');
  cleanups.push(() => server.destroy());
  const stack = await startStack({ database: server.url });
  try {
    assert.equal(stack.running.store.dialect, 'postgres');
    const sent = await burst(stack, 'pgup', 25);
    await stack.running.log.flush();

    // Fault: the database server stops (connections cut).
    server.stop();
    const whileDown = await burst(stack, 'pgdown', 100);
    sent.push(...whileDown);
    await assert.rejects(stack.running.log.flush());
    const stats = stack.running.log.stats();
    assert.equal(stats.mode, 'catch-up');
    assert.ok(stats.storeError !== null);
    const health = await stack.health();
    assert.equal(health.body.status, 'degraded');
    assert.ok(health.body.problems.some((line) => /database is failing/.test(line)), health.body.problems.join('\n'));

    server.start();
    sent.push(...(await burst(stack, 'pgback', 25)));
    await eventually(async () => {
      try {
        await stack.running.log.flush();
        return stack.running.log.stats().mode === 'live';
      } catch {
        return false;
      }
    }, 'the log catches up once PostgreSQL is back', 30_000);
    const stored = await storedKeys(stack);
    const { lost, twice } = compare(sent, stored);
    assert.deepEqual(twice, []);
    assert.deepEqual(lost, []);
    assert.equal(stack.running.log.stats().dropped, 0);
    t.diagnostic(`faults injected: 1 (PostgreSQL stopped for ${whileDown.length} events); events sent ${sent.length}, stored ${sent.length - lost.length}, lost ${lost.length}; replayed ${stack.running.log.stats().replayed}`);
  } finally {
    await stack.close();
  }
});

/** SQLite behind a switch that fails every write, as a database on a full disk does. */
class FailingBackend implements EventStoreBackend {
  failing = false;
  constructor(readonly store: SqliteEventStore) {}
  writeBatch(events: readonly DecisionEvent[]): void {
    if (this.failing) throw new Error('database or disk is full');
    this.store.writeBatch(events);
  }
  search(query: EventQuery): DecisionEvent[] {
    return this.store.search(query);
  }
  tail(n: number): DecisionEvent[] {
    return this.store.tail(n);
  }
  deleteBefore(ms: number): number {
    return this.store.deleteBefore(ms);
  }
  close(): void {
    this.store.close();
  }
}

function event(n: number): DecisionEvent {
  return {
    v: 1,
    id: `fault-${String(n).padStart(6, '0')}`,
    at: Date.parse('2026-11-24T10:15:00Z') + n,
    point: 'proxy',
    person: 'ada.pupil',
    role: 'pupil',
    groups: ['class-4n'],
    device: null,
    clientIp: '192.0.2.10',
    host: 'allowed.example',
    url: `http://allowed.example/${n}`,
    categories: [],
    action: 'allow',
    rule: 'default',
    clauses: [],
    circumvention: false,
    policyRevision: 'rev-1',
    warnReason: null,
    searchTerm: null,
  };
}

test('regression: a write cut short by a full disk is cut off the spool, so the next event is not torn with it; only events neither spooled nor stored count as lost', async (t) => {
  // A disk with room for a fixed number of bytes more, then ENOSPC part-way through a write.
  const { closeSync, ftruncateSync, openSync, writeSync } = await import('node:fs');
  let room = Number.POSITIVE_INFINITY;
  let cuts = 0;
  const files = {
    open: (path: string) => openSync(path, 'a+'),
    write: (fd: number, bytes: Buffer, offset: number, length: number) => {
      if (room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const n = writeSync(fd, bytes, offset, Math.min(length, room));
      room -= n;
      return n;
    },
    truncate: (fd: number, length: number) => {
      cuts++;
      ftruncateSync(fd, length);
    },
    close: (fd: number) => closeSync(fd),
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-fault-seam-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const backend = new FailingBackend(SqliteEventStore.open(databasePath(dataDir)));
  const log = DecisionLog.open({ dataDir, backend, spoolFiles: files, flushIntervalMs: 60_000, onWarning: () => undefined });
  try {
    // Live, database fine, spool full: the queue still carries every event to the database.
    room = 0;
    for (let n = 0; n < 10; n++) log.sink(event(n));
    await log.flush();
    assert.equal(log.stats().dropped, 0, 'the database took them: nothing lost');
    assert.equal(log.stats().spoolFailed, 10);

    // The database fails while the spool is full: the failed batch and what follows are lost, and counted.
    backend.failing = true;
    for (let n = 10; n < 20; n++) log.sink(event(n));
    await assert.rejects(log.flush());
    for (let n = 20; n < 30; n++) log.sink(event(n));
    // the writer may have gone back to live on an empty spool: then these wait in the queue until a batch fails
    await log.flush().catch(() => undefined);
    assert.equal(log.stats().dropped, 20);

    // Room for one and a half lines: the second write fails part-way and is cut off again.
    const line = Buffer.byteLength(`${JSON.stringify(event(30))}\n`);
    room = line + Math.floor(line / 2);
    log.sink(event(30));
    log.sink(event(31));
    assert.equal(cuts, 1, 'the torn half line was cut off');
    room = Number.POSITIVE_INFINITY;
    for (let n = 32; n < 40; n++) log.sink(event(n));
    backend.failing = false;
    await log.flush();
    const ids = backend.store.readAfter(0, 1000).map((row) => row.event.id);
    const expected = [...Array.from({ length: 10 }, (_, n) => n), 30, ...Array.from({ length: 8 }, (_, n) => 32 + n)].map((n) => event(n).id);
    for (const id of expected) assert.ok(ids.includes(id), `${id} is stored; event 32 was not torn by the failed 31`);
    // 31 failed to spool: stored if the log was live (the queue carried it), else counted lost
    const dropped = log.stats().dropped;
    assert.equal(ids.length + dropped, 40, 'every event is stored or counted lost');
    assert.ok(dropped === 20 || dropped === 21);
    t.diagnostic(`faults injected: 3 (spool full, database failing, a write cut part-way); events sent 40, stored ${ids.length}, counted lost ${dropped}, unaccounted ${40 - ids.length - dropped}`);
  } finally {
    await log.close();
  }
});

test('when even cutting a torn write off fails, the next event starts on a new line and is stored; the fragment is skipped with a warning', async (t) => {
  const { closeSync, openSync, writeSync } = await import('node:fs');
  let room = Number.POSITIVE_INFINITY;
  const files = {
    open: (path: string) => openSync(path, 'a+'),
    write: (fd: number, bytes: Buffer, offset: number, length: number) => {
      if (room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const n = writeSync(fd, bytes, offset, Math.min(length, room));
      room -= n;
      return n;
    },
    truncate: () => {
      throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
    },
    close: (fd: number) => closeSync(fd),
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-fault-seam-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const backend = new FailingBackend(SqliteEventStore.open(databasePath(dataDir)));
  const warnings: string[] = [];
  const log = DecisionLog.open({ dataDir, backend, spoolFiles: files, flushIntervalMs: 60_000, onWarning: (message) => warnings.push(message) });
  try {
    // the database fails, so every event from here on reaches it only through the spool
    backend.failing = true;
    log.sink(event(100));
    await assert.rejects(log.flush());
    const line = Buffer.byteLength(`${JSON.stringify(event(101))}\n`);
    room = line + Math.floor(line / 2);
    log.sink(event(101));
    log.sink(event(102));
    room = Number.POSITIVE_INFINITY;
    for (let n = 103; n < 106; n++) log.sink(event(n));
    backend.failing = false;
    await log.flush();
    const ids = backend.store.readAfter(0, 100).map((row) => row.event.id).sort();
    assert.deepEqual(ids, [100, 101, 103, 104, 105].map((n) => event(n).id));
    assert.equal(log.stats().dropped, 1, 'the event whose write failed is counted lost');
    assert.ok(warnings.some((message) => /skipped a line that is not a decision event/.test(message)), warnings.join('\n'));
    t.diagnostic(`faults injected: 2 (a write cut part-way, the cut failing); events sent 6, stored ${ids.length}, counted lost ${log.stats().dropped}`);
  } finally {
    await log.close();
  }
});
