// One DecisionEvent per decision the proxy enforces. The sink is called synchronously and never
// awaited; a sink that throws must not take traffic down with it.
import { randomUUID } from 'node:crypto';
import type { Decision, DecisionEvent, DecisionSink, Person } from '../engine/types.ts';

export interface EventInput {
  id?: string;
  at: number;
  person: Person;
  clientIp: string;
  decision: Decision;
  host: string;
  url: string | null;
  searchTerm: string | null;
  /** extra circumvention seen by the proxy (SNI ≠ CONNECT host, non-TLS on 443) */
  circumvention?: boolean;
  warnReason?: string | null;
}

export function newEventId(): string {
  return randomUUID();
}

export function buildEvent(input: EventInput): DecisionEvent {
  const d = input.decision;
  return {
    v: 1,
    id: input.id ?? randomUUID(),
    at: input.at,
    point: 'proxy',
    person: input.person.id ?? null,
    role: input.person.role,
    groups: input.person.groups ? [...input.person.groups] : [],
    device: null,
    clientIp: input.clientIp,
    host: input.host,
    url: input.url,
    categories: d.categories,
    action: d.action,
    rule: d.rule,
    clauses: d.clauses,
    circumvention: d.circumvention || input.circumvention === true,
    policyRevision: d.policyRevision,
    warnReason: input.warnReason ?? null,
    searchTerm: input.searchTerm,
  };
}

export function emit(sink: DecisionSink | undefined, event: DecisionEvent, onError: (err: unknown) => void): void {
  if (!sink) return;
  try {
    sink(event);
  } catch (err) {
    onError(err);
  }
}
