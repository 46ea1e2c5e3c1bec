// The people store brought in line with the school's directory: the service account pages
// through every person under `searchBase`, each entry is read exactly as a sign-in reads it
// (`describeEntry`, `directoryPerson`), and the whole listing is applied in one transaction.
// People who came from the directory and are no longer listed become inactive; roster and
// hand-added people are never touched.
//
// NOTE: a partial listing would make everyone missing from it inactive, so anything short of a
// complete listing (a size or time limit reached, the server's own limit, a page that fails,
// nobody listed at all) stops the sync before the store is written.
import { FilterParser, SizeLimitExceededError, TimeLimitExceededError, type Entry } from 'ldapts';
import { HedgerowError } from '../errors/index.ts';
import { directoryPerson, type DirectoryPolicy } from './directory-person.ts';
import { directoryError, isCredentialFailure, openLdapClient } from './ldap-connection.ts';
import { describeEntry, entryUsername, ldapAttributeNames, usernameAttribute } from './ldap-entry.ts';
import { fillTemplate } from './ldap-escape.ts';
import type { LdapOptions } from './ldap-options.ts';
import { normaliseUsername, USERNAME_RULE } from './names.ts';
import type { DirectoryPerson, PeopleStore } from './people-store.ts';
import { MAX_ROSTER_ROWS } from './roster.ts';

export interface DirectorySyncOptions {
  /** the role of someone new whom the directory gives no role of the policy (the policy's unidentified role) */
  fallbackRole: string;
  /** the policy's roles and groups; without it, directory roles and year groups are taken as they are */
  policy?: DirectoryPolicy | null;
  /** the clock the time limit is measured on (default `Date.now`) */
  now?: () => number;
  /** the most entries one sync reads; beyond it the sync stops and nothing is changed */
  maxEntries?: number;
  /** the longest one sync may take, in milliseconds; beyond it the sync stops and nothing is changed */
  timeLimitMs?: number;
  /** entries per page of the paged search (RFC 2696) */
  pageSize?: number;
}

export const DIRECTORY_SYNC_LIMITS = {
  /** as many people as a roster file may hold */
  maxEntries: MAX_ROSTER_ROWS,
  timeLimitMs: 120_000,
  /** under Active Directory's default MaxPageSize (1000) */
  pageSize: 500,
} as const;

/** A directory entry the sync could not use, and why. */
export interface SyncSkip {
  dn: string;
  reason: string;
}

/** What one sync changed: counts of people, and every entry left out with its DN. */
export interface SyncReport {
  added: number;
  updated: number;
  deactivated: number;
  unchanged: number;
  skipped: SyncSkip[];
}

/** The filter the sync lists people with: `syncFilter`, else `searchFilter` with `{username}` as `*`. */
export function directorySyncFilter(ldap: LdapOptions): string | null {
  if (ldap.syncFilter) return ldap.syncFilter;
  // NOTE: the one place `*` goes into a filter unescaped: here it is the wildcard meant.
  return ldap.searchFilter ? fillTemplate(ldap.searchFilter, { username: '*' }) : null;
}

/** Why these options cannot be used for a sync, or null when they can. */
export function directorySyncProblem(ldap: LdapOptions): string | null {
  if (!ldap.searchBase) return 'ldap: the directory sync needs `searchBase`, where people are listed';
  const filter = directorySyncFilter(ldap);
  if (!filter) return 'ldap: the directory sync needs `syncFilter` or `searchFilter`';
  try {
    FilterParser.parseString(filter);
  } catch (error) {
    return `ldap: the sync filter \`${filter}\` is not an LDAP filter: ${(error as Error).message}`;
  }
  return null;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Lists every person under `searchBase` and applies the listing to the people store. Throws
 * HR_IDENTITY_INPUT for options a sync cannot use and HR_IDENTITY_DIRECTORY when the directory
 * fails or a limit is reached; in both cases the store is left as it was.
 */
export async function syncDirectory(people: PeopleStore, ldap: LdapOptions, options: DirectorySyncOptions): Promise<SyncReport> {
  const problem = directorySyncProblem(ldap);
  if (problem) throw new HedgerowError('HR_IDENTITY_INPUT', problem, { where: { field: ldap.searchBase ? 'ldap.syncFilter' : 'ldap.searchBase' } });
  const filter = directorySyncFilter(ldap)!;
  const base = ldap.searchBase!;
  const clock = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? DIRECTORY_SYNC_LIMITS.maxEntries;
  const timeLimitMs = options.timeLimitMs ?? DIRECTORY_SYNC_LIMITS.timeLimitMs;
  const pageSize = options.pageSize ?? DIRECTORY_SYNC_LIMITS.pageSize;
  const deadline = clock() + timeLimitMs;
  const inTime = (): void => {
    if (clock() > deadline) {
      throw new HedgerowError('HR_IDENTITY_DIRECTORY', `ldap \`${ldap.url}\`: the sync took longer than its limit of ${timeLimitMs / 1000} s; nothing was changed`);
    }
  };

  let client: Awaited<ReturnType<typeof openLdapClient>> | null = null;
  try {
    client = await openLdapClient(ldap);
    if (ldap.serviceDn) {
      try {
        await client.bind(ldap.serviceDn, ldap.servicePassword ?? '');
      } catch (error) {
        throw isCredentialFailure(error) ? directoryError(ldap, error, 'the service account bind failed') : error;
      }
    }

    const entries: Entry[] = [];
    // NOTE: no client size limit: ldapts then reports a server's own size limit as an error
    // instead of a short, silently truncated listing. The limit is counted here instead.
    const pages = client.searchPaginated(base, {
      scope: 'sub',
      filter,
      attributes: ldapAttributeNames(ldap),
      paged: { pageSize: Math.max(1, Math.min(pageSize, maxEntries + 1)) },
      timeLimit: Math.max(1, Math.ceil(timeLimitMs / 1000)),
    });
    for await (const page of pages) {
      entries.push(...page.searchEntries);
      if (entries.length > maxEntries) {
        throw new HedgerowError(
          'HR_IDENTITY_DIRECTORY',
          `ldap \`${ldap.url}\`: more than ${maxEntries} entries under \`${base}\` match \`${filter}\`; nothing was changed (narrow \`syncFilter\` or raise the limit)`,
        );
      }
      inTime();
    }

    // A username on several entries cannot be settled: which entry's role is right is not
    // knowable here, so all of them are left out and the stored person is left as they are.
    const byUsername = new Map<string, Entry[]>();
    const skipped: SyncSkip[] = [];
    const attribute = usernameAttribute(ldap);
    for (const entry of entries) {
      const raw = entryUsername(entry, ldap);
      const username = raw === null ? null : normaliseUsername(raw);
      if (raw === null) skipped.push({ dn: entry.dn, reason: `no \`${attribute}\` attribute` });
      else if (!username) skipped.push({ dn: entry.dn, reason: `username \`${raw}\` ${USERNAME_RULE}` });
      else byUsername.set(username, [...(byUsername.get(username) ?? []), entry]);
    }
    const listed: DirectoryPerson[] = [];
    const unsettled: string[] = [];
    for (const [username, found] of byUsername) {
      if (found.length > 1) {
        unsettled.push(username);
        for (const entry of found) {
          skipped.push({ dn: entry.dn, reason: `username \`${username}\` is on ${plural(found.length, 'entry', 'entries')}` });
        }
        continue;
      }
      inTime();
      const entry = found[0]!;
      const answer = await describeEntry(client, entry, ldap, entryUsername(entry, ldap)!);
      const person = directoryPerson(answer, options.policy ?? null);
      if (person) listed.push(person);
      else skipped.push({ dn: entry.dn, reason: `username \`${answer.username}\` ${USERNAME_RULE}` });
    }

    // An empty listing is far more often a wrong base, filter or read permission than a school
    // with nobody in it.
    if (listed.length === 0 && unsettled.length === 0 && people.list().some((p) => p.source === 'ldap')) {
      throw new HedgerowError(
        'HR_IDENTITY_DIRECTORY',
        `ldap \`${ldap.url}\`: nobody under \`${base}\` matches \`${filter}\`; nothing was changed (check the base, the filter and what the service account may read)`,
      );
    }
    inTime();

    const result = people.applyDirectoryListing(listed, options.fallbackRole, { keep: unsettled });
    skipped.sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0));
    return { added: result.added.length, updated: result.updated.length, deactivated: result.deactivated.length, unchanged: result.unchanged, skipped };
  } catch (error) {
    if (error instanceof SizeLimitExceededError) {
      throw directoryError(ldap, error, `the directory's own size limit stopped the listing; nothing was changed (let the service account page through every person)`);
    }
    if (error instanceof TimeLimitExceededError) {
      throw directoryError(ldap, error, `the directory's time limit stopped the listing; nothing was changed`);
    }
    throw directoryError(ldap, error);
  } finally {
    await client?.unbind().catch(() => undefined);
  }
}
