// A small disk that fills up: a tmpfs of a fixed size mounted on a folder (root, with the right to
// mount, as here and in CI), filled with a filler file until writes fail with ENOSPC, and freed.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SmallDisk {
  dir: string;
  /** writes a filler until the disk has no block left; returns the bytes it took */
  fill(): number;
  /** removes the filler */
  free(): void;
  unmount(): void;
}

/** Mounts a tmpfs of `bytes` on `dir`; a string says why it cannot (not root, no mount rights). */
export function mountSmallDisk(dir: string, bytes: number): SmallDisk | string {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) return 'not running as root';
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) return `mount failed: ${(mounted.stderr || mounted.stdout || String(mounted.error)).trim()}`;
  const filler = join(dir, '.filler');
  let unmounted = false;
  const unmount = () => {
    if (unmounted) return;
    unmounted = true;
    // lazy: a process still holding a file there does not keep the mount busy
    spawnSync('umount', ['-l', dir]);
  };
  process.once('exit', unmount);
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      let total = 0;
      try {
        // big writes first, then smaller ones, so the last free block is taken too
        for (const size of [1 << 20, 64 << 10, 4096, 512, 1]) {
          const chunk = Buffer.alloc(size, 0x2e);
          for (;;) {
            try {
              const n = writeSync(fd, chunk);
              total += n;
              if (n < size) break;
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return total;
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount,
  };
}
