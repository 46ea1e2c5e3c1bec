// The identity module's public face: who is browsing. The people store (roster import, local
// passwords, devices), the LDAP authenticator, the network map and the Identifier the proxy and
// the DNS filter ask; plus the `hedgerow people` and `hedgerow devices` commands.
export { ageOn, localDate, localIsoDate } from './age.ts';
export { escapeDnValue, escapeFilterValue } from './ldap-escape.ts';
export { normaliseDevice, normaliseUsername, resolveGroupName } from './names.ts';
export { hashPassword, verifyPasswordHash } from './password.ts';
export {
  parseRoster,
  parseDateOfBirth,
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
  type PersonRecord,
  type PersonSource,
  type RosterImportResult,
  type DirectoryPerson,
} from './people-store.ts';
export { NetworkMap, canonicalClientIp, type NetworkRole } from './network-map.ts';
export { CredentialCache, FailureThrottle, DEFAULT_THROTTLE, type ThrottleOptions } from './auth-guard.ts';
export { LdapAuthenticator, normaliseDn, type LdapOptions, type DirectoryAnswer, type DirectoryAuthenticator } from './ldap-authenticator.ts';
export { Identifier, type Credentials, type IdentifierOptions, type IdentifyOptions, type Identification, type IdentifiedBy } from './identifier.ts';
export { peopleCommand, devicesCommand, PEOPLE_USAGE, type PeopleIo } from './people-command.ts';
