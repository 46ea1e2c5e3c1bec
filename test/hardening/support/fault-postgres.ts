// A throwaway PostgreSQL that a fault test can stop and start again on the same port with the
// same data: Debian's binaries, a cluster in a temp folder, run as `postgres` when the tests run
// as root (as test/support/postgres.ts does, which has no restart).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../support/free-port.ts';
import { findPostgresBin } from '../../support/postgres.ts';

export interface RestartablePostgres {
  url: string;
  /** `pg_ctl stop -m fast`: connections are cut, the data stays */
  stop(): void;
  start(): void;
  destroy(): void;
}

export async function startRestartablePostgres(database: string): Promise<RestartablePostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-fault-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (program: string, args: string[]) => {
    const command = asRoot ? (['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] as const) : ([join(bin, program), args] as const);
    return spawnSync(command[0], [...command[1]], { encoding: 'utf8', cwd: dir });
  };
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root but there is no `postgres` user to run the server as');
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const init = run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}${init.stdout}`);
  }
  const port = await freePort();
  const log = join(dir, 'server.log');
  const options = `-h 127.0.0.1 -p ${port} -k ${dir} -F -c max_connections=50`;
  const start = () => {
    const started = run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '30', '-o', options, 'start']);
    if (started.status !== 0) throw new Error(`PostgreSQL did not start: ${started.stderr}${started.stdout}\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
  };
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', destroy);
  start();
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${database}`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: () => {
      const stopped = run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      if (stopped.status !== 0) throw new Error(`PostgreSQL did not stop: ${stopped.stderr}${stopped.stdout}`);
    },
    start,
    destroy: () => {
      process.removeListener('exit', destroy);
      destroy();
    },
  };
}
