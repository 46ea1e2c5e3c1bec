// What an enforcement point does when the engine cannot decide (no catalogue, or `decide` threw):
// the policy's `failMode` for the person's role. Closed blocks everything for that role, open
// lets everything through; either way the decision says so, names the cause, and is logged like
// any other (rule `fail-closed` or `fail-open`, the cause in the event's reason).
import type { ResolvedPolicy } from '../policy/index.ts';
import { normaliseTargetSlow } from './normalise.ts';
import type { Decision, Person } from './types.ts';

export type FailMode = 'open' | 'closed';

const NONE: readonly string[] = Object.freeze([]);

/**
 * The role's own entry, else that of the role it is treated as (guest → pupil), else closed: a
 * role the policy forgot is never let through unfiltered.
 */
export function failModeFor(policy: Pick<ResolvedPolicy, 'failMode' | 'roles'>, role: string): FailMode {
  const own = policy.failMode[role];
  if (own) return own;
  const sameAs = policy.roles[role]?.sameAs;
  if (sameAs !== undefined) {
    const inherited = policy.failMode[sameAs];
    if (inherited) return inherited;
  }
  return 'closed';
}

export interface FailModeInput {
  policy: Pick<ResolvedPolicy, 'failMode' | 'roles'>;
  person: Person;
  /** what was asked for (URL, authority or bare host) */
  url: string;
  /** why the engine could not decide, for the page, the log and health */
  cause: string;
  policyRevision: string;
}

/** The host of a request, read without the engine (whose own reading may be what failed). */
function hostOf(url: string): string {
  try {
    const target = normaliseTargetSlow(url);
    if (target.error === '' && target.host !== '') return target.host;
  } catch {
    // fall through: the raw text is still the best name for the log
  }
  return typeof url === 'string' ? url.slice(0, 253).toLowerCase() : '';
}

export function failModeDecision(input: FailModeInput): Decision {
  const mode = failModeFor(input.policy, input.person.role);
  const closed = mode === 'closed';
  const role = input.policy.roles[input.person.role]?.title ?? input.person.role;
  const cannot = `Sites cannot be checked against the school's policy just now (${input.cause})`;
  return {
    action: closed ? 'block' : 'allow',
    logged: true,
    kind: closed ? 'block.fail-closed' : 'allow.fail-open',
    rule: closed ? 'fail-closed' : 'fail-open',
    layer: null,
    clauses: NONE,
    categories: NONE,
    reason: closed
      ? `${cannot}, so they are blocked until checking works again. The policy's fail mode for the ${role} role is closed.`
      : `${cannot}, so this visit was allowed unchecked and recorded. The policy's fail mode for the ${role} role is open.`,
    circumvention: false,
    policyRevision: input.policyRevision,
    host: hostOf(input.url),
    match: null,
    grant: null,
    supersedes: [],
    notes: NONE,
    failure: input.cause,
  };
}
