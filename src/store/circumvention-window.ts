// Circumvention attempts per person over a sliding window, in memory. The workflows turn a
// threshold crossing into a sanction proposal; this only counts and says when the line is crossed.
import type { DecisionEvent } from '../engine/index.ts';

export interface CircumventionWindowOptions {
  windowMs: number;
  /** crossing it (count goes from threshold − 1 to threshold) calls `onThreshold` once */
  threshold?: number;
  onThreshold?: (person: string, count: number, events: DecisionEvent[]) => void;
  /** events kept per person; older ones beyond this are dropped so memory stays bounded */
  maxPerPerson?: number;
}

export class CircumventionWindow {
  private readonly byPerson = new Map<string, DecisionEvent[]>();
  private readonly options: CircumventionWindowOptions;
  private readonly maxPerPerson: number;

  constructor(options: CircumventionWindowOptions) {
    this.options = options;
    this.maxPerPerson = options.maxPerPerson ?? Math.max(1000, (options.threshold ?? 0) * 4);
  }

  /** Counts the event if it is a circumvention attempt by a known person (rebuilding at open does not announce). */
  note(event: DecisionEvent, now: number, announce = true): void {
    if (!event.circumvention || event.person === null || event.person === undefined) return;
    const list = this.prune(event.person, now) ?? [];
    if (list.length === 0) this.byPerson.set(event.person, list);
    list.push(event);
    if (list.length > this.maxPerPerson) list.shift();
    const { threshold, onThreshold } = this.options;
    if (announce && threshold !== undefined && onThreshold && list.length === threshold) {
      const person = event.person;
      const events = [...list];
      // Outside the sink's call so a slow or failing handler never reaches the data path.
      queueMicrotask(() => onThreshold(person, events.length, events));
    }
  }

  /**
   * Merges events found in the store (rebuilding after open, when the store answers later than
   * new events arrive) in time order; an event already counted is not counted twice. Never announces.
   */
  restore(events: readonly DecisionEvent[], now: number): void {
    const byPerson = new Map<string, DecisionEvent[]>();
    for (const event of events) {
      if (!event.circumvention || event.person === null || event.person === undefined) continue;
      let list = byPerson.get(event.person);
      if (!list) byPerson.set(event.person, (list = []));
      list.push(event);
    }
    for (const [person, found] of byPerson) {
      const merged = new Map<string, DecisionEvent>();
      for (const event of [...found, ...(this.byPerson.get(person) ?? [])]) merged.set(event.id, event);
      const list = [...merged.values()].sort((a, b) => a.at - b.at);
      if (list.length > this.maxPerPerson) list.splice(0, list.length - this.maxPerPerson);
      this.byPerson.set(person, list);
      this.prune(person, now);
    }
  }

  count(person: string, now: number): number {
    return this.prune(person, now)?.length ?? 0;
  }

  /** Drops events older than the window; forgets people with none left. */
  private prune(person: string, now: number): DecisionEvent[] | undefined {
    const list = this.byPerson.get(person);
    if (!list) return undefined;
    const start = now - this.options.windowMs;
    let drop = 0;
    while (drop < list.length && list[drop]!.at <= start) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length === 0) this.byPerson.delete(person);
    return list;
  }

  /** Forgets everyone with nothing inside the window (run now and then to bound memory). */
  sweep(now: number): void {
    for (const person of [...this.byPerson.keys()]) this.prune(person, now);
  }
}
