// The reporting API through its route handlers: a governor gets the figures, the PDFs and the CSV
// files; an account without `reports.governors` gets nothing; every download is audited. Blocks
// come from a real decision log full of named pupils, none of whom reaches an answer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { SqliteActivityStore, type ActivityStore } from '../../src/activity/index.ts';
import { AuditLog, migrate, openDatabase, storeMigrations, type StoreDatabase } from '../../src/db/index.ts';
import type { DecisionEvent, PolicyEngine } from '../../src/engine/index.ts';
import { OverrideStore } from '../../src/overrides/index.ts';
import { governorsReportSchema, reportingRoutes, type CheckLogEntry, type RegisterEntry } from '../../src/reporting/index.ts';
import { loadEngine } from '../../src/runtime/index.ts';
import { databasePath, SqliteEventStore } from '../../src/store/index.ts';
import { routeHarness, type RouteHarness, type TestAccount } from '../support/route-harness.ts';
import { madeSources, rosterPupils } from './fixtures.ts';

const NOW = Date.parse('2026-12-20T12:00:00Z');
const governor: TestAccount = { username: 'gwen.governor', role: 'governor', can: ['reports.governors', 'reports.aggregate'] };
const teacher: TestAccount = { username: 'desmond.nightingale', role: 'teacher', can: ['reports.aggregate', 'overrides.read'] };
const pupils = rosterPupils();

describe('the reporting routes', () => {
  let tmp = '';
  let store: StoreDatabase;
  let audit: AuditLog;
  let activity: ActivityStore;
  let writer: SqliteEventStore;
  let overrides: OverrideStore;
  let harness: RouteHarness;
  let engine: PolicyEngine;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hedgerow-reporting-routes-'));
    const loaded = loadEngine({ dataDir: join(tmp, 'engine') });
    if (!loaded.engine) throw new Error(loaded.problems.map((p) => p.message).join('; '));
    engine = loaded.engine;
    const policy = engine.policy;
    const term = policy.calendar!.terms[0]!;
    const from = Date.parse(`${term.start}T09:00:00Z`);
    const events: DecisionEvent[] = pupils.slice(0, 8).flatMap((pupil, i) =>
      Array.from({ length: 20 }, (_, k): DecisionEvent => ({
        v: 1,
        id: `ev-${i}-${k}`,
        at: from + (i * 20 + k) * 3_600_000,
        point: 'dns',
        person: pupil.username,
        role: 'pupil',
        groups: ['year-4'],
        device: null,
        clientIp: '192.0.2.10',
        host: 'blocked.example',
        url: null,
        categories: ['social-networking'],
        action: 'block',
        rule: 'pupil-social-media',
        clauses: ['8.1'],
        circumvention: false,
        policyRevision: policy.revision,
        warnReason: null,
        searchTerm: null,
      })),
    );
    writer = SqliteEventStore.open(databasePath(tmp));
    writer.writeBatch(events);
    activity = await SqliteActivityStore.open({ dataDir: tmp, foldIntervalMs: 0 });
    store = await openDatabase(`sqlite:${join(tmp, 'hedgerow.db')}`);
    const migrated = await migrate(store.db, storeMigrations.filter((m) => m.name.startsWith('001')));
    if (migrated.failed) throw migrated.failed.error;
    audit = new AuditLog(store, { now: () => NOW });
    overrides = new OverrideStore({ store, audit, now: () => from });
    await overrides.create({ scope: { people: [pupils[0]!.username] }, what: { sites: ['maths.blocked.example'] }, minutes: 600, reason: 'times tables' }, 'desmond.nightingale');
    const register: RegisterEntry[] = [
      {
        id: 'req-1',
        requestedAt: from,
        decidedAt: from + 86_400_000,
        site: 'maths.blocked.example',
        categories: ['games'],
        decision: 'approved',
        scope: { kind: 'requester' },
        until: from + 8 * 86_400_000,
        recommendation: 'approve',
        decidedBy: 'Marjorie Wychwood',
        reason: 'times tables practice',
        clauses: ['8.5'],
      },
    ];
    const checkLog: CheckLogEntry[] = [{ at: from, test: 'pupil-social', url: 'http://social.hedgerow-check.invalid/', as: 'pupil', path: 'proxy', expected: 'block', got: 'block', passed: true, detail: null }];
    harness = await routeHarness(
      reportingRoutes(
        { engine: () => engine, activity, overrides, audit, now: () => NOW },
        { sources: madeSources(), pack: { register: async () => register, checkLog: async () => checkLog } },
      ),
    );
  });
  after(async () => {
    await harness?.close();
    overrides?.close();
    await activity?.close();
    writer?.close();
    await store?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("gives a governor the current term's figures, with the calendar's terms to choose from", async () => {
    const { status, body } = await harness.json({ method: 'GET', url: '/api/reports/governors', as: governor });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(
      body.terms.map((t: { name: string }) => t.name),
      engine.policy.calendar!.terms.map((t) => t.name),
    );
    const report = governorsReportSchema.parse(body.report);
    assert.equal(report.term.name, 'Autumn 2026');
    assert.deepEqual(report.blocks.total, { kind: 'count', value: 160 });
    assert.deepEqual(report.incidents.byType.find((t) => t.id === 'contact-attempt')!.count, { kind: 'fewer-than', below: 5 });
    const text = JSON.stringify(body);
    for (const pupil of pupils) assert.ok(!text.includes(pupil.username), `\`${pupil.username}\` in the answer`);
  });

  it('gives the term asked for, and a 404 naming the terms for one the calendar does not have', async () => {
    const spring = await harness.json({ method: 'GET', url: '/api/reports/governors?term=Spring%202027', as: governor });
    assert.equal(spring.status, 200);
    assert.equal(spring.body.report.term.name, 'Spring 2027');
    assert.deepEqual(spring.body.report.blocks.total, { kind: 'count', value: 0 });
    const missing = await harness.json({ method: 'GET', url: '/api/reports/governors?term=Winter', as: governor });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'HR_REPORTING_TERM');
  });

  it('refuses every reporting route to an account without reports.governors, and to nobody signed in', async () => {
    for (const url of ['/api/reports/governors', '/api/reports/governors.pdf', '/api/reports/review-pack', '/api/reports/review-pack.pdf', '/api/reports/review-pack/register.csv']) {
      assert.equal((await harness.request({ method: 'GET', url, as: teacher })).statusCode, 403, url);
      assert.equal((await harness.request({ method: 'GET', url, as: null })).statusCode, 401, url);
    }
  });

  it('downloads the PDF report as an attachment and records who took it in the audit log', async () => {
    const response = await harness.request({ method: 'GET', url: '/api/reports/governors.pdf?term=Autumn%202026', as: governor });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/pdf');
    assert.equal(response.headers['content-disposition'], 'attachment; filename="governors-report-autumn-2026.pdf"');
    assert.equal(response.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
    const entries = await audit.entries({ limit: 1000 });
    const download = entries.find((e) => e.subject === 'report:governors:Autumn 2026');
    assert.ok(download, 'the download is audited');
    assert.equal(download.actor, governor.username);
    assert.equal(download.action, 'report.download');
  });

  it('lists the evidence pack files, and each one downloads with a header row', async () => {
    const { status, body } = await harness.json({ method: 'GET', url: '/api/reports/review-pack', as: governor });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual([body.period.start, body.period.end], ['2026-09-02', '2027-07-21']);
    assert.deepEqual(body.register, { decided: 1, approved: 1, declined: 0 });
    assert.equal(body.overrides, 1);
    assert.deepEqual(
      body.files.map((f: { id: string }) => f.id),
      ['summary', 'register', 'check-log', 'overrides', 'incidents'],
    );
    for (const file of body.files as Array<{ id: string; url: string; type: string; rows: number | null }>) {
      const response = await harness.request({ method: 'GET', url: file.url, as: governor });
      assert.equal(response.statusCode, 200, file.url);
      assert.ok(String(response.headers['content-type']).startsWith(file.type), `${file.url}: ${response.headers['content-type']}`);
      assert.match(String(response.headers['content-disposition']), /^attachment; filename="review-pack-2026-09-02-to-2027-07-21-/);
      if (file.type === 'text/csv') {
        const rows = parse(response.body) as string[][];
        assert.equal(rows.length - 1, file.rows, `${file.id} has its rows under one header row`);
        assert.ok(!response.body.includes(pupils[0]!.username));
      } else {
        assert.equal(response.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
      }
    }
    const subjects = (await audit.entries({ limit: 1000 })).map((e) => e.subject);
    for (const subject of ['report:review-pack:summary', 'report:review-pack:register', 'report:review-pack:check-log', 'report:review-pack:overrides', 'report:review-pack:incidents']) {
      assert.ok(subjects.includes(subject), `${subject} is audited`);
    }
  });

  it('answers 400 for a review period that is not two dates in order', async () => {
    const { status, body } = await harness.json({ method: 'GET', url: '/api/reports/review-pack?from=2027-01-02&to=2027-01-01', as: governor });
    assert.equal(status, 400);
    assert.equal(body.error.code, 'HR_REPORTING_PERIOD');
  });
});
