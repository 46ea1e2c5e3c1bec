// The starter catalogue shipped with Hedgerow (`starter.yaml`): common sites with their standard
// categories and platform-stated minimum ages. Loaded as list `starter`, categories `hedgerow/<name>`.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { HedgerowError } from '../errors/index.ts';
import type { CatalogueBuilder } from './catalogue-builder.ts';
import { standardCategories } from './categories.ts';
import { normaliseEntry } from './normalise-entry.ts';

export const STARTER_LIST = 'starter';
export const starterPath = new URL('./starter.yaml', import.meta.url);

export interface StarterSite {
  name: string;
  domains: string[];
  ips: string[];
  /** standard category names */
  categories: string[];
  minimumAge?: number;
  /** the platform's own page stating the minimum age, by title and URL */
  minimumAgeSource?: string;
  note?: string;
}

const siteSchema = z.strictObject({
  name: z.string().min(1),
  domains: z.array(z.string()).default([]),
  ips: z.array(z.string()).default([]),
  categories: z.array(z.string()).min(1),
  minimumAge: z.number().int().min(0).max(120).optional(),
  minimumAgeSource: z.string().min(1).optional(),
  note: z.string().optional(),
});
const fileSchema = z.strictObject({ version: z.literal(1), sites: z.array(siteSchema) });

let cached: { text: string; sites: StarterSite[] } | null = null;

/** the raw text of the shipped data file (its checksum goes into the snapshot manifest) */
export function starterText(): string {
  return readFileSync(starterPath, 'utf8');
}

/** parsed from the shipped data file */
export function starterCatalogue(): StarterSite[] {
  const text = starterText();
  if (cached?.text !== text) cached = { text, sites: parseStarter(text, starterPath.pathname) };
  return cached.sites.map((s) => ({ ...s, domains: [...s.domains], ips: [...s.ips], categories: [...s.categories] }));
}

/** Validates starter-format YAML: known categories, valid names, an age always with its source. */
export function parseStarter(text: string, file: string): StarterSite[] {
  const fail = (message: string, field?: string): HedgerowError =>
    new HedgerowError('HR_CATALOG_FORMAT', `starter catalogue: ${message}`, { where: field === undefined ? { file } : { file, field } });
  let data: unknown;
  try {
    data = parse(text);
  } catch (cause) {
    throw fail(`not valid YAML: ${(cause as Error).message}`);
  }
  const result = fileSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw fail(issue.message, issue.path.join('.'));
  }
  return result.data.sites.map((site, i) => {
    const where = `sites[${i}]`;
    for (const c of site.categories) if (!(c in standardCategories)) throw fail(`site \`${site.name}\`: unknown category \`${c}\``, `${where}.categories`);
    if ((site.minimumAge === undefined) !== (site.minimumAgeSource === undefined)) {
      throw fail(`site \`${site.name}\`: a minimum age needs its source and a source needs its age`, where);
    }
    if (site.domains.length + site.ips.length === 0) throw fail(`site \`${site.name}\`: no domain or IP`, where);
    const domains = site.domains.map((d) => {
      const r = normaliseEntry(d);
      if (r.kind !== 'domain') throw fail(`site \`${site.name}\`: \`${d}\` is not a domain name`, `${where}.domains`);
      return r.value;
    });
    const ips = site.ips.map((d) => {
      const r = normaliseEntry(d);
      if (r.kind !== 'ip') throw fail(`site \`${site.name}\`: \`${d}\` is not an IP address`, `${where}.ips`);
      return r.value;
    });
    const out: StarterSite = { name: site.name, domains, ips, categories: site.categories };
    if (site.minimumAge !== undefined) out.minimumAge = site.minimumAge;
    if (site.minimumAgeSource !== undefined) out.minimumAgeSource = site.minimumAgeSource;
    if (site.note !== undefined) out.note = site.note;
    return out;
  });
}

/** Adds the starter sites to a builder as list `starter`. */
export function addStarter(builder: CatalogueBuilder, sites: readonly StarterSite[] = starterCatalogue()): void {
  for (const site of sites) {
    const fact = { categories: site.categories.map((c) => `hedgerow/${c}`), source: STARTER_LIST, ...(site.minimumAge === undefined ? {} : { minimumAge: site.minimumAge }) };
    for (const d of [...site.domains, ...site.ips]) builder.addSiteFact(d, fact);
  }
}
