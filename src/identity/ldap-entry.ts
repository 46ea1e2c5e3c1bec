// What a directory entry says about a person, read one way for sign-in and for the directory
// sync: the username, display name, role (group mapping first, then the role attribute), year
// group and date of birth named in the options.
import type { Client, Entry } from 'ldapts';
import { escapeFilterValue, fillTemplate } from './ldap-escape.ts';
import type { LdapOptions } from './ldap-options.ts';
import { parseDateOfBirth } from './roster.ts';

/** What the directory says about a person. */
export interface DirectoryAnswer {
  username: string;
  displayName: string | null;
  /** mapped to a role name, or null when nothing in the directory maps */
  role: string | null;
  yearGroup: string | null;
  dateOfBirth: string | null;
  /** DNs of the groups found for the person */
  memberOf: string[];
}

const DEFAULT_GROUP_FILTER = '(|(member={dn})(uniqueMember={dn})(memberUid={username}))';

function first(value: Entry[string] | undefined): string | null {
  if (value === undefined) return null;
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  return Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

function all(value: Entry[string] | undefined): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

/** DNs compare without case and without spaces around separators (`CN=Staff, OU=Groups`). */
export function normaliseDn(dn: string): string {
  return dn.trim().replace(/\s*([,=+])\s*/g, '$1').toLowerCase();
}

function dateFromDirectory(text: string | null): string | null {
  if (!text) return null;
  const generalized = /^(\d{4})(\d{2})(\d{2})/.exec(text);
  return parseDateOfBirth(generalized ? `${generalized[1]}-${generalized[2]}-${generalized[3]}` : text);
}

/** The attributes to ask for: the username, display name, `memberOf` and whichever others are mapped. */
export function ldapAttributeNames(options: LdapOptions): string[] {
  const a = options.attributes ?? {};
  const names = [a.username ?? 'uid', a.displayName ?? 'cn', 'memberOf'];
  for (const name of [a.role, a.yearGroup, a.dateOfBirth]) if (name) names.push(name);
  return names;
}

/** The name of the attribute holding the username (default `uid`). */
export function usernameAttribute(options: LdapOptions): string {
  return options.attributes?.username ?? 'uid';
}

/** The entry's username as the directory spells it, or null when it has none. */
export function entryUsername(entry: Entry, options: LdapOptions): string | null {
  const value = first(entry[usernameAttribute(options)]);
  return value === null || value.trim() === '' ? null : value;
}

function groupBase(options: LdapOptions, personDn: string): string | null {
  if (options.groupSearchBase) return options.groupSearchBase;
  if (options.searchBase) return options.searchBase;
  // the template's parent (`ou=people,dc=…`) → its parent (`dc=…`)
  const parts = personDn.split(/(?<!\\),/);
  return parts.length > 2 ? parts.slice(2).join(',') : null;
}

/**
 * Reads an entry (fetched with `ldapAttributeNames`) as a person. With `groupRoles` configured,
 * the groups naming the person are searched on the same, already bound, client; the entry's DN
 * and the username are escaped (RFC 4515) before they go into the group filter.
 */
export async function describeEntry(client: Client, entry: Entry, options: LdapOptions, username: string): Promise<DirectoryAnswer> {
  const a = options.attributes ?? {};
  const memberOf = new Set(all(entry.memberOf).map(normaliseDn));
  if (options.groupRoles && options.groupRoles.length > 0) {
    const base = groupBase(options, entry.dn);
    if (base) {
      const filter = fillTemplate(options.groupFilter ?? DEFAULT_GROUP_FILTER, { dn: escapeFilterValue(entry.dn), username: escapeFilterValue(username) });
      const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes: ['1.1'] });
      for (const group of searchEntries) memberOf.add(normaliseDn(group.dn));
    }
  }
  let role: string | null = null;
  for (const { group, role: groupRole } of options.groupRoles ?? []) {
    if (memberOf.has(normaliseDn(group))) {
      role = groupRole;
      break;
    }
  }
  if (!role && a.role) {
    const value = first(entry[a.role]);
    if (value) role = options.roleValues?.[value] ?? options.roleValues?.[value.toLowerCase()] ?? value.toLowerCase();
  }
  return {
    username,
    displayName: first(entry[a.displayName ?? 'cn']),
    role,
    yearGroup: a.yearGroup ? first(entry[a.yearGroup]) : null,
    dateOfBirth: a.dateOfBirth ? dateFromDirectory(first(entry[a.dateOfBirth])) : null,
    memberOf: [...memberOf],
  };
}
