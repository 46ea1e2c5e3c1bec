// Readers for the list formats Hedgerow imports. Each returns entries plus every junk line as data
// (file, line number, text, message); nothing here throws for bad lines, only for unreadable files.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HedgerowError } from '../errors/index.ts';
import { normaliseEntry } from './normalise-entry.ts';

export type ListFormat = 'ut1' | 'hosts' | 'adblock' | 'domains' | 'tsv';

export const listFormats: readonly ListFormat[] = Object.freeze(['ut1', 'hosts', 'adblock', 'domains', 'tsv']);

export interface ListProblem {
  file: string;
  line: number;
  text: string;
  message: string;
}

export interface ParsedList {
  entries: Array<{ domain: string; categories: string[] }>;
  ips: Array<{ ip: string; categories: string[] }>;
  problems: ListProblem[];
  lines: number;
}

/** `--category NAME` → a source category (`custom/NAME` when it names no source) */
export function sourceCategoryName(name: string): string {
  const trimmed = name.trim();
  return trimmed.includes('/') ? trimmed : `custom/${trimmed}`;
}

/**
 * The largest list text read, compressed or not: far above the largest real list (UT1's biggest
 * category is under 100 MB), and below what one string can hold, so that a gzip bomb or an
 * endless file is refused rather than read until memory runs out.
 */
export const MAX_LIST_BYTES = 256 * 1024 * 1024;

/** Reads a file as text, gunzipping when it starts with the gzip magic bytes (1f 8b). */
export function readListText(path: string): string {
  let bytes: Buffer;
  try {
    // NOTE: checked before reading: a device (`/dev/zero`) never ends and a FIFO blocks
    const stat = statSync(path);
    if (!stat.isFile()) throw new HedgerowError('HR_CATALOG_READ', `cannot read list \`${path}\`: not a regular file`, { where: { file: path } });
    if (stat.size > MAX_LIST_BYTES) throw new HedgerowError('HR_CATALOG_READ', `cannot read list \`${path}\`: it is ${stat.size} bytes; the limit is ${MAX_LIST_BYTES}`, { where: { file: path } });
    bytes = readFileSync(path);
  } catch (cause) {
    if (cause instanceof HedgerowError) throw cause;
    throw new HedgerowError('HR_CATALOG_READ', `cannot read list \`${path}\`: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { where: { file: path }, cause });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_LIST_BYTES });
    } catch (cause) {
      const tooLarge = (cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      throw new HedgerowError('HR_CATALOG_READ', `cannot read list \`${path}\`: ${tooLarge ? `it unpacks to more than the limit of ${MAX_LIST_BYTES} bytes` : 'the gzip data is corrupt'}`, { where: { file: path }, cause });
    }
  }
  return bytes.toString('utf8');
}

const HOSTS_SINKS = new Set(['0.0.0.0', '127.0.0.1', '::', '::1', '0:0:0:0:0:0:0:0', '0:0:0:0:0:0:0:1', '::0', '0']);
// names every hosts file carries for the machine itself
const HOSTS_LOCAL = new Set(['localhost', 'localhost.localdomain', 'local', 'broadcasthost', 'ip6-localhost', 'ip6-loopback', 'ip6-localnet', 'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts', '0.0.0.0']);

class Collector {
  readonly result: ParsedList = { entries: [], ips: [], problems: [], lines: 0 };

  add(file: string, line: number, rawLine: string, entry: string, categories: string[]): void {
    const r = normaliseEntry(entry);
    if (r.kind === 'domain') this.result.entries.push({ domain: r.value, categories });
    else if (r.kind === 'ip') this.result.ips.push({ ip: r.value, categories });
    else this.problem(file, line, rawLine, r.message);
  }

  problem(file: string, line: number, text: string, message: string): void {
    this.result.problems.push({ file, line, text: text.length > 200 ? `${text.slice(0, 200)}…` : text, message });
  }
}

function eachLine(text: string, fn: (line: string, number: number) => void): number {
  let start = 0;
  let number = 0;
  const length = text.length;
  while (start < length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = length;
    number++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    fn(line, number);
    start = end + 1;
  }
  return number;
}

/** strips a `#` comment; a `#` glued to a name is junk the name check will report */
function stripHashComment(line: string): string {
  const hash = line.search(/(^|\s)#/);
  return (hash === -1 ? line : line.slice(0, hash)).trim();
}

function parseDomains(c: Collector, file: string, text: string, categories: string[], urls: boolean): number {
  return eachLine(text, (raw, n) => {
    const line = stripHashComment(raw);
    if (line === '' || line.startsWith('!') || line.startsWith('//') || line.startsWith(';')) return;
    const fields = line.split(/\s+/);
    if (fields.length > 1) {
      c.problem(file, n, raw, `expected one name per line, found ${fields.length} fields`);
      return;
    }
    let entry = fields[0]!;
    if (urls) {
      // UT1 `urls` files hold `host/path`; the catalogue works on hosts, so the host part is kept
      entry = entry.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
      const slash = entry.search(/[/?#]/);
      if (slash !== -1) entry = entry.slice(0, slash);
      entry = entry.replace(/^[^@]*@/, '');
      const port = /^(.*[^:]):\d+$/.exec(entry);
      if (port && !entry.includes('[')) entry = port[1]!;
    }
    c.add(file, n, raw, entry, categories);
  });
}

function parseHosts(c: Collector, file: string, text: string, categories: string[]): number {
  return eachLine(text, (raw, n) => {
    const line = stripHashComment(raw);
    if (line === '') return;
    const fields = line.split(/\s+/);
    let names = fields;
    const first = fields[0]!;
    if (fields.length > 1) {
      if (!HOSTS_SINKS.has(first) && normaliseEntry(first).kind !== 'ip') {
        c.problem(file, n, raw, `expected \`0.0.0.0 name\`, found \`${first}\` where the address goes`);
        return;
      }
      names = fields.slice(1);
    } else if (normaliseEntry(first).kind === 'ip') {
      c.problem(file, n, raw, 'an address with no name');
      return;
    }
    for (const name of names) {
      if (HOSTS_LOCAL.has(name.toLowerCase())) continue;
      c.add(file, n, raw, name, categories);
    }
  });
}

function parseAdblock(c: Collector, file: string, text: string, categories: string[]): number {
  return eachLine(text, (raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('!') || line.startsWith('#') && !line.startsWith('##') && !line.startsWith('#@#')) return;
    if (/^\[adblock/i.test(line)) return;
    if (line.includes('##') || line.includes('#@#') || line.includes('#?#') || line.includes('#$#')) {
      c.problem(file, n, raw, 'cosmetic rules cannot be expressed as host rules');
      return;
    }
    if (line.startsWith('@@')) {
      c.problem(file, n, raw, 'exception rules cannot be expressed in a block list');
      return;
    }
    const m = /^\|\|([^\^$/|*]+)\^\|?(?:\$(.*))?$/.exec(line);
    if (!m) {
      c.problem(file, n, raw, 'only `||domain^` rules can be expressed as host rules');
      return;
    }
    const options = m[2];
    if (options !== undefined && options.split(',').some((o) => o.trim() !== 'important' && o.trim() !== 'all' && o.trim() !== 'document')) {
      c.problem(file, n, raw, `rule options \`$${options}\` cannot be expressed as a host rule`);
      return;
    }
    c.add(file, n, raw, m[1]!, categories);
  });
}

function parseTsv(c: Collector, file: string, text: string, fallback: string[] | null): number {
  return eachLine(text, (raw, n) => {
    if (raw.trim() === '' || raw.startsWith('#')) return;
    const tab = raw.indexOf('\t');
    let categories: string[];
    let entry: string;
    if (tab === -1) {
      if (!fallback) {
        c.problem(file, n, raw, 'expected `domain<TAB>categories`');
        return;
      }
      entry = raw;
      categories = fallback;
    } else {
      entry = raw.slice(0, tab);
      categories = raw.slice(tab + 1).split(',').map((s) => s.trim()).filter((s) => s !== '');
      const bad = categories.find((s) => !/^[a-z0-9_.-]+\/[a-z0-9_.-]+$/i.test(s));
      if (bad !== undefined) {
        c.problem(file, n, raw, `category \`${bad}\` is not of the form \`source/name\``);
        return;
      }
      if (categories.length === 0) {
        if (!fallback) {
          c.problem(file, n, raw, 'no category');
          return;
        }
        categories = fallback;
      }
    }
    c.add(file, n, raw, entry, categories);
  });
}

function parseUt1(c: Collector, folder: string): number {
  let names: string[];
  try {
    if (!statSync(folder).isDirectory()) throw new Error('not a folder');
    names = readdirSync(folder).sort();
  } catch (cause) {
    throw new HedgerowError('HR_CATALOG_READ', `cannot read UT1 folder \`${folder}\`: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { where: { file: folder }, cause });
  }
  let lines = 0;
  for (const name of names) {
    const dir = join(folder, name);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) continue;
    const category = [`ut1/${name}`];
    for (const [file, urls] of [['domains', false], ['urls', true]] as const) {
      const path = join(dir, file);
      let exists = false;
      try {
        exists = statSync(path).isFile();
      } catch {
        exists = false;
      }
      if (!exists) continue;
      lines += parseDomains(c, path, readListText(path), category, urls);
    }
  }
  return lines;
}

/** ut1: PATH is a folder of `<category>/domains` and `<category>/urls` (urls: the host part is taken) */
export function parseListFile(path: string, format: ListFormat, options: { category?: string } = {}): ParsedList {
  const c = new Collector();
  const given = options.category !== undefined && options.category.trim() !== '' ? [sourceCategoryName(options.category)] : null;
  if (format === 'ut1') {
    c.result.lines = parseUt1(c, path);
    return c.result;
  }
  if (!listFormats.includes(format)) throw new HedgerowError('HR_CATALOG_FORMAT', `unknown list format \`${String(format)}\`: expected ${listFormats.join(', ')}`);
  const text = readListText(path);
  const categories = given ?? [sourceCategoryName(defaultListName(path))];
  switch (format) {
    case 'hosts':
      c.result.lines = parseHosts(c, path, text, categories);
      break;
    case 'adblock':
      c.result.lines = parseAdblock(c, path, text, categories);
      break;
    case 'domains':
      c.result.lines = parseDomains(c, path, text, categories, false);
      break;
    case 'tsv':
      c.result.lines = parseTsv(c, path, text, given);
      break;
  }
  return c.result;
}

/** `lists/ut1.domains.tsv.gz` → `ut1-domains`: a list name from a path */
export function defaultListName(path: string): string {
  const base = path.replace(/[/\\]+$/, '').split(/[/\\]/).pop() ?? 'list';
  const stem = base.replace(/(\.(gz|txt|tsv|list|hosts|lst))+$/i, '');
  const name = stem.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return name === '' ? 'list' : name;
}
