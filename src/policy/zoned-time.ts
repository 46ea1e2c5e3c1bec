// Wall-clock times in a named zone. Scenario files and `hedgerow check --at` say "10:15 on
// Tuesday" in the school's own time; this turns that into an instant, summer time included.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
export function zoneOffsetMs(timeZone: string, epochMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

const ISO_WITH_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;

/**
 * Parse an ISO-8601 time. With `Z` or an offset it is an instant; without, it is wall-clock time
 * in `timeZone`. In the hour that happens twice when clocks go back, the first is taken; a time
 * that never happens (clocks going forward) moves forward by the gap. Returns NaN when unreadable.
 */
export function parseZonedTime(text: string, timeZone: string): number {
  const trimmed = text.trim();
  if (ISO_WITH_ZONE.test(trimmed)) {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  }
  const m = ISO_LOCAL.exec(trimmed);
  if (!m) return Number.NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(wall)) return Number.NaN;
  // Two passes settle on the right offset except inside a gap or overlap.
  const firstGuess = wall - zoneOffsetMs(timeZone, wall);
  const candidateA = wall - zoneOffsetMs(timeZone, firstGuess);
  const candidateB = wall - zoneOffsetMs(timeZone, candidateA);
  return Math.min(candidateA, candidateB);
}
