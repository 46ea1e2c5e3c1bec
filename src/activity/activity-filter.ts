// One reading of an ActivityFilter for both stores: times checked, host normalised, lists kept
// as given (an empty list matches nothing, so a teacher with no classes sees no one), the
// cursor decoded and the page size capped.
import { HedgerowError } from '../errors/index.ts';
import type { ActivityFilter } from './activity-store.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** rows per chunk of a CSV export */
export const CSV_CHUNK_ROWS = 1000;

/** A position in (at DESC, id DESC) order: the next page starts strictly after it. */
export interface Cursor {
  at: number;
  id: string;
}

export interface NormalFilter {
  from: number;
  to: number;
  people: readonly string[] | null;
  groups: readonly string[] | null;
  roles: readonly string[] | null;
  /** lower-case, no trailing dot */
  host: string | null;
  category: string | null;
  action: string | null;
  after: Cursor | null;
  limit: number;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = null;
  }
  if (!Array.isArray(value) || value.length !== 2 || !Number.isSafeInteger(value[0]) || typeof value[1] !== 'string') {
    throw new HedgerowError('HR_ACTIVITY_CURSOR', `cursor \`${text.slice(0, 80)}\` is not one this store gave out`, {
      where: { field: 'cursor' },
      httpStatus: 400,
    });
  }
  return { at: value[0] as number, id: value[1] as string };
}

function time(value: unknown, field: 'from' | 'to'): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new HedgerowError('HR_ACTIVITY_FILTER', `\`${field}\` must be a time in epoch milliseconds, not \`${String(value)}\``, {
      where: { field },
      httpStatus: 400,
    });
  }
  return Math.floor(value);
}

export function normaliseHost(host: string): string {
  const clean = host.trim().toLowerCase().replace(/\.+$/, '');
  if (clean === '') throw new HedgerowError('HR_ACTIVITY_FILTER', `host \`${host}\` names no host`, { where: { field: 'host' }, httpStatus: 400 });
  return clean;
}

/** A LIKE pattern for the subdomains of `host` (`%.example.org`), with `\` as the escape. */
export function subdomainPattern(host: string): string {
  return `%.${host.replace(/[\\%_]/g, (c) => `\\${c}`)}`;
}

export function normaliseFilter(filter: Omit<ActivityFilter, 'cursor' | 'limit'> & { cursor?: string | null; limit?: number }): NormalFilter {
  const limit =
    filter.limit === undefined || !Number.isFinite(filter.limit) || filter.limit <= 0
      ? DEFAULT_PAGE_SIZE
      : Math.min(Math.floor(filter.limit), MAX_PAGE_SIZE);
  return {
    from: time(filter.from, 'from'),
    to: time(filter.to, 'to'),
    people: filter.people ? [...filter.people] : null,
    groups: filter.groups ? [...filter.groups] : null,
    roles: filter.roles ? [...filter.roles] : null,
    host: filter.host === undefined ? null : normaliseHost(filter.host),
    category: filter.category ?? null,
    action: filter.action ?? null,
    after: filter.cursor ? decodeCursor(filter.cursor) : null,
    limit: Math.max(1, limit),
  };
}

/** True when the filter can match nothing (an empty list, an empty range), so no query is needed. */
export function matchesNothing(filter: NormalFilter): boolean {
  return filter.to <= filter.from || filter.people?.length === 0 || filter.groups?.length === 0 || filter.roles?.length === 0;
}
