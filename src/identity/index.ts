// The identity module's public face: who is browsing. The people store (roster import, local
// passwords, devices), the LDAP authenticator and the directory sync, the network map and the
// Identifier the proxy and the DNS filter ask; plus the `hedgerow people` and `hedgerow devices`
// commands.
export { ageOn, localDate, localIsoDate } from './age.ts';
export { escapeDnValue, escapeFilterValue } from './ldap-escape.ts';
export { normaliseDevice, normaliseUsername, resolveGroupName } from './names.ts';
export { hashPassword, verifyPasswordHash } from './password.ts';
export {
  parseRoster,
  parseDateOfBirth,
  normaliseEmail,
  MAX_ROSTER_BYTES,
  MAX_ROSTER_ROWS,
  type RosterOptions,
  type RosterPolicy,
  type RosterProblem,
  type RosterPerson,
} from './roster.ts';
export {
  PeopleStore,
  identityMigrations,
  isServiceIdentity,
  SERVICE_IDENTITY_PREFIX,
  type PersonRecord,
  type PersonSource,
  type RosterImportResult,
  type DirectoryPerson,
  type DirectoryListingResult,
} from './people-store.ts';
export { NetworkMap, canonicalClientIp, type NetworkRole } from './network-map.ts';
export { CredentialCache, FailureThrottle, DEFAULT_THROTTLE, type ThrottleOptions } from './auth-guard.ts';
export { LdapAuthenticator, type DirectoryAuthenticator } from './ldap-authenticator.ts';
export type { LdapOptions } from './ldap-options.ts';
export { normaliseDn, type DirectoryAnswer } from './ldap-entry.ts';
export { directoryPerson, type DirectoryPolicy } from './directory-person.ts';
export {
  syncDirectory,
  directorySyncFilter,
  directorySyncProblem,
  DIRECTORY_SYNC_LIMITS,
  type DirectorySyncOptions,
  type SyncReport,
  type SyncSkip,
} from './directory-sync.ts';
export { Identifier, type Credentials, type IdentifierOptions, type IdentifyOptions, type Identification, type IdentifiedBy } from './identifier.ts';
export { peopleCommand, devicesCommand, PEOPLE_USAGE, type PeopleIo } from './people-command.ts';
