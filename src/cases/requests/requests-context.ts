// What the request and report stores share: the typed store, the audit chain, the notifier, the
// override store approvals grant through, the policy in force, the people, and the clock; and the
// small helpers they all use (ids, cursors, telling people, failures of a unique key).
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../../db/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import type { NotificationInput, Notifier } from '../../notify/index.ts';
import type { OverrideStore } from '../../overrides/index.ts';
import type { ResolvedPolicy } from '../../policy/index.ts';
import type { RequestsDatabase } from './request-tables.ts';
import type { RoutePeople } from './routing.ts';

export interface RequestsContext {
  db: Kysely<RequestsDatabase>;
  audit: AuditLog;
  notifier: Notifier;
  overrides: OverrideStore;
  policy(): ResolvedPolicy;
  people: RoutePeople;
  now(): number;
  /** a failure off the step's own path (a notification that could not be handed over) */
  onError(error: unknown, what: string): void;
}

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('base64url')}`;
}

export function encodeCursor(at: number, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [number, string] {
  let value: unknown = null;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = null;
  }
  if (!Array.isArray(value) || value.length !== 2 || !Number.isSafeInteger(value[0]) || typeof value[1] !== 'string') {
    throw new HedgerowError('HR_REQUESTS_INPUT', 'the cursor is not one this list gave out', { where: { field: 'cursor' } });
  }
  return [value[0] as number, value[1] as string];
}

/** Tell people; a notifier that fails never undoes the step that was taken. */
export async function tell(ctx: RequestsContext, input: NotificationInput): Promise<void> {
  if (input.to.length === 0) return;
  try {
    await ctx.notifier.notify(input);
  } catch (error) {
    ctx.onError(error, `notification \`${input.kind}\``);
  }
}

/** SQLite's and PostgreSQL's "that unique key is taken". */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function notFound(what: string, id: string): HedgerowError {
  return new HedgerowError('HR_REQUESTS_NOT_FOUND', `no ${what} \`${id}\``);
}

export function inputError(field: string, message: string): HedgerowError {
  return new HedgerowError('HR_REQUESTS_INPUT', message, { where: { field } });
}
