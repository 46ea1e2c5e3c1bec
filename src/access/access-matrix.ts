// The role × action matrix the API enforces, read from the policy's `access` section. One
// exception is built in: every signed-in account holds `session.self`, so anyone can always see
// who they are signed in as, sign out and change their own password, whatever the policy says.
import type { ResolvedPolicy } from '../policy/index.ts';
import { ACTION_NAMES, type Action } from './actions.ts';

/** held by every signed-in account, whatever its role */
export const ALWAYS_GRANTED: readonly Action[] = ['session.self'];

export class AccessMatrix {
  private readonly grants: ReadonlyMap<string, ReadonlySet<Action>>;

  private constructor(grants: Map<string, Set<Action>>) {
    this.grants = grants;
  }

  static fromPolicy(policy: Pick<ResolvedPolicy, 'roles' | 'access'>): AccessMatrix {
    const grants = new Map<string, Set<Action>>();
    for (const role of Object.keys(policy.roles)) grants.set(role, new Set([...ALWAYS_GRANTED, ...(policy.access[role] ?? [])]));
    return new AccessMatrix(grants);
  }

  /** the policy's roles, in the order the policy defines them */
  roles(): string[] {
    return [...this.grants.keys()];
  }

  can(role: string, action: Action): boolean {
    if (ALWAYS_GRANTED.includes(action)) return true;
    return this.grants.get(role)?.has(action) ?? false;
  }

  /** what a role may do, in the order of the action list */
  actionsOf(role: string): Action[] {
    return ACTION_NAMES.filter((action) => this.can(role, action));
  }

  /** every role with the actions it holds */
  toJSON(): { roles: Array<{ role: string; actions: Action[] }>; actions: Action[] } {
    return { roles: this.roles().map((role) => ({ role, actions: this.actionsOf(role) })), actions: [...ACTION_NAMES] };
  }
}
