// Who is browsing: one answer for the proxy and the DNS filter. Precedence, first that applies:
//   1. proxy credentials: the people store's password, else a directory bind when configured;
//      wrong credentials answer null (the proxy replies 407), never a weaker identity
//   2. a registered device (MAC address, hostname or device id) → its person
//   3. the client network (most specific CIDR) → its role and groups
//   4. the policy's unidentified role
import type { Person } from '../engine/index.ts';
import { ageOn } from './age.ts';
import { CredentialCache, DEFAULT_THROTTLE, FailureThrottle, type ThrottleOptions } from './auth-guard.ts';
import { directoryPerson } from './directory-person.ts';
import type { DirectoryAnswer, DirectoryAuthenticator } from './ldap-authenticator.ts';
import { normaliseUsername } from './names.ts';
import { canonicalClientIp, NetworkMap, type NetworkRole } from './network-map.ts';
import type { PeopleStore, PersonRecord } from './people-store.ts';

export interface Credentials {
  username: string;
  password: string;
}

export interface IdentifierOptions {
  people: PeopleStore;
  networks?: readonly NetworkRole[];
  /** the policy's unidentified role; a function so a policy reload is seen at once */
  unidentifiedRole: string | (() => string);
  /** the school's zone, for ages (the policy calendar's `timeZone`) */
  timeZone: string | (() => string);
  /** roles and groups the policy defines: directory answers outside them are not used */
  policy?: { roles: readonly string[]; groups: readonly string[] } | (() => { roles: readonly string[]; groups: readonly string[] });
  directory?: DirectoryAuthenticator | null;
  /** how long confirmed credentials are trusted without asking again (default 60 s) */
  cacheTtlMs?: number;
  throttle?: ThrottleOptions;
  clock?: () => number;
  /** the directory could not be asked; the person falls back to device or network identity */
  onDirectoryError?: (error: unknown) => void;
}

export interface IdentifyOptions {
  device?: string;
  /** epoch ms of the query (default: the clock), for the person's age */
  now?: number;
}

export type IdentifiedBy = 'credentials' | 'device' | 'network' | 'unidentified';

export interface Identification {
  person: Person | null;
  by: IdentifiedBy | 'rejected';
}

function value<T>(v: T | (() => T)): T {
  return typeof v === 'function' ? (v as () => T)() : v;
}

export class Identifier {
  private readonly people: PeopleStore;
  private networks: NetworkMap;
  private readonly cache: CredentialCache;
  private readonly throttle: FailureThrottle;
  private readonly clock: () => number;

  constructor(private readonly options: IdentifierOptions) {
    this.people = options.people;
    this.networks = new NetworkMap(options.networks ?? []);
    this.cache = new CredentialCache(options.cacheTtlMs ?? 60_000);
    this.throttle = new FailureThrottle(options.throttle ?? DEFAULT_THROTTLE);
    this.clock = options.clock ?? Date.now;
  }

  /** Swap the network mapping (configuration reload); throws on a bad network, keeping the old. */
  setNetworks(networks: readonly NetworkRole[]): void {
    this.networks = new NetworkMap(networks);
  }

  /** Forget cached logins (all, or one person's after a password change). */
  forget(username?: string): void {
    if (username === undefined) this.cache.clear();
    else this.cache.forget(normaliseUsername(username) ?? username);
  }

  /** The person at a client, or null when credentials were given and are wrong (answer 407). */
  async identify(clientIp: string, credentials: Credentials | null, options: IdentifyOptions = {}): Promise<Person | null> {
    return (await this.explain(clientIp, credentials, options)).person;
  }

  /** As `identify`, saying which step decided. */
  async explain(clientIp: string, credentials: Credentials | null, options: IdentifyOptions = {}): Promise<Identification> {
    const now = options.now ?? this.clock();
    const ip = canonicalClientIp(clientIp);
    if (credentials) {
      const result = await this.authenticate(ip, credentials);
      if (result === 'rejected') return { person: null, by: 'rejected' };
      if (result) return { person: this.toPerson(result, now), by: 'credentials' };
      // the directory could not be asked: fall through to the device and the network
    }
    if (options.device) {
      const owner = this.people.personForDevice(options.device);
      if (owner) return { person: this.toPerson(owner, now), by: 'device' };
    }
    const network = this.networks.lookup(ip);
    if (network) return { person: { role: network.role, groups: [...(network.groups ?? [])] }, by: 'network' };
    return { person: { role: value(this.options.unidentifiedRole) }, by: 'unidentified' };
  }

  private toPerson(record: PersonRecord, now: number): Person {
    const person: Person = { id: record.username, role: record.role, groups: record.groups };
    if (record.dateOfBirth) {
      const age = ageOn(record.dateOfBirth, now, value(this.options.timeZone));
      if (age !== null) person.age = age;
    }
    return person;
  }

  /** A person, `rejected` for wrong or throttled credentials, or null when the directory failed. */
  private async authenticate(ip: string, credentials: Credentials): Promise<PersonRecord | 'rejected' | null> {
    const now = this.clock();
    const username = normaliseUsername(credentials.username) ?? credentials.username;
    if (this.throttle.locked(username, ip, now)) return 'rejected';

    const cached = this.cache.get(username, credentials.password, now);
    if (cached) {
      const record = this.people.get(cached);
      if (record?.active) return record;
    }

    const local = normaliseUsername(credentials.username);
    if (local && (await this.people.verifyPassword(local, credentials.password))) {
      return this.succeed(username, ip, credentials.password, this.people.get(local)!);
    }

    const directory = this.options.directory;
    if (directory) {
      let answer: DirectoryAnswer | null;
      try {
        answer = await directory.authenticate(credentials.username, credentials.password);
      } catch (error) {
        this.options.onDirectoryError?.(error);
        return null;
      }
      if (answer) {
        const record = this.fromDirectory(answer);
        if (record?.active) return this.succeed(username, ip, credentials.password, record);
      }
    }
    this.throttle.fail(username, ip, this.clock());
    return 'rejected';
  }

  private succeed(username: string, ip: string, password: string, record: PersonRecord): PersonRecord {
    this.throttle.succeed(username, ip);
    this.cache.set(username, password, record.username, this.clock());
    return record;
  }

  private fromDirectory(answer: DirectoryAnswer): PersonRecord | null {
    const person = directoryPerson(answer, this.options.policy ? value(this.options.policy) : null);
    return person ? this.people.upsertFromDirectory(person, value(this.options.unidentifiedRole)) : null;
  }
}
