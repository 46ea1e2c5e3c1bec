// A teacher's own classes: the groups on their account and every group inside them (a class
// inside a year group). Teachers who may grant only to their own classes, and who may read only
// their own classes' pupils, are held to this set.
import type { InputProblem, OverrideScope } from './override-input.ts';

/** group → the group it sits within, as the policy's `groups` section says */
export type GroupParents = Readonly<Record<string, { within?: string | undefined }>>;

/** The group and every group it sits within, nearest first (a cycle stops the walk). */
export function groupAncestry(group: string, parents: GroupParents): string[] {
  const chain = [group];
  let next = parents[group]?.within;
  while (next !== undefined && !chain.includes(next)) {
    chain.push(next);
    next = parents[next]?.within;
  }
  return chain;
}

/** Is `group` one of `own` or inside one of them? */
export function groupWithin(group: string, own: ReadonlySet<string>, parents: GroupParents): boolean {
  return groupAncestry(group, parents).some((g) => own.has(g));
}

/** The account's groups and every policy group inside them. */
export function ownClassGroups(accountGroups: readonly string[], parents: GroupParents): Set<string> {
  const own = new Set(accountGroups);
  const out = new Set(accountGroups);
  for (const name of Object.keys(parents)) if (groupWithin(name, own, parents)) out.add(name);
  return out;
}

export interface ClassScopeContext {
  /** the granting account's groups (a teacher's classes) */
  accountGroups: readonly string[];
  parents: GroupParents;
  /** a person's groups from the people store, or null when the person is unknown */
  personGroups(username: string): readonly string[] | null;
}

/**
 * What in a scope reaches outside the account's own classes: any role (a role is school-wide),
 * a group that is not one of the classes or inside one, a person who is not in one of them.
 * Empty when the scope stays inside.
 */
export function scopeOutsideOwnClasses(scope: OverrideScope, context: ClassScopeContext): InputProblem[] {
  const own = new Set(context.accountGroups);
  const problems: InputProblem[] = [];
  scope.roles?.forEach((role, i) => {
    problems.push({ field: `scope.roles[${i}]`, message: `role \`${role}\` covers people outside your classes; grant to your classes instead` });
  });
  scope.groups?.forEach((group, i) => {
    if (!groupWithin(group, own, context.parents)) problems.push({ field: `scope.groups[${i}]`, message: `group \`${group}\` is not one of your classes` });
  });
  scope.people?.forEach((person, i) => {
    const groups = context.personGroups(person);
    if (groups === null || !groups.some((g) => groupWithin(g, own, context.parents))) {
      problems.push({ field: `scope.people[${i}]`, message: `\`${person}\` is not in one of your classes` });
    }
  });
  return problems;
}
