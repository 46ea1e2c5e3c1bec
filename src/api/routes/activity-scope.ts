// Turning an activity search as asked into the search the account may run: own activity only,
// pupils (of its own classes when class-bound), or adults with a lawful purpose, which is then
// written to the audit log before any row is returned.
import type { ActivityFilter } from '../../activity/index.ts';
import type { AuditLog } from '../../db/index.ts';
import type { DecisionEvent } from '../../engine/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import { normaliseUsername, type PeopleStore } from '../../identity/index.ts';
import type { ResolvedPolicy } from '../../policy/index.ts';
import type { SignedIn } from '../route-spec.ts';
import { adultRoles, childRoles, classBound, forbidden, inOwnClasses, readableGroups, type Can } from './audience.ts';

export interface ActivityAsk {
  person?: string | undefined;
  group?: string | undefined;
  role?: string | undefined;
  host?: string | undefined;
  category?: string | undefined;
  action?: DecisionEvent['action'] | undefined;
  from: number;
  to: number;
  purpose?: string | undefined;
}

export interface ActivityScope {
  filter: Omit<ActivityFilter, 'cursor' | 'limit'>;
  /** set when the search may return adults' activity: what the audit log must record first */
  staffRead: { subject: string; purpose: string; purposeTitle: string } | null;
  /** own: the account's own activity only */
  kind: 'own' | 'others';
}

function purposeRequired(message: string): HedgerowError {
  return new HedgerowError('HR_API_PURPOSE_REQUIRED', message, { where: { field: 'purpose' } });
}

function listPurposes(policy: ResolvedPolicy): string {
  const ids = Object.keys(policy.monitoringPurposes ?? {});
  return ids.length > 0 ? ids.map((id) => `\`${id}\``).join(', ') : 'none (the policy lists no monitoring purposes)';
}

export function resolveActivityScope(ask: ActivityAsk, account: SignedIn, can: Can, policy: ResolvedPolicy, people: PeopleStore): ActivityScope {
  const base: Omit<ActivityFilter, 'cursor' | 'limit'> = { from: ask.from, to: ask.to };
  if (ask.host !== undefined) base.host = ask.host;
  if (ask.category !== undefined) base.category = ask.category;
  if (ask.action !== undefined) base.action = ask.action;

  const self = account.username;
  const person = ask.person === undefined ? undefined : (normaliseUsername(ask.person) ?? ask.person);
  const readsPupils = can('activity.read.pupils');
  const readsStaff = can('activity.read.staff');

  // Your own activity needs nothing more than the route's own action.
  if (person === self || (!readsPupils && !readsStaff)) {
    if (person !== undefined && person !== self) throw forbidden('you may read only your own activity');
    const filter = { ...base, people: [self] };
    if (ask.group !== undefined) filter.groups = [ask.group];
    if (ask.role !== undefined) filter.roles = [ask.role];
    return { filter, staffRead: null, kind: 'own' };
  }

  const purposes = policy.monitoringPurposes ?? {};
  if (ask.purpose !== undefined && !purposes[ask.purpose]) {
    throw purposeRequired(`\`${ask.purpose}\` is not one of the policy's monitoring purposes: ${listPurposes(policy)}`);
  }
  const purpose = ask.purpose !== undefined ? { id: ask.purpose, title: purposes[ask.purpose]!.title } : null;
  const children = childRoles(policy);
  const adults = adultRoles(policy);
  const mayReadAdults = readsStaff && purpose !== null;
  const needAdults = (what: string): void => {
    if (!readsStaff) throw forbidden(`reading ${what} needs activity.read.staff`);
    if (!purpose) throw purposeRequired(`reading ${what} needs a lawful purpose: one of ${listPurposes(policy)}`);
  };

  const filter: Omit<ActivityFilter, 'cursor' | 'limit'> = { ...base };
  let subject = 'activity:search';
  let adultsInScope = false;
  let pupilNamed = false;

  if (person !== undefined) {
    const record = people.get(person);
    if (record && children.has(record.role)) {
      pupilNamed = true;
      if (!readsPupils) throw forbidden(`\`${person}\` is a pupil; reading pupils' activity needs activity.read.pupils`);
      if (classBound(can) && !inOwnClasses(record, account, policy)) throw forbidden(`\`${person}\` is not in one of your classes`);
    } else if (record) {
      needAdults(`the activity of \`${person}\`, a member of staff,`);
      adultsInScope = true;
    } else if (mayReadAdults) {
      adultsInScope = true;
    } else if (!readsPupils) {
      throw forbidden(`you may not read the activity of \`${person}\``);
    }
    filter.people = [person];
    subject = `person:${person}`;
  }

  if (ask.role !== undefined) {
    if (children.has(ask.role)) {
      if (!readsPupils) throw forbidden(`reading pupils' activity needs activity.read.pupils`);
    } else {
      needAdults(`the activity of role \`${ask.role}\``);
      adultsInScope = true;
      if (person === undefined) subject = `role:${ask.role}`;
    }
    filter.roles = [ask.role];
  } else if (!mayReadAdults || pupilNamed) {
    // pupils only: an adult's events never come back without a purpose
    filter.roles = [...children];
  } else if (!readsPupils) {
    filter.roles = [...adults];
    adultsInScope = true;
  } else {
    adultsInScope = true;
  }

  if (classBound(can)) {
    const groups = readableGroups(account, policy, ask.group);
    if (ask.group !== undefined && groups.length === 0) throw forbidden(`group \`${ask.group}\` is not one of your classes`);
    // an empty list matches nothing: a teacher without classes sees no one
    filter.groups = groups;
  } else if (ask.group !== undefined) {
    filter.groups = [ask.group];
  }

  const staffRead = adultsInScope && purpose ? { subject, purpose: purpose.id, purposeTitle: purpose.title } : null;
  return { filter, staffRead, kind: 'others' };
}

/** The audit record of a read of adults' activity; written before any row leaves. */
export async function auditStaffRead(audit: AuditLog, account: SignedIn, scope: ActivityScope, how: 'search' | 'export'): Promise<void> {
  if (!scope.staffRead) return;
  const { from, to, people, roles, groups, host, category, action } = scope.filter;
  await audit.append({
    actor: account.username,
    action: how === 'search' ? 'activity.read.staff' : 'activity.export.staff',
    subject: scope.staffRead.subject,
    before: null,
    after: { purpose: scope.staffRead.purpose, filter: { from, to, people, roles, groups, host, category, action } },
    reason: scope.staffRead.purposeTitle,
  });
}
