// The decision event every enforcement point records: built in one place so the proxy, the DNS
// filter and the block-page service write the same shape.
import { randomUUID } from 'node:crypto';
import type { Decision, DecisionEvent, EnforcementPoint, Person } from './types.ts';

export interface DecisionEventInput {
  point: EnforcementPoint;
  id?: string;
  at: number;
  person: Person;
  clientIp: string | null;
  decision: Decision;
  /** defaults to the decision's host */
  host?: string;
  url: string | null;
  searchTerm?: string | null;
  /** circumvention the enforcement point saw itself (SNI ≠ CONNECT host, non-TLS on 443) */
  circumvention?: boolean;
  warnReason?: string | null;
  device?: string | null;
}

export function decisionEvent(input: DecisionEventInput): DecisionEvent {
  const d = input.decision;
  return {
    v: 1,
    id: input.id ?? randomUUID(),
    at: input.at,
    point: input.point,
    person: input.person.id ?? null,
    role: input.person.role,
    groups: input.person.groups ? [...input.person.groups] : [],
    device: input.device ?? null,
    clientIp: input.clientIp,
    host: input.host ?? d.host,
    url: input.url,
    categories: d.categories,
    action: d.action,
    rule: d.rule,
    clauses: d.clauses,
    circumvention: d.circumvention || input.circumvention === true,
    policyRevision: d.policyRevision,
    // a fail-mode event carries its cause, so the log explains itself
    warnReason: input.warnReason ?? d.failure ?? null,
    searchTerm: input.searchTerm ?? null,
  };
}
