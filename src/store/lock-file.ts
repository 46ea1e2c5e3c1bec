// One writer per spool: two processes appending to and deleting the same segments would lose
// events. The lock is a file holding the owner's pid; a lock whose process is gone (kill -9) is
// taken over.
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HedgerowError } from '../errors/index.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLock(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new HedgerowError('HR_STORE_LOCKED', `spool \`${dir}\` is in use by process ${owner}: one decision log per data folder`);
    }
    if (owner === process.pid) {
      throw new HedgerowError('HR_STORE_LOCKED', `spool \`${dir}\` is already open in this process`);
    }
    rmSync(path, { force: true });
  }
  throw new HedgerowError('HR_STORE_LOCKED', `spool \`${dir}\`: the lock file cannot be taken`);
}

export function releaseLock(path: string): void {
  rmSync(path, { force: true });
}
