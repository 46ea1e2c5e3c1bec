// Proxy credentials checked by a bind to the school's directory (OpenLDAP, Active Directory).
// Either the person's DN is built from a template, or a service account searches for it; then
// the person's own bind proves the password. Attributes and group memberships named in the
// configuration say which role and year group the person has.
import type { ConnectionOptions } from 'node:tls';
import {
  Client,
  InappropriateAuthError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  UnwillingToPerformError,
  type Entry,
} from 'ldapts';
import { HedgerowError } from '../errors/index.ts';
import { escapeDnValue, escapeFilterValue, fillTemplate } from './ldap-escape.ts';
import { parseDateOfBirth } from './roster.ts';

export interface LdapOptions {
  /** `ldap://dc1.school.example:389` or `ldaps://…:636` */
  url: string;
  /** `uid={username},ou=people,dc=school,dc=example`: the person's DN, username escaped (RFC 4514) */
  bindDnTemplate?: string;
  /** where a service account searches for the person, when there is no DN template */
  searchBase?: string;
  /** `(uid={username})` or `(sAMAccountName={username})`: username escaped (RFC 4515) */
  searchFilter?: string;
  serviceDn?: string;
  servicePassword?: string;
  /** upgrade an `ldap://` connection with StartTLS before any bind */
  startTls?: boolean;
  /** CA, certificate checks and so on for `ldaps://` and StartTLS */
  tls?: ConnectionOptions;
  /** per operation and for connecting, in milliseconds (default 5000) */
  timeoutMs?: number;
  attributes?: {
    /** the attribute holding the username (default `uid`) */
    username?: string;
    /** default `cn` */
    displayName?: string;
    /** an attribute whose value is the role, or a key of `roleValues` */
    role?: string;
    /** an attribute holding the year group (`Year 4`, `year-4`, `4`) */
    yearGroup?: string;
    /** an attribute holding the date of birth (ISO, UK or LDAP generalized time) */
    dateOfBirth?: string;
  };
  /** value of the role attribute → policy role (`Staff` → `teacher`) */
  roleValues?: Record<string, string>;
  /** group DN → role; the first group the person belongs to wins, before the role attribute */
  groupRoles?: ReadonlyArray<{ group: string; role: string }>;
  /** where groups are searched (default: the base of the search or the template's parent) */
  groupSearchBase?: string;
  /** `{dn}` and `{username}` are escaped; default finds groupOfNames, groupOfUniqueNames and posixGroup */
  groupFilter?: string;
}

/** What the directory says about a person whose bind succeeded. */
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

/** Anything that can check a username and password elsewhere (LDAP here; others later). */
export interface DirectoryAuthenticator {
  /** null when the credentials are wrong; throws HR_IDENTITY_DIRECTORY when the directory fails */
  authenticate(username: string, password: string): Promise<DirectoryAnswer | null>;
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

/** bind results that mean "these credentials are wrong", not "the directory failed" */
function isCredentialFailure(error: unknown): boolean {
  return (
    error instanceof InvalidCredentialsError ||
    error instanceof InvalidDNSyntaxError ||
    error instanceof NoSuchObjectError ||
    error instanceof InappropriateAuthError ||
    error instanceof UnwillingToPerformError
  );
}

export class LdapAuthenticator implements DirectoryAuthenticator {
  private readonly options: LdapOptions;

  constructor(options: LdapOptions) {
    if (!options.bindDnTemplate && !(options.searchBase && options.searchFilter)) {
      throw new HedgerowError('HR_IDENTITY_INPUT', 'ldap: give either `bindDnTemplate` or `searchBase` and `searchFilter`');
    }
    if (options.bindDnTemplate && !options.bindDnTemplate.includes('{username}')) {
      throw new HedgerowError('HR_IDENTITY_INPUT', `ldap: \`bindDnTemplate\` \`${options.bindDnTemplate}\` has no \`{username}\``);
    }
    if (!options.bindDnTemplate && !options.searchFilter!.includes('{username}')) {
      throw new HedgerowError('HR_IDENTITY_INPUT', `ldap: \`searchFilter\` \`${options.searchFilter}\` has no \`{username}\``);
    }
    this.options = options;
  }

  private attributeNames(): string[] {
    const a = this.options.attributes ?? {};
    const names = [a.username ?? 'uid', a.displayName ?? 'cn', 'memberOf'];
    for (const name of [a.role, a.yearGroup, a.dateOfBirth]) if (name) names.push(name);
    return names;
  }

  private groupBase(personDn: string): string | null {
    if (this.options.groupSearchBase) return this.options.groupSearchBase;
    if (this.options.searchBase) return this.options.searchBase;
    // the template's parent (`ou=people,dc=…`) → its parent (`dc=…`)
    const parts = personDn.split(/(?<!\\),/);
    return parts.length > 2 ? parts.slice(2).join(',') : null;
  }

  async authenticate(username: string, password: string): Promise<DirectoryAnswer | null> {
    // NOTE: an empty password is an unauthenticated bind (RFC 4513 §5.1.2) that many servers
    // accept as anonymous: it must never count as a successful login.
    if (username === '' || password === '' || username.length > 256 || password.length > 1024) return null;
    const timeout = this.options.timeoutMs ?? 5000;
    const client = new Client({ url: this.options.url, timeout, connectTimeout: timeout, tlsOptions: this.options.tls });
    try {
      if (this.options.startTls) await client.startTLS(this.options.tls ?? {});
      let dn: string;
      let entry: Entry | null = null;
      if (this.options.bindDnTemplate) {
        dn = fillTemplate(this.options.bindDnTemplate, { username: escapeDnValue(username) });
      } else {
        if (this.options.serviceDn) await client.bind(this.options.serviceDn, this.options.servicePassword ?? '');
        const filter = fillTemplate(this.options.searchFilter!, { username: escapeFilterValue(username) });
        const { searchEntries } = await client.search(this.options.searchBase!, { scope: 'sub', filter, attributes: this.attributeNames(), sizeLimit: 2 });
        // zero or several matches: nobody to bind as, the same answer as a wrong password
        if (searchEntries.length !== 1) return null;
        entry = searchEntries[0]!;
        dn = entry.dn;
      }
      try {
        await client.bind(dn, password);
      } catch (error) {
        if (isCredentialFailure(error)) return null;
        throw error;
      }
      if (!entry) {
        const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: this.attributeNames() });
        entry = searchEntries[0] ?? { dn };
      }
      return await this.describe(client, entry, username);
    } catch (error) {
      if (isCredentialFailure(error) && !this.options.bindDnTemplate && this.options.serviceDn) {
        throw new HedgerowError('HR_IDENTITY_DIRECTORY', `ldap \`${this.options.url}\`: the service account bind failed: ${(error as Error).message}`, { cause: error });
      }
      if (error instanceof HedgerowError) throw error;
      throw new HedgerowError('HR_IDENTITY_DIRECTORY', `ldap \`${this.options.url}\`: ${(error as Error).message}`, { cause: error });
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  private async describe(client: Client, entry: Entry, asked: string): Promise<DirectoryAnswer> {
    const a = this.options.attributes ?? {};
    const uid = first(entry[a.username ?? 'uid']) ?? asked;
    const memberOf = new Set(all(entry.memberOf).map(normaliseDn));
    if (this.options.groupRoles && this.options.groupRoles.length > 0) {
      const base = this.groupBase(entry.dn);
      if (base) {
        const filter = fillTemplate(this.options.groupFilter ?? DEFAULT_GROUP_FILTER, { dn: escapeFilterValue(entry.dn), username: escapeFilterValue(uid) });
        const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes: ['1.1'] });
        for (const group of searchEntries) memberOf.add(normaliseDn(group.dn));
      }
    }
    let role: string | null = null;
    for (const { group, role: groupRole } of this.options.groupRoles ?? []) {
      if (memberOf.has(normaliseDn(group))) {
        role = groupRole;
        break;
      }
    }
    if (!role && a.role) {
      const value = first(entry[a.role]);
      if (value) role = this.options.roleValues?.[value] ?? this.options.roleValues?.[value.toLowerCase()] ?? value.toLowerCase();
    }
    return {
      username: uid,
      displayName: first(entry[a.displayName ?? 'cn']),
      role,
      yearGroup: a.yearGroup ? first(entry[a.yearGroup]) : null,
      dateOfBirth: a.dateOfBirth ? dateFromDirectory(first(entry[a.dateOfBirth])) : null,
      memberOf: [...memberOf],
    };
  }
}
