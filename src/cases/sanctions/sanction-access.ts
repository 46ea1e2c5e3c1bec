// Who may do what with sanctions, read from the policy's `workflows.sanctions` section (the API's
// actions are checked before these): deciders by role; supervisors by role for any pupil, or as
// `class-teacher` for the pupils of their own classes; class teachers found in the people store.
import { groupWithin } from '../../overrides/index.ts';
import { expandRoles, type ResolvedPolicy, type SanctionsSection } from '../../policy/index.ts';

const RELATIONS = new Set(['class-teacher', 'line-manager']);

/** What the workflow needs to know about people: the people store fits. */
export interface SanctionPerson {
  username: string;
  displayName: string;
  role: string;
  groups: readonly string[];
  active?: boolean;
}

export interface SanctionPeople {
  get(username: string): SanctionPerson | null;
  list(): SanctionPerson[];
}

/** Is this role a child's (a role the same as a child role counts: guest → pupil)? */
export function isChildRole(policy: ResolvedPolicy, role: string): boolean {
  const def = policy.roles[role];
  if (!def) return false;
  if (def.child) return true;
  return def.sameAs !== undefined && policy.roles[def.sameAs]?.child === true;
}

/** The roles a list names, role sets expanded and relations left out. */
export function namedRoles(list: readonly string[], policy: ResolvedPolicy): Set<string> {
  return new Set(expandRoles(list.filter((name) => !RELATIONS.has(name)), policy.roleSets));
}

export function isDecider(role: string, section: SanctionsSection, policy: ResolvedPolicy): boolean {
  return namedRoles(section.deciders, policy).has(role);
}

/** Is one of the pupil's groups one of the account's groups or inside one? */
export function inClassesOf(pupilGroups: readonly string[], accountGroups: readonly string[], policy: ResolvedPolicy): boolean {
  if (accountGroups.length === 0) return false;
  const own = new Set(accountGroups);
  return pupilGroups.some((group) => groupWithin(group, own, policy.groups));
}

export type SuperviseAnswer = { ok: true } | { ok: false; message: string };

/** May this account open or close a supervised session for this pupil? */
export function maySupervise(
  account: { role: string; groups: readonly string[] },
  pupilGroups: readonly string[],
  section: SanctionsSection,
  policy: ResolvedPolicy,
): SuperviseAnswer {
  if (namedRoles(section.supervisors, policy).has(account.role)) return { ok: true };
  if (section.supervisors.includes('class-teacher')) {
    if (inClassesOf(pupilGroups, account.groups, policy)) return { ok: true };
    return { ok: false, message: 'you may supervise only pupils in your own classes' };
  }
  return { ok: false, message: `the role \`${account.role}\` is not one of the policy's supervisors` };
}

/**
 * Sees every sanction, or only those of its own classes' pupils: an account that may supervise
 * only as a class teacher (not a decider, not a supervisor by role) is held to its classes.
 */
export function classBoundReader(account: { role: string }, section: SanctionsSection, policy: ResolvedPolicy, canSupervise: boolean): boolean {
  if (!canSupervise) return false;
  if (isDecider(account.role, section, policy)) return false;
  return !namedRoles(section.supervisors, policy).has(account.role);
}

/**
 * The pupil's class teachers: active adults (not in a child role) with a group that is one of
 * the pupil's groups or holds one of them. The pupil themself is never included.
 */
export function classTeachersOf(pupil: SanctionPerson, people: SanctionPeople, policy: ResolvedPolicy): SanctionPerson[] {
  if (pupil.groups.length === 0) return [];
  return people.list().filter(
    (person) =>
      person.username !== pupil.username &&
      person.active !== false &&
      !isChildRole(policy, person.role) &&
      inClassesOf(pupil.groups, person.groups, policy),
  );
}
