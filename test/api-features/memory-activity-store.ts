// A test double of ActivityStore over an array of events, for the route logic only (who may see
// what, how answers are shaped). The real SQLite and PostgreSQL stores are tested on their own.
// It follows the interface's documented filter meanings: lists match any of their entries, an
// empty list matches nothing, a host matches itself and its subdomains, newest first.
import type { ActivityFilter, ActivityPage, ActivityStore, AggregateRow, OverviewFigures, OverviewOptions } from '../../src/activity/index.ts';
import type { DecisionEvent } from '../../src/engine/index.ts';

export class MemoryActivityStore implements ActivityStore {
  readonly kind = 'sqlite' as const;
  /** every filter the routes asked for, to check what reached the store */
  readonly asked: Array<Omit<ActivityFilter, 'cursor' | 'limit'>> = [];
  private readonly events: DecisionEvent[];

  constructor(events: readonly DecisionEvent[]) {
    this.events = [...events].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
  }

  private matching(filter: Omit<ActivityFilter, 'cursor' | 'limit'>): DecisionEvent[] {
    this.asked.push(filter);
    const host = filter.host?.toLowerCase();
    return this.events.filter(
      (e) =>
        e.at >= filter.from &&
        e.at < filter.to &&
        (!filter.people || (e.person !== null && filter.people.includes(e.person))) &&
        (!filter.groups || e.groups.some((g) => filter.groups!.includes(g))) &&
        (!filter.roles || filter.roles.includes(e.role)) &&
        (!host || e.host === host || e.host.endsWith(`.${host}`)) &&
        (!filter.category || e.categories.includes(filter.category)) &&
        (!filter.action || e.action === filter.action),
    );
  }

  async search(filter: ActivityFilter): Promise<ActivityPage> {
    const { cursor, limit = 100, ...rest } = filter;
    let rows = this.matching(rest);
    if (cursor) {
      const index = rows.findIndex((e) => e.id === cursor);
      rows = rows.slice(index + 1);
    }
    const page = rows.slice(0, limit);
    return { items: page, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
  }

  async *exportCsv(filter: Omit<ActivityFilter, 'cursor' | 'limit'>): AsyncIterable<string> {
    yield 'at,person,role,host,action\r\n';
    for (const e of this.matching(filter)) yield `${e.at},${e.person ?? ''},${e.role},${e.host},${e.action}\r\n`;
  }

  async overview(from: number, to: number, options: OverviewOptions = {}): Promise<OverviewFigures> {
    const rows = this.events.filter((e) => e.at >= from && e.at < to);
    const logRules = new Set(options.logRules ?? []);
    const byHour = new Map<number, { hour: number; allowed: number; blocked: number }>();
    const byCategory = new Map<string, number>();
    for (const e of rows) {
      const hour = Math.floor(e.at / 3_600_000) * 3_600_000;
      const bucket = byHour.get(hour) ?? { hour, allowed: 0, blocked: 0 };
      if (e.action === 'block') bucket.blocked++;
      else bucket.allowed++;
      byHour.set(hour, bucket);
      if (e.action === 'block') for (const c of e.categories.length > 0 ? e.categories : ['']) byCategory.set(c, (byCategory.get(c) ?? 0) + 1);
    }
    return {
      totals: {
        total: rows.length,
        allowed: rows.filter((e) => e.action === 'allow').length,
        blocked: rows.filter((e) => e.action === 'block').length,
        warned: rows.filter((e) => e.action === 'warn').length,
        logged: rows.filter((e) => logRules.has(e.rule)).length,
      },
      byHour: [...byHour.values()].sort((a, b) => a.hour - b.hour),
      blocksByCategory: [...byCategory].map(([category, count]) => ({ category, count })).sort((a, b) => b.count - a.count),
      alerts: rows.filter((e) => e.circumvention).slice(0, 50).map((e) => ({ at: e.at, person: e.person, host: e.host, rule: e.rule })),
    };
  }

  async aggregate(from: number, to: number): Promise<AggregateRow[]> {
    const counts = new Map<string, AggregateRow>();
    for (const e of this.events) {
      if (e.at < from || e.at >= to) continue;
      for (const group of e.groups.length > 0 ? e.groups : ['']) {
        for (const category of e.categories.length > 0 ? e.categories : ['']) {
          const key = `${group}\0${category}\0${e.action}`;
          const row = counts.get(key) ?? { group, category, action: e.action, count: 0 };
          row.count++;
          counts.set(key, row);
        }
      }
    }
    return [...counts.values()];
  }

  async close(): Promise<void> {}
}
