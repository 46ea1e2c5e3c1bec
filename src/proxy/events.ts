// One DecisionEvent per decision the proxy enforces. The sink is called synchronously and never
// awaited; a sink that throws must not take traffic down with it.
import { randomUUID } from 'node:crypto';
import type { Decision, DecisionEvent, DecisionSink, Person } from '../engine/types.ts';
import { decisionEvent } from '../engine/events.ts';

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
  return decisionEvent({ ...input, point: 'proxy' });
}

export function emit(sink: DecisionSink | undefined, event: DecisionEvent, onError: (err: unknown) => void): void {
  if (!sink) return;
  try {
    sink(event);
  } catch (err) {
    onError(err);
  }
}
