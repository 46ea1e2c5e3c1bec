// The engine benchmark's data: the real categorised lists (UT1, Block List Project, Anti-Porn HOSTS),
// merged per domain and padded with generated domains whose shape (suffix, label count, label
// lengths, characters) is drawn from the real ones, plus the raw URLs to ask about. Everything is
// deterministic (seeded), so the memory and snapshot child processes rebuild exactly the same data.
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { starterCatalogue } from '../src/catalog/index.ts';

export const BLOCKLIST_DIR = process.env.HEDGEROW_BLOCKLISTS ?? fileURLToPath(new URL('../../shared/data/blocklists/', import.meta.url));
export const SOURCE_FILES = [
  { list: 'ut1', file: 'ut1.domains.tsv.gz' },
  { list: 'blp', file: 'blp.domains.tsv.gz' },
  { list: 'antiporn', file: 'antiporn.domains.tsv.gz' },
] as const;

export const DEFAULT_DOMAINS = 2_000_000;
export const DEFAULT_QUERIES = 1_000_000;

/** One list as added to the catalogue: domains with their source categories. */
export interface SourceList {
  list: string;
  domains: string[];
  /** shared arrays: one per distinct category set */
  categories: (readonly string[])[];
}

export interface Dataset {
  /** the real lists, then `generated` padding */
  sources: SourceList[];
  /** every distinct domain: real, generated and the starter catalogue's */
  domains: string[];
  realCount: number;
  generatedCount: number;
  starterCount: number;
  /** a cheap fingerprint so child processes can prove they built the same data */
  fingerprint: string;
  /** draws more names shaped like the real ones (for misses) */
  shape: NameShape;
}

/** xorshift32: fast, seedable, good enough to draw benchmark data */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

// second-level labels that form a public suffix with a two-letter country code (co.uk, com.au, …)
const SECOND_LEVEL = new Set(['co', 'com', 'org', 'net', 'ac', 'gov', 'edu', 'gouv', 'ne', 'or', 'go', 'gob', 'nic', 'ltd', 'plc', 'sch', 'nhs', 'asso']);

function suffixLabels(labels: string[]): number {
  const n = labels.length;
  if (n >= 3 && labels[n - 1]!.length === 2 && SECOND_LEVEL.has(labels[n - 2]!)) return 2;
  return 1;
}

/** The shape of real names, as samples to draw from (drawing a random sample keeps the real distribution). */
export class NameShape {
  private readonly suffixes: string[] = [];
  private readonly suffixDraw: Int32Array;
  private readonly underDraw: Uint8Array;
  private readonly firstLengthDraw: Uint8Array;
  private readonly innerLengthDraw: Uint8Array;
  private readonly chars: Uint8Array;
  private readonly innerChars: Uint8Array;

  constructor(domains: readonly string[]) {
    const suffixIndex = new Map<string, number>();
    const suffixDraw = new Int32Array(domains.length);
    const underDraw = new Uint8Array(domains.length);
    const firstLengths: number[] = [];
    const innerLengths: number[] = [];
    const charCount = new Float64Array(128);
    domains.forEach((domain, i) => {
      const labels = domain.split('.');
      const k = suffixLabels(labels);
      const suffix = labels.slice(labels.length - k).join('.');
      let id = suffixIndex.get(suffix);
      if (id === undefined) {
        id = this.suffixes.length;
        this.suffixes.push(suffix);
        suffixIndex.set(suffix, id);
      }
      suffixDraw[i] = id;
      const under = labels.length - k;
      underDraw[i] = Math.min(3, Math.max(1, under));
      // the registrable label (just left of the suffix) and the labels left of it differ in length
      firstLengths.push(Math.min(63, labels[under - 1]?.length ?? 1));
      for (let j = 0; j < under - 1; j++) innerLengths.push(Math.min(63, labels[j]!.length));
      for (let j = 0; j < under; j++) {
        const label = labels[j]!;
        for (let c = 0; c < label.length; c++) {
          const code = label.charCodeAt(c);
          if (code < 128) charCount[code]!++;
        }
      }
    });
    this.suffixDraw = suffixDraw;
    this.underDraw = underDraw;
    this.firstLengthDraw = Uint8Array.from(firstLengths);
    this.innerLengthDraw = Uint8Array.from(innerLengths.length > 0 ? innerLengths : [3]);
    this.chars = charPool(charCount, true);
    this.innerChars = charPool(charCount, false);
  }

  private readonly scratch = Buffer.alloc(512);

  /** a flat (not concatenated) string, so lookups hash it like a name read from a file */
  draw(rand: () => number): string {
    const under = this.underDraw[(rand() * this.underDraw.length) | 0]!;
    const out = this.scratch;
    let n = 0;
    for (let j = 0; j < under; j++) {
      const length = j === under - 1 ? this.firstLengthDraw[(rand() * this.firstLengthDraw.length) | 0]! : this.innerLengthDraw[(rand() * this.innerLengthDraw.length) | 0]!;
      for (let c = 0; c < length; c++) {
        // hyphens only inside a label
        const pool = c === 0 || c === length - 1 ? this.innerChars : this.chars;
        out[n++] = pool[(rand() * pool.length) | 0]!;
      }
      out[n++] = 46;
    }
    const suffix = this.suffixes[this.suffixDraw[(rand() * this.suffixDraw.length) | 0]!]!;
    n += out.write(suffix, n, 'latin1');
    return out.toString('latin1', 0, n);
  }
}

function charPool(counts: Float64Array, withHyphen: boolean): Uint8Array {
  let total = 0;
  for (let c = 0; c < 128; c++) if (withHyphen || c !== 45) total += counts[c]!;
  const pool = new Uint8Array(65536);
  let at = 0;
  for (let c = 0; c < 128; c++) {
    if ((!withHyphen && c === 45) || counts[c] === 0) continue;
    const share = Math.round((counts[c]! / total) * pool.length);
    pool.fill(c, at, Math.min(pool.length, at + share));
    at = Math.min(pool.length, at + share);
  }
  if (at < pool.length) pool.fill(101, at); // rounding leftovers: 'e', the commonest letter
  return pool;
}

function readSource(list: string, file: string, index: Map<string, number>, domains: string[], catCache: Map<string, readonly string[]>): SourceList {
  const bytes = gunzipSync(readFileSync(BLOCKLIST_DIR + file));
  const out: SourceList = { list, domains: [], categories: [] };
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    const tab = bytes.indexOf(9, start);
    if (tab > start && tab < end) {
      // toString per field gives flat strings, not slices pinning the whole file in memory
      let domain = bytes.toString('latin1', start, tab);
      const catText = bytes.toString('latin1', tab + 1, end);
      let cats = catCache.get(catText);
      if (!cats) {
        cats = Object.freeze(catText.split(','));
        catCache.set(catText, cats);
      }
      const known = index.get(domain);
      if (known === undefined) {
        index.set(domain, domains.length);
        domains.push(domain);
      } else domain = domains[known]!;
      out.domains.push(domain);
      out.categories.push(cats);
    }
    start = end + 1;
  }
  return out;
}

/** The real lists merged, padded with generated names to `total` distinct domains. */
export function loadDataset(total = DEFAULT_DOMAINS, seed = 0x5eed2026): Dataset {
  const index = new Map<string, number>();
  const domains: string[] = [];
  const catCache = new Map<string, readonly string[]>();
  const sources = SOURCE_FILES.map(({ list, file }) => readSource(list, file, index, domains, catCache));
  const realCount = domains.length;
  let starterCount = 0;
  for (const site of starterCatalogue()) {
    for (const domain of site.domains) {
      if (index.has(domain)) continue;
      index.set(domain, domains.length);
      domains.push(domain);
      starterCount++;
    }
  }

  const shape = new NameShape(domains.slice(0, realCount));
  const rand = random(seed);
  const generated: SourceList = { list: 'generated', domains: [], categories: [] };
  const realEntries = sources.flatMap((s) => s.categories);
  while (domains.length < total) {
    const domain = shape.draw(rand);
    if (index.has(domain)) continue;
    index.set(domain, domains.length);
    domains.push(domain);
    generated.domains.push(domain);
    // the categories of a random real entry keep the category mix realistic
    generated.categories.push(realEntries[(rand() * realEntries.length) | 0]!);
  }
  sources.push(generated);
  return { sources, domains, realCount, generatedCount: generated.domains.length, starterCount, fingerprint: fingerprint(domains), shape };
}

function fingerprint(domains: readonly string[]): string {
  let h = 0x811c9dc5;
  let chars = 0;
  for (let i = 0; i < domains.length; i++) {
    const d = domains[i]!;
    chars += d.length;
    if (i % 997 === 0) for (let c = 0; c < d.length; c++) h = Math.imul(h ^ d.charCodeAt(c), 0x01000193);
  }
  return `${domains.length}:${chars}:${(h >>> 0).toString(16)}`;
}

export const QUERY_EXACT = 0;
export const QUERY_SUBDOMAIN = 1;
export const QUERY_MISS = 2;

export interface QuerySet {
  urls: string[];
  /** QUERY_EXACT, QUERY_SUBDOMAIN or QUERY_MISS per URL */
  kinds: Uint8Array;
  /** the share of each kind asked for */
  mix: { exact: number; subdomain: number; miss: number };
}

const SUBDOMAIN_LABELS = ['cdn', 'img', 'static', 'api', 'en', 'blog', 'news', 'mail', 'app', 'video', 'shop', 'eu', 'us', 'media', 'login'];
const PATHS = [
  () => '/',
  () => '/index.html',
  (r: () => number) => `/news/2026/${1 + ((r() * 12) | 0)}/story-${(r() * 100000) | 0}`,
  (r: () => number) => `/search?q=word${(r() * 1000) | 0}&lang=en`,
  (r: () => number) => `/watch?v=${((r() * 2 ** 31) | 0).toString(36)}`,
  (r: () => number) => `/images/photo-${(r() * 10000) | 0}.jpg`,
  (r: () => number) => `/assets/app.${((r() * 2 ** 31) | 0).toString(16)}.js`,
  () => '/login',
];

/**
 * Raw URLs: exact hits on catalogue domains, subdomain hits (`www.`, `m.`, deeper) and misses
 * (generated names none of whose suffixes is in the catalogue).
 */
export function makeQueries(dataset: Dataset, count = DEFAULT_QUERIES, seed = 0x9e3779b9, mix = { exact: 0.3, subdomain: 0.3, miss: 0.4 }): QuerySet {
  const rand = random(seed);
  const set = new Set(dataset.domains);
  const shape = dataset.shape;
  const inSet = (host: string): boolean => {
    let h = host;
    for (;;) {
      if (set.has(h)) return true;
      const dot = h.indexOf('.');
      if (dot < 0) return false;
      h = h.slice(dot + 1);
    }
  };
  const urls: string[] = new Array(count);
  const kinds = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const r = rand();
    let host: string;
    let kind: number;
    if (r < mix.exact) {
      kind = QUERY_EXACT;
      host = dataset.domains[(rand() * dataset.domains.length) | 0]!;
    } else if (r < mix.exact + mix.subdomain) {
      kind = QUERY_SUBDOMAIN;
      const base = dataset.domains[(rand() * dataset.domains.length) | 0]!;
      const s = rand();
      if (s < 0.4) host = `www.${base}`;
      else if (s < 0.6) host = `m.${base}`;
      else if (s < 0.85) host = `${SUBDOMAIN_LABELS[(rand() * SUBDOMAIN_LABELS.length) | 0]}.${base}`;
      else host = `${SUBDOMAIN_LABELS[(rand() * SUBDOMAIN_LABELS.length) | 0]}.${SUBDOMAIN_LABELS[(rand() * SUBDOMAIN_LABELS.length) | 0]}.${base}`;
    } else {
      kind = QUERY_MISS;
      do host = shape.draw(rand);
      while (inSet(host));
    }
    const path = PATHS[(rand() * PATHS.length) | 0]!(rand);
    // a round trip through a Buffer gives a flat string, as a URL read off a socket is
    urls[i] = Buffer.from(`https://${host}${path}`, 'latin1').toString('latin1');
    kinds[i] = kind;
  }
  return { urls, kinds, mix };
}
