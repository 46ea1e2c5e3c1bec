// The JSON the dashboard reads, as the API contract describes it. Times are epoch milliseconds.
import type { Action } from '../../src/access/actions.ts';

export type { Action };

export interface Account {
  id: string;
  username: string;
  displayName: string;
  role: string;
  groups: string[];
}

export interface SessionInfo {
  account: Account;
  csrfToken: string;
  permissions: Action[];
}

export type DecisionAction = 'allow' | 'block' | 'warn' | 'log';

export interface DecisionEvent {
  id: string;
  at: number;
  point: string;
  person: string | null;
  role: string;
  groups: string[];
  device: string | null;
  clientIp: string | null;
  host: string;
  url: string | null;
  categories: string[];
  action: DecisionAction;
  rule: string;
  clauses: string[];
  circumvention: boolean;
  policyRevision: string;
  warnReason: string | null;
  searchTerm: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Overview {
  date: string;
  totals: { total: number; allowed: number; blocked: number; warned: number; logged: number };
  /** `hour` is 0–23 of the school's day, or the epoch ms of the hour's start */
  byHour: Array<{ hour: number; allowed: number; blocked: number }>;
  blocksByCategory: Array<{ category: string; title?: string; count: number }>;
  /** `person` is null when the reader may not see who it was (`personHidden`) or nobody was identified */
  alerts: Array<{ at: number; person: string | null; personHidden?: boolean; kind?: string; host: string; rule: string }>;
  openRequests: number;
  points: Array<{ name: string; enabled: boolean; listening: string | null; healthy: boolean }>;
}

export interface RuleWho {
  roles?: string[];
  groups?: string[];
  minAge?: number;
  maxAge?: number;
  exceptRoles?: string[];
}

export interface RuleWhat {
  categories?: string[];
  sites?: string[];
  fileTypes?: string[];
  ipLiteral?: boolean;
  belowMinimumAge?: boolean;
  any?: boolean;
}

export interface PolicyRule {
  id: string;
  layer: string;
  title?: string;
  clauses: string[];
  who: RuleWho;
  when: 'always' | string[];
  what: RuleWhat;
  action: DecisionAction;
  reason: string;
  locked: boolean;
  legal: boolean;
  circumvention?: boolean;
  /** the API's judgement: a rule of the editable (school) layer, neither locked nor legal */
  editable?: boolean;
}

export interface PolicyLayer {
  id: string;
  name: string;
  file?: string;
  editable?: boolean;
  /** council, trust, federation or school */
  kind?: string;
  layer?: string;
  locked?: boolean;
}

export interface PolicyClause {
  id: string;
  text: string;
  layer: string;
}

/** Categories, roles, groups and windows arrive as lists or as maps of id → definition. */
export type NamedCollection = Array<string | Record<string, unknown>> | Record<string, unknown>;

export interface PolicyView {
  revision: string;
  layers: PolicyLayer[];
  clauses: PolicyClause[];
  rules: PolicyRule[];
  categories?: NamedCollection;
  roles?: NamedCollection;
  groups?: NamedCollection;
  windows?: NamedCollection;
  monitoringPurposes?: NamedCollection;
  /** the school's IANA time zone */
  timeZone?: string;
}

export interface SimulatedDecision {
  action: DecisionAction;
  reason: string;
  rule: string;
  clauses: string[];
  categories: string[];
  kind?: string;
  grant?: string | null;
  host?: string;
  /** the whole decision as one sentence */
  explanation?: string;
}

export interface SimulateResult {
  decision: SimulatedDecision;
  person?: { id?: string | null; role?: string; groups?: string[]; age?: number | null } | null;
  at?: number;
  /** the time as the school's calendar sees it (`Tuesday 24 November 2026 10:15 (school day; lessons, work-time)`) */
  time?: string;
}

export interface OverrideScope {
  groups?: string[];
  roles?: string[];
  people?: string[];
}

export interface Override {
  id: string;
  kind?: string;
  scope: OverrideScope;
  what: { sites?: string[]; categories?: string[] };
  from: number;
  until: number | null;
  reason: string;
  grantedBy?: string;
  grantedAt?: number;
  revokedAt?: number | null;
  revokedBy?: string | null;
  revokeReason?: string | null;
  state?: string;
}

export interface PersonRow {
  username: string;
  displayName: string;
  role: string;
  groups: string[];
  active?: boolean;
  source?: string;
  devices?: string[];
}

export interface Device {
  device: string;
  username: string;
  registeredAt?: number;
}

export interface Network {
  cidr: string;
  role: string;
  groups?: string[];
}

export interface RosterReport {
  imported?: number;
  updated?: number;
  problems?: Array<string | { line?: number; field?: string; message: string; where?: unknown }>;
}

export type AlertKind = 'circumvention' | 'unblock-request' | 'enforcement-health' | 'legal-block';

export interface AlertRecipient {
  address: string;
  name?: string;
  alerts: AlertKind[];
}

export interface SettingsView {
  points: unknown;
  retention: Record<string, unknown>;
  alertRecipients: AlertRecipient[];
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  reason: string | null;
}

export interface AuditVerify {
  ok: boolean;
  /** the sequence number of the first entry that does not follow from the one before */
  brokenAt: number | null;
  checkedAt?: number;
}

export interface AggregateRow {
  group: string;
  category: string;
  action: DecisionAction;
  count: number;
}
