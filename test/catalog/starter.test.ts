import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { isHedgerowError } from '../../src/errors/index.ts';
import { defaultCategoryMap, isPublicSuffix, mapSourceCategories, parseStarter, resolveCategoryMap, standardCategories, starterCatalogue } from '../../src/catalog/index.ts';

const shared = new URL('../../../shared/data/blocklists/', import.meta.url);

describe('starter catalogue', () => {
  const sites = starterCatalogue();

  test('ships between 150 and 250 sites, each with standard categories', () => {
    assert.ok(sites.length >= 150 && sites.length <= 250, `${sites.length} sites`);
    for (const s of sites) for (const c of s.categories) assert.ok(c in standardCategories, `${s.name}: ${c}`);
  });

  test('states a minimum age only with the platform page that says so', () => {
    const aged = sites.filter((s) => s.minimumAge !== undefined);
    assert.ok(aged.length >= 10);
    for (const s of aged) assert.match(s.minimumAgeSource ?? '', /https:\/\/\S+/, s.name);
    const age = (name: string): number | undefined => sites.find((s) => s.name === name)?.minimumAge;
    assert.equal(age('Facebook'), 13);
    assert.equal(age('WhatsApp'), 13);
  });

  test('names no domain twice and no public suffix', () => {
    const seen = new Set<string>();
    for (const s of sites) {
      for (const d of s.domains) {
        assert.ok(!seen.has(d), `${d} appears twice`);
        seen.add(d);
        assert.ok(!isPublicSuffix(d), `${d} is a public suffix`);
      }
    }
  });

  test('rejects an unknown category and an age without a source', () => {
    const bad = (text: string): boolean => {
      try {
        parseStarter(text, 'test.yaml');
        return false;
      } catch (e) {
        return isHedgerowError(e) && e.code === 'HR_CATALOG_FORMAT';
      }
    };
    assert.ok(bad('version: 1\nsites:\n  - name: A\n    domains: [a.example]\n    categories: [socail]\n'));
    assert.ok(bad('version: 1\nsites:\n  - name: A\n    domains: [a.example]\n    categories: [chat]\n    minimumAge: 13\n'));
    assert.ok(!bad('version: 1\nsites:\n  - name: A\n    domains: [a.example]\n    categories: [chat]\n'));
  });
});

describe('category map', () => {
  test('maps UT1 redirectors to proxy, translation to translator and allow-lists to allow-list', () => {
    for (const n of ['redirector', 'strict_redirector', 'strong_redirector']) assert.deepEqual(defaultCategoryMap[`ut1/${n}`], ['proxy']);
    assert.deepEqual(defaultCategoryMap['ut1/translation'], ['translator']);
    assert.deepEqual(defaultCategoryMap['ut1/drogue'], ['drugs']);
    assert.deepEqual(defaultCategoryMap['ut1/liste_blanche'], ['allow-list']);
    assert.deepEqual(defaultCategoryMap['antiporn/adult'], ['adult']);
    for (const name of Object.keys(standardCategories)) assert.deepEqual(defaultCategoryMap[`hedgerow/${name}`], [name]);
  });

  test('every mapped name is a standard category', () => {
    for (const [source, to] of Object.entries(defaultCategoryMap)) for (const c of to) assert.ok(c in standardCategories, `${source} → ${c}`);
  });

  test('a policy override replaces one entry and leaves the rest', () => {
    const map = resolveCategoryMap({ 'ut1/games': [], 'custom/homework': ['education'] });
    assert.deepEqual(map['ut1/games'], []);
    assert.deepEqual(map['custom/homework'], ['education']);
    assert.deepEqual(map['ut1/gambling'], ['gambling']);
    assert.deepEqual(mapSourceCategories(['ut1/gambling', 'ut1/arjel', 'unknown/x'], map), ['gambling']);
  });

  test('knows every category present in the shared blocklists', (t) => {
    const files = ['ut1', 'blp', 'antiporn'].map((n) => new URL(`${n}.domains.tsv.gz`, shared).pathname);
    if (!files.every((f) => existsSync(f))) {
      t.skip(`shared blocklists not found under ${shared.pathname}`);
      return;
    }
    const names = new Set<string>();
    for (const f of files) {
      const out = execFileSync('sh', ['-c', `gzip -dc '${f}' | cut -f2 | tr ',' '\\n' | sort -u`], { maxBuffer: 1 << 26 }).toString();
      for (const n of out.split('\n')) if (n) names.add(n);
    }
    assert.ok(names.size > 50);
    for (const n of names) assert.ok(n in defaultCategoryMap, `no mapping entry for ${n}`);
  });
});
