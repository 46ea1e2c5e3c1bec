// The people store: who may browse, in the same SQLite file as the decision log but in tables of
// its own (people, devices), migrated by the store's runner under `identity-…` ids.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { HedgerowError } from '../errors/index.ts';
import { databasePath, runSqliteMigrations, type Migration } from '../store/index.ts';
import { hashPassword, verifyPasswordHash } from './password.ts';
import { DEVICE_RULE, normaliseDevice, normaliseUsername, USERNAME_RULE } from './names.ts';
import { normaliseEmail, parseRoster, type RosterOptions, type RosterProblem } from './roster.ts';

export type PersonSource = 'roster' | 'ldap' | 'local';

/** Usernames the product gives its own service identities (the filter checks browse as these). */
export const SERVICE_IDENTITY_PREFIX = 'hedgerow-check.';

export function isServiceIdentity(username: string): boolean {
  return username.startsWith(SERVICE_IDENTITY_PREFIX);
}

export interface PersonRecord {
  username: string;
  displayName: string;
  role: string;
  groups: string[];
  /** `YYYY-MM-DD` or null when unknown */
  dateOfBirth: string | null;
  source: PersonSource;
  active: boolean;
  hasPassword: boolean;
  /** where notifications are mailed; present only when known */
  email?: string;
  /** the username of the person's line manager (council rules: accidental access); present only when known */
  lineManager?: string;
}

export interface RosterImportResult {
  imported: number;
  updated: number;
  problems: RosterProblem[];
}

/** What a directory says about a person after a successful bind; absent fields keep stored values. */
export interface DirectoryPerson {
  username: string;
  displayName?: string;
  role?: string | null;
  groups?: string[];
  dateOfBirth?: string | null;
}

/** What one directory listing changed: usernames added, updated and made inactive. */
export interface DirectoryListingResult {
  added: string[];
  updated: string[];
  unchanged: number;
  deactivated: string[];
}

export const identityMigrations: readonly Migration[] = [
  {
    id: 'identity-001_people_devices',
    // groups are JSON text like the decision log's arrays; the password hash stays NULL for
    // people who only ever authenticate against the directory
    sql: `
      CREATE TABLE people (
        username TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        groups TEXT NOT NULL DEFAULT '[]',
        date_of_birth TEXT,
        password_hash TEXT,
        source TEXT NOT NULL CHECK (source IN ('roster', 'ldap', 'local')),
        active INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX people_role ON people (role);
      CREATE TABLE devices (
        device TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES people (username) ON UPDATE CASCADE ON DELETE CASCADE,
        registered_at INTEGER NOT NULL
      );
      CREATE INDEX devices_username ON devices (username);
    `,
  },
  {
    // where notifications are mailed, and who a member of staff reports to
    id: 'identity-002_contact',
    sql: `
      ALTER TABLE people ADD COLUMN email TEXT;
      ALTER TABLE people ADD COLUMN line_manager TEXT;
    `,
  },
];

interface PersonRow {
  username: string;
  display_name: string;
  role: string;
  groups: string;
  date_of_birth: string | null;
  password_hash: string | null;
  source: PersonSource;
  active: number;
  email: string | null;
  line_manager: string | null;
}

function groupsOf(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}

function toRecord(row: PersonRow): PersonRecord {
  return {
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    groups: groupsOf(row.groups),
    dateOfBirth: row.date_of_birth,
    source: row.source,
    active: row.active === 1,
    hasPassword: row.password_hash !== null,
    // absent rather than null, so records of people without contact details keep their old shape
    ...(row.email !== null ? { email: row.email } : {}),
    ...(row.line_manager !== null ? { lineManager: row.line_manager } : {}),
  };
}

function requireUsername(text: string): string {
  const username = normaliseUsername(text);
  if (!username) throw new HedgerowError('HR_IDENTITY_INPUT', `username \`${text}\` ${USERNAME_RULE}`, { where: { field: 'username' } });
  return username;
}

export class PeopleStore {
  private constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number,
  ) {}

  /** Opens (and migrates) `<dataDir>/hedgerow.db`. */
  static open(dataDir: string, options: { clock?: () => number } = {}): PeopleStore {
    mkdirSync(dataDir, { recursive: true });
    const path = databasePath(dataDir);
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (error) {
      throw new HedgerowError('HR_STORE_OPEN', `cannot open \`${path}\`: ${(error as Error).message}`, { cause: error });
    }
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // the decision log writes to the same file from its own connection
    db.pragma('busy_timeout = 5000');
    const report = runSqliteMigrations(db, identityMigrations);
    if (report.failed) {
      db.close();
      throw new HedgerowError('HR_STORE_MIGRATION', `migration \`${report.failed.id}\` failed: ${report.failed.message}`);
    }
    return new PeopleStore(db, options.clock ?? Date.now);
  }

  close(): void {
    this.db.close();
  }

  /**
   * All or nothing: every row is checked first; when any has a problem nothing is written and
   * every problem comes back with its line. Otherwise all rows go in one transaction; people
   * already known are updated (their password and devices are kept).
   */
  importRoster(csvText: string, options: RosterOptions): RosterImportResult {
    const { people, problems } = parseRoster(csvText, options);
    if (problems.length > 0) return { imported: 0, updated: 0, problems };
    const now = this.clock();
    const exists = this.db.prepare('SELECT 1 FROM people WHERE username = ?');
    const insert = this.db.prepare(
      `INSERT INTO people (username, display_name, role, groups, date_of_birth, source, active, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'roster', 1, ?, ?)`,
    );
    const update = this.db.prepare(
      `UPDATE people SET display_name = ?, role = ?, groups = ?, date_of_birth = ?, source = 'roster', active = 1, updated_at = ?
       WHERE username = ?`,
    );
    // contact columns are written only when the file has them; otherwise stored values stay
    const setEmail = this.db.prepare('UPDATE people SET email = ? WHERE username = ?');
    const setManager = this.db.prepare('UPDATE people SET line_manager = ? WHERE username = ?');
    let imported = 0;
    let updated = 0;
    this.db.transaction(() => {
      for (const p of people) {
        if (exists.get(p.username)) {
          update.run(p.displayName, p.role, JSON.stringify(p.groups), p.dateOfBirth, now, p.username);
          updated++;
        } else {
          insert.run(p.username, p.displayName, p.role, JSON.stringify(p.groups), p.dateOfBirth, now, now);
          imported++;
        }
        if (p.email !== undefined) setEmail.run(p.email, p.username);
        if (p.lineManager !== undefined) setManager.run(p.lineManager, p.username);
      }
    })();
    return { imported, updated, problems: [] };
  }

  get(username: string): PersonRecord | null {
    const key = normaliseUsername(username);
    if (!key) return null;
    const row = this.db.prepare('SELECT * FROM people WHERE username = ?').get(key) as PersonRow | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * People in the store, active ones unless asked. Service identities (the filter checks' own
   * `hedgerow-check.…` people) are left out unless asked, so they are never counted, notified or
   * listed as members of the school.
   */
  list(filter: { role?: string; group?: string; includeInactive?: boolean; includeService?: boolean } = {}): PersonRecord[] {
    const where: string[] = [];
    const params: string[] = [];
    if (!filter.includeInactive) where.push('active = 1');
    if (!filter.includeService) {
      // the prefix holds no LIKE wildcards
      where.push('username NOT LIKE ?');
      params.push(`${SERVICE_IDENTITY_PREFIX}%`);
    }
    if (filter.role !== undefined) {
      where.push('role = ?');
      params.push(filter.role);
    }
    if (filter.group !== undefined) {
      where.push('EXISTS (SELECT 1 FROM json_each(people.groups) WHERE json_each.value = ?)');
      params.push(filter.group);
    }
    const sql = `SELECT * FROM people${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY role, username`;
    return (this.db.prepare(sql).all(...params) as PersonRow[]).map(toRecord);
  }

  /** Adds a person by hand (source `local`); throws when the username is taken. */
  add(person: { username: string; displayName: string; role: string; groups?: string[]; dateOfBirth?: string | null; email?: string | null; lineManager?: string | null }): PersonRecord {
    const username = requireUsername(person.username);
    const contact = checkContact(username, person);
    const now = this.clock();
    try {
      this.db
        .prepare(
          `INSERT INTO people (username, display_name, role, groups, date_of_birth, source, active, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'local', 1, ?, ?)`,
        )
        .run(username, person.displayName, person.role, JSON.stringify(person.groups ?? []), person.dateOfBirth ?? null, now, now);
    } catch (error) {
      throw new HedgerowError('HR_IDENTITY_INPUT', `username \`${username}\` is already in the people store`, { cause: error });
    }
    if (contact.email !== undefined || contact.lineManager !== undefined) this.setContact(username, contact);
    return this.get(username)!;
  }

  /**
   * Sets or clears (null) a person's mail address and line manager; a field left out is kept.
   * The line manager is a username and need not be in the store yet (a directory sync may bring
   * them later).
   */
  setContact(username: string, contact: { email?: string | null; lineManager?: string | null }): PersonRecord {
    const key = requireUsername(username);
    const checked = checkContact(key, contact);
    if (!this.get(key)) throw new HedgerowError('HR_IDENTITY_UNKNOWN_PERSON', `no person \`${key}\` in the people store`);
    const now = this.clock();
    if (checked.email !== undefined) this.db.prepare('UPDATE people SET email = ?, updated_at = ? WHERE username = ?').run(checked.email, now, key);
    if (checked.lineManager !== undefined) this.db.prepare('UPDATE people SET line_manager = ?, updated_at = ? WHERE username = ?').run(checked.lineManager, now, key);
    return this.get(key)!;
  }

  /** Active people with this line manager (their reports), by username. */
  reportsOf(manager: string): PersonRecord[] {
    const key = normaliseUsername(manager);
    if (!key) return [];
    return (this.db.prepare('SELECT * FROM people WHERE line_manager = ? AND active = 1 ORDER BY username').all(key) as PersonRow[]).map(toRecord);
  }

  /**
   * After a successful directory bind: creates the person (source `ldap`) or refreshes what the
   * directory knows. Fields the directory did not give (a date of birth from the roster) are kept.
   * An inactive person stays inactive: a bind alone does not bring someone back.
   */
  upsertFromDirectory(person: DirectoryPerson, fallbackRole: string): PersonRecord {
    const username = requireUsername(person.username);
    this.writeDirectoryPerson({ ...person, username }, fallbackRole, false);
    return this.get(username)!;
  }

  /**
   * One complete directory listing, applied in one transaction: each listed person is written as
   * `upsertFromDirectory` would and made active; people who came from the directory (source
   * `ldap`) and are not in the listing are made inactive. Roster and local people who are not
   * listed are never touched, nor are the usernames in `keep` (ones the listing could not settle).
   */
  applyDirectoryListing(people: readonly DirectoryPerson[], fallbackRole: string, options: { keep?: Iterable<string> } = {}): DirectoryListingResult {
    const result: DirectoryListingResult = { added: [], updated: [], unchanged: 0, deactivated: [] };
    const listed = new Set<string>();
    const keep = new Set([...(options.keep ?? [])].map((u) => normaliseUsername(u) ?? u));
    for (const person of people) {
      const username = requireUsername(person.username);
      if (listed.has(username)) throw new HedgerowError('HR_IDENTITY_INPUT', `username \`${username}\` is listed twice`, { where: { field: 'username' } });
      listed.add(username);
    }
    this.db.transaction(() => {
      for (const person of people) {
        const username = normaliseUsername(person.username)!;
        const outcome = this.writeDirectoryPerson({ ...person, username }, fallbackRole, true);
        if (outcome === 'added') result.added.push(username);
        else if (outcome === 'updated') result.updated.push(username);
        else result.unchanged++;
      }
      const fromDirectory = this.db.prepare(`SELECT username FROM people WHERE source = 'ldap' AND active = 1 ORDER BY username`).all() as { username: string }[];
      const deactivate = this.db.prepare('UPDATE people SET active = 0, updated_at = ? WHERE username = ?');
      const now = this.clock();
      for (const { username } of fromDirectory) {
        if (listed.has(username) || keep.has(username)) continue;
        deactivate.run(now, username);
        result.deactivated.push(username);
      }
    })();
    return result;
  }

  /** Inserts or updates one directory person; writes nothing when nothing would change. */
  private writeDirectoryPerson(person: DirectoryPerson, fallbackRole: string, activate: boolean): 'added' | 'updated' | 'unchanged' {
    const now = this.clock();
    const existing = this.get(person.username);
    if (!existing) {
      this.db
        .prepare(
          `INSERT INTO people (username, display_name, role, groups, date_of_birth, source, active, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'ldap', 1, ?, ?)`,
        )
        .run(person.username, person.displayName ?? person.username, person.role ?? fallbackRole, JSON.stringify(person.groups ?? []), person.dateOfBirth ?? null, now, now);
      return 'added';
    }
    const next = {
      displayName: person.displayName ?? existing.displayName,
      role: person.role ?? existing.role,
      groups: person.groups && person.groups.length > 0 ? person.groups : existing.groups,
      dateOfBirth: person.dateOfBirth ?? existing.dateOfBirth,
      active: activate || existing.active,
    };
    const same =
      existing.source === 'ldap' &&
      next.displayName === existing.displayName &&
      next.role === existing.role &&
      JSON.stringify(next.groups) === JSON.stringify(existing.groups) &&
      next.dateOfBirth === existing.dateOfBirth &&
      next.active === existing.active;
    if (same) return 'unchanged';
    this.db
      .prepare(`UPDATE people SET display_name = ?, role = ?, groups = ?, date_of_birth = ?, source = 'ldap', active = ?, updated_at = ? WHERE username = ?`)
      .run(next.displayName, next.role, JSON.stringify(next.groups), next.dateOfBirth, next.active ? 1 : 0, now, person.username);
    return 'updated';
  }

  async setPassword(username: string, password: string): Promise<void> {
    const key = requireUsername(username);
    const hash = await hashPassword(password);
    const result = this.db.prepare('UPDATE people SET password_hash = ?, updated_at = ? WHERE username = ?').run(hash, this.clock(), key);
    if (result.changes === 0) throw new HedgerowError('HR_IDENTITY_UNKNOWN_PERSON', `no person \`${key}\` in the people store`);
  }

  /**
   * True only for an active person whose stored hash matches. Unknown people cost one hash too,
   * so the answer time does not tell who exists.
   */
  async verifyPassword(username: string, password: string): Promise<boolean> {
    const key = normaliseUsername(username);
    const row = key
      ? (this.db.prepare('SELECT password_hash, active FROM people WHERE username = ?').get(key) as { password_hash: string | null; active: number } | undefined)
      : undefined;
    const hash = row?.password_hash ?? (await dummyHash());
    const ok = await verifyPasswordHash(password, hash);
    return ok && row !== undefined && row.password_hash !== null && row.active === 1;
  }

  setActive(username: string, active: boolean): void {
    const key = requireUsername(username);
    const result = this.db.prepare('UPDATE people SET active = ?, updated_at = ? WHERE username = ?').run(active ? 1 : 0, this.clock(), key);
    if (result.changes === 0) throw new HedgerowError('HR_IDENTITY_UNKNOWN_PERSON', `no person \`${key}\` in the people store`);
  }

  /** Registers (or moves) a device to a person; returns the stored device name. */
  registerDevice(device: string, username: string): string {
    const name = normaliseDevice(device);
    if (!name) throw new HedgerowError('HR_IDENTITY_INPUT', `device \`${device}\` ${DEVICE_RULE}`, { where: { field: 'device' } });
    const key = requireUsername(username);
    if (!this.get(key)) throw new HedgerowError('HR_IDENTITY_UNKNOWN_PERSON', `no person \`${key}\` in the people store`);
    this.db
      .prepare('INSERT INTO devices (device, username, registered_at) VALUES (?, ?, ?) ON CONFLICT (device) DO UPDATE SET username = excluded.username, registered_at = excluded.registered_at')
      .run(name, key, this.clock());
    return name;
  }

  unregisterDevice(device: string): boolean {
    const name = normaliseDevice(device);
    return name !== null && this.db.prepare('DELETE FROM devices WHERE device = ?').run(name).changes > 0;
  }

  /** The active person a device is registered to, or null. */
  personForDevice(device: string): PersonRecord | null {
    const name = normaliseDevice(device);
    if (!name) return null;
    const row = this.db
      .prepare('SELECT people.* FROM devices JOIN people ON people.username = devices.username WHERE devices.device = ? AND people.active = 1')
      .get(name) as PersonRow | undefined;
    return row ? toRecord(row) : null;
  }

  devices(username: string): string[] {
    const key = normaliseUsername(username);
    if (!key) return [];
    return (this.db.prepare('SELECT device FROM devices WHERE username = ? ORDER BY device').all(key) as { device: string }[]).map((r) => r.device);
  }
}

/** Normalised contact fields; throws HR_IDENTITY_INPUT naming the field that is not acceptable. */
function checkContact(username: string, contact: { email?: string | null; lineManager?: string | null }): { email?: string | null; lineManager?: string | null } {
  const out: { email?: string | null; lineManager?: string | null } = {};
  if (contact.email !== undefined) {
    if (contact.email === null || contact.email.trim() === '') out.email = null;
    else {
      const email = normaliseEmail(contact.email);
      if (!email) throw new HedgerowError('HR_IDENTITY_INPUT', `\`${contact.email}\` is not a mail address like name@school.example`, { where: { field: 'email' } });
      out.email = email;
    }
  }
  if (contact.lineManager !== undefined) {
    if (contact.lineManager === null || contact.lineManager.trim() === '') out.lineManager = null;
    else {
      const manager = normaliseUsername(contact.lineManager);
      if (!manager) throw new HedgerowError('HR_IDENTITY_INPUT', `line manager \`${contact.lineManager}\` ${USERNAME_RULE}`, { where: { field: 'lineManager' } });
      if (manager === username) throw new HedgerowError('HR_IDENTITY_INPUT', 'a person cannot be their own line manager', { where: { field: 'lineManager' } });
      out.lineManager = manager;
    }
  }
  return out;
}

// A fixed hash of a random password, verified against when the person is unknown or has no
// password, so that path costs the same as a real comparison.
let dummy: Promise<string> | null = null;
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(18).toString('base64'));
  return dummy;
}
