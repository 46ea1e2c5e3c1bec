// Builds the dashboard (`dashboard/` → `dashboard/dist/`, served at `/dashboard/`) when any of its
// sources is newer than the last build. `npm start` runs it first (prestart); the dashboard tests
// and the screenshot script call `ensureDashboardBuilt()`.
//   node --import tsx scripts/build-dashboard.ts [--force]
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const dashboardRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dashboard');
export const dashboardDist = join(dashboardRoot, 'dist');
const building = join(dashboardRoot, '.dist-building');
const lockDir = join(dashboardRoot, '.build-lock');
/** a lock older than this belongs to a build that died */
const STALE_LOCK_MS = 120_000;

function newestIn(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestIn(join(path, entry)));
  return newest;
}

/** The newest modification time among the dashboard's sources (and the installed packages' lock). */
export function newestDashboardSource(): number {
  const sources = ['index.html', 'vite.config.ts', 'tsconfig.json', 'src', 'public'].map((name) => join(dashboardRoot, name));
  sources.push(resolve(dashboardRoot, '..', 'package-lock.json'));
  return Math.max(...sources.map(newestIn));
}

export function dashboardIsStale(): boolean {
  const index = join(dashboardDist, 'index.html');
  if (!existsSync(index)) return true;
  return newestDashboardSource() > statSync(index).mtimeMs;
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another process (a parallel test file) is building; wait for it, unless it died.
      let age = 0;
      try {
        age = Date.now() - statSync(lockDir).mtimeMs;
      } catch {
        continue;
      }
      if (age > STALE_LOCK_MS) rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() - started > STALE_LOCK_MS) throw new Error(`the dashboard build lock \`${lockDir}\` is held too long`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export interface DashboardBuild {
  built: boolean;
  /** why nothing was built, when it was not */
  note?: string;
  ms: number;
}

/** Builds the dashboard if it is missing or older than its sources (or when forced). */
export async function ensureDashboardBuilt(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<DashboardBuild> {
  const started = performance.now();
  if (!options.force && !dashboardIsStale()) return { built: false, note: 'up to date', ms: performance.now() - started };
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    // An install without dev dependencies cannot build; a shipped build is still served.
    const note = existsSync(join(dashboardDist, 'index.html'))
      ? 'vite is not installed; serving the existing build'
      : 'vite is not installed and there is no build: the dashboard will not be served (run `npm install` then `npm run build:dashboard`)';
    options.log?.(`dashboard: ${note}`);
    return { built: false, note, ms: performance.now() - started };
  }
  return withLock(async () => {
    if (!options.force && !dashboardIsStale()) return { built: false, note: 'built by another process', ms: performance.now() - started };
    rmSync(building, { recursive: true, force: true });
    await vite.build({
      root: dashboardRoot,
      configFile: join(dashboardRoot, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: building, emptyOutDir: true },
    });
    // Swap the finished build in, so a running server never sees a half-written folder.
    const old = `${dashboardDist}.old-${process.pid}`;
    if (existsSync(dashboardDist)) renameSync(dashboardDist, old);
    renameSync(building, dashboardDist);
    rmSync(old, { recursive: true, force: true });
    const ms = performance.now() - started;
    options.log?.(`dashboard: built in ${ms.toFixed(0)} ms → ${dashboardDist}`);
    return { built: true, ms };
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = await ensureDashboardBuilt({ force: process.argv.includes('--force'), log: (line) => process.stdout.write(`${line}\n`) });
  if (!result.built && result.note === 'up to date') process.stdout.write('dashboard: up to date\n');
}
