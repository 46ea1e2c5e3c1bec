// A real, throwaway PostgreSQL for the store tests: Debian's binaries from
// /usr/lib/postgresql/<version>/bin, a fresh cluster in a temp folder (initdb as the `postgres`
// user when the tests run as root, since the server refuses to run as root), listening on
// 127.0.0.1 and a free port with its socket in the same folder. Stopped and removed by stop(),
// or at process exit if a test run dies first.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

const PG_ROOT = '/usr/lib/postgresql';

/** The bin folder of the newest installed PostgreSQL that has initdb and pg_ctl, or null. */
export function findPostgresBin(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(PG_ROOT, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

/** Why the PostgreSQL tests cannot run here, or null when they can. In CI a missing server is a failure. */
export function postgresUnavailable(): string | null {
  if (findPostgresBin()) return null;
  const message = `PostgreSQL server binaries not found under ${PG_ROOT}/*/bin (run scripts/install-system-packages.sh)`;
  if (process.env.CI) throw new Error(`PostgreSQL tests must run in CI: ${message}`);
  return message;
}


function postgresUser(): { uid: number; gid: number } | null {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export interface TestPostgres {
  /** postgres://… of a database made for this server (`hedgerow_test`) */
  url: string;
  port: number;
  /** a new empty database on the same server, for a test that needs a clean slate */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(`no PostgreSQL binaries under ${PG_ROOT}`);
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]) => {
    const command = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] as const : [join(bin, program), args] as const;
    return spawnSync(command[0], [...command[1]], { encoding: 'utf8', cwd: dir });
  };
  if (asRoot) {
    const user = postgresUser();
    if (!user) throw new Error('running as root but there is no `postgres` user to run the server as');
    chownSync(dir, user.uid, user.gid);
    chmodSync(dir, 0o700);
  }

  // trust on 127.0.0.1 only: the server never listens elsewhere and lives for one test run
  const init = run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}${init.stdout}`);
  }

  const port = await freePort();
  const log = join(dir, 'server.log');
  // -F: no fsync, the data is thrown away anyway
  const options = `-h 127.0.0.1 -p ${port} -k ${dir} -F -c max_connections=50`;
  const start = run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '30', '-o', options, 'start']);
  if (start.status !== 0) {
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${start.stderr}${start.stdout}\n${serverLog}`);
  }

  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  };
  // a crashed or interrupted test run must not leave a server behind
  process.once('exit', stopNow);

  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const createDatabase = async (name: string): Promise<string> => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad test database name \`${name}\``);
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return `postgres://postgres@127.0.0.1:${port}/${name}`;
  };

  const url = await createDatabase('hedgerow_test');
  return {
    url,
    port,
    createDatabase,
    async stop(): Promise<void> {
      process.removeListener('exit', stopNow);
      stopNow();
    },
  };
}
