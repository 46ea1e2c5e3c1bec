// Requests and reports as one workflow the server starts: the unblock requests, the reports, the
// register and the overblocking figures over the typed store, with the override store approvals
// grant through. `start()` listens to the override store: every change of its grants (a grant
// made, revoked, or ended at its expiry time by the store's own timer) records the approvals
// that ended as `expired`. `close()` stops listening.
import type { AuditLog, StoreDatabase } from '../../db/index.ts';
import type { Notifier } from '../../notify/index.ts';
import type { OverrideStore } from '../../overrides/index.ts';
import type { ResolvedPolicy } from '../../policy/index.ts';
import { CaseReports, type SiteBlocker } from './case-reports.ts';
import { overblockingFigures, registerCsv, registerEntries, type OverblockingFigures, type RegisterEntry, type RegisterQuery } from './register.ts';
import { requestPeriodFigures, type RequestPeriodFigures } from './period-figures.ts';
import { requestsDb } from './request-tables.ts';
import type { RequestsContext } from './requests-context.ts';
import type { RoutePeople } from './routing.ts';
import { schoolSiteBlocker } from './site-blocker.ts';
import { UnblockRequests } from './unblock-requests.ts';

export interface RequestsWorkflowOptions {
  store: StoreDatabase;
  audit: AuditLog;
  overrides: OverrideStore;
  notifier: Notifier;
  /** the policy in force (it changes on reload, so it is asked each time) */
  policy(): ResolvedPolicy;
  /** the people store: roles, groups and line managers */
  people: RoutePeople;
  now?: () => number;
  /**
   * Where a site report's "block it" goes: the school layer's file and the reload that puts the
   * edit in force. Without it, closing a report as `site-blocked` is refused.
   */
  schoolPolicy?: { file(): string; reload(): { ok: boolean; problems: string[]; revision: string } };
  /** a failure off the workflow's own path (a notification, the expiry sweep); default: stderr */
  onError?(error: unknown, what: string): void;
}

function defaultOnError(error: unknown, what: string): void {
  process.stderr.write(`requests: ${what} failed: ${error instanceof Error ? error.message : String(error)}\n`);
}

export class RequestsWorkflow {
  readonly unblock: UnblockRequests;
  readonly reports: CaseReports;
  private readonly ctx: RequestsContext;
  private stopListening: (() => void) | null = null;
  private sweeping: Promise<void> | null = null;
  private sweepAgain = false;

  constructor(options: RequestsWorkflowOptions) {
    this.ctx = {
      db: requestsDb(options.store),
      audit: options.audit,
      notifier: options.notifier,
      overrides: options.overrides,
      policy: options.policy,
      people: options.people,
      now: options.now ?? Date.now,
      onError: options.onError ?? defaultOnError,
    };
    const blocker: SiteBlocker | null = options.schoolPolicy
      ? schoolSiteBlocker({ schoolFile: options.schoolPolicy.file, reload: options.schoolPolicy.reload, policy: options.policy, audit: options.audit })
      : null;
    this.unblock = new UnblockRequests(this.ctx);
    this.reports = new CaseReports(this.ctx, blocker);
  }

  /** Listens for grant changes and records approvals that ended meanwhile (a restart, another node). */
  async start(): Promise<void> {
    if (!this.stopListening) this.stopListening = this.ctx.overrides.onChange(() => void this.sweep());
    await this.sweep();
  }

  /** Records ended approvals now; overlapping calls share one run and one follow-up. */
  sweep(): Promise<void> {
    if (this.sweeping) {
      this.sweepAgain = true;
      return this.sweeping;
    }
    const run = async (): Promise<void> => {
      do {
        this.sweepAgain = false;
        try {
          await this.unblock.expireDue();
        } catch (error) {
          this.ctx.onError(error, 'recording ended approvals');
        }
      } while (this.sweepAgain);
    };
    this.sweeping = run().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  register(query: RegisterQuery = {}): Promise<RegisterEntry[]> {
    return registerEntries(this.ctx.db, query, this.ctx.now());
  }

  async registerCsv(query: RegisterQuery = {}): Promise<string> {
    return registerCsv(await this.register(query));
  }

  figures(range: { from?: number; to?: number } = {}): Promise<OverblockingFigures> {
    return overblockingFigures(this.ctx.db, range);
  }

  /** Unblock requests made in [from, to) and decisions taken in it, for the governors' report. */
  periodFigures(period: { from: number; to: number }): Promise<RequestPeriodFigures> {
    return requestPeriodFigures(this.ctx.db, period);
  }

  /** Stops listening to the override store; waits for a sweep under way. */
  async close(): Promise<void> {
    this.stopListening?.();
    this.stopListening = null;
    await this.sweeping;
  }
}
