// A school's calendar compiled for the hot path. "Which named windows are open at this instant?"
// is asked on every request, so it must be a few array reads: no Intl call, no allocation.
//
// How: a window's openness depends only on the local wall-clock minute and on what kind of day it
// is locally (school day or not, weekend or not). So the compiler precomputes
//   - the zone's UTC-offset transitions over a span (the terms ±2 years), found with Intl and
//     bisection, binary-searched per query;
//   - a day class per local day of the span (Uint8Array);
//   - a Uint32Array(1440) of window bits per day class.
// Outside the span the same tables are reached through a slower path (Intl for the offset, the
// term list for the day class), so an instant outside the span is answered correctly, only slower.
//
// Wall-clock semantics on summer-time days: a window `01:00-02:00` is not open at all on the day
// the clocks go forward (that hour does not exist locally) and is open twice as long on the day
// they go back (the hour happens twice). This is what people reading the policy expect.
import { HedgerowError } from '../errors/index.ts';
import type { Calendar, WindowDef } from './schema.ts';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface LocalTime {
  /** YYYY-MM-DD, local */
  date: string;
  /** HH:MM, local */
  time: string;
  weekday: Weekday;
  minuteOfDay: number;
  schoolDay: boolean;
  /** the term whose dates contain the day (also during its half term), else null */
  term: string | null;
  halfTerm: boolean;
  /** the closure's name when the day is a closure (unnamed closures read `closure`) */
  closure: string | null;
  /** local time minus UTC */
  offsetMinutes: number;
}

export interface CompiledCalendar {
  readonly timeZone: string;
  /** bit i of a mask is windowNames[i] */
  readonly windowNames: readonly string[];
  /** 0 when unknown */
  windowMask(name: string): number;
  /** hot path: bit mask of the windows open at the instant */
  windowsAt(epochMs: number): number;
  /** for explanations and tests (allocates) */
  localTime(epochMs: number): LocalTime;
  /** `Tuesday 2026-11-24 10:15 (school day, Autumn 2026; lessons, work-time)` */
  describe(epochMs: number): string;
}

export interface CalendarProblem {
  /** dotted path of the field (`calendar.terms[1].halfTerms[0].end`) */
  field: string;
  message: string;
}

/** bits are `1 << index`, and bit 31 would turn masks negative */
export const MAX_WINDOWS = 31;

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1440;
/** how far beyond the first and last term the fast tables reach */
const SPAN_MARGIN_DAYS = 731;
/** Intl's limits for a Date; beyond them nothing is open */
const MAX_TIME = 8.64e15;
const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const DAY_KINDS = ['school-days', 'every-day', 'weekdays', 'weekends', 'non-school-days'] as const;
type DayKind = (typeof DAY_KINDS)[number];

// Day classes: everything a window's `on` can distinguish.
const CLASS_SCHOOL = 1;
const CLASS_WEEKEND = 2;
const DAY_CLASSES = 4;

interface Span {
  start: number;
  end: number;
}
interface Term extends Span {
  name: string;
  halfTerms: Span[];
}
interface Closure extends Span {
  name: string;
}
type Window =
  | { name: string; on: DayKind; ranges: Array<[number, number]>; complementOf: -1 }
  | { name: string; on: DayKind; ranges: never[]; complementOf: number };

interface Model {
  timeZone: string;
  /** bit per weekday, Monday = bit 0 */
  schoolWeekdays: number;
  terms: Term[];
  closures: Closure[];
  windows: Window[];
  /** window indexes, each after the window it is the complement of */
  order: number[];
}

/** Every problem of the calendar at once (for the linter); [] when it compiles. */
export function compileCalendarProblems(calendar: Calendar, fieldPrefix = 'calendar'): CalendarProblem[] {
  return analyse(calendar, fieldPrefix).problems;
}

/** Compiles the calendar; throws HR_POLICY_CALENDAR with the first problem. */
export function compileCalendar(calendar: Calendar, where: { file?: string; fieldPrefix?: string } = {}): CompiledCalendar {
  const { problems, model } = analyse(calendar, where.fieldPrefix ?? 'calendar');
  const first = problems[0];
  if (first || !model) {
    const problem = first ?? { field: where.fieldPrefix ?? 'calendar', message: 'the calendar cannot be compiled' };
    throw new HedgerowError('HR_POLICY_CALENDAR', problem.message, {
      where: where.file === undefined ? { field: problem.field } : { file: where.file, field: problem.field },
    });
  }
  return build(model);
}

// ---------------------------------------------------------------------------------------------
// Validation

function analyse(calendar: Calendar, prefix: string): { problems: CalendarProblem[]; model: Model | null } {
  const problems: CalendarProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ field: `${prefix}.${field}`, message });
  };

  const timeZone = calendar.timeZone;
  if (typeof timeZone !== 'string' || !isKnownTimeZone(timeZone)) problem('timeZone', `unknown time zone \`${String(timeZone)}\``);

  let schoolWeekdays = 0;
  (calendar.schoolDays ?? ['mon', 'tue', 'wed', 'thu', 'fri']).forEach((day, i) => {
    const index = WEEKDAYS.indexOf(day);
    if (index < 0) problem(`schoolDays[${i}]`, `unknown weekday \`${String(day)}\``);
    else schoolWeekdays |= 1 << index;
  });

  const date = (field: string, text: string): number | null => {
    const day = parseDate(text);
    if (day === null) problem(field, `not a date like 2026-09-02: \`${String(text)}\``);
    return day;
  };

  const terms: Term[] = [];
  const termFields: string[] = [];
  (calendar.terms ?? []).forEach((term, i) => {
    const at = `terms[${i}]`;
    const start = date(`${at}.start`, term.start);
    const end = date(`${at}.end`, term.end);
    const ok = start !== null && end !== null && end >= start;
    if (start !== null && end !== null && end < start) problem(`${at}.end`, `term \`${term.name}\` ends (\`${term.end}\`) before it starts (\`${term.start}\`)`);
    const halfTerms: Span[] = [];
    (term.halfTerms ?? []).forEach((half, k) => {
      const hat = `${at}.halfTerms[${k}]`;
      const hs = date(`${hat}.start`, half.start);
      const he = date(`${hat}.end`, half.end);
      if (hs === null || he === null) return;
      if (he < hs) {
        problem(`${hat}.end`, `half term ends (\`${half.end}\`) before it starts (\`${half.start}\`)`);
        return;
      }
      if (ok && hs < start) problem(`${hat}.start`, `half term starts (\`${half.start}\`) before term \`${term.name}\` starts (\`${term.start}\`)`);
      if (ok && he > end) problem(`${hat}.end`, `half term ends (\`${half.end}\`) after term \`${term.name}\` ends (\`${term.end}\`)`);
      halfTerms.push({ start: hs, end: he });
    });
    if (!ok) return;
    // NOTE: overlapping terms would make "which term is it?" ambiguous, so they are refused
    terms.forEach((other, j) => {
      if (start <= other.end && other.start <= end) {
        problem(`${at}.start`, `term \`${term.name}\` overlaps term \`${other.name}\` (${termFields[j]})`);
      }
    });
    terms.push({ name: term.name, start, end, halfTerms });
    termFields.push(`\`${term.start}\` to \`${term.end}\``);
  });

  const closures: Closure[] = [];
  (calendar.closures ?? []).forEach((closure, i) => {
    const at = `closures[${i}]`;
    const start = date(`${at}.date`, closure.date);
    const end = closure.end === undefined ? start : date(`${at}.end`, closure.end);
    if (start === null || end === null) return;
    if (end < start) {
      problem(`${at}.end`, `closure ends (\`${closure.end}\`) before it starts (\`${closure.date}\`)`);
      return;
    }
    closures.push({ name: closure.name ?? 'closure', start, end });
  });

  const windows = analyseWindows(calendar.windows ?? {}, problem);

  if (problems.length > 0 || windows === null) return { problems, model: null };
  return { problems, model: { timeZone, schoolWeekdays, terms, closures, windows: windows.windows, order: windows.order } };
}

function analyseWindows(
  defs: Record<string, WindowDef>,
  problem: (field: string, message: string) => void,
): { windows: Window[]; order: number[] } | null {
  const names = Object.keys(defs);
  let ok = true;
  if (names.length > MAX_WINDOWS) {
    problem('windows', `too many windows: ${names.length} (at most ${MAX_WINDOWS})`);
    ok = false;
  }
  const windows: Window[] = [];
  names.forEach((name) => {
    const def = defs[name] as Partial<{ on: string; times: string[]; complementOf: string }>;
    const at = `windows.${name}`;
    if (def.complementOf !== undefined) {
      const of = names.indexOf(def.complementOf);
      if (of < 0) {
        problem(`${at}.complementOf`, `unknown window \`${def.complementOf}\``);
        ok = false;
      }
      windows.push({ name, on: 'every-day', ranges: [], complementOf: of });
      return;
    }
    const on = (def.on ?? 'school-days') as DayKind;
    if (!DAY_KINDS.includes(on)) {
      problem(`${at}.on`, `unknown kind of day \`${String(def.on)}\` (one of ${DAY_KINDS.join(', ')})`);
      ok = false;
    }
    const times = def.times ?? [];
    if (times.length === 0) {
      problem(`${at}.times`, 'a window needs `times` or `complementOf`');
      ok = false;
    }
    const ranges: Array<[number, number]> = [];
    times.forEach((text, i) => {
      const range = parseRange(text);
      if (typeof range === 'string') {
        problem(`${at}.times[${i}]`, range);
        ok = false;
      } else {
        ranges.push(range);
      }
    });
    windows.push({ name, on, ranges, complementOf: -1 });
  });

  // Complements form chains (each names exactly one window), so following a chain either reaches
  // a window with times or comes back on itself.
  const order: number[] = [];
  const state = new Uint8Array(windows.length); // 0 new, 1 on the current chain, 2 placed
  for (let i = 0; i < windows.length; i++) {
    const chain: number[] = [];
    let w = i;
    while (state[w] === 0) {
      state[w] = 1;
      chain.push(w);
      const of = windows[w]!.complementOf;
      if (of < 0) break;
      w = of;
    }
    if (state[w] === 1 && windows[w]!.complementOf >= 0) {
      const cycle = chain.slice(chain.indexOf(w)).map((k) => windows[k]!.name);
      problem(`windows.${windows[w]!.name}.complementOf`, `windows refer to each other in a cycle: ${[...cycle, cycle[0]].map((n) => `\`${n}\``).join(' → ')}`);
      ok = false;
    }
    for (let k = chain.length - 1; k >= 0; k--) {
      state[chain[k]!] = 2;
      order.push(chain[k]!);
    }
  }
  return ok ? { windows, order } : null;
}

function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return timeZone !== '';
  } catch {
    return false;
  }
}

/** `YYYY-MM-DD` → days since 1970-01-01, or null when it is not a real date. */
function parseDate(text: string): number | null {
  const m = typeof text === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) : null;
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return ms / DAY_MS;
}

/** `08:50-10:30` → [530, 630] minutes, end exclusive, `24:00` allowed as an end; else a message. */
function parseRange(text: string): [number, number] | string {
  const m = typeof text === 'string' ? /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text) : null;
  if (!m) return `not a time range like 08:50-10:30: \`${String(text)}\``;
  const start = minutes(Number(m[1]), Number(m[2]));
  const end = minutes(Number(m[3]), Number(m[4]));
  if (start < 0 || end < 0) return `not a time range like 08:50-10:30: \`${text}\``;
  if (start >= end) return `time range \`${text}\` must start before it ends`;
  return [start, end];
}

function minutes(hour: number, minute: number): number {
  if (minute > 59 || hour > 24 || (hour === 24 && minute !== 0)) return -1;
  return hour * 60 + minute;
}

// ---------------------------------------------------------------------------------------------
// Compilation

function build(model: Model): CompiledCalendar {
  const { timeZone, windows } = model;
  const windowNames = Object.freeze(windows.map((w) => w.name));
  const bitOf = new Map(windowNames.map((name, i) => [name, 1 << i]));

  const masks = new Uint32Array(DAY_CLASSES * MINUTES_PER_DAY);
  for (const i of model.order) {
    const w = windows[i]!;
    const bit = 1 << i;
    for (let cls = 0; cls < DAY_CLASSES; cls++) {
      const row = cls * MINUTES_PER_DAY;
      if (w.complementOf >= 0) {
        const other = 1 << w.complementOf;
        for (let m = 0; m < MINUTES_PER_DAY; m++) if ((masks[row + m]! & other) === 0) masks[row + m]! |= bit;
      } else if (dayKindMatches(w.on, cls)) {
        for (const [start, end] of w.ranges) for (let m = start; m < end; m++) masks[row + m]! |= bit;
      }
    }
  }

  const facts = dayFacts(model);
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const offsetAt = (epochMs: number): number => zoneOffset(formatter, epochMs);

  // The fast span: local days [firstDay, lastDay]; UTC instants whose local day surely falls
  // inside it (offsets are under a day).
  let firstDay = 0;
  let dayClass = new Uint8Array(0);
  let fastStart = 0;
  let fastEnd = 0;
  let times: Float64Array = new Float64Array(0);
  let offsets: Float64Array = new Float64Array(0);
  const bounds = calendarBounds(model);
  if (bounds) {
    firstDay = bounds.start - SPAN_MARGIN_DAYS;
    const lastDay = bounds.end + SPAN_MARGIN_DAYS;
    dayClass = new Uint8Array(lastDay - firstDay + 1);
    for (let d = firstDay; d <= lastDay; d++) dayClass[d - firstDay] = facts.classOf(d);
    fastStart = (firstDay + 1) * DAY_MS;
    fastEnd = lastDay * DAY_MS;
    ({ times, offsets } = findTransitions(offsetAt, fastStart, fastEnd));
  }
  const last = times.length - 1;

  const offsetOf = (epochMs: number): number => {
    if (epochMs >= fastStart && epochMs < fastEnd) {
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid]! <= epochMs) lo = mid;
        else hi = mid - 1;
      }
      return offsets[lo]!;
    }
    return offsetAt(epochMs);
  };

  function windowsAt(epochMs: number): number {
    if (epochMs >= fastStart && epochMs < fastEnd) {
      // NOTE: the hot path; keep it free of calls that allocate
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid]! <= epochMs) lo = mid;
        else hi = mid - 1;
      }
      const local = epochMs + offsets[lo]!;
      const day = Math.floor(local / DAY_MS);
      const minute = Math.floor((local - day * DAY_MS) / MINUTE_MS);
      return masks[dayClass[day - firstDay]! * MINUTES_PER_DAY + minute]!;
    }
    return windowsAtSlowly(epochMs);
  }

  function windowsAtSlowly(epochMs: number): number {
    if (!(Math.abs(epochMs) <= MAX_TIME)) return 0;
    const local = epochMs + offsetAt(epochMs);
    const day = Math.floor(local / DAY_MS);
    const minute = Math.floor((local - day * DAY_MS) / MINUTE_MS);
    return masks[facts.classOf(day) * MINUTES_PER_DAY + minute]!;
  }

  function localTime(epochMs: number): LocalTime {
    if (typeof epochMs !== 'number' || !(Math.abs(epochMs) <= MAX_TIME)) {
      throw new HedgerowError('HR_ENGINE_QUERY', `not a time: \`${String(epochMs)}\``);
    }
    const offset = offsetOf(epochMs);
    const local = epochMs + offset;
    const day = Math.floor(local / DAY_MS);
    const minuteOfDay = Math.floor((local - day * DAY_MS) / MINUTE_MS);
    const term = facts.termOf(day);
    return {
      date: formatDay(day),
      time: `${pad2(Math.floor(minuteOfDay / 60))}:${pad2(minuteOfDay % 60)}`,
      weekday: WEEKDAYS[weekdayOf(day)]!,
      minuteOfDay,
      schoolDay: (facts.classOf(day) & CLASS_SCHOOL) !== 0,
      term: term ? term.name : null,
      halfTerm: term ? term.halfTerms.some((h) => day >= h.start && day <= h.end) : false,
      closure: facts.closureOf(day)?.name ?? null,
      offsetMinutes: Math.round(offset / MINUTE_MS),
    };
  }

  function describe(epochMs: number): string {
    const t = localTime(epochMs);
    const mask = windowsAt(epochMs);
    const open = windowNames.filter((_, i) => (mask & (1 << i)) !== 0);
    const weekend = t.weekday === 'sat' || t.weekday === 'sun';
    const kind = t.schoolDay
      ? 'school day'
      : t.closure !== null
        ? `closed: ${t.closure}`
        : t.halfTerm
          ? 'half term'
          : t.term === null
            ? 'holiday'
            : weekend
              ? 'weekend'
              : 'not a school day';
    const day = WEEKDAY_NAMES[WEEKDAYS.indexOf(t.weekday)];
    return `${day} ${t.date} ${t.time} (${kind}${t.term === null ? '' : `, ${t.term}`}; ${open.length > 0 ? open.join(', ') : 'no windows open'})`;
  }

  return Object.freeze({
    timeZone,
    windowNames,
    windowMask: (name: string): number => bitOf.get(name) ?? 0,
    windowsAt,
    localTime,
    describe,
  });
}

function dayKindMatches(on: DayKind, cls: number): boolean {
  switch (on) {
    case 'school-days':
      return (cls & CLASS_SCHOOL) !== 0;
    case 'non-school-days':
      return (cls & CLASS_SCHOOL) === 0;
    case 'weekdays':
      return (cls & CLASS_WEEKEND) === 0;
    case 'weekends':
      return (cls & CLASS_WEEKEND) !== 0;
    case 'every-day':
      return true;
  }
}

/** What the term list says about a local day (days since 1970-01-01); works for any day. */
function dayFacts(model: Model): { classOf(day: number): number; termOf(day: number): Term | undefined; closureOf(day: number): Closure | undefined } {
  const termOf = (day: number): Term | undefined => model.terms.find((t) => day >= t.start && day <= t.end);
  const closureOf = (day: number): Closure | undefined => model.closures.find((c) => day >= c.start && day <= c.end);
  const classOf = (day: number): number => {
    const weekday = weekdayOf(day);
    let cls = weekday >= 5 ? CLASS_WEEKEND : 0;
    if ((model.schoolWeekdays & (1 << weekday)) === 0) return cls;
    const term = termOf(day);
    if (!term) return cls;
    if (term.halfTerms.some((h) => day >= h.start && day <= h.end)) return cls;
    if (closureOf(day)) return cls;
    cls |= CLASS_SCHOOL;
    return cls;
  };
  return { classOf, termOf, closureOf };
}

function calendarBounds(model: Model): Span | null {
  const spans: Span[] = [...model.terms, ...model.closures];
  if (spans.length === 0) return null;
  return { start: Math.min(...spans.map((s) => s.start)), end: Math.max(...spans.map((s) => s.end)) };
}

/** Monday = 0; 1970-01-01 was a Thursday. */
function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

function formatDay(day: number): string {
  const d = new Date(day * DAY_MS);
  const year = d.getUTCFullYear();
  const y = year < 0 ? `-${String(-year).padStart(6, '0')}` : year > 9999 ? `+${String(year).padStart(6, '0')}` : String(year).padStart(4, '0');
  return `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local time minus UTC at the instant, in ms (whole seconds), read from Intl. */
function zoneOffset(formatter: Intl.DateTimeFormat, epochMs: number): number {
  const at = Math.floor(epochMs / 1000) * 1000;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of formatter.formatToParts(at)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      case 'era':
        bc = part.value.startsWith('B');
        break;
    }
  }
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 19xx
  const wall = new Date(0);
  wall.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  return wall.getTime() - at;
}

/**
 * The offset transitions in [start, end): `times[k]` is when `offsets[k]` begins (times[0] =
 * start). Samples once a day and bisects to the second where the offset changes.
 * NOTE: two changes that cancel out within one day would be missed; no zone has done that in
 * the era a school calendar covers.
 */
function findTransitions(offsetAt: (ms: number) => number, start: number, end: number): { times: Float64Array; offsets: Float64Array } {
  const step = DAY_MS;
  const times = [start];
  const offsets = [offsetAt(start)];
  let t = start;
  let current = offsets[0]!;
  while (t < end) {
    const next = Math.min(t + step, end);
    if (offsetAt(next) === current) {
      t = next;
      continue;
    }
    let lo = t;
    let hi = next;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offsetAt(mid) === current) lo = mid;
      else hi = mid;
    }
    current = offsetAt(hi);
    times.push(hi);
    offsets.push(current);
    t = hi;
  }
  return { times: Float64Array.from(times), offsets: Float64Array.from(offsets) };
}
