import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'tldts';
import { Catalogue, buildCatalogue, parseListFile, whichHost } from '../../src/catalog/index.ts';

// the shared data sits beside the repository: <repo>/../shared/data/blocklists/
const ut1Path = new URL('../../../shared/data/blocklists/ut1.domains.tsv.gz', import.meta.url).pathname;

describe('the shared UT1 list', () => {
  test('imports cleanly and keeps public-suffix entries exact-only', (t) => {
    if (!existsSync(ut1Path)) {
      t.skip(`shared file not found: ${ut1Path}`);
      return;
    }
    const parsed = parseListFile(ut1Path, 'tsv');
    assert.equal(parsed.entries.length, 532958);
    assert.deepEqual(parsed.problems, []);
    const catalogue = Catalogue.deserialize(buildCatalogue([{ name: 'ut1', list: parsed }], false).serialize());
    assert.equal(catalogue.domainCount, 532958);
    // ac.uk and gov.au are in ut1/liste_bu; a subdomain rule on them would cover every university
    const suffixes = parsed.entries.filter((e) => parse(e.domain, { allowPrivateDomains: false }).publicSuffix === e.domain).map((e) => e.domain);
    for (const known of ['ac.uk', 'gov.au', 'gouv.fr']) assert.ok(suffixes.includes(known), known);
    assert.equal(catalogue.exactOnlyCount, suffixes.length);
    for (const host of ['ox.ac.uk', 'www.ox.ac.uk', 'health.gov.au', 'www.service-public.gouv.fr']) {
      assert.ok(whichHost(catalogue, host).every((m) => m.entry !== host.split('.').slice(-2).join('.')), `${host} does not match its public suffix`);
    }
    assert.ok(whichHost(catalogue, 'ac.uk').some((m) => m.exactOnly && m.sourceCategories.includes('ut1/liste_bu')));
    // the three redirector lists are the same list
    const proxy = parsed.entries.find((e) => e.categories.includes('ut1/redirector'))!;
    const m = whichHost(catalogue, `www.${proxy.domain}`).find((x) => x.entry === proxy.domain)!;
    assert.ok(['ut1/redirector', 'ut1/strict_redirector', 'ut1/strong_redirector'].every((c) => m.sourceCategories.includes(c)));
  });
});
