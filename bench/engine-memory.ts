// One structure of the engine benchmark, measured alone in a fresh process so that nothing else on
// the heap muddies its size. Prints one JSON line. Run by bench/engine.bench.ts:
//   node --import tsx --expose-gc bench/engine-memory.ts hedgerow|naive|ghostery [domains]
//   node --import tsx --expose-gc bench/engine-memory.ts snapshot <file>
import { readFileSync } from 'node:fs';
import { Catalogue } from '../src/catalog/index.ts';
import { DEFAULT_DOMAINS, loadDataset, type Dataset } from './engine-data.ts';
import { buildGhostery, buildHedgerowCatalogue, buildNaiveSet, naiveHas } from './engine-contenders.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

interface Usage {
  heap: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

async function settle(): Promise<Usage> {
  // NOTE: a collection forced while this module's evaluation is still on the stack keeps garbage
  // that was recently reachable from it; after a turn of the event loop it all goes
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (let i = 0; i < 4; i++) gc!();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

const which = process.argv[2];
const before = await settle();
let structure: unknown;
let domains: number;
let fingerprint = '';
let buildMs = 0;
let loadMs = 0;

if (which === 'snapshot') {
  const file = process.argv[3]!;
  const t0 = performance.now();
  const catalogue = Catalogue.deserialize(readFileSync(file));
  loadMs = performance.now() - t0;
  domains = catalogue.domainCount;
  structure = catalogue;
} else {
  ({ structure, domains, fingerprint, buildMs } = buildFromData(which ?? '', Number(process.argv[3] ?? DEFAULT_DOMAINS)));
}

/**
 * Loads the data and builds in a frame of its own: once it returns, the inputs are unreachable
 * (a stale interpreter register of the caller would otherwise keep the whole data set alive).
 */
function buildFromData(name: string, count: number): { structure: unknown; domains: number; fingerprint: string; buildMs: number } {
  const dataset: Dataset = loadDataset(count);
  const t0 = performance.now();
  let built: unknown;
  if (name === 'hedgerow') built = buildHedgerowCatalogue(dataset);
  else if (name === 'naive') built = buildNaiveSet(dataset);
  else if (name === 'ghostery') built = buildGhostery(dataset.domains);
  else throw new Error(`unknown structure \`${name}\``);
  return { structure: built, domains: dataset.domains.length, fingerprint: dataset.fingerprint, buildMs: performance.now() - t0 };
}

const after = await settle();
// keep the structure reachable up to here, and prove it still answers
const alive =
  structure instanceof Set ? naiveHas(structure, 'www.example.com') : structure instanceof Catalogue ? structure.domainCount > 0 : structure !== undefined;

const heapDelta = after.heap - before.heap + (after.external - before.external);
process.stdout.write(
  `${JSON.stringify({
    which,
    domains,
    fingerprint,
    buildMs,
    loadMs,
    alive,
    // `external` already includes `arrayBuffers` (Node's definition), so they are not added twice
    heapBytes: after.heap - before.heap,
    externalBytes: after.external - before.external,
    arrayBufferBytes: after.arrayBuffers - before.arrayBuffers,
    rssBytes: after.rss - before.rss,
    bytesPerDomain: heapDelta / domains,
    rssPerDomain: (after.rss - before.rss) / domains,
  })}\n`,
);
