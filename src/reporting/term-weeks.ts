// Terms and weeks from the policy's calendar. A term runs from the start of its first day to the
// end of its last day in the school's own time zone; its weeks run Monday to Sunday, the first and
// last cut at the term's edges, so every instant of the term falls in exactly one week.
import { HedgerowError } from '../errors/index.ts';
import { parseZonedTime, type ResolvedPolicy } from '../policy/index.ts';
import type { ReportPeriod } from './report-sources.ts';

export interface ReportTerm extends ReportPeriod {
  name: string;
  /** YYYY-MM-DD, the first day */
  start: string;
  /** YYYY-MM-DD, the last day (inclusive) */
  end: string;
  timeZone: string;
  halfTerms: Array<{ start: string; end: string }>;
}

export interface ReportWeek extends ReportPeriod {
  /** YYYY-MM-DD, first day of the week within the term */
  start: string;
  /** YYYY-MM-DD, last day of the week within the term (inclusive) */
  end: string;
  /** every weekday of the week is in a half-term holiday */
  halfTerm: boolean;
}

const DAY_MS = 86_400_000;

/** `2026-09-02` + n days, as a date (no time zone involved). */
export function addDays(iso: string, days: number): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Monday … 6 = Sunday */
function weekday(iso: string): number {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

/** The start of a local day as an instant. */
export function dayStartAt(iso: string, timeZone: string): number {
  return parseZonedTime(`${iso}T00:00:00`, timeZone);
}

/** The policy's terms in date order, each with its instants; empty when the policy has no calendar. */
export function policyTerms(policy: Pick<ResolvedPolicy, 'calendar'>): ReportTerm[] {
  const calendar = policy.calendar;
  if (!calendar) return [];
  return calendar.terms
    .map((term) => ({
      name: term.name,
      start: term.start,
      end: term.end,
      timeZone: calendar.timeZone,
      halfTerms: term.halfTerms.map((h) => ({ start: h.start, end: h.end })),
      from: dayStartAt(term.start, calendar.timeZone),
      to: dayStartAt(addDays(term.end, 1), calendar.timeZone),
    }))
    .sort((a, b) => a.from - b.from);
}

/**
 * The term named (case and spacing ignored), or without a name: the term under way at `now`, else
 * the last one that has ended, else the first.
 */
export function chooseTerm(policy: Pick<ResolvedPolicy, 'calendar'>, name: string | undefined, now: number): ReportTerm {
  const terms = policyTerms(policy);
  if (terms.length === 0) {
    throw new HedgerowError('HR_REPORTING_NO_TERMS', "the policy's calendar names no terms, so there is no term to report on", { httpStatus: 404 });
  }
  if (name !== undefined && name.trim() !== '') {
    const key = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();
    const found = terms.find((term) => key(term.name) === key(name));
    if (!found) {
      throw new HedgerowError('HR_REPORTING_TERM', `no term \`${name}\` in the policy's calendar (terms: ${terms.map((t) => t.name).join(', ')})`, {
        where: { field: 'term' },
        httpStatus: 404,
      });
    }
    return found;
  }
  const current = terms.find((term) => term.from <= now && now < term.to);
  if (current) return current;
  const ended = terms.filter((term) => term.to <= now);
  return ended[ended.length - 1] ?? terms[0]!;
}

/** Monday-to-Sunday weeks of a term, cut at its first and last day. */
export function termWeeks(term: ReportTerm): ReportWeek[] {
  const weeks: ReportWeek[] = [];
  let start = term.start;
  while (start <= term.end) {
    const sunday = addDays(start, 6 - weekday(start));
    const end = sunday < term.end ? sunday : term.end;
    const weekdays: string[] = [];
    for (let day = start; day <= end; day = addDays(day, 1)) if (weekday(day) < 5) weekdays.push(day);
    const halfTerm = weekdays.length > 0 && weekdays.every((day) => term.halfTerms.some((h) => h.start <= day && day <= h.end));
    weeks.push({ start, end, halfTerm, from: dayStartAt(start, term.timeZone), to: dayStartAt(addDays(end, 1), term.timeZone) });
    start = addDays(end, 1);
  }
  return weeks;
}
