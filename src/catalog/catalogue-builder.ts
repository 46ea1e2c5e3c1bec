// Collects list entries and site facts, merges duplicates (union of categories and lists), and
// compiles them into a Catalogue. Each distinct (categories, lists, minimum age) combination gets
// one value id, so a million domains share a few thousand values.
import { HedgerowError } from '../errors/index.ts';
import { Catalogue } from './catalogue.ts';
import { hashWhole } from './host-hashes.ts';
import { isPublicSuffix, normaliseEntry } from './normalise-entry.ts';
import { SuffixTableBuilder } from './suffix-table.ts';

export interface SiteFact {
  minimumAge?: number;
  /** source categories; a name without a source gets `hedgerow/` */
  categories?: readonly string[];
  /** the list the fact belongs to (default `facts`) */
  source?: string;
}

interface Combo {
  cats: readonly number[];
  lists: readonly number[];
  age: number;
}

const EMPTY: Combo = { cats: [], lists: [], age: -1 };
// an already-normalised name of two or more labels whose last label is not all digits
const PLAIN_HOST = /^(?:[a-z0-9_-]{1,63}\.)+[a-z0-9_-]*[a-z_-][a-z0-9_-]*$/;

function unionSorted(a: readonly number[], b: readonly number[]): readonly number[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out = new Set(a);
  for (const x of b) out.add(x);
  if (out.size === a.length) return a;
  return [...out].sort((x, y) => x - y);
}

export class CatalogueBuilder {
  private readonly catIndex = new Map<string, number>();
  private readonly catNames: string[] = [];
  private readonly listIndex = new Map<string, number>();
  private readonly listNames: string[] = [];
  private readonly combos: Combo[] = [];
  private readonly comboIndex = new Map<string, number>();
  private readonly unionCache = new Map<string, number>();
  private readonly domains = new Map<string, number>();
  private readonly ips = new Map<string, number>();
  private meta: Record<string, unknown> = {};

  /** union of categories/lists when the same domain is added twice; IPs go to IP rules; public suffixes become exact-only */
  add(domain: string, sourceCategories: readonly string[], list: string): void {
    const cats = this.catIds(sourceCategories);
    this.merge(domain, cats, this.listId(list), -1);
  }

  addSiteFact(domain: string, fact: SiteFact): void {
    const names = (fact.categories ?? []).map((c) => (c.includes('/') ? c : `hedgerow/${c}`));
    let age = -1;
    if (fact.minimumAge !== undefined) {
      if (!Number.isInteger(fact.minimumAge) || fact.minimumAge < 0 || fact.minimumAge > 120) {
        throw new HedgerowError('HR_CATALOG_FORMAT', `site \`${domain}\`: minimum age \`${fact.minimumAge}\` is not a whole number of years`);
      }
      age = fact.minimumAge;
    }
    this.merge(domain, this.catIds(names), this.listId(fact.source ?? 'facts'), age);
  }

  /** free-form facts stored with the catalogue (the list manifest) */
  setMeta(meta: Record<string, unknown>): void {
    this.meta = { ...meta };
  }

  get domainCount(): number {
    return this.domains.size;
  }

  build(): Catalogue {
    // only combinations that some entry still uses become value ids, numbered in first-use order
    const remap = new Int32Array(this.combos.length).fill(-1);
    const used: Combo[] = [];
    const valueOf = (combo: number): number => {
      let v = remap[combo]!;
      if (v === -1) {
        v = used.length;
        remap[combo] = v;
        used.push(this.combos[combo]!);
      }
      return v;
    };
    const h = new Int32Array(2);
    const table = new SuffixTableBuilder(this.domains.size);
    let exactOnlyCount = 0;
    for (const [domain, combo] of this.domains) {
      const exact = isPublicSuffix(domain);
      if (exact) exactOnlyCount++;
      hashWhole(domain, h);
      table.insert(h[0]!, h[1]!, valueOf(combo), exact, domain);
    }
    const ipTable = new SuffixTableBuilder(this.ips.size);
    for (const [ip, combo] of this.ips) {
      hashWhole(ip, h);
      ipTable.insert(h[0]!, h[1]!, valueOf(combo), true, ip);
    }
    const catStart = new Int32Array(used.length + 1);
    const listStart = new Int32Array(used.length + 1);
    let catTotal = 0;
    let listTotal = 0;
    used.forEach((c, i) => {
      catStart[i] = catTotal;
      listStart[i] = listTotal;
      catTotal += c.cats.length;
      listTotal += c.lists.length;
    });
    catStart[used.length] = catTotal;
    listStart[used.length] = listTotal;
    const cats = new Int32Array(catTotal);
    const lists = new Int32Array(listTotal);
    const ages = new Int32Array(used.length);
    used.forEach((c, i) => {
      cats.set(c.cats, catStart[i]!);
      lists.set(c.lists, listStart[i]!);
      ages[i] = c.age;
    });
    return new Catalogue({
      table: table.finish(),
      ipTable: ipTable.finish(),
      sourceCategoryNames: this.catNames,
      listNames: this.listNames,
      catStart,
      cats,
      listStart,
      lists,
      ages,
      domainCount: this.domains.size,
      ipCount: this.ips.size,
      exactOnlyCount,
      meta: this.meta,
    });
  }

  private merge(rawDomain: string, cats: readonly number[], list: number, age: number): void {
    let key = rawDomain;
    let target = this.domains;
    // lists from parseListFile are already normalised; the full check runs only for anything else
    if (rawDomain.length > 253 || !PLAIN_HOST.test(rawDomain)) {
      const r = normaliseEntry(rawDomain);
      if (r.kind === 'error') throw new HedgerowError('HR_CATALOG_FORMAT', `catalogue entry: ${r.message}`);
      key = r.value;
      if (r.kind === 'ip') target = this.ips;
    }
    const previous = target.get(key) ?? -1;
    const cacheKey = `${previous}|${cats.join(',')}|${list}|${age}`;
    let combo = this.unionCache.get(cacheKey);
    if (combo === undefined) {
      const base = previous === -1 ? EMPTY : this.combos[previous]!;
      combo = this.intern({
        cats: unionSorted(base.cats, cats),
        lists: unionSorted(base.lists, [list]),
        // several facts for one site: the highest age is the one that must be respected
        age: Math.max(base.age, age),
      });
      this.unionCache.set(cacheKey, combo);
    }
    target.set(key, combo);
  }

  private intern(combo: Combo): number {
    const key = `${combo.cats.join(',')}|${combo.lists.join(',')}|${combo.age}`;
    let id = this.comboIndex.get(key);
    if (id === undefined) {
      id = this.combos.length;
      this.combos.push(combo);
      this.comboIndex.set(key, id);
    }
    return id;
  }

  private catIds(names: readonly string[]): readonly number[] {
    const ids: number[] = [];
    for (const name of names) {
      let id = this.catIndex.get(name);
      if (id === undefined) {
        id = this.catNames.length;
        this.catNames.push(name);
        this.catIndex.set(name, id);
      }
      if (!ids.includes(id)) ids.push(id);
    }
    return ids.sort((a, b) => a - b);
  }

  private listId(name: string): number {
    let id = this.listIndex.get(name);
    if (id === undefined) {
      id = this.listNames.length;
      this.listNames.push(name);
      this.listIndex.set(name, id);
    }
    return id;
  }
}
