// A real ClamAV clamd for the tests: its own configuration in a temp folder whose database holds
// one signature we write, for the EICAR test string (signature downloads are not possible here).
// Listens on a unix socket in that folder and on 127.0.0.1 at a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClamdClient } from '../../../src/mail/clamd.ts';
import { freePort } from '../../support/free-port.ts';

export const CLAMD = '/usr/sbin/clamd';

/** The EICAR anti-virus test string (harmless by design, recognised by every scanner). */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
export const EICAR_SIGNATURE = 'Hedgerow.Test.EICAR';

export interface TestClamd {
  socket: string;
  port: number;
  stop(): Promise<void>;
}

export function clamdMissing(): string | null {
  return existsSync(CLAMD) ? null : `ClamAV's clamd is not installed at ${CLAMD}: run scripts/install-system-packages.sh`;
}

export async function startClamd(): Promise<TestClamd> {
  const missing = clamdMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-clamd-'));
  const db = join(dir, 'db');
  mkdirSync(db);
  // an extended (.ndb) signature: any file type, any offset, the EICAR bytes in hex
  writeFileSync(join(db, 'hedgerow-test.ndb'), `${EICAR_SIGNATURE}:0:*:${Buffer.from(EICAR, 'latin1').toString('hex')}\n`);
  const socket = join(dir, 'clamd.sock');
  const port = await freePort();
  const log = join(dir, 'clamd.log');
  writeFileSync(
    join(dir, 'clamd.conf'),
    [`Foreground yes`, `DatabaseDirectory ${db}`, `LocalSocket ${socket}`, `TCPSocket ${port}`, `TCPAddr 127.0.0.1`, `LogFile ${log}`, `ScanMail yes`, `StreamMaxLength 50M`, ''].join('\n'),
  );
  const child: ChildProcess = spawn(CLAMD, ['-c', join(dir, 'clamd.conf')], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stopNow = () => {
    if (!exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopNow);
  const client = createClamdClient({ socket, timeoutMs: 1000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      const text = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
      stopNow();
      throw new Error(`clamd exited during start:\n${text}`);
    }
    if (existsSync(socket) && (await client.ping().catch(() => false))) break;
    if (Date.now() > deadline) {
      stopNow();
      throw new Error('clamd did not answer PING within 30 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    socket,
    port,
    async stop() {
      process.removeListener('exit', stopNow);
      if (!exited) {
        child.kill('SIGTERM');
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          if (exited) resolve();
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
