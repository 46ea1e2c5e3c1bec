// The evidence pack's CSV files: a header row, then one record per row; RFC 4180 quoting and CRLF
// line ends, and a cell a spreadsheet would run as a formula (= + - @) prefixed with `'` (sites,
// reasons and test addresses are typed by people and must not run on the reviewer's computer).
// Times are ISO 8601 in the school's own zone, with the offset, so they read as local time and
// still name one instant.
import { csvCell } from '../activity/index.ts';
import { zoneOffsetMs, type ResolvedPolicy } from '../policy/index.ts';
import { describeOverrideScope, describeScope, type ReviewPack } from './review-pack.ts';
import { formatShown } from './small-numbers.ts';

export type CsvValue = string | number | boolean | null;

export const REVIEW_CSV_FILES = ['register', 'check-log', 'overrides', 'incidents'] as const;
export type ReviewCsvFile = (typeof REVIEW_CSV_FILES)[number];

/** `2026-11-03T14:05:00+00:00` in the zone given. */
export function isoInZone(epochMs: number, timeZone: string): string {
  const offset = zoneOffsetMs(timeZone, epochMs);
  const local = new Date(Math.floor(epochMs / 1000) * 1000 + offset).toISOString().slice(0, 19);
  const minutes = Math.round(offset / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function csvText(header: readonly string[], rows: ReadonlyArray<readonly CsvValue[]>): string {
  let text = `${header.map(csvCell).join(',')}\r\n`;
  for (const row of rows) text += `${row.map(csvCell).join(',')}\r\n`;
  return text;
}

export function registerCsv(pack: ReviewPack, policy: Pick<ResolvedPolicy, 'groups' | 'roles'>): string {
  const zone = pack.period.timeZone;
  return csvText(
    ['decided_at', 'requested_at', 'site', 'categories', 'decision', 'scope', 'until', 'recommendation', 'decided_by', 'reason', 'clauses', 'request_id'],
    pack.register.map((r) => [
      isoInZone(r.decidedAt, zone),
      isoInZone(r.requestedAt, zone),
      r.site,
      r.categories.join(';'),
      r.decision,
      describeScope(r.scope, policy),
      r.until === null ? null : isoInZone(r.until, zone),
      r.recommendation,
      r.decidedBy,
      r.reason,
      r.clauses.join(';'),
      r.id,
    ]),
  );
}

export function checkLogCsv(pack: ReviewPack): string {
  const zone = pack.period.timeZone;
  return csvText(
    ['time', 'test', 'url', 'as', 'path', 'expected', 'result', 'passed', 'detail'],
    pack.checkLog.map((c) => [isoInZone(c.at, zone), c.test, c.url, c.as, c.path, c.expected, c.got, c.passed ? 'yes' : 'no', c.detail]),
  );
}

export function overridesCsv(pack: ReviewPack, policy: Pick<ResolvedPolicy, 'groups' | 'roles'>): string {
  const zone = pack.period.timeZone;
  return csvText(
    ['id', 'kind', 'scope', 'sites', 'categories', 'from', 'until', 'revoked_at', 'state_at_export', 'reason', 'granted_by', 'granted_at'],
    pack.overrides.map((o) => [
      o.id,
      o.kind,
      describeOverrideScope(o, policy),
      (o.what.sites ?? []).join(';'),
      (o.what.categories ?? []).join(';'),
      isoInZone(o.from, zone),
      o.until === null ? null : isoInZone(o.until, zone),
      o.revokedAt === null ? null : isoInZone(o.revokedAt, zone),
      o.state,
      o.reason,
      o.grantedBy,
      isoInZone(o.grantedAt, zone),
    ]),
  );
}

/** The incidents summary: counts by type and by outcome, small ones hidden as in the governors' report. */
export function incidentsCsv(pack: ReviewPack): string {
  return csvText(
    ['view', 'id', 'title', 'count'],
    [
      ['total', '', 'All incidents', formatShown(pack.incidents.total)],
      ...pack.incidents.byType.map((t): CsvValue[] => ['type', t.id, t.title, formatShown(t.count)]),
      ...pack.incidents.byOutcome.map((o): CsvValue[] => ['outcome', o.id, o.title, formatShown(o.count)]),
    ],
  );
}

export function reviewCsv(file: ReviewCsvFile, pack: ReviewPack, policy: Pick<ResolvedPolicy, 'groups' | 'roles'>): string {
  switch (file) {
    case 'register':
      return registerCsv(pack, policy);
    case 'check-log':
      return checkLogCsv(pack);
    case 'overrides':
      return overridesCsv(pack, policy);
    case 'incidents':
      return incidentsCsv(pack);
  }
}
