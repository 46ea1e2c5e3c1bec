// The counts behind the overview and the aggregate, the same on both engines. Events are counted
// per hour and per day (UTC buckets) in three kinds:
//   group: group × category × action (an event counts once per group and category; '' for none)
//   rule:  action × rule (each event once: the totals, the hours, the `log` rules)
//   block: category of a blocked event (once per category; '' for none)
// A range is answered from whole days, then whole hours, then the events themselves for the
// minutes at either end and for the oldest stored hour and day (retention may have deleted part
// of them after they were counted).
import type { AggregateRow, OverviewFigures } from './activity-store.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export type CountKind = 'group' | 'rule' | 'block';
export type CountSpan = 'hour' | 'day';

/** One stored (or live) count: `start` is the bucket's first epoch ms. */
export interface CountRow {
  kind: CountKind;
  start: number;
  a: string;
  b: string;
  c: string;
  n: number;
}

/** Events grouped by what the counts need: their hour, lists and action and rule. */
export interface RawCount {
  at: number;
  groups: readonly string[];
  categories: readonly string[];
  action: string;
  rule: string;
  n: number;
}

export interface CountSpans {
  days: [number, number] | null;
  hours: Array<[number, number]>;
  live: Array<[number, number]>;
}

const floorTo = (x: number, unit: number) => Math.floor(x / unit) * unit;
const ceilTo = (x: number, unit: number) => Math.ceil(x / unit) * unit;

/**
 * Splits [from, to) into whole days and whole hours read from the counts, and the parts read from
 * the events. `oldestAt` is the oldest stored event: its hour and day are read finer.
 */
export function countSpans(from: number, to: number, oldestAt: number | null, useDays: boolean): CountSpans {
  if (to <= from) return { days: null, hours: [], live: [] };
  let hourStart = ceilTo(from, HOUR_MS);
  const hourEnd = floorTo(to, HOUR_MS);
  if (oldestAt !== null) hourStart = Math.max(hourStart, floorTo(oldestAt, HOUR_MS) + HOUR_MS);
  if (hourEnd <= hourStart) return { days: null, hours: [], live: [[from, to]] };
  const live: Array<[number, number]> = [];
  if (from < hourStart) live.push([from, hourStart]);
  if (hourEnd < to) live.push([hourEnd, to]);
  if (!useDays) return { days: null, hours: [[hourStart, hourEnd]], live };
  // hourStart is past the oldest event's hour, so whole days from it are past the oldest's day too.
  const dayStart = ceilTo(hourStart, DAY_MS);
  const dayEnd = floorTo(hourEnd, DAY_MS);
  if (dayEnd <= dayStart) return { days: null, hours: [[hourStart, hourEnd]], live };
  const hours: Array<[number, number]> = [];
  if (hourStart < dayStart) hours.push([hourStart, dayStart]);
  if (dayEnd < hourEnd) hours.push([dayEnd, hourEnd]);
  return { days: [dayStart, dayEnd], hours, live };
}

/** Calls `emit` for each count one group of events adds, at each span asked for. */
export function expandCounts(
  raw: RawCount,
  spans: readonly CountSpan[],
  emit: (kind: CountKind, span: CountSpan, start: number, a: string, b: string, c: string, n: number) => void,
): void {
  const groups = raw.groups.length > 0 ? raw.groups : [''];
  const categories = raw.categories.length > 0 ? raw.categories : [''];
  for (const span of spans) {
    const start = floorTo(raw.at, span === 'hour' ? HOUR_MS : DAY_MS);
    for (const group of groups) for (const category of categories) emit('group', span, start, group, category, raw.action, raw.n);
    emit('rule', span, start, raw.action, raw.rule, '', raw.n);
    if (raw.action === 'block') for (const category of categories) emit('block', span, start, category, '', '', raw.n);
  }
}

/** Live events as count rows of the hour they fall in (the figures treat them as counted hours). */
export function liveRows(raws: Iterable<RawCount>): CountRow[] {
  const rows: CountRow[] = [];
  for (const raw of raws) {
    expandCounts(raw, ['hour'], (kind, _span, start, a, b, c, n) => rows.push({ kind, start, a, b, c, n }));
  }
  return rows;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** group × category × action, sorted; never a person (the counts hold none). */
export function aggregateOf(rows: Iterable<CountRow>): AggregateRow[] {
  const cells = new Map<string, AggregateRow>();
  for (const row of rows) {
    if (row.kind !== 'group' || row.n === 0) continue;
    const key = `${row.a}\u0000${row.b}\u0000${row.c}`;
    const cell = cells.get(key);
    if (cell) cell.count += row.n;
    else cells.set(key, { group: row.a, category: row.b, action: row.c as AggregateRow['action'], count: row.n });
  }
  return [...cells.values()].sort((x, y) => cmp(x.group, y.group) || cmp(x.category, y.category) || cmp(x.action, y.action));
}

/** The overview's totals, hours and blocks from hourly rows; alerts come from the events. */
export function overviewOf(rows: Iterable<CountRow>, alerts: OverviewFigures['alerts'], logRules: readonly string[]): OverviewFigures {
  const logged = new Set(logRules);
  const totals = { total: 0, allowed: 0, blocked: 0, warned: 0, logged: 0 };
  const hours = new Map<number, { hour: number; allowed: number; blocked: number }>();
  const blocks = new Map<string, number>();
  for (const row of rows) {
    if (row.n === 0) continue;
    if (row.kind === 'rule') {
      const action = row.a;
      let bucket = hours.get(row.start);
      if (!bucket) hours.set(row.start, (bucket = { hour: row.start, allowed: 0, blocked: 0 }));
      totals.total += row.n;
      if (action === 'allow') {
        totals.allowed += row.n;
        bucket.allowed += row.n;
        if (logged.has(row.b)) totals.logged += row.n;
      } else if (action === 'block') {
        totals.blocked += row.n;
        bucket.blocked += row.n;
      } else if (action === 'warn') totals.warned += row.n;
      else if (action === 'log') totals.logged += row.n;
    } else if (row.kind === 'block') {
      blocks.set(row.a, (blocks.get(row.a) ?? 0) + row.n);
    }
  }
  return {
    totals,
    byHour: [...hours.values()].sort((x, y) => x.hour - y.hour),
    blocksByCategory: [...blocks].map(([category, count]) => ({ category, count })).sort((x, y) => y.count - x.count || cmp(x.category, y.category)),
    alerts,
  };
}
