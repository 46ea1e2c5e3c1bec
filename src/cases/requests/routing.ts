// Who a request or report goes to, from the policy's `workflows.requests` section:
// - unblock requests: reviewers recommend (8.4), deciders decide (8.5);
// - each report kind: its `to` list — roles and role sets, and relations of the reporter:
//   `line-manager` (the person's line manager in the people store) and `class-teacher` (staff
//   whose groups hold one of a pupil's groups, 7.8).
// When a workflow is not configured, or its relations name nobody and it lists no role, the
// step falls to the unblock deciders (the headteacher in the reference policy), or failing
// those to the roles the access section lets decide requests, so a report is never lost.
import { expandRoles, type ResolvedPolicy } from '../../policy/index.ts';
import { groupWithin, ownClassGroups } from '../../overrides/index.ts';
import { normaliseUsername } from '../../identity/index.ts';
import type { Action } from '../../access/index.ts';
import type { Actor, Asker, ReportKind, ReportRouting } from './request-types.ts';

/** A person as the routing needs one; the people store's records fit. */
export interface RoutePerson {
  username: string;
  role: string;
  groups: readonly string[];
  active?: boolean;
  /** the line manager's username, once the people store carries it */
  lineManager?: string | null;
}

export interface RoutePeople {
  get(username: string): RoutePerson | null;
  list(filter?: { role?: string }): RoutePerson[];
}

const RELATIONS = new Set(['line-manager', 'class-teacher']);

const SECTION_OF: Record<ReportKind, 'siteReport' | 'accident' | 'tellTeacher' | 'contactAttempt'> = {
  'site-report': 'siteReport',
  accident: 'accident',
  'tell-teacher': 'tellTeacher',
  'contact-attempt': 'contactAttempt',
};

export function reportSection(policy: ResolvedPolicy, kind: ReportKind): { to: string[]; clauses: string[]; respondWithin?: string | undefined; blockRule?: string } | null {
  return policy.workflows.requests?.[SECTION_OF[kind]] ?? null;
}

function rolesHolding(policy: ResolvedPolicy, action: Action): string[] {
  return Object.entries(policy.access)
    .filter(([, actions]) => (actions as readonly string[]).includes(action))
    .map(([role]) => role);
}

/** Does this role (or the role it is the same as) belong to a child? */
export function isChildRole(policy: ResolvedPolicy, role: string): boolean {
  const def = policy.roles[role];
  if (!def) return false;
  if (def.child) return true;
  return def.sameAs !== undefined && policy.roles[def.sameAs]?.child === true;
}

/** Roles that recommend on unblock requests (8.4). */
export function reviewerRoles(policy: ResolvedPolicy): string[] {
  const unblock = policy.workflows.requests?.unblock;
  return unblock ? expandRoles(unblock.reviewers, policy.roleSets) : rolesHolding(policy, 'requests.review');
}

/** Roles that approve or decline unblock requests (8.5). */
export function deciderRoles(policy: ResolvedPolicy): string[] {
  const unblock = policy.workflows.requests?.unblock;
  return unblock ? expandRoles(unblock.deciders, policy.roleSets) : rolesHolding(policy, 'requests.decide');
}

/** Where a report goes when its route names nobody. */
export function fallbackRoles(policy: ResolvedPolicy): string[] {
  return deciderRoles(policy);
}

/** Staff whose groups hold one of these groups (a class inside a year group counts). */
export function classTeachers(policy: ResolvedPolicy, people: RoutePeople, groups: readonly string[]): string[] {
  if (groups.length === 0) return [];
  const out: string[] = [];
  for (const person of people.list()) {
    if (person.active === false || isChildRole(policy, person.role) || !policy.roles[person.role]) continue;
    const own = new Set(person.groups);
    if (own.size > 0 && groups.some((group) => groupWithin(group, own, policy.groups))) out.push(person.username);
  }
  return out;
}

export interface RoutedReport {
  /** stored with the report: who may see and handle it */
  routing: ReportRouting;
  /** told of the report by name: the line manager and the class teachers found now */
  people: string[];
}

/** The route of a new report, fixed when it is made. */
export function routeReport(kind: ReportKind, asker: Asker, policy: ResolvedPolicy, people: RoutePeople): RoutedReport {
  const to = reportSection(policy, kind)?.to ?? [];
  const roles = expandRoles(
    to.filter((name) => !RELATIONS.has(name)),
    policy.roleSets,
  );
  const named: string[] = [];
  const groups: string[] = [];
  if (to.includes('line-manager') && asker.person !== null) {
    const manager = people.get(asker.person)?.lineManager;
    const username = typeof manager === 'string' ? normaliseUsername(manager) : null;
    if (username && username !== asker.person) named.push(username);
  }
  const teachers: string[] = [];
  if (to.includes('class-teacher') && isChildRole(policy, asker.role) && asker.groups.length > 0) {
    teachers.push(...classTeachers(policy, people, asker.groups).filter((t) => t !== asker.person));
    // the groups route it to whoever teaches them, now or later; with no teacher found today
    // the report would reach nobody, so the fallback below takes it as well
    if (teachers.length > 0) groups.push(...asker.groups);
  }
  if (roles.length === 0 && named.length === 0 && groups.length === 0) roles.push(...fallbackRoles(policy));
  return { routing: { roles, people: named, groups }, people: [...new Set([...named, ...teachers])] };
}

/** Is the report routed to this account: by its role, by name, or through one of its classes? */
export function routedTo(routing: ReportRouting, actor: Actor, policy: ResolvedPolicy): boolean {
  if (routing.roles.includes(actor.role) || routing.people.includes(actor.username)) return true;
  // classmates share a pupil's groups too: only adults are reached through their classes
  if (routing.groups.length === 0 || actor.groups.length === 0 || isChildRole(policy, actor.role)) return false;
  const own = new Set(actor.groups);
  return routing.groups.some((group) => groupWithin(group, own, policy.groups));
}

/** The groups whose reports reach an account through its classes (its groups and every group inside them). */
export function classGroupsOf(actor: Actor, policy: ResolvedPolicy): string[] {
  return actor.groups.length === 0 || isChildRole(policy, actor.role) ? [] : [...ownClassGroups(actor.groups, policy.groups)];
}
