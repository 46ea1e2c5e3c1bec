// Whose browsing a signed-in account may see. Pupils' activity needs `activity.read.pupils`; an
// account whose overrides are limited to its own classes (`overrides.grant.own-classes` without
// `overrides.grant.any`: a class teacher) is held to the same classes when reading. Adults'
// activity (every role that is not a child's) needs `activity.read.staff` and a lawful purpose
// from the policy's `monitoringPurposes`, and each such read is audited.
import type { Action } from '../../access/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import type { PolicyEngine } from '../../engine/index.ts';
import type { PersonRecord } from '../../identity/index.ts';
import { groupWithin, ownClassGroups } from '../../overrides/index.ts';
import type { ResolvedPolicy } from '../../policy/index.ts';
import type { SignedIn } from '../route-spec.ts';

export type Can = (action: Action) => boolean;

/** Held to their own classes: may grant only to them, so reads only them too. */
export function classBound(can: Can): boolean {
  return can('overrides.grant.own-classes') && !can('overrides.grant.any');
}

/** Roles whose people are children (a role the same as a child role counts: guest → pupil). */
export function childRoles(policy: ResolvedPolicy): Set<string> {
  const out = new Set<string>();
  for (const [name, role] of Object.entries(policy.roles)) {
    const effective = role.sameAs !== undefined ? policy.roles[role.sameAs] : role;
    if (effective?.child === true) out.add(name);
  }
  return out;
}

export function adultRoles(policy: ResolvedPolicy): Set<string> {
  const children = childRoles(policy);
  return new Set(Object.keys(policy.roles).filter((role) => !children.has(role)));
}

export function timeZoneOf(engine: PolicyEngine): string {
  return engine.policy.calendar?.timeZone ?? 'UTC';
}

export function forbidden(message: string): HedgerowError {
  return new HedgerowError('HR_API_FORBIDDEN', message, { httpStatus: 403 });
}

export function notFound(message: string): HedgerowError {
  return new HedgerowError('HR_API_NOT_FOUND', message, { httpStatus: 404 });
}

/** The account, which every route but public ones has; a missing one is a mounting mistake. */
export function signedIn(account: SignedIn | null): SignedIn {
  if (!account) throw new HedgerowError('HR_API_SIGNED_OUT', 'sign in first', { httpStatus: 401 });
  return account;
}

/** Is this person (from the people store) a pupil of the account's classes? */
export function inOwnClasses(person: PersonRecord, account: SignedIn, policy: ResolvedPolicy): boolean {
  const own = new Set(account.groups);
  return person.groups.some((group) => groupWithin(group, own, policy.groups));
}

/** The groups a class-bound account may read, narrowed to `group` when one is asked for. */
export function readableGroups(account: SignedIn, policy: ResolvedPolicy, group: string | undefined): string[] {
  const own = ownClassGroups(account.groups, policy.groups);
  if (group === undefined) return [...own];
  return [...own].filter((g) => g === group || groupWithin(g, new Set([group]), policy.groups));
}

/**
 * May the account see this person's name on an alert without a stated purpose? Itself; a pupil
 * it may read (within its classes when class-bound). Never an adult: that needs a purpose.
 */
export function mayNamePerson(username: string, account: SignedIn, can: Can, policy: ResolvedPolicy, person: PersonRecord | null): boolean {
  if (username === account.username) return true;
  if (!person || !can('activity.read.pupils')) return false;
  if (!childRoles(policy).has(person.role)) return false;
  return !classBound(can) || inOwnClasses(person, account, policy);
}
