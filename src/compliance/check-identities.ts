// The identities the filter checks browse as. A check must go through the proxy exactly as a
// pupil or a teacher would, so it signs in with proxy credentials (the Identifier honours them
// before the device or network): one person per role and group set in the people store, named
// `hedgerow-check.<role>[.<group>…]`, with a random password kept only in the data folder
// (`compliance/check-identities.json`, mode 0600, folder 0700) and as a hash in the store.
//
// NOTE: these are real proxy credentials for the roles they test. Whoever can read the data
// folder can browse as them; that is the same person who can read the people store and the CA key.
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HedgerowError } from '../errors/index.ts';
import { SERVICE_IDENTITY_PREFIX } from '../identity/index.ts';

export const CHECK_IDENTITY_PREFIX = SERVICE_IDENTITY_PREFIX;
const FILE_NAME = 'check-identities.json';
const MAX_USERNAME = 128;

export function isCheckIdentity(username: string): boolean {
  return username.startsWith(CHECK_IDENTITY_PREFIX);
}

export interface CheckAs {
  role: string;
  groups: readonly string[];
}

export interface CheckCredentials {
  username: string;
  password: string;
}

/** What the identities need of the people store (PeopleStore fits as it is). */
export interface CheckPeople {
  get(username: string): { role: string; groups: string[]; active: boolean } | null;
  add(person: { username: string; displayName: string; role: string; groups?: string[] }): unknown;
  setPassword(username: string, password: string): Promise<void>;
  /** when given, a kept password the store no longer accepts is replaced */
  verifyPassword?(username: string, password: string): Promise<boolean>;
}

/** `hedgerow-check.pupil.class-4n`; a hash stands in for group lists too long for a username. */
export function checkUsername(as: CheckAs): string {
  const groups = [...new Set(as.groups)].sort();
  const plain = [CHECK_IDENTITY_PREFIX + as.role, ...groups].join('.');
  if (plain.length <= MAX_USERNAME) return plain;
  const digest = createHash('sha256').update(groups.join('\n')).digest('hex').slice(0, 16);
  return `${CHECK_IDENTITY_PREFIX}${as.role.slice(0, 80)}.g-${digest}`;
}

export class CheckIdentities {
  private readonly people: CheckPeople;
  private readonly dir: string;
  private readonly file: string;
  /** one change at a time, so two checks never set two passwords for one identity */
  private queue: Promise<unknown> = Promise.resolve();

  /** `dir`: a folder of its own in the data folder, such as `<data>/compliance` */
  constructor(options: { people: CheckPeople; dir: string }) {
    this.people = options.people;
    this.dir = options.dir;
    this.file = join(options.dir, FILE_NAME);
  }

  /** The credentials to browse as a role and groups, creating the identity on first use. */
  credentialsFor(as: CheckAs): Promise<CheckCredentials> {
    const next = this.queue.then(() => this.ensure(as));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async ensure(as: CheckAs): Promise<CheckCredentials> {
    const username = checkUsername(as);
    const secrets = this.read();
    let person: ReturnType<CheckPeople['get']>;
    try {
      person = this.people.get(username);
      if (!person) {
        const groups = [...new Set(as.groups)].sort();
        this.people.add({ username, displayName: `Filter check (${[as.role, ...groups].join(', ')})`, role: as.role, groups });
        person = this.people.get(username);
      }
    } catch (error) {
      throw new HedgerowError('HR_COMPLIANCE_CHECK_IDENTITY', `filter check identity \`${username}\` could not be added to the people store: ${(error as Error).message}`, { cause: error });
    }
    if (!person) throw new HedgerowError('HR_COMPLIANCE_CHECK_IDENTITY', `filter check identity \`${username}\` is not in the people store`);
    if (!person.active) {
      throw new HedgerowError('HR_COMPLIANCE_CHECK_IDENTITY', `filter check identity \`${username}\` is switched off in the people store; switch it on to run this check`);
    }
    const sameGroups = [...person.groups].sort().join('\n') === [...new Set(as.groups)].sort().join('\n');
    if (person.role !== as.role || !sameGroups) {
      throw new HedgerowError('HR_COMPLIANCE_CHECK_IDENTITY', `filter check identity \`${username}\` has been changed in the people store (role \`${person.role}\`); remove it so it is made again`);
    }
    const known = secrets[username];
    if (known !== undefined && (this.people.verifyPassword === undefined || (await this.people.verifyPassword(username, known)))) return { username, password: known };
    // a new identity, a data folder that lost its file, or a password changed in the store
    const password = randomBytes(24).toString('base64url');
    await this.people.setPassword(username, password);
    this.write({ ...secrets, [username]: password });
    return { username, password };
  }

  private read(): Record<string, string> {
    if (!existsSync(this.file)) return {};
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      throw new HedgerowError('HR_COMPLIANCE_CHECK_IDENTITY', `\`${this.file}\` cannot be read: ${(error as Error).message}`, { cause: error });
    }
    const identities = (value as { identities?: unknown } | null)?.identities;
    if (typeof identities !== 'object' || identities === null) return {};
    const out: Record<string, string> = {};
    for (const [name, secret] of Object.entries(identities)) if (typeof secret === 'string') out[name] = secret;
    return out;
  }

  private write(identities: Record<string, string>): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      chmodSync(this.dir, 0o700);
      const temporary = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify({ v: 1, identities }, null, 2)}\n`, { mode: 0o600 });
      renameSync(temporary, this.file);
    } catch (error) {
      throw new HedgerowError('HR_COMPLIANCE_CHECK_IDENTITY', `\`${this.file}\` cannot be written: ${(error as Error).message}`, { cause: error });
    }
  }
}
