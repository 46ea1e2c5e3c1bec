// Where the server wraps `decide` for the proxy, the DNS filter and the block-page service: when
// the engine cannot decide (no catalogue at start, or `decide` throws), the policy's `failMode`
// for the person's role answers instead (closed blocks, open allows), and health says so.
import { failModeDecision, failModeFor, type Decision, type DecisionQuery, type FailMode } from '../engine/index.ts';
import type { ResolvedPolicy } from '../policy/index.ts';

export interface FailModeHealth {
  /** fail modes are being applied now */
  active: boolean;
  /** epoch ms since when, while active */
  since: number | null;
  /** why the engine cannot decide, while active */
  why: string | null;
  /** each role's fail mode in the policy in force */
  roles: Record<string, FailMode>;
  /** fail-mode decisions taken since start */
  decisions: { closed: number; open: number };
}

export interface DecisionGuardOptions {
  policy: () => Pick<ResolvedPolicy, 'failMode' | 'roles'>;
  revision: () => string;
  now: () => number;
  say: (line: string) => void;
  /** after the last failed decision, health shows fail mode active this long (default 60 s) */
  holdMs?: number;
}

export class DecisionGuard {
  private readonly options: DecisionGuardOptions;
  private readonly holdMs: number;
  /** the engine cannot decide at all (no catalogue): every decision is a fail-mode one */
  private unavailable: { since: number; why: string } | null = null;
  /** decisions that threw: the first of the run, the last, and why */
  private failing: { since: number; last: number; why: string } | null = null;
  private readonly counts = { closed: 0, open: 0 };

  constructor(options: DecisionGuardOptions) {
    this.options = options;
    this.holdMs = options.holdMs ?? 60_000;
  }

  /** Every decision takes each role's fail mode from now on (`why`), or no longer (null). */
  setUnavailable(why: string | null): void {
    if (why === null) {
      if (this.unavailable) this.options.say('the engine decides again; fail modes no longer apply');
      this.unavailable = null;
      return;
    }
    this.unavailable = { since: this.unavailable?.since ?? this.options.now(), why };
  }

  get isUnavailable(): boolean {
    return this.unavailable !== null;
  }

  /** `decide`, or the role's fail mode when it cannot answer; never throws. */
  decide(query: DecisionQuery, decide: (query: DecisionQuery) => Decision): Decision {
    if (this.unavailable) return this.fallback(query, this.unavailable.why);
    try {
      return decide(query);
    } catch (error) {
      const why = `the decision failed: ${(error as Error)?.message ?? String(error)}`;
      const now = this.options.now();
      if (!this.failing || now - this.failing.last > this.holdMs) {
        this.failing = { since: now, last: now, why };
        // once per run of failures, not once per request
        this.options.say(`decisions are failing (${why}); each role's fail mode applies`);
      } else {
        this.failing.last = now;
        this.failing.why = why;
      }
      return this.fallback(query, why);
    }
  }

  private fallback(query: DecisionQuery, why: string): Decision {
    const decision = failModeDecision({ policy: this.options.policy(), person: query.person, url: query.url, cause: why, policyRevision: this.options.revision() });
    if (decision.action === 'block') this.counts.closed++;
    else this.counts.open++;
    return decision;
  }

  report(): FailModeHealth {
    const policy = this.options.policy();
    const roles = Object.fromEntries(Object.keys(policy.roles).map((role) => [role, failModeFor(policy, role)]));
    const recent = this.failing !== null && this.options.now() - this.failing.last <= this.holdMs ? this.failing : null;
    const state = this.unavailable ?? recent;
    return {
      active: state !== null,
      since: state?.since ?? null,
      why: state?.why ?? null,
      roles,
      decisions: { ...this.counts },
    };
  }
}
