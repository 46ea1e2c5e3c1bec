// Proxy credentials checked by a bind to the school's directory (OpenLDAP, Active Directory).
// Either the person's DN is built from a template, or a service account searches for it; then
// the person's own bind proves the password. Attributes and group memberships named in the
// configuration say which role and year group the person has (read by `describeEntry`, shared
// with the directory sync).
import type { Entry } from 'ldapts';
import { HedgerowError } from '../errors/index.ts';
import { directoryError, isCredentialFailure, openLdapClient } from './ldap-connection.ts';
import { describeEntry, entryUsername, ldapAttributeNames, type DirectoryAnswer } from './ldap-entry.ts';
import { escapeDnValue, escapeFilterValue, fillTemplate } from './ldap-escape.ts';
import type { LdapOptions } from './ldap-options.ts';

export type { DirectoryAnswer } from './ldap-entry.ts';
export type { LdapOptions } from './ldap-options.ts';
export { normaliseDn } from './ldap-entry.ts';

/** Anything that can check a username and password elsewhere (LDAP here; others later). */
export interface DirectoryAuthenticator {
  /** null when the credentials are wrong; throws HR_IDENTITY_DIRECTORY when the directory fails */
  authenticate(username: string, password: string): Promise<DirectoryAnswer | null>;
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

  async authenticate(username: string, password: string): Promise<DirectoryAnswer | null> {
    // NOTE: an empty password is an unauthenticated bind (RFC 4513 §5.1.2) that many servers
    // accept as anonymous: it must never count as a successful login.
    if (username === '' || password === '' || username.length > 256 || password.length > 1024) return null;
    let client: Awaited<ReturnType<typeof openLdapClient>> | null = null;
    try {
      client = await openLdapClient(this.options);
      let dn: string;
      let entry: Entry | null = null;
      if (this.options.bindDnTemplate) {
        dn = fillTemplate(this.options.bindDnTemplate, { username: escapeDnValue(username) });
      } else {
        if (this.options.serviceDn) await client.bind(this.options.serviceDn, this.options.servicePassword ?? '');
        const filter = fillTemplate(this.options.searchFilter!, { username: escapeFilterValue(username) });
        const { searchEntries } = await client.search(this.options.searchBase!, { scope: 'sub', filter, attributes: ldapAttributeNames(this.options), sizeLimit: 2 });
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
        const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ldapAttributeNames(this.options) });
        entry = searchEntries[0] ?? { dn };
      }
      return await describeEntry(client, entry, this.options, entryUsername(entry, this.options) ?? username);
    } catch (error) {
      if (isCredentialFailure(error) && !this.options.bindDnTemplate && this.options.serviceDn) {
        throw directoryError(this.options, error, 'the service account bind failed');
      }
      throw directoryError(this.options, error);
    } finally {
      await client?.unbind().catch(() => undefined);
    }
  }
}
