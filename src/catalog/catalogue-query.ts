// Tools over a compiled catalogue: statistics, and "which entries match this host" with the lists
// and categories they came from. Not the hot path.
import { readdirSync, statSync } from 'node:fs';
import { domainToASCII } from 'node:url';
import type { Catalogue } from './catalogue.ts';
import { listsDir } from './catalogue-store.ts';
import { HostHashes, hashHostSuffixes } from './host-hashes.ts';
import { normaliseIp } from './normalise-entry.ts';

export interface CatalogueStats {
  revision: string;
  domains: number;
  ips: number;
  exactOnly: number;
  values: number;
  /** per list: domains and IPs it contributes (an entry in two lists counts for both) */
  lists: Record<string, { domains: number; ips: number }>;
  /** per source category: domains and IPs carrying it */
  sourceCategories: Record<string, number>;
  /** the stored list files, when a data folder is given */
  files?: Array<{ name: string; bytes: number; modified: string }>;
}

export function catalogueStats(catalogue: Catalogue, dataDir?: string): CatalogueStats {
  const domainsPerValue = new Float64Array(catalogue.valueCount);
  const ipsPerValue = new Float64Array(catalogue.valueCount);
  catalogue.table.forEachCell((v) => domainsPerValue[v]!++);
  catalogue.ipTable.forEachCell((v) => ipsPerValue[v]!++);
  const lists: Record<string, { domains: number; ips: number }> = {};
  const categories: Record<string, number> = {};
  for (const name of catalogue.listNames) lists[name] = { domains: 0, ips: 0 };
  for (const name of catalogue.sourceCategoryNames) categories[name] = 0;
  for (let v = 0; v < catalogue.valueCount; v++) {
    const d = domainsPerValue[v]!;
    const i = ipsPerValue[v]!;
    for (const list of catalogue.valueLists(v)) {
      lists[list]!.domains += d;
      lists[list]!.ips += i;
    }
    for (const c of catalogue.valueSourceCategories(v)) categories[catalogue.sourceCategoryNames[c]!]! += d + i;
  }
  const stats: CatalogueStats = {
    revision: catalogue.revision,
    domains: catalogue.domainCount,
    ips: catalogue.ipCount,
    exactOnly: catalogue.exactOnlyCount,
    values: catalogue.valueCount,
    lists,
    sourceCategories: categories,
  };
  if (dataDir !== undefined) {
    let names: string[] = [];
    try {
      names = readdirSync(listsDir(dataDir)).filter((f) => f.endsWith('.tsv.gz')).sort();
    } catch {
      names = [];
    }
    stats.files = names.map((f) => {
      const s = statSync(`${listsDir(dataDir)}/${f}`);
      return { name: f.slice(0, -7), bytes: s.size, modified: s.mtime.toISOString() };
    });
  }
  return stats;
}

export interface HostMatch {
  entry: string;
  lists: string[];
  sourceCategories: string[];
  minimumAge?: number;
  exactOnly: boolean;
}

/** Light normalisation for a tool: case, trailing dot, IDN; IP literals as the catalogue keeps them. */
function normaliseQueryHost(host: string): { kind: 'ip' | 'host'; value: string } {
  let text = host.trim();
  const ip = normaliseIp(text);
  if (ip !== null) return { kind: 'ip', value: ip };
  text = text.toLowerCase().replace(/\.+$/, '');
  if (/[^\x20-\x7e]/.test(text)) {
    const ascii = domainToASCII(text);
    if (ascii !== '') text = ascii;
  }
  return { kind: 'host', value: text };
}

/** Every catalogue entry matching the host, most specific first. */
export function whichHost(catalogue: Catalogue, host: string): HostMatch[] {
  const q = normaliseQueryHost(host);
  const describe = (entry: string, value: number, exactOnly: boolean): HostMatch => {
    const match: HostMatch = {
      entry,
      lists: [...catalogue.valueLists(value)],
      sourceCategories: catalogue.valueSourceCategories(value).map((i) => catalogue.sourceCategoryNames[i]!),
      exactOnly,
    };
    const age = catalogue.valueMinimumAge(value);
    if (age >= 0) match.minimumAge = age;
    return match;
  };
  if (q.kind === 'ip') {
    const v = catalogue.lookupIp(q.value);
    return v < 0 ? [] : [describe(q.value, v, true)];
  }
  if (q.value === '') return [];
  const hashes = new HostHashes();
  hashHostSuffixes(q.value, hashes);
  const values = new Int32Array(hashes.count);
  const idx = new Int32Array(hashes.count);
  const n = catalogue.lookupHost(hashes, values, idx);
  const out: HostMatch[] = [];
  for (let i = 0; i < n; i++) {
    const entry = q.value.slice(hashes.starts[idx[i]!]!);
    out.push(describe(entry, values[i]!, catalogue.table.isExactOnly(entry)));
  }
  return out;
}
