// A directory answer turned into what the people store keeps, the same for a proxy sign-in and
// for the directory sync: a role the policy does not define is not used (the stored role, or the
// fallback for someone new, applies instead), and the year group is resolved to a policy group.
import type { DirectoryAnswer } from './ldap-entry.ts';
import { normaliseUsername, resolveGroupName } from './names.ts';
import type { DirectoryPerson } from './people-store.ts';

/** The roles and groups the policy defines; directory values outside them are not used. */
export interface DirectoryPolicy {
  roles: readonly string[];
  groups: readonly string[];
}

/** Null when the directory's username is not one the people store can hold. */
export function directoryPerson(answer: DirectoryAnswer, policy: DirectoryPolicy | null): DirectoryPerson | null {
  const username = normaliseUsername(answer.username);
  // a directory username the store cannot hold cannot be logged or linked to devices
  if (!username) return null;
  const role = answer.role && (!policy || policy.roles.includes(answer.role)) ? answer.role : null;
  const year = answer.yearGroup && policy ? resolveGroupName(answer.yearGroup, policy.groups) : answer.yearGroup;
  return {
    username,
    ...(answer.displayName ? { displayName: answer.displayName } : {}),
    role,
    ...(year ? { groups: [year] } : {}),
    dateOfBirth: answer.dateOfBirth,
  };
}
