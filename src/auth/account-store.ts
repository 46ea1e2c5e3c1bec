// Dashboard accounts: who may sign in, with which role of the policy. Every change is written to
// the audit log with who made it, the account before and after (never a password hash) and why.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccessMatrix } from '../access/index.ts';
import type { Account, AuditLog, Database } from '../db/index.ts';
import { HedgerowError } from '../errors/index.ts';
import { normaliseUsername } from '../identity/index.ts';
import { checkNewPassword, DIRECTORY_ONLY, hashAccountPassword } from './password-hash.ts';

/** An account as the API and the CLI show it. */
export interface AccountView {
  id: string;
  username: string;
  displayName: string;
  role: string;
  disabled: boolean;
  /** `password`: a local argon2id password; `directory`: an LDAP bind only */
  signIn: 'password' | 'directory';
  createdAt: number;
}

/** Who makes a change and why, for the audit log. */
export interface ChangeBy {
  /** the acting account's username, or `cli` / `setup` */
  actor: string;
  reason: string;
}

export interface NewAccountInput {
  username: string;
  displayName: string;
  role: string;
  /** omitted: the account signs in through the directory only */
  password?: string;
}

export interface AccountChanges {
  displayName?: string;
  role?: string;
  disabled?: boolean;
}

export function accountView(row: Account): AccountView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    disabled: row.disabled !== 0,
    signIn: row.password_hash === DIRECTORY_ONLY ? 'directory' : 'password',
    createdAt: row.created_at,
  };
}

const MAX_DISPLAY_NAME = 200;
const USERNAME_RULE = 'must be 1–128 of a-z, 0-9, `.`, `_`, `-`, `@`, starting with a letter or digit';

function displayNameOf(text: string): string {
  const name = text.trim().replace(/\s+/g, ' ');
  if (name === '' || name.length > MAX_DISPLAY_NAME) {
    throw new HedgerowError('HR_AUTH_ACCOUNT_INPUT', `the display name must be 1–${MAX_DISPLAY_NAME} characters`, { where: { field: 'displayName' } });
  }
  return name;
}

export class AccountStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly audit: AuditLog,
    private readonly matrix: () => AccessMatrix,
    private readonly now: () => number,
  ) {}

  private checkRole(role: string): void {
    if (!this.matrix().roles().includes(role)) {
      throw new HedgerowError('HR_AUTH_ACCOUNT_INPUT', `role \`${role}\` is not a role of the policy (roles: ${this.matrix().roles().join(', ')})`, { where: { field: 'role' } });
    }
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(): Promise<AccountView[]> {
    const rows = await this.db.selectFrom('accounts').selectAll().orderBy('username').execute();
    return rows.map(accountView);
  }

  async get(id: string): Promise<Account | null> {
    return (await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
  }

  async byUsername(text: string): Promise<Account | null> {
    const username = normaliseUsername(text);
    if (!username) return null;
    return (await this.db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst()) ?? null;
  }

  /** Throws the first problem of a new account's fields; returns the username and name as stored. */
  checkNew(input: NewAccountInput): { username: string; displayName: string } {
    const username = normaliseUsername(input.username);
    if (!username) throw new HedgerowError('HR_AUTH_ACCOUNT_INPUT', `username \`${input.username}\` ${USERNAME_RULE}`, { where: { field: 'username' } });
    const displayName = displayNameOf(input.displayName);
    this.checkRole(input.role);
    if (input.password !== undefined) checkNewPassword(input.password, username);
    return { username, displayName };
  }

  async add(input: NewAccountInput, by: ChangeBy): Promise<AccountView> {
    const { username, displayName } = this.checkNew(input);
    if (await this.byUsername(username)) throw new HedgerowError('HR_AUTH_ACCOUNT_EXISTS', `an account \`${username}\` already exists`, { where: { field: 'username' } });
    const row: Account = {
      id: randomUUID(),
      username,
      display_name: displayName,
      role: input.role,
      password_hash: input.password === undefined ? DIRECTORY_ONLY : await hashAccountPassword(input.password),
      created_at: this.now(),
      disabled: 0,
    };
    try {
      await this.db.insertInto('accounts').values(row).execute();
    } catch (error) {
      // two requests for one username at once: the unique index decides
      if (await this.byUsername(username)) throw new HedgerowError('HR_AUTH_ACCOUNT_EXISTS', `an account \`${username}\` already exists`, { where: { field: 'username' }, cause: error });
      throw error;
    }
    const view = accountView(row);
    await this.audit.append({ actor: by.actor, action: 'account.add', subject: `account:${username}`, after: view, reason: by.reason });
    return view;
  }

  /** Changes name, role or disabled; refuses a change that leaves nobody able to manage accounts. */
  async update(id: string, changes: AccountChanges, by: ChangeBy): Promise<AccountView> {
    const before = await this.get(id);
    if (!before) throw new HedgerowError('HR_AUTH_UNKNOWN_ACCOUNT', `no account with id \`${id}\``);
    const set: { display_name?: string; role?: string; disabled?: number } = {};
    if (changes.displayName !== undefined) set.display_name = displayNameOf(changes.displayName);
    if (changes.role !== undefined) {
      this.checkRole(changes.role);
      set.role = changes.role;
    }
    if (changes.disabled !== undefined) set.disabled = changes.disabled ? 1 : 0;
    const after: Account = { ...before, ...set };
    if (JSON.stringify(accountView(after)) === JSON.stringify(accountView(before))) return accountView(before);
    await this.keepAnAdministrator(before, after);
    await this.db.updateTable('accounts').set(set).where('id', '=', id).execute();
    await this.audit.append({ actor: by.actor, action: 'account.update', subject: `account:${before.username}`, before: accountView(before), after: accountView(after), reason: by.reason });
    return accountView(after);
  }

  async setPassword(id: string, password: string, by: ChangeBy): Promise<void> {
    const account = await this.get(id);
    if (!account) throw new HedgerowError('HR_AUTH_UNKNOWN_ACCOUNT', `no account with id \`${id}\``);
    checkNewPassword(password, account.username);
    const hashed = await hashAccountPassword(password);
    await this.db.updateTable('accounts').set({ password_hash: hashed }).where('id', '=', id).execute();
    // the audit entry says that the password changed and how it signs in now, never the hash
    await this.audit.append({
      actor: by.actor,
      action: 'account.password',
      subject: `account:${account.username}`,
      before: { signIn: accountView(account).signIn },
      after: { signIn: 'password', passwordChanged: true },
      reason: by.reason,
    });
  }

  private async keepAnAdministrator(before: Account, after: Account): Promise<void> {
    const matrix = this.matrix();
    const manages = (a: Account) => a.disabled === 0 && matrix.can(a.role, 'accounts.manage');
    if (!manages(before) || manages(after)) return;
    const others = await this.db.selectFrom('accounts').selectAll().where('id', '!=', before.id).where('disabled', '=', 0).execute();
    if (!others.some(manages)) {
      throw new HedgerowError('HR_AUTH_LAST_ADMIN', `\`${before.username}\` is the last enabled account that may manage accounts; give another account that role first`);
    }
  }
}
