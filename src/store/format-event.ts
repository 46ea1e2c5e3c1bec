// One decision event as one readable line for operators (`hedgerow logs`).
import type { DecisionEvent } from '../engine/index.ts';

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function formatEvent(event: DecisionEvent): string {
  const parts = [
    new Date(event.at).toISOString(),
    pad(event.action.toUpperCase(), 5),
    pad(event.point, 5),
    pad(event.person ?? `(${event.role})`, 12),
    event.url ?? event.host,
    `rule=${event.rule}`,
  ];
  if (event.clauses.length > 0) parts.push(`clauses=${event.clauses.join(',')}`);
  if (event.categories.length > 0) parts.push(`categories=${event.categories.join(',')}`);
  if (event.circumvention) parts.push('CIRCUMVENTION');
  if (event.clientIp) parts.push(`ip=${event.clientIp}`);
  if (event.device) parts.push(`device=${event.device}`);
  if (event.searchTerm !== null) parts.push(`search=${JSON.stringify(event.searchTerm)}`);
  if (event.warnReason !== null) parts.push(`reason=${JSON.stringify(event.warnReason)}`);
  parts.push(`id=${event.id}`);
  return parts.join('  ');
}
