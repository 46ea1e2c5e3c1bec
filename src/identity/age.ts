// Age in whole years on a given instant, counted in the school's time zone: a pupil born on
// 5 March is 9 from the first moment of 5 March in Europe/London, whatever the server's zone.
import { HedgerowError } from '../errors/index.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    } catch {
      throw new HedgerowError('HR_IDENTITY_INPUT', `unknown time zone \`${timeZone}\``);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The calendar date of an instant in a zone, as numbers. */
export function localDate(epochMs: number, timeZone: string): { year: number; month: number; day: number } {
  const parts = formatter(timeZone).formatToParts(new Date(epochMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

/** `YYYY-MM-DD` of an instant in a zone. */
export function localIsoDate(epochMs: number, timeZone: string): string {
  const { year, month, day } = localDate(epochMs, timeZone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Whole years from `dateOfBirth` (`YYYY-MM-DD`) to the local date of `epochMs` in `timeZone`.
 * A birthday on 29 February is reached on 1 March in other years (as English law counts it):
 * the comparison of (month, day) pairs gives exactly that. Null before birth or for a bad date.
 */
export function ageOn(dateOfBirth: string, epochMs: number, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateOfBirth);
  if (!m) return null;
  const [by, bm, bd] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const today = localDate(epochMs, timeZone);
  let age = today.year - by;
  if (today.month < bm || (today.month === bm && today.day < bd)) age -= 1;
  return age < 0 ? null : age;
}
