// The decision engine benchmark: Hedgerow's full decision on raw URLs against a plain `Set` suffix
// walk and against @ghostery/adblocker, on the same 2 million domains and the same million URLs.
// Prints a table with the targets of docs/performance.md and writes bench/results/engine.json.
//   npm run bench:engine                      (node --import tsx --expose-gc bench/engine.bench.ts)
//   npm run bench:engine -- --domains 500000 --queries 200000 --rounds 3
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Request } from '@ghostery/adblocker';
import type { FiltersEngine } from '@ghostery/adblocker';
import { HostHashes, hashHostSuffixes, type Catalogue } from '../src/catalog/index.ts';
import { PolicyEngine, normaliseTarget, type Person } from '../src/engine/index.ts';
import { loadPolicy, parseZonedTime } from '../src/policy/index.ts';
import { referencePolicyPath } from '../src/runtime/index.ts';
import { DEFAULT_DOMAINS, DEFAULT_QUERIES, QUERY_EXACT, QUERY_MISS, QUERY_SUBDOMAIN, loadDataset, makeQueries } from './engine-data.ts';
import { buildGhostery, buildHedgerowCatalogue, buildNaiveSet, naiveHas } from './engine-contenders.ts';

const TARGET_VS_NAIVE = 0.5;
const TARGET_VS_GHOSTERY = 0.1;
const TARGET_MEMORY = 0.35;
const TARGET_SNAPSHOT_MS = 500;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

const DOMAINS = option('domains', DEFAULT_DOMAINS);
const QUERIES = option('queries', DEFAULT_QUERIES);
const ROUNDS = option('rounds', 5);
const SNAPSHOT_LOADS = 5;
const benchDir = fileURLToPath(new URL('./', import.meta.url));
const resultsDir = `${benchDir}results/`;
const workDir = `${benchDir}work/`;
const started = performance.now();
const loadAtStart = loadavg();

const log = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const value = fn();
  return [value, performance.now() - t0];
}

log(`decision engine benchmark: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB`);
log(`load average at start: ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}`);

// ---- data ---------------------------------------------------------------------------------------
const [dataset, dataMs] = timed(() => loadDataset(DOMAINS));
const [queries, queryMs] = timed(() => makeQueries(dataset, QUERIES));
const { urls, kinds } = queries;
const kindCount = [0, 0, 0];
for (const k of kinds) kindCount[k]!++;
log(
  `data: ${fmt(dataset.domains.length)} domains (${fmt(dataset.realCount)} real, ${fmt(dataset.starterCount)} starter, ${fmt(dataset.generatedCount)} generated) in ${fmt(dataMs)} ms; ` +
    `${fmt(urls.length)} URLs (${fmt(kindCount[QUERY_EXACT]!)} exact hits, ${fmt(kindCount[QUERY_SUBDOMAIN]!)} subdomain hits, ${fmt(kindCount[QUERY_MISS]!)} misses) in ${fmt(queryMs)} ms`,
);

// ---- build --------------------------------------------------------------------------------------
const [catalogue, hedgerowBuildMs] = timed(() => buildHedgerowCatalogue(dataset));
const [engine, engineMs] = timed(() => {
  const { policy, problems } = loadPolicy(referencePolicyPath());
  if (!policy) throw new Error(`reference policy: ${problems.map((p) => p.message).join('; ')}`);
  return new PolicyEngine({ policy, catalogue });
});
const zone = engine.policy.calendar?.timeZone ?? 'UTC';
// a Tuesday in the autumn term, in lesson time (and in staff work time)
const at = parseZonedTime('2026-11-24T10:00', zone);
const pupil: Person = { id: 'pupil-ada', role: 'pupil', groups: ['class-4n'], age: 9 };
const teacher: Person = { id: 'teacher-bo', role: 'teacher' };
log(`hedgerow: catalogue of ${fmt(catalogue.domainCount)} domains, ${fmt(catalogue.valueCount)} value ids built in ${fmt(hedgerowBuildMs)} ms; reference policy compiled in ${fmt(engineMs)} ms`);

mkdirSync(workDir, { recursive: true });
const snapshotFile = `${workDir}engine-snapshot-${process.pid}.bin`;
const [snapshotBytes, serializeMs] = timed(() => catalogue.serialize());
writeFileSync(snapshotFile, snapshotBytes);
log(`hedgerow: snapshot ${fmt(snapshotBytes.length / 2 ** 20, 1)} MiB serialised in ${fmt(serializeMs)} ms`);

const [naiveSet, naiveBuildMs] = timed(() => buildNaiveSet(dataset));
log(`naive: Set of ${fmt(naiveSet.size)} built in ${fmt(naiveBuildMs)} ms`);
const [ghostery, ghosteryBuildMs] = timed(() => buildGhostery(dataset.domains));
log(`ghostery: FiltersEngine.parse of ${fmt(dataset.domains.length)} \`||domain^\` rules in ${fmt(ghosteryBuildMs)} ms`);

// hosts as `new URL` gives them, for the lookup-only rows
const hosts = urls.map((u) => new URL(u).hostname);

// ---- timing -------------------------------------------------------------------------------------
// Each contender runs the whole URL list and returns a checksum the caller keeps, so no work can
// be dropped as dead. The loops are separate functions so each call site stays monomorphic.

/** what the last run of full decisions answered, by person */
const decisionCounts: Record<string, { blocked: number; warned: number; matched: number }> = {};

function hedgerowDecisions(list: readonly string[], who: 'mixed' | 'pupil' | 'teacher'): number {
  let blocked = 0;
  let warned = 0;
  let matched = 0;
  for (let i = 0; i < list.length; i++) {
    const person = who === 'pupil' ? pupil : who === 'teacher' ? teacher : (i & 1) === 0 ? pupil : teacher;
    const d = engine.decide({ person, url: list[i]!, at });
    if (d.action === 'block') blocked++;
    else if (d.action === 'warn') warned++;
    if (d.match !== null) matched++;
  }
  decisionCounts[who] = { blocked, warned, matched };
  return blocked + warned * 1e7 + matched * 1e14;
}

const scratchHashes = new HostHashes();
const scratchValues = new Int32Array(16);
const scratchIdx = new Int32Array(16);
function hedgerowLookupUrls(cat: Catalogue, list: readonly string[]): number {
  let matched = 0;
  for (let i = 0; i < list.length; i++) {
    const target = normaliseTarget(list[i]!);
    hashHostSuffixes(target.host, scratchHashes);
    if (cat.lookupHost(scratchHashes, scratchValues, scratchIdx) > 0) matched++;
  }
  return matched;
}

function hedgerowLookupHosts(cat: Catalogue, list: readonly string[]): number {
  let matched = 0;
  for (let i = 0; i < list.length; i++) {
    hashHostSuffixes(list[i]!, scratchHashes);
    if (cat.lookupHost(scratchHashes, scratchValues, scratchIdx) > 0) matched++;
  }
  return matched;
}

function naiveUrls(set: Set<string>, list: readonly string[]): number {
  let matched = 0;
  for (let i = 0; i < list.length; i++) if (naiveHas(set, new URL(list[i]!).hostname)) matched++;
  return matched;
}

function naiveHosts(set: Set<string>, list: readonly string[]): number {
  let matched = 0;
  for (let i = 0; i < list.length; i++) if (naiveHas(set, list[i]!)) matched++;
  return matched;
}

function ghosteryUrls(filters: FiltersEngine, list: readonly string[]): number {
  let matched = 0;
  for (let i = 0; i < list.length; i++) {
    if (filters.match(Request.fromRawDetails({ url: list[i]!, type: 'main_frame' })).match) matched++;
  }
  return matched;
}

interface Contender {
  key: string;
  label: string;
  run: () => number;
  times: number[];
  checksum: number;
}

const contenders: Contender[] = [
  { key: 'hedgerow', label: 'Hedgerow: full decision, raw URL (pupil/teacher alternating)', run: () => hedgerowDecisions(urls, 'mixed') },
  { key: 'hedgerow_pupil', label: 'Hedgerow: full decision, raw URL, pupil', run: () => hedgerowDecisions(urls, 'pupil') },
  { key: 'hedgerow_teacher', label: 'Hedgerow: full decision, raw URL, teacher', run: () => hedgerowDecisions(urls, 'teacher') },
  { key: 'hedgerow_lookup_url', label: 'Hedgerow: normalise + catalogue lookup, raw URL', run: () => hedgerowLookupUrls(catalogue, urls) },
  { key: 'hedgerow_lookup_host', label: 'Hedgerow: catalogue lookup, host', run: () => hedgerowLookupHosts(catalogue, hosts) },
  { key: 'naive', label: 'naive: new URL + Set suffix walk, raw URL', run: () => naiveUrls(naiveSet, urls) },
  { key: 'naive_host', label: 'naive: Set suffix walk, host', run: () => naiveHosts(naiveSet, hosts) },
  { key: 'ghostery', label: '@ghostery/adblocker: Request.fromRawDetails + match, raw URL', run: () => ghosteryUrls(ghostery, urls) },
].map((c) => ({ ...c, times: [], checksum: -1 }));

// one warm-up round each, then the measured rounds interleaved, so a busy moment on a shared
// machine spreads over every contender instead of landing on one
for (const c of contenders) {
  c.checksum = c.run();
}
for (let round = 0; round < ROUNDS; round++) {
  for (const c of contenders) {
    const t0 = process.hrtime.bigint();
    const sum = c.run();
    c.times.push(Number(process.hrtime.bigint() - t0) / urls.length);
    if (sum !== c.checksum) throw new Error(`${c.key}: round ${round} answered differently (${sum} vs ${c.checksum})`);
  }
  log(`round ${round + 1}/${ROUNDS}: ${contenders.map((c) => `${c.key} ${fmt(c.times[round]!)} ns`).join(', ')}`);
}
const ns = Object.fromEntries(contenders.map((c) => [c.key, median(c.times)])) as Record<string, number>;

// the structures must agree on what is in the catalogue, or the comparison means nothing
const expectedHits = kindCount[QUERY_EXACT]! + kindCount[QUERY_SUBDOMAIN]!;
const hits = {
  hedgerow: contenders.find((c) => c.key === 'hedgerow_lookup_url')!.checksum,
  naive: contenders.find((c) => c.key === 'naive')!.checksum,
  ghostery: contenders.find((c) => c.key === 'ghostery')!.checksum,
};

// ---- memory and snapshot load, each in a fresh process --------------------------------------------
interface ChildResult {
  which: string;
  domains: number;
  fingerprint: string;
  buildMs: number;
  loadMs: number;
  heapBytes: number;
  externalBytes: number;
  arrayBufferBytes: number;
  rssBytes: number;
  bytesPerDomain: number;
  rssPerDomain: number;
}

function child(which: string, arg: string): ChildResult {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `${benchDir}engine-memory.ts`, which, arg], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`engine-memory ${which} failed: ${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as ChildResult;
  if (which !== 'snapshot' && result.fingerprint !== dataset.fingerprint) throw new Error(`engine-memory ${which}: built other data (${result.fingerprint})`);
  return result;
}

const memory = {
  hedgerow: child('hedgerow', String(DOMAINS)),
  naive: child('naive', String(DOMAINS)),
  ghostery: child('ghostery', String(DOMAINS)),
};
const snapshotRuns: ChildResult[] = [];
for (let i = 0; i < SNAPSHOT_LOADS; i++) snapshotRuns.push(child('snapshot', snapshotFile));
rmSync(snapshotFile, { force: true });
const snapshotMs = median(snapshotRuns.map((r) => r.loadMs));
const snapshotMemory = snapshotRuns[0]!;
const loadAtEnd = loadavg();

// ---- report -------------------------------------------------------------------------------------
const per = (bytes: number) => fmt(bytes, 1);
const nsCell = (key: string) => {
  const c = contenders.find((x) => x.key === key)!;
  return `${fmt(ns[key]!)} (${fmt(Math.min(...c.times))}–${fmt(Math.max(...c.times))})`;
};
const rows: string[][] = [
  ['structure', 'build', 'snapshot load', 'ns per query, median of 5 (min–max)', 'queries/s', 'heap+external B/domain', 'RSS B/domain'],
  ['Hedgerow catalogue + reference policy', `${fmt(hedgerowBuildMs + engineMs)} ms`, `${fmt(snapshotMs)} ms`, '', '', per(memory.hedgerow.bytesPerDomain), per(memory.hedgerow.rssPerDomain)],
  ['Hedgerow catalogue, loaded from snapshot', '', '', '', '', per(snapshotMemory.bytesPerDomain), per(snapshotMemory.rssPerDomain)],
  ...contenders
    .filter((c) => c.key.startsWith('hedgerow'))
    .map((c) => [`  ${c.label}`, '', '', nsCell(c.key), fmt(1e9 / ns[c.key]!), '', '']),
  ['naive JavaScript Set', `${fmt(naiveBuildMs)} ms`, '', '', '', per(memory.naive.bytesPerDomain), per(memory.naive.rssPerDomain)],
  ...contenders.filter((c) => c.key.startsWith('naive')).map((c) => [`  ${c.label}`, '', '', nsCell(c.key), fmt(1e9 / ns[c.key]!), '', '']),
  ['@ghostery/adblocker FiltersEngine', `${fmt(ghosteryBuildMs)} ms`, '', '', '', per(memory.ghostery.bytesPerDomain), per(memory.ghostery.rssPerDomain)],
  ...contenders.filter((c) => c.key.startsWith('ghostery')).map((c) => [`  ${c.label}`, '', '', nsCell(c.key), fmt(1e9 / ns[c.key]!), '', '']),
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
log('');
for (const [i, r] of rows.entries()) {
  log(`| ${r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]!) : cell.padStart(widths[j]!))).join(' | ')} |`);
  if (i === 0) log(`|${widths.map((w, j) => (j === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
}

const ratioNaive = ns.hedgerow! / ns.naive!;
const ratioGhostery = ns.hedgerow! / ns.ghostery!;
const ratioMemory = memory.hedgerow.bytesPerDomain / memory.naive.bytesPerDomain;
const targets = [
  { name: `Hedgerow full decision ≤ ${TARGET_VS_NAIVE}× naive (URL + Set)`, value: ratioNaive, pass: ratioNaive <= TARGET_VS_NAIVE, shown: `${ratioNaive.toFixed(3)}×` },
  { name: `Hedgerow full decision ≤ ${TARGET_VS_GHOSTERY}× @ghostery/adblocker`, value: ratioGhostery, pass: ratioGhostery <= TARGET_VS_GHOSTERY, shown: `${ratioGhostery.toFixed(3)}×` },
  { name: `catalogue memory ≤ ${TARGET_MEMORY}× naive Set (heap+external per domain)`, value: ratioMemory, pass: ratioMemory <= TARGET_MEMORY, shown: `${ratioMemory.toFixed(3)}×` },
  { name: `${fmt(catalogue.domainCount)}-domain snapshot loads in < ${TARGET_SNAPSHOT_MS} ms`, value: snapshotMs, pass: snapshotMs < TARGET_SNAPSHOT_MS, shown: `${fmt(snapshotMs)} ms` },
];
log('');
log('targets (ratios from this run):');
for (const t of targets) log(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.name}: ${t.shown}`);
log('');
log(`catalogue hits among ${fmt(urls.length)} URLs (${fmt(expectedHits)} were drawn as hits): Hedgerow ${fmt(hits.hedgerow)}, naive ${fmt(hits.naive)}, ghostery ${fmt(hits.ghostery)}`);
log(`  (Hedgerow matches public-suffix entries such as \`gov.au\` exactly only; the Set walk and \`||gov.au^\` also match every name below them)`);
for (const who of ['pupil', 'teacher'] as const) {
  const c = decisionCounts[who]!;
  log(`full decisions, ${who}: ${fmt(c.blocked)} blocked, ${fmt(c.warned)} warned, ${fmt(urls.length - c.blocked - c.warned)} allowed; ${fmt(c.matched)} with a catalogue match`);
}
log(`snapshot loads (ms, each in a fresh process): ${snapshotRuns.map((r) => fmt(r.loadMs)).join(', ')}`);
log(`memory children (build ms): hedgerow ${fmt(memory.hedgerow.buildMs)}, naive ${fmt(memory.naive.buildMs)}, ghostery ${fmt(memory.ghostery.buildMs)}`);
log(`load average at end: ${loadAtEnd.map((x) => x.toFixed(2)).join(' ')}; whole run ${fmt((performance.now() - started) / 1000, 1)} s`);

mkdirSync(resultsDir, { recursive: true });
const result = {
  domains: catalogue.domainCount,
  queries: urls.length,
  hedgerow_ns: ns.hedgerow,
  naive_ns: ns.naive,
  ghostery_ns: ns.ghostery,
  hedgerow_bytes_per_domain: memory.hedgerow.bytesPerDomain,
  naive_bytes_per_domain: memory.naive.bytesPerDomain,
  snapshot_load_ms: snapshotMs,
  ghostery_bytes_per_domain: memory.ghostery.bytesPerDomain,
  hedgerow_snapshot_bytes_per_domain: snapshotMemory.bytesPerDomain,
  rss_bytes_per_domain: { hedgerow: memory.hedgerow.rssPerDomain, hedgerow_snapshot: snapshotMemory.rssPerDomain, naive: memory.naive.rssPerDomain, ghostery: memory.ghostery.rssPerDomain },
  ns_per_query: ns,
  rounds_ns: Object.fromEntries(contenders.map((c) => [c.key, c.times])),
  build_ms: { hedgerow_catalogue: hedgerowBuildMs, hedgerow_policy: engineMs, naive: naiveBuildMs, ghostery: ghosteryBuildMs },
  snapshot_bytes: snapshotBytes.length,
  snapshot_load_runs_ms: snapshotRuns.map((r) => r.loadMs),
  hits,
  decisions: { pupil: decisionCounts.pupil, teacher: decisionCounts.teacher },
  data: { real: dataset.realCount, starter: dataset.starterCount, generated: dataset.generatedCount, fingerprint: dataset.fingerprint, query_mix: queries.mix },
  targets: targets.map((t) => ({ name: t.name, value: t.value, pass: t.pass })),
  load_average: { start: loadAtStart, end: loadAtEnd },
  node: process.version,
  cpus: cpus().length,
};
writeFileSync(`${resultsDir}engine.json`, `${JSON.stringify(result, null, 2)}\n`);
log(`written: bench/results/engine.json`);
