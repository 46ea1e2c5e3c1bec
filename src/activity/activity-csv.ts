// Decision events as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or line break
// quoted, quotes doubled). A cell that a spreadsheet would read as a formula (= + - @, and tab or
// carriage return before them) is prefixed with `'`: hosts, URLs and search terms come from
// pupils' browsing and must not run as formulas on the exporting computer.
import type { DecisionEvent } from '../engine/index.ts';

export const CSV_COLUMNS = [
  'time',
  'at',
  'id',
  'point',
  'person',
  'role',
  'groups',
  'device',
  'client_ip',
  'host',
  'url',
  'categories',
  'action',
  'rule',
  'clauses',
  'circumvention',
  'policy_revision',
  'warn_reason',
  'search_term',
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

/** One event as one CSV record, CRLF included. Lists are joined with `;`. */
export function csvRecord(event: DecisionEvent): string {
  const cells: Array<string | number | boolean | null> = [
    new Date(event.at).toISOString(),
    event.at,
    event.id,
    event.point,
    event.person,
    event.role,
    event.groups.join(';'),
    event.device,
    event.clientIp,
    event.host,
    event.url,
    event.categories.join(';'),
    event.action,
    event.rule,
    event.clauses.join(';'),
    event.circumvention,
    event.policyRevision,
    event.warnReason,
    event.searchTerm,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}
