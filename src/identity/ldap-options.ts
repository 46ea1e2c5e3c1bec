// How Hedgerow reaches the school's directory (OpenLDAP, Active Directory): one set of options
// read by proxy and dashboard sign-in (a bind as the person) and by the directory sync (a paged
// search as the service account).
import type { ConnectionOptions } from 'node:tls';

export interface LdapOptions {
  /** `ldap://dc1.school.example:389` or `ldaps://…:636` */
  url: string;
  /** `uid={username},ou=people,dc=school,dc=example`: the person's DN, username escaped (RFC 4514) */
  bindDnTemplate?: string;
  /** where a service account searches for the person, when there is no DN template; the sync lists people under it */
  searchBase?: string;
  /** `(uid={username})` or `(sAMAccountName={username})`: username escaped (RFC 4515) */
  searchFilter?: string;
  /**
   * The filter the directory sync lists people with; default: `searchFilter` with `{username}`
   * read as `*` (every entry that has a username)
   */
  syncFilter?: string;
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
