// The filter check log (DfE filtering standard: check the filter regularly and record the
// checks): one row per run, one per test and path, written together once the run is over.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../db/index.ts';
import type { CheckResultView, CheckRunView } from './compliance-types.ts';
import { complianceDb, jsonList, type ComplianceTables } from './compliance-tables.ts';

export interface NewCheckRun {
  startedAt: number;
  finishedAt: number;
  trigger: 'schedule' | 'manual';
  requestedBy: string | null;
  policyRevision: string;
  results: CheckResultView[];
}

/** One result of the check log, with the run it was part of and when that run started. */
export interface CheckResultInRun extends CheckResultView {
  runId: string;
  at: number;
}

const MAX_PAGE = 100;

function cursorOf(run: { startedAt: number; id: string }): string {
  return Buffer.from(JSON.stringify([run.startedAt, run.id])).toString('base64url');
}

function readCursor(text: string): [number, string] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    // an unreadable cursor starts from the newest
  }
  return null;
}

export class CheckLog {
  private readonly db: Kysely<ComplianceTables>;

  constructor(store: StoreDatabase) {
    this.db = complianceDb(store);
  }

  async record(run: NewCheckRun): Promise<CheckRunView> {
    const id = `run-${randomBytes(9).toString('base64url')}`;
    const passed = run.results.filter((r) => r.outcome === 'pass').length;
    const failed = run.results.filter((r) => r.outcome === 'fail').length;
    const notApplicable = run.results.filter((r) => r.outcome === 'not-applicable').length;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('compliance_check_runs')
        .values({
          id,
          started_at: run.startedAt,
          finished_at: run.finishedAt,
          trigger: run.trigger,
          requested_by: run.requestedBy,
          policy_revision: run.policyRevision,
          passed,
          failed,
          not_applicable: notApplicable,
        })
        .execute();
      if (run.results.length > 0) {
        await trx
          .insertInto('compliance_check_results')
          .values(
            run.results.map((result, position) => ({
              id: `${id}.${position}`,
              run_id: id,
              position,
              test_id: result.testId,
              url: result.url,
              role: result.role,
              groups: JSON.stringify(result.groups),
              path: result.path,
              expected: result.expected,
              seen: result.seen,
              outcome: result.outcome,
              latency_us: result.latencyMs === null ? null : Math.round(result.latencyMs * 1000),
              status: result.status === null ? null : String(result.status),
              rule: result.rule,
              clauses: JSON.stringify(result.clauses),
              expected_clauses: JSON.stringify(result.expectedClauses),
              detail: result.detail,
            })),
          )
          .execute();
      }
    });
    return { id, startedAt: run.startedAt, finishedAt: run.finishedAt, trigger: run.trigger, requestedBy: run.requestedBy, policyRevision: run.policyRevision, passed, failed, notApplicable, results: run.results };
  }

  /** The newest run, or null before the first. */
  async last(): Promise<CheckRunView | null> {
    const page = await this.list({ limit: 1 });
    return page.items[0] ?? null;
  }

  /**
   * Every result of the runs started in [from, to), oldest run first and in run order within
   * one, each with its run's start time: the check log of an annual review and its figures.
   */
  async resultsIn(period: { from: number; to: number }): Promise<CheckResultInRun[]> {
    const rows = await this.db
      .selectFrom('compliance_check_results as r')
      .innerJoin('compliance_check_runs as run', 'run.id', 'r.run_id')
      .selectAll('r')
      .select(['run.started_at as run_started_at'])
      .where('run.started_at', '>=', period.from)
      .where('run.started_at', '<', period.to)
      .orderBy('run.started_at')
      .orderBy('r.run_id')
      .orderBy('r.position')
      .execute();
    return rows.map(({ run_started_at, ...row }) => ({ ...toResult(row), runId: row.run_id, at: Number(run_started_at) }));
  }

  /** Runs with their results, newest first. */
  async list(options: { limit?: number; cursor?: string | null } = {}): Promise<{ items: CheckRunView[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(options.limit ?? 20, MAX_PAGE));
    let query = this.db.selectFrom('compliance_check_runs').selectAll();
    const after = options.cursor ? readCursor(options.cursor) : null;
    if (after) {
      const [startedAt, id] = after;
      query = query.where((eb) => eb.or([eb('started_at', '<', startedAt), eb.and([eb('started_at', '=', startedAt), eb('id', '<', id)])]));
    }
    const runs = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = runs.slice(0, limit);
    const results = page.length === 0 ? [] : await this.db.selectFrom('compliance_check_results').selectAll().where('run_id', 'in', page.map((run) => run.id)).orderBy('run_id').orderBy('position').execute();
    const byRun = new Map<string, CheckResultView[]>();
    for (const row of results) {
      const list = byRun.get(row.run_id) ?? [];
      list.push(toResult(row));
      byRun.set(row.run_id, list);
    }
    const items = page.map((run) => toRun(run, byRun.get(run.id) ?? []));
    const last = items[items.length - 1];
    return { items, nextCursor: runs.length > limit && last ? cursorOf(last) : null };
  }
}

function toRun(row: ComplianceTables['compliance_check_runs'], results: CheckResultView[]): CheckRunView {
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    trigger: row.trigger === 'manual' ? 'manual' : 'schedule',
    requestedBy: row.requested_by,
    policyRevision: row.policy_revision,
    passed: row.passed,
    failed: row.failed,
    notApplicable: row.not_applicable,
    results,
  };
}

function toResult(row: ComplianceTables['compliance_check_results']): CheckResultView {
  const status = row.status === null ? null : /^\d+$/.test(row.status) ? Number(row.status) : row.status;
  return {
    testId: row.test_id,
    url: row.url,
    role: row.role,
    groups: jsonList(row.groups),
    path: row.path === 'dns' ? 'dns' : 'proxy',
    expected: row.expected as CheckResultView['expected'],
    seen: row.seen as CheckResultView['seen'],
    outcome: row.outcome as CheckResultView['outcome'],
    latencyMs: row.latency_us === null ? null : row.latency_us / 1000,
    status,
    rule: row.rule,
    clauses: jsonList(row.clauses),
    expectedClauses: jsonList(row.expected_clauses),
    detail: row.detail,
  };
}
