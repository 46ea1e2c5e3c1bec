// `hedgerow users add|list|disable|enable|passwd`: dashboard accounts from the command line, for
// the first administrator and for recovery. Passwords come from a file, from standard input, or
// from a prompt that does not echo; never from the command line, where other users could see
// them. Every change is audited with the operating-system user as the actor.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AuthService, type AccountView } from '../auth/index.ts';
import { AuditLog, migrate, openDatabase, redactDatabaseUrl, type StoreDatabase } from '../db/index.ts';
import { formatLocation, HedgerowError } from '../errors/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../policy/index.ts';
import { dataDirectory, referencePolicyPath } from '../runtime/index.ts';

export interface UsersIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  now: () => number;
}

export const USERS_USAGE = `Usage:
  hedgerow users add --username U --name "Full Name" --role ROLE [--password-file FILE] [--directory] [--reason TEXT]
                                 a dashboard account; the password is read from FILE, from standard
                                 input, or asked for; --directory: sign-in through LDAP only
  hedgerow users list [--json]
  hedgerow users disable USERNAME [--reason TEXT]   ends the account's sessions at once
  hedgerow users enable USERNAME [--reason TEXT]
  hedgerow users passwd USERNAME [--password-file FILE] [--reason TEXT]

Common options: --policy FILE (the roles; default HEDGEROW_POLICY or the reference policy),
--database URL (default HEDGEROW_DATABASE_URL or sqlite:HEDGEROW_DATA/hedgerow.db).`;

class UsageError extends Error {}

const COMMON = {
  policy: { type: 'string' },
  database: { type: 'string' },
  reason: { type: 'string' },
} as const;

function parse<const T extends ParseArgsConfig>(config: T) {
  try {
    return parseArgs<T>(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** The store the server and this command share: HEDGEROW_DATABASE_URL, else SQLite in the data folder. */
export function defaultStoreUrl(env: NodeJS.ProcessEnv): string {
  const url = env.HEDGEROW_DATABASE_URL;
  return url && url !== '' ? url : `sqlite:${join(dataDirectory(env), 'hedgerow.db')}`;
}

function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

async function readFirstLine(stream: NodeJS.ReadableStream, limit = 4096): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    if (text.includes('\n') || text.length > limit) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** Reads a line from a terminal without echoing it. */
function promptHidden(io: UsersIo, question: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  return new Promise((resolvePrompt, reject) => {
    let text = '';
    io.stderr.write(question);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const done = (error: Error | null) => {
      stdin.setRawMode(false);
      stdin.off('data', onData);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolvePrompt(text);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done(null);
        if (char === '\u0003') return done(new UsageError('cancelled'));
        if (char === '\u007f' || char === '\b') text = text.slice(0, -1);
        else text += char;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function readPassword(io: UsersIo, file: string | undefined): Promise<string> {
  if (file) {
    try {
      return readFileSync(resolve(file), 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (error) {
      throw new HedgerowError('HR_CLI_USAGE', `cannot read the password file \`${file}\`: ${(error as Error).message}`);
    }
  }
  if ((io.stdin as NodeJS.ReadStream).isTTY) {
    const first = await promptHidden(io, 'Password: ');
    const again = await promptHidden(io, 'The same again: ');
    if (first !== again) throw new HedgerowError('HR_AUTH_PASSWORD_RULE', 'the two passwords differ; nothing was changed');
    return first;
  }
  return readFirstLine(io.stdin);
}

function policyOf(file: string | undefined, io: UsersIo): ResolvedPolicy {
  const path = resolve(file ?? (io.env.HEDGEROW_POLICY || referencePolicyPath()));
  const { policy, problems } = loadPolicy(path);
  if (!policy) {
    for (const p of problems) write(io.stderr, `${formatLocation(p.where)}${p.message} [${p.code}]`);
    throw new HedgerowError('HR_POLICY_SCHEMA', `the policy \`${path}\` has ${problems.length} problem${problems.length === 1 ? '' : 's'}; its roles are needed`);
  }
  return policy;
}

async function withAuth<T>(values: { policy?: string; database?: string }, io: UsersIo, work: (auth: AuthService, store: StoreDatabase) => Promise<T>): Promise<T> {
  const policy = policyOf(values.policy, io);
  const url = values.database ?? defaultStoreUrl(io.env);
  const store = await openDatabase(url);
  try {
    const migrated = await migrate(store.db);
    if (migrated.failed) throw migrated.failed.error;
    if (migrated.applied.length > 0) write(io.stderr, `store ${redactDatabaseUrl(url)}: applied migrations ${migrated.applied.join(', ')}`);
    const audit = new AuditLog(store, { now: io.now });
    const auth = new AuthService({ store, audit, policy: () => policy, now: io.now });
    return await work(auth, store);
  } finally {
    await store.close();
  }
}

function line(view: AccountView): string {
  return `${view.username}\t${view.role}\t${view.disabled ? 'disabled' : 'enabled'}\t${view.signIn}\t${view.displayName}`;
}

async function accountId(auth: AuthService, username: string): Promise<string> {
  const account = await auth.accounts.byUsername(username);
  if (!account) throw new HedgerowError('HR_AUTH_UNKNOWN_ACCOUNT', `no account \`${username}\``);
  return account.id;
}

export async function usersCommand(args: string[], io: UsersIo): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'add': {
        const { values, positionals } = parse({
          args: rest,
          options: { ...COMMON, username: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, 'password-file': { type: 'string' }, directory: { type: 'boolean' } },
          allowPositionals: true,
          strict: true,
        });
        if (positionals.length > 0) throw new UsageError('users add takes no positional arguments; give --username, --name and --role');
        if (!values.username || !values.name || !values.role) throw new UsageError('users add needs --username, --name and --role');
        if (values.directory && values['password-file']) throw new UsageError('--directory accounts have no password here; drop --password-file');
        return await withAuth(values, io, async (auth) => {
          const password = values.directory ? undefined : await readPassword(io, values['password-file']);
          const view = await auth.accounts.add(
            { username: values.username!, displayName: values.name!, role: values.role!, ...(password !== undefined ? { password } : {}) },
            { actor: actor(), reason: values.reason ?? 'added from the command line' },
          );
          write(io.stdout, `added ${line(view)}`);
          write(io.stdout, `may: ${auth.matrix().actionsOf(view.role).join(', ')}`);
          return 0;
        });
      }
      case 'list': {
        const { values } = parse({ args: rest, options: { ...COMMON, json: { type: 'boolean' } }, allowPositionals: false, strict: true });
        return await withAuth(values, io, async (auth) => {
          const accounts = await auth.accounts.list();
          if (values.json) write(io.stdout, JSON.stringify(accounts));
          else if (accounts.length === 0) write(io.stdout, 'no accounts yet: add one with `hedgerow users add`');
          else for (const view of accounts) write(io.stdout, line(view));
          return 0;
        });
      }
      case 'disable':
      case 'enable': {
        const { values, positionals } = parse({ args: rest, options: COMMON, allowPositionals: true, strict: true });
        if (positionals.length !== 1) throw new UsageError(`users ${sub} takes one USERNAME`);
        return await withAuth(values, io, async (auth) => {
          const view = await auth.updateAccount(await accountId(auth, positionals[0]!), { disabled: sub === 'disable' }, { actor: actor(), reason: values.reason ?? `${sub}d from the command line` });
          write(io.stdout, `${sub}d ${line(view)}`);
          return 0;
        });
      }
      case 'passwd': {
        const { values, positionals } = parse({ args: rest, options: { ...COMMON, 'password-file': { type: 'string' } }, allowPositionals: true, strict: true });
        if (positionals.length !== 1) throw new UsageError('users passwd takes one USERNAME');
        return await withAuth(values, io, async (auth) => {
          const id = await accountId(auth, positionals[0]!);
          const password = await readPassword(io, values['password-file']);
          const view = await auth.updateAccount(id, { password }, { actor: actor(), reason: values.reason ?? 'password set from the command line' });
          write(io.stdout, `password set for ${view.username}; its sessions have ended`);
          return 0;
        });
      }
      default:
        throw new UsageError(sub ? `unknown users command \`${sub}\`` : 'users needs a command: add, list, disable, enable or passwd');
    }
  } catch (error) {
    if (error instanceof UsageError) {
      write(io.stderr, `hedgerow: ${error.message}\n\n${USERS_USAGE}`);
      return 2;
    }
    if (error instanceof HedgerowError) {
      write(io.stderr, `hedgerow: ${error.code}: ${formatLocation(error.where)}${error.message}`);
      return error.code === 'HR_CLI_USAGE' ? 2 : 1;
    }
    throw error;
  }
}
