// The three structures the engine benchmark compares, built from the same data: Hedgerow's
// catalogue, a plain JavaScript `Set` walked suffix by suffix, and @ghostery/adblocker's engine
// loaded with one `||domain^` rule per domain. Shared by the timing run and the memory children.
import { FiltersEngine } from '@ghostery/adblocker';
import { CatalogueBuilder, addStarter, type Catalogue } from '../src/catalog/index.ts';
import type { Dataset } from './engine-data.ts';

export function buildHedgerowCatalogue(dataset: Dataset): Catalogue {
  const builder = new CatalogueBuilder();
  for (const source of dataset.sources) {
    const { list, domains, categories } = source;
    for (let i = 0; i < domains.length; i++) builder.add(domains[i]!, categories[i]!, list);
  }
  addStarter(builder);
  return builder.build();
}

export function buildNaiveSet(dataset: Dataset): Set<string> {
  return new Set(dataset.domains);
}

/** Is the host or one of its parent suffixes in the set? (the usual hand-written lookup) */
export function naiveHas(set: Set<string>, host: string): boolean {
  let h = host;
  for (;;) {
    if (set.has(h)) return true;
    const dot = h.indexOf('.');
    if (dot < 0) return false;
    h = h.slice(dot + 1);
  }
}

/** `||domain^` blocks the domain and its subdomains, the same meaning as a catalogue entry. */
export function buildGhostery(domains: readonly string[]): FiltersEngine {
  const lines = new Array<string>(domains.length);
  for (let i = 0; i < domains.length; i++) lines[i] = `||${domains[i]}^`;
  return FiltersEngine.parse(lines.join('\n'), { loadCosmeticFilters: false, loadCSPFilters: false, loadGenericCosmeticsFilters: false });
}
