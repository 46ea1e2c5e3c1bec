// The engine's wire types. Every enforcement point (proxy, DNS, mail, CLI, API) asks with a
// `DecisionQuery` and gets a `Decision` back; the Decision always carries its explanation.
import type { Action } from '../policy/schema.ts';

export type { Action };

export interface Person {
  /** username or other stable id; absent for unidentified clients */
  id?: string;
  role: string;
  groups?: readonly string[];
  /** age in whole years at the time of the query */
  age?: number;
  /** a supervised-only sanction is in force (8.2) */
  supervisedOnly?: boolean;
  /** a supervising teacher has opened a supervised session for this person */
  supervised?: boolean;
}

export interface DecisionQuery {
  person: Person;
  /** a raw URL (`https://…`), an authority (`host:443`) or a bare host */
  url: string;
  /** epoch milliseconds; the engine never reads the clock */
  at: number;
  device?: string;
  clientIp?: string;
  /** active time-boxed grants, already compiled (see `compileGrants`) */
  grants?: GrantSet;
}

/** A time-boxed permission: a teacher's curriculum grant or an approved unblock request. */
export interface Grant {
  id: string;
  kind: 'curriculum' | 'unblock';
  scope: { roles?: string[]; groups?: string[]; people?: string[] };
  what: { sites?: string[]; categories?: string[] };
  /** epoch ms, inclusive */
  from: number;
  /** epoch ms, exclusive */
  until: number;
  reason: string;
  grantedBy?: string;
  clauses?: string[];
}

/** Opaque compiled grants; built once per change, shared by every query. */
export interface GrantSet {
  readonly grants: readonly Grant[];
  readonly revision: number;
}

/** Stable wire names for why a decision came out as it did. */
export type ReasonKind =
  | 'block.legal'
  | 'block.sanction'
  | 'allow.supervised'
  | 'allow.site'
  | 'block.site'
  | 'warn.site'
  | 'log.site'
  | 'allow.grant'
  | 'allow.category'
  | 'block.category'
  | 'warn.category'
  | 'log.category'
  | 'block.circumvention'
  | 'block.file-type'
  | 'block.minimum-age'
  | 'allow.default'
  | 'block.default'
  | 'warn.default'
  | 'log.default'
  | 'block.invalid'
  // the engine could not decide; the policy's `failMode` for the role applied
  | 'block.fail-closed'
  | 'allow.fail-open';

export interface CatalogueMatch {
  /** the catalogue entry that matched (`youtube.com` for `m.youtube.com`) */
  entry: string;
  /** where the entry came from (`starter`, `ut1`, a file name); shared between decisions, read-only */
  lists: readonly string[];
  /** the catalogue's own category names (`ut1/social_networks`); shared between decisions, read-only */
  sourceCategories: readonly string[];
  minimumAge?: number;
}

export interface SupersededRule {
  readonly rule: string;
  readonly layer: string;
  readonly action: Action;
}

export interface Decision {
  action: Exclude<Action, 'log'> | 'allow';
  /**
   * the decision is recorded in the decision log: always, since all use on school and council
   * equipment is monitored. A rule's `log` action allows and marks the event for review; that
   * shows in `kind` (`log.category`, `log.default`).
   */
  logged: true;
  kind: ReasonKind;
  /** the rule id that fired, or `default` */
  rule: string;
  layer: string | null;
  // NOTE: the arrays of a Decision are shared (frozen) between decisions, so that deciding
  // allocates almost nothing; copy one before changing it
  clauses: readonly string[];
  /** the policy's categories of the host */
  categories: readonly string[];
  reason: string;
  circumvention: boolean;
  policyRevision: string;
  host: string;
  match: CatalogueMatch | null;
  grant: string | null;
  /** lower-precedence rules this decision beat (school site rule over council category rule) */
  supersedes: readonly SupersededRule[];
  /** normalisation findings (userinfo trick, encoded IP, …) */
  notes: readonly string[];
  /** why the engine could not decide, on fail-mode decisions only (`block.fail-closed`, `allow.fail-open`) */
  failure?: string;
}

/** Where a decision was enforced. */
export type EnforcementPoint = 'proxy' | 'dns' | 'mail' | 'cli' | 'api' | 'check';

/** One decision as recorded by the decision log (versioned so old events stay readable). */
export interface DecisionEvent {
  v: 1;
  /** unique id, also shown on block pages as the reference */
  id: string;
  at: number;
  point: EnforcementPoint;
  person: string | null;
  role: string;
  groups: string[];
  device: string | null;
  clientIp: string | null;
  host: string;
  /** the full URL where the enforcement point saw one (plain HTTP, inspected HTTPS) */
  url: string | null;
  categories: readonly string[];
  action: Decision['action'];
  rule: string;
  clauses: readonly string[];
  circumvention: boolean;
  policyRevision: string;
  /**
   * the reason recorded with the event: what a person gave to continue past a warning, or, on a
   * fail-mode event (rule `fail-closed` / `fail-open`), why the engine could not decide
   */
  warnReason: string | null;
  /** the search term, where a search engine or video site URL carries one */
  searchTerm: string | null;
}

/** Adapters (proxy, DNS, mail) never touch the store; they hand events to a sink. */
export type DecisionSink = (event: DecisionEvent) => void;
