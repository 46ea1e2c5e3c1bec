// Signing in to the dashboard and the API, in one place: the throttle first, then the account's
// own argon2id password or a bind to the school's directory, then a fresh session (any session
// the browser already had is ended, so a planted cookie never becomes a signed-in one).
import type { Kysely } from 'kysely';
import { AccessMatrix } from '../access/index.ts';
import type { Account, AuditLog, Database, StoreDatabase } from '../db/index.ts';
import { HedgerowError } from '../errors/index.ts';
import type { DirectoryAuthenticator } from '../identity/index.ts';
import type { ResolvedPolicy } from '../policy/index.ts';
import { AccountStore, accountView, type AccountChanges, type AccountView, type ChangeBy } from './account-store.ts';
import { DIRECTORY_ONLY, MAX_PASSWORD_LENGTH, verifyAccountPassword, verifyDecoy } from './password-hash.ts';
import { SessionStore, type LiveSession, type NewSessionTokens, type SessionOptions } from './session-store.ts';
import { claimSetupToken } from './setup-token.ts';
import { SignInThrottle, type SignInThrottleOptions } from './sign-in-throttle.ts';

/** The signed-in account as a request sees it (the shape of the route context's `account`). */
export interface SessionAccount {
  accountId: string;
  username: string;
  displayName: string;
  role: string;
  groups: readonly string[];
  /** the stored session id (a digest, never the cookie's token) */
  sessionId: string;
  csrfToken: string;
}

export interface AuthParts {
  store: StoreDatabase | { db: Kysely<Database> };
  audit: AuditLog;
  /** the policy in force now (its roles and access section) */
  policy(): Pick<ResolvedPolicy, 'roles' | 'access'>;
  now(): number;
  /** a person's groups (a teacher's classes) from the people store; none when unknown */
  groupsOf?(username: string): readonly string[];
  /** LDAP bind sign-in when the configuration has a directory */
  directory?: DirectoryAuthenticator | null;
}

export interface AuthOptions extends SessionOptions {
  throttle?: SignInThrottleOptions;
}

export class ThrottledError extends HedgerowError {
  constructor(readonly retryAfterMs: number) {
    super('HR_AUTH_THROTTLED', `too many failed sign-ins; try again in ${Math.ceil(retryAfterMs / 1000)} seconds`);
  }
}

export interface SignInResult {
  account: SessionAccount;
  /** the new session's token, for the cookie */
  token: string;
  tokens: NewSessionTokens;
}

const signInFailed = () => new HedgerowError('HR_AUTH_SIGN_IN_FAILED', 'wrong username or password');

export class AuthService {
  readonly accounts: AccountStore;
  readonly sessions: SessionStore;
  readonly throttle: SignInThrottle;
  private readonly parts: AuthParts;
  private readonly matrixCache = new WeakMap<object, AccessMatrix>();

  constructor(parts: AuthParts, options: AuthOptions = {}) {
    this.parts = parts;
    const db = parts.store.db;
    this.sessions = new SessionStore(db, parts.now, options);
    this.accounts = new AccountStore(db, parts.audit, () => this.matrix(), parts.now);
    this.throttle = new SignInThrottle(options.throttle);
  }

  /** The role × action matrix of the policy in force, built once per policy. */
  matrix(): AccessMatrix {
    const policy = this.parts.policy();
    let matrix = this.matrixCache.get(policy);
    if (!matrix) {
      matrix = AccessMatrix.fromPolicy(policy);
      this.matrixCache.set(policy, matrix);
    }
    return matrix;
  }

  private groupsOf(username: string): readonly string[] {
    return this.parts.groupsOf?.(username) ?? [];
  }

  private sessionAccount(account: Account, sessionId: string, csrfToken: string): SessionAccount {
    return {
      accountId: account.id,
      username: account.username,
      displayName: account.display_name,
      role: account.role,
      groups: [...this.groupsOf(account.username)],
      sessionId,
      csrfToken,
    };
  }

  private throttleKey(username: string): string {
    return username.trim().toLowerCase().slice(0, 256);
  }

  /** Checks the password (or the directory), then starts a new session; `replacing` is ended. */
  async signIn(input: { username: string; password: string; clientIp: string; replacing?: string | null }): Promise<SignInResult> {
    const key = this.throttleKey(input.username);
    const wait = this.throttle.retryAfter(key, input.clientIp, this.parts.now());
    if (wait > 0) throw new ThrottledError(wait);
    const account = await this.check(input.username, input.password);
    if (!account) {
      this.throttle.fail(key, input.clientIp, this.parts.now());
      throw signInFailed();
    }
    this.throttle.succeed(key);
    return this.startSession(account, input.replacing ?? null);
  }

  private async check(username: string, password: string): Promise<Account | null> {
    if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return null;
    let account = await this.accounts.byUsername(username);
    if (account && account.password_hash !== DIRECTORY_ONLY) {
      const ok = await verifyAccountPassword(account.password_hash, password);
      return ok && account.disabled === 0 ? account : null;
    }
    const directory = this.parts.directory;
    if (!directory) {
      await verifyDecoy(password);
      return null;
    }
    // NOTE: a directory failure (server down) throws HR_IDENTITY_DIRECTORY and is not counted
    // as a wrong password.
    const answer = await directory.authenticate(username, password);
    if (!answer) return null;
    if (account) return account.disabled === 0 ? account : null;
    const role = answer.role;
    if (!role || !this.matrix().roles().includes(role)) {
      throw new HedgerowError('HR_API_FORBIDDEN', `the directory gives \`${answer.username}\` no role of the policy; ask for a dashboard account`);
    }
    await this.accounts.add(
      { username: answer.username, displayName: answer.displayName ?? answer.username, role },
      { actor: 'directory', reason: 'first sign-in through the directory' },
    );
    account = await this.accounts.byUsername(answer.username);
    return account;
  }

  private async startSession(account: Account, replacing: string | null): Promise<SignInResult> {
    if (replacing) await this.sessions.end(replacing);
    // sign-ins are rare next to requests, so ended sessions are swept here rather than on a timer
    await this.sessions.purgeExpired();
    const tokens = await this.sessions.create(account.id);
    return { account: this.sessionAccount(account, tokens.id, tokens.csrfToken), token: tokens.token, tokens };
  }

  /** The signed-in account a session token names, or null. */
  async resolve(token: string | undefined | null): Promise<SessionAccount | null> {
    if (!token) return null;
    const live: LiveSession | null = await this.sessions.resolve(token);
    if (!live) return null;
    return this.sessionAccount(live.account, live.session.id, live.session.csrf_token);
  }

  async signOut(token: string): Promise<void> {
    await this.sessions.end(token);
  }

  /** Ends every session of the account, on every device; returns how many. */
  async signOutEverywhere(accountId: string): Promise<number> {
    return this.sessions.endAll(accountId);
  }

  /** A signed-in person changes their own password; their other sessions end. */
  async changeOwnPassword(account: SessionAccount, current: string, next: string, clientIp: string): Promise<{ endedSessions: number }> {
    const key = this.throttleKey(account.username);
    const wait = this.throttle.retryAfter(key, clientIp, this.parts.now());
    if (wait > 0) throw new ThrottledError(wait);
    const row = await this.accounts.get(account.accountId);
    if (!row) throw new HedgerowError('HR_API_SIGNED_OUT', 'the account no longer exists');
    if (row.password_hash === DIRECTORY_ONLY) throw new HedgerowError('HR_API_CONFLICT', 'this account signs in through the directory; change the password there');
    if (!(await verifyAccountPassword(row.password_hash, current))) {
      this.throttle.fail(key, clientIp, this.parts.now());
      throw new HedgerowError('HR_AUTH_CURRENT_PASSWORD', 'the current password is wrong', { where: { field: 'current' } });
    }
    await this.accounts.setPassword(row.id, next, { actor: row.username, reason: 'changed their own password' });
    return { endedSessions: await this.sessions.endAll(row.id, account.sessionId) };
  }

  /** An administrator's change to an account; disabling it ends its sessions at once. */
  async updateAccount(id: string, changes: AccountChanges & { password?: string }, by: ChangeBy): Promise<AccountView> {
    if (changes.password !== undefined) {
      const row = await this.accounts.get(id);
      if (row) this.accounts.checkNew({ username: row.username, displayName: row.display_name, role: row.role, password: changes.password });
    }
    let view = await this.accounts.update(id, changes, by);
    if (changes.password !== undefined) {
      await this.accounts.setPassword(id, changes.password, by);
      view = accountView((await this.accounts.get(id))!);
    }
    if (view.disabled || changes.password !== undefined) await this.sessions.endAll(id);
    return view;
  }

  /** The first administrator, with the one-time setup token; signs them in. */
  async setup(input: { token: string; username: string; displayName: string; password: string; role?: string }, clientIp: string): Promise<SignInResult> {
    const wait = this.throttle.retryAfter('setup', clientIp, this.parts.now());
    if (wait > 0) throw new ThrottledError(wait);
    const matrix = this.matrix();
    const administrators = matrix.roles().filter((role) => matrix.can(role, 'accounts.manage'));
    const role = input.role ?? (administrators.includes('headteacher') ? 'headteacher' : administrators[0]);
    if (!role || !administrators.includes(role)) {
      throw new HedgerowError('HR_AUTH_ACCOUNT_INPUT', `the first account needs a role that may manage accounts (${administrators.join(', ') || 'the policy gives none'})`, { where: { field: 'role' } });
    }
    const fields = { username: input.username, displayName: input.displayName, role, password: input.password };
    this.accounts.checkNew(fields);
    if (!(await claimSetupToken(this.parts.store.db, input.token, this.parts.now()))) {
      this.throttle.fail('setup', clientIp, this.parts.now());
      throw new HedgerowError('HR_AUTH_SETUP_TOKEN', 'the setup link is wrong or has expired, or the first account already exists; restart Hedgerow for a new link');
    }
    const view = await this.accounts.add(fields, { actor: 'setup', reason: 'the first administrator, created with the one-time setup link' });
    return this.startSession((await this.accounts.get(view.id))!, null);
  }
}
