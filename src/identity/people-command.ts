// `hedgerow people import|list|set-password|sync` and `hedgerow devices add|remove|list`: the
// people store of HEDGEROW_DATA from the command line. Usage errors exit 2, input problems and a
// failed directory sync exit 1.
import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.ts';
import { formatLocation, HedgerowError } from '../errors/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../policy/index.ts';
import { dataDirectory, referencePolicyPath } from '../runtime/index.ts';
import { ageOn } from './age.ts';
import { syncDirectory, type SyncReport } from './directory-sync.ts';
import type { LdapOptions } from './ldap-options.ts';
import { PeopleStore, type PersonRecord } from './people-store.ts';
import { MAX_ROSTER_BYTES } from './roster.ts';

export interface PeopleIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

export const PEOPLE_USAGE = `Usage:
  hedgerow people import FILE [--policy FILE]   load a roster CSV (name, username, role, year group,
                                                date of birth); every bad row is reported, nothing
                                                is imported unless all rows are good
  hedgerow people list [--role R] [--group G] [--json]
  hedgerow people set-password USERNAME         reads the password from standard input
  hedgerow people sync [--config FILE] [--policy FILE] [--json]
                                                bring the people store in line with the directory
                                                (\`ldap\` in the configuration): add and update
                                                everyone listed, make directory people no longer
                                                listed inactive; roster and hand-added people are
                                                left alone
  hedgerow devices add DEVICE USERNAME          a MAC address, hostname or device id → a person
  hedgerow devices remove DEVICE
  hedgerow devices list USERNAME

The people store lives in HEDGEROW_DATA (default ./data). Without --policy, the reference policy
gives the roles and groups a roster may use.`;

class UsageError extends Error {}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

function policyOrReport(file: string | undefined, io: PeopleIo, nothing = 'nothing was imported'): ResolvedPolicy | null {
  const { policy, problems } = loadPolicy(resolve(file ?? referencePolicyPath()));
  if (!policy) {
    for (const p of problems) write(io.stderr, `${formatLocation(p.where)}${p.message} [${p.code}]`);
    write(io.stderr, `hedgerow: the policy has ${problems.length} problem${problems.length === 1 ? '' : 's'}; ${nothing}`);
  }
  return policy;
}

async function readAll(stream: NodeJS.ReadableStream, limit: number): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    if (text.length > limit) throw new HedgerowError('HR_IDENTITY_INPUT', `standard input is longer than ${limit} characters`);
  }
  return text;
}

/** Directory text on a terminal: control characters shown escaped, never acted on. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function syncSummary(report: SyncReport): string {
  return `added ${report.added}, updated ${report.updated}, deactivated ${report.deactivated}, unchanged ${report.unchanged}, skipped ${report.skipped.length}`;
}

function describe(person: PersonRecord, now: number, timeZone: string): string {
  const age = person.dateOfBirth ? ageOn(person.dateOfBirth, now, timeZone) : null;
  const groups = person.groups.length ? person.groups.join(',') : '-';
  return `${person.username}\t${person.role}\t${groups}\t${age === null ? '-' : `age ${age}`}\t${person.source}${person.active ? '' : ' (inactive)'}\t${person.displayName}`;
}

function withStore<T>(io: PeopleIo, run: (store: PeopleStore) => T): T {
  const store = PeopleStore.open(dataDirectory(io.env), io.now ? { clock: io.now } : {});
  try {
    return run(store);
  } finally {
    store.close();
  }
}

async function withStoreAsync<T>(io: PeopleIo, run: (store: PeopleStore) => Promise<T>): Promise<T> {
  const store = PeopleStore.open(dataDirectory(io.env), io.now ? { clock: io.now } : {});
  try {
    return await run(store);
  } finally {
    store.close();
  }
}

async function people(args: string[], io: PeopleIo): Promise<number> {
  const [sub, ...rest] = args;
  const now = (io.now ?? Date.now)();
  switch (sub) {
    case 'import': {
      const { values, positionals } = parseArgs({ args: rest, options: { policy: { type: 'string' } }, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('people import takes one FILE');
      const file = positionals[0]!;
      let text: string;
      try {
        const size = statSync(file).size;
        if (size > MAX_ROSTER_BYTES) throw new HedgerowError('HR_IDENTITY_ROSTER', `roster \`${file}\` is ${size} bytes, more than the limit of ${MAX_ROSTER_BYTES}`);
        text = readFileSync(file, 'utf8');
      } catch (error) {
        if (error instanceof HedgerowError) throw error;
        throw new HedgerowError('HR_IDENTITY_ROSTER', `cannot read roster \`${file}\`: ${(error as Error).message}`);
      }
      const policy = policyOrReport(values.policy, io);
      if (!policy) return 1;
      const roles = Object.keys(policy.roles);
      const result = withStore(io, (store) =>
        store.importRoster(text, {
          file,
          policy: { roles, groups: Object.keys(policy.groups), childRoles: roles.filter((r) => policy.roles[r]!.child) },
          timeZone: policy.calendar?.timeZone ?? 'UTC',
          now,
        }),
      );
      if (result.problems.length > 0) {
        for (const p of result.problems) write(io.stderr, `${file}:${p.line}: ${p.field}: ${p.message}`);
        write(io.stderr, `hedgerow: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in \`${basename(file)}\`; nothing was imported`);
        return 1;
      }
      write(io.stdout, `imported ${result.imported} new, updated ${result.updated} from ${file}`);
      return 0;
    }
    case 'list': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { role: { type: 'string' }, group: { type: 'string' }, json: { type: 'boolean' }, policy: { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length > 0) throw new UsageError('people list takes no positional arguments');
      const list = withStore(io, (store) => store.list({ ...(values.role ? { role: values.role } : {}), ...(values.group ? { group: values.group } : {}) }));
      if (values.json) {
        for (const p of list) write(io.stdout, JSON.stringify(p));
      } else {
        const timeZone = loadPolicy(resolve(values.policy ?? referencePolicyPath())).policy?.calendar?.timeZone ?? 'UTC';
        for (const p of list) write(io.stdout, describe(p, now, timeZone));
        if (list.length === 0) write(io.stderr, 'no people match');
      }
      return 0;
    }
    case 'set-password': {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('people set-password takes one USERNAME (the password comes from standard input)');
      const password = (await readAll(io.stdin, 4096)).replace(/\r?\n$/, '');
      if (password === '') throw new HedgerowError('HR_IDENTITY_INPUT', 'no password on standard input');
      await withStoreAsync(io, (store) => store.setPassword(positionals[0]!, password));
      write(io.stdout, `password set for ${positionals[0]!.toLowerCase()}`);
      return 0;
    }
    case 'sync': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { config: { type: 'string' }, policy: { type: 'string' }, json: { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length > 0) throw new UsageError('people sync takes no positional arguments');
      const { config, problems } = loadConfig({ env: io.env, ...(values.config ? { file: values.config } : {}) });
      if (!config) {
        for (const p of problems) write(io.stderr, `${formatLocation(p.where)}${p.message} [HR_CONFIG_INVALID]`);
        write(io.stderr, `hedgerow: the configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was synced`);
        return 1;
      }
      if (!config.ldap) throw new HedgerowError('HR_IDENTITY_INPUT', 'no directory is configured (`ldap` in the configuration); nothing was synced', { where: { field: 'ldap' } });
      const policy = policyOrReport(values.policy ?? config.policy, io, 'nothing was synced');
      if (!policy) return 1;
      const ldap = structuredClone(config.ldap) as LdapOptions;
      const dataDir = config.dataDir ?? dataDirectory(io.env);
      const store = PeopleStore.open(dataDir, io.now ? { clock: io.now } : {});
      let report: SyncReport;
      try {
        report = await syncDirectory(store, ldap, {
          fallbackRole: policy.unidentifiedRole ?? 'guest',
          policy: { roles: Object.keys(policy.roles), groups: Object.keys(policy.groups) },
          ...(io.now ? { now: io.now } : {}),
        });
      } finally {
        store.close();
      }
      if (values.json) {
        write(io.stdout, JSON.stringify(report));
      } else {
        write(io.stdout, syncSummary(report));
        for (const skip of report.skipped) write(io.stdout, `skipped ${printable(skip.dn)}: ${printable(skip.reason)}`);
      }
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown people command \`${sub}\`` : 'people needs a command: import, list, set-password or sync');
  }
}

function devices(args: string[], io: PeopleIo): number {
  const [sub, ...rest] = args;
  const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true, strict: true });
  switch (sub) {
    case 'add': {
      if (positionals.length !== 2) throw new UsageError('devices add takes DEVICE USERNAME');
      const name = withStore(io, (store) => store.registerDevice(positionals[0]!, positionals[1]!));
      write(io.stdout, `${name} → ${positionals[1]!.toLowerCase()}`);
      return 0;
    }
    case 'remove': {
      if (positionals.length !== 1) throw new UsageError('devices remove takes DEVICE');
      const removed = withStore(io, (store) => store.unregisterDevice(positionals[0]!));
      if (!removed) throw new HedgerowError('HR_IDENTITY_INPUT', `device \`${positionals[0]}\` is not registered`);
      write(io.stdout, `removed ${positionals[0]}`);
      return 0;
    }
    case 'list': {
      if (positionals.length !== 1) throw new UsageError('devices list takes USERNAME');
      for (const d of withStore(io, (store) => store.devices(positionals[0]!))) write(io.stdout, d);
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown devices command \`${sub}\`` : 'devices needs a command: add, remove or list');
  }
}

async function run(name: 'people' | 'devices', args: string[], io: PeopleIo): Promise<number> {
  try {
    return name === 'people' ? await people(args, io) : devices(args, io);
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      write(io.stderr, `hedgerow ${name}: ${(error as Error).message}\n\n${PEOPLE_USAGE}`);
      return 2;
    }
    if (error instanceof HedgerowError) {
      write(io.stderr, `hedgerow ${name}: ${error.code}: ${formatLocation(error.where)}${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** `hedgerow people …` (args after `people`). */
export function peopleCommand(args: string[], io: PeopleIo): Promise<number> {
  return run('people', args, io);
}

/** `hedgerow devices …` (args after `devices`). */
export function devicesCommand(args: string[], io: PeopleIo): Promise<number> {
  return run('devices', args, io);
}
