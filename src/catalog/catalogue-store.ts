// Persistence under a data folder: imported lists live normalised in `lists/<name>.tsv.gz`, the
// compiled catalogue in `catalog/snapshot.bin`. The snapshot records a manifest (checksums of the
// lists and the starter file) and is used only when the manifest still matches; otherwise, or when
// it is corrupt, it is rebuilt. Every write goes to a temp file first and is renamed into place.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { HedgerowError } from '../errors/index.ts';
import { Catalogue } from './catalogue.ts';
import { CatalogueBuilder } from './catalogue-builder.ts';
import { isPublicSuffix } from './normalise-entry.ts';
import { defaultListName, parseListFile, type ListFormat, type ListProblem, type ParsedList } from './parse-list.ts';
import { addStarter, starterText } from './starter.ts';

export interface ImportReport {
  name: string;
  domains: number;
  ips: number;
  exactOnly: number;
  skipped: ListProblem[];
  snapshotPath: string;
  buildMs: number;
}

/** A named list as parsed, or as stored in the data folder. */
export type CatalogueListInput = { name: string; list: ParsedList } | { name: string; path: string };

const LIST_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function listsDir(dataDir: string): string {
  return join(dataDir, 'lists');
}

export function snapshotPath(dataDir: string): string {
  return join(dataDir, 'catalog', 'snapshot.bin');
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  const temp = tempName(path);
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch (cause) {
    rmSync(temp, { force: true });
    throw cause;
  }
}

/** Adds a list stored in Hedgerow's normalised form (`domain<TAB>cat,cat`, gzip) to a builder. */
function addStoredList(builder: CatalogueBuilder, name: string, bytes: Uint8Array): void {
  const text = gunzipSync(bytes).toString('utf8');
  const catCache = new Map<string, string[]>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const tab = text.indexOf('\t', start);
    if (tab > start && tab < end) {
      const field = text.slice(tab + 1, end);
      let cats = catCache.get(field);
      if (!cats) {
        cats = field.split(',').filter((c) => c !== '');
        catCache.set(field, cats);
      }
      try {
        builder.add(text.slice(start, tab), cats, name);
      } catch {
        // the file was validated when it was imported; a line damaged since is left out
      }
    }
    start = end + 1;
  }
}

function addParsedList(builder: CatalogueBuilder, name: string, list: ParsedList): void {
  for (const e of list.entries) builder.add(e.domain, e.categories, name);
  for (const e of list.ips) builder.add(e.ip, e.categories, name);
}

/** Compiles lists (parsed, or stored files) and, unless told otherwise, the starter catalogue. */
export function buildCatalogue(lists: Iterable<CatalogueListInput>, starter = true, meta: Record<string, unknown> = {}): Catalogue {
  const builder = new CatalogueBuilder();
  for (const input of lists) {
    if ('list' in input) addParsedList(builder, input.name, input.list);
    else addStoredList(builder, input.name, readFileSync(input.path));
  }
  if (starter) addStarter(builder);
  builder.setMeta(meta);
  return builder.build();
}

interface StoredList {
  name: string;
  path: string;
  bytes: Buffer;
}

function readStoredLists(dataDir: string): StoredList[] {
  let names: string[];
  try {
    names = readdirSync(listsDir(dataDir));
  } catch {
    return [];
  }
  return names
    .filter((f) => f.endsWith('.tsv.gz') && LIST_NAME.test(f.slice(0, -7)))
    .sort()
    .map((f) => {
      const path = join(listsDir(dataDir), f);
      return { name: f.slice(0, -7), path, bytes: readFileSync(path) };
    });
}

function manifestOf(lists: readonly StoredList[], includeStarter: boolean): string {
  return JSON.stringify({
    lists: lists.map((l) => [l.name, sha256(l.bytes)]),
    starter: includeStarter ? sha256(starterText()) : null,
  });
}

function compile(lists: readonly StoredList[], includeStarter: boolean): Catalogue {
  const builder = new CatalogueBuilder();
  for (const l of lists) {
    try {
      addStoredList(builder, l.name, l.bytes);
    } catch (cause) {
      // a damaged list file: name it, rather than gzip's bare `incorrect header check`
      throw new HedgerowError('HR_CATALOG_READ', `list \`${l.name}\` (\`${l.path}\`) cannot be read: ${(cause as Error).message}`, { cause });
    }
  }
  if (includeStarter) addStarter(builder);
  builder.setMeta({ manifest: manifestOf(lists, includeStarter) });
  return builder.build();
}

/**
 * Uses `catalog/snapshot.bin` when its manifest matches the stored lists, else rebuilds and writes
 * it. A corrupt snapshot is rebuilt, never trusted.
 */
export function loadCatalogue(dataDir: string, options: { includeStarter?: boolean } = {}): { catalogue: Catalogue; fromSnapshot: boolean; loadMs: number } {
  const started = performance.now();
  const includeStarter = options.includeStarter ?? true;
  const lists = readStoredLists(dataDir);
  const manifest = manifestOf(lists, includeStarter);
  const path = snapshotPath(dataDir);
  let bytes: Buffer | null = null;
  try {
    bytes = readFileSync(path);
  } catch {
    bytes = null;
  }
  if (bytes) {
    try {
      const catalogue = Catalogue.deserialize(bytes);
      if (catalogue.meta.manifest === manifest) return { catalogue, fromSnapshot: true, loadMs: performance.now() - started };
    } catch (error) {
      if (!(error instanceof HedgerowError)) throw error;
    }
  }
  const catalogue = compile(lists, includeStarter);
  try {
    mkdirSync(join(dataDir, 'catalog'), { recursive: true });
    writeAtomic(path, catalogue.serialize());
  } catch {
    // a read-only data folder costs a rebuild at the next start, not the start itself
  }
  return { catalogue, fromSnapshot: false, loadMs: performance.now() - started };
}

/**
 * Writes the normalised list into `lists/<name>.tsv.gz` and rebuilds the snapshot, both via temp
 * file + rename. Throws (and changes nothing) when the file is unreadable or has no valid entry.
 */
export function importList(dataDir: string, path: string, options: { format: ListFormat; category?: string; name?: string }): ImportReport {
  const name = options.name ?? (options.format === 'ut1' ? 'ut1' : defaultListName(path));
  if (!LIST_NAME.test(name)) {
    throw new HedgerowError('HR_CATALOG_FORMAT', `list name \`${name}\` must be lower-case letters, digits, \`-\` or \`_\` (at most 64)`);
  }
  const parsed = parseListFile(path, options.format, options.category === undefined ? {} : { category: options.category });
  if (parsed.entries.length + parsed.ips.length === 0) {
    throw new HedgerowError('HR_CATALOG_FORMAT', `list \`${path}\` has no valid ${options.format} entry (${parsed.problems.length} lines rejected)`, { where: { file: path } });
  }
  // one line per name, categories merged (a UT1 folder names a domain once per category)
  const merged = new Map<string, Set<string>>();
  for (const e of [...parsed.entries.map((x) => [x.domain, x.categories] as const), ...parsed.ips.map((x) => [x.ip, x.categories] as const)]) {
    let set = merged.get(e[0]);
    if (!set) merged.set(e[0], (set = new Set()));
    for (const c of e[1]) set.add(c);
  }
  let text = '';
  const chunks: string[] = [];
  let domains = 0;
  let ips = 0;
  let exactOnly = 0;
  const ipSet = new Set(parsed.ips.map((x) => x.ip));
  for (const [entry, cats] of merged) {
    if (ipSet.has(entry)) ips++;
    else {
      domains++;
      if (isPublicSuffix(entry)) exactOnly++;
    }
    text += `${entry}\t${[...cats].join(',')}\n`;
    if (text.length > 1 << 20) {
      chunks.push(text);
      text = '';
    }
  }
  chunks.push(text);
  const gz = gzipSync(Buffer.from(chunks.join(''), 'utf8'));

  const started = performance.now();
  const others = readStoredLists(dataDir).filter((l) => l.name !== name);
  const lists = [...others, { name, path: join(listsDir(dataDir), `${name}.tsv.gz`), bytes: gz }].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const catalogue = compile(lists, true);
  const snapshot = catalogue.serialize();
  const buildMs = performance.now() - started;

  mkdirSync(listsDir(dataDir), { recursive: true });
  mkdirSync(join(dataDir, 'catalog'), { recursive: true });
  const listPath = join(listsDir(dataDir), `${name}.tsv.gz`);
  const listTemp = tempName(listPath);
  const snapPath = snapshotPath(dataDir);
  const snapTemp = tempName(snapPath);
  try {
    writeFileSync(listTemp, gz);
    writeFileSync(snapTemp, snapshot);
  } catch (cause) {
    rmSync(listTemp, { force: true });
    rmSync(snapTemp, { force: true });
    throw new HedgerowError('HR_CATALOG_READ', `cannot write to data folder \`${dataDir}\`: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
  // NOTE: the list goes in first; a crash between the two renames leaves a snapshot whose
  // manifest no longer matches, which the next load rebuilds
  renameSync(listTemp, listPath);
  renameSync(snapTemp, snapPath);
  return { name, domains, ips, exactOnly, skipped: parsed.problems, snapshotPath: snapPath, buildMs };
}
