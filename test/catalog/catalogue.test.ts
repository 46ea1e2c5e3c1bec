import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isHedgerowError } from '../../src/errors/index.ts';
import { Catalogue, CatalogueBuilder, HostHashes, SuffixTable, hashHostSuffixes, whichHost } from '../../src/catalog/index.ts';

function matches(catalogue: Catalogue, host: string): string[] {
  const hashes = new HostHashes();
  hashHostSuffixes(host, hashes);
  const values = new Int32Array(hashes.count);
  const idx = new Int32Array(hashes.count);
  const n = catalogue.lookupHost(hashes, values, idx);
  return Array.from(idx.subarray(0, n), (i) => host.slice(hashes.starts[i]!));
}

function sample(): Catalogue {
  const b = new CatalogueBuilder();
  b.add('blocked.example', ['ut1/gambling'], 'ut1');
  b.add('blocked.example', ['blp/phishing'], 'blp');
  b.add('ac.uk', ['ut1/liste_bu'], 'ut1');
  b.add('sub.blocked.example', ['ut1/games'], 'ut1');
  b.add('192.0.2.10', ['ut1/malware'], 'ut1');
  b.addSiteFact('social.example', { minimumAge: 13, categories: ['social-networking'], source: 'starter' });
  return b.build();
}

describe('suffix hashing', () => {
  test('gives the host and each parent suffix, most specific first', () => {
    const h = new HostHashes();
    hashHostSuffixes('a.b.example.com', h);
    assert.equal(h.count, 4);
    assert.deepEqual(Array.from(h.starts.subarray(0, 4)), [0, 2, 4, 12]);
    const whole = new HostHashes();
    hashHostSuffixes('example.com', whole);
    assert.equal(h.h1[2], whole.h1[0]);
    assert.equal(h.h2[2], whole.h2[0]);
  });

  test('keeps the whole host and the rightmost suffixes when a host has too many labels', () => {
    const h = new HostHashes(3);
    hashHostSuffixes('a.b.c.d.example', h);
    assert.equal(h.count, 3);
    assert.deepEqual(Array.from(h.starts.subarray(0, 3)), [0, 6, 8]);
  });
});

describe('suffix table', () => {
  test('matches an entry and its subdomains, and exact-only entries only as the whole host', () => {
    const t = SuffixTable.build([
      ['blocked.example', 1, false],
      ['co.example', 2, true],
    ]);
    const h = new HostHashes();
    const values = new Int32Array(8);
    const idx = new Int32Array(8);
    hashHostSuffixes('www.blocked.example', h);
    assert.equal(t.lookup(h, values, idx), 1);
    assert.equal(values[0], 1);
    assert.equal(idx[0], 1);
    hashHostSuffixes('school.co.example', h);
    assert.equal(t.lookup(h, values, idx), 0);
    hashHostSuffixes('co.example', h);
    assert.equal(t.lookup(h, values, idx), 1);
    assert.equal(values[0], 2);
    assert.equal(t.get('blocked.example'), 1);
    assert.equal(t.get('www.blocked.example'), -1);
    assert.equal(t.size, 2);
  });

  test('writes no more matches than the output arrays hold', () => {
    const t = SuffixTable.build([
      ['a.example', 1, false],
      ['example', 2, false],
    ]);
    const h = new HostHashes();
    hashHostSuffixes('x.a.example', h);
    assert.equal(t.lookup(h, new Int32Array(1), new Int32Array(1)), 1);
  });
});

describe('catalogue', () => {
  test('merges categories and lists when a domain is added twice', () => {
    const c = sample();
    const [m] = whichHost(c, 'www.blocked.example').slice(-1);
    assert.equal(m!.entry, 'blocked.example');
    assert.deepEqual(m!.sourceCategories, ['ut1/gambling', 'blp/phishing']);
    assert.deepEqual(m!.lists, ['ut1', 'blp']);
  });

  test('an ac.uk entry does not match ox.ac.uk but matches ac.uk itself', () => {
    const c = sample();
    assert.deepEqual(matches(c, 'ox.ac.uk'), []);
    assert.deepEqual(matches(c, 'www.ox.ac.uk'), []);
    assert.deepEqual(matches(c, 'ac.uk'), ['ac.uk']);
    assert.equal(c.exactOnlyCount, 1);
    assert.equal(whichHost(c, 'ac.uk')[0]!.exactOnly, true);
  });

  test('returns every matching entry, most specific first', () => {
    assert.deepEqual(matches(sample(), 'a.sub.blocked.example'), ['sub.blocked.example', 'blocked.example']);
    assert.deepEqual(matches(sample(), 'notblocked.example'), []);
  });

  test('keeps IP entries as IP rules, not domain entries', () => {
    const c = sample();
    assert.equal(c.ipCount, 1);
    assert.equal(c.domainCount, 4);
    const v = c.lookupIp('192.0.2.10');
    assert.ok(v >= 0);
    assert.deepEqual(c.valueSourceCategories(v).map((i) => c.sourceCategoryNames[i]), ['ut1/malware']);
    assert.equal(c.lookupIp('192.0.2.11'), -1);
    assert.equal(c.table.get('192.0.2.10'), -1);
    assert.deepEqual(whichHost(c, '192.0.2.10')[0]!.lists, ['ut1']);
  });

  test('carries a site\'s minimum age and hedgerow categories', () => {
    const c = sample();
    const m = whichHost(c, 'www.social.example')[0]!;
    assert.equal(m.minimumAge, 13);
    assert.deepEqual(m.sourceCategories, ['hedgerow/social-networking']);
    assert.equal(whichHost(c, 'blocked.example')[0]!.minimumAge, undefined);
  });

  test('normalises what it is given: case, trailing dot, IPv6 form', () => {
    const b = new CatalogueBuilder();
    b.add('Mixed.Example.', ['custom/x'], 'l');
    b.add('2001:DB8::0:1', ['custom/x'], 'l');
    const c = b.build();
    assert.deepEqual(matches(c, 'mixed.example'), ['mixed.example']);
    assert.ok(c.lookupIp('2001:db8::1') >= 0);
    assert.throws(() => b.add('not a host', ['custom/x'], 'l'), (e: unknown) => isHedgerowError(e) && e.code === 'HR_CATALOG_FORMAT');
  });

  test('a snapshot round trip keeps entries, values and revision', () => {
    const c = sample();
    const bytes = c.serialize();
    const d = Catalogue.deserialize(bytes);
    assert.equal(d.revision, c.revision);
    assert.match(d.revision, /^[0-9a-f]{64}$/);
    assert.equal(d.domainCount, c.domainCount);
    assert.equal(d.ipCount, c.ipCount);
    assert.deepEqual(whichHost(d, 'x.sub.blocked.example'), whichHost(c, 'x.sub.blocked.example'));
    assert.deepEqual(whichHost(d, 'ac.uk'), whichHost(c, 'ac.uk'));
    assert.deepEqual(matches(d, 'ox.ac.uk'), []);
    assert.equal(d.valueMinimumAge(d.table.get('social.example')), 13);
    // same content, same revision
    assert.equal(sample().revision, c.revision);
    // a snapshot read at an odd offset (a pooled buffer) still works
    const odd = new Uint8Array(bytes.length + 1);
    odd.set(bytes, 1);
    assert.equal(Catalogue.deserialize(odd.subarray(1)).revision, c.revision);
  });

  test('a different content has a different revision', () => {
    const b = new CatalogueBuilder();
    b.add('blocked.example', ['ut1/gambling'], 'ut1');
    assert.notEqual(b.build().revision, sample().revision);
  });

  test('rejects corrupt, truncated and foreign snapshots with HR_CATALOG_SNAPSHOT', () => {
    const bytes = sample().serialize();
    const isSnapshotError = (e: unknown): boolean => isHedgerowError(e) && e.code === 'HR_CATALOG_SNAPSHOT';
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)]! ^= 0x40;
    assert.throws(() => Catalogue.deserialize(flipped), isSnapshotError);
    assert.throws(() => Catalogue.deserialize(bytes.subarray(0, bytes.length - 1)), isSnapshotError);
    assert.throws(() => Catalogue.deserialize(bytes.subarray(0, 10)), isSnapshotError);
    assert.throws(() => Catalogue.deserialize(new Uint8Array(0)), isSnapshotError);
    const magic = bytes.slice();
    magic[0] = 0x00;
    assert.throws(() => Catalogue.deserialize(magic), isSnapshotError);
    const version = bytes.slice();
    version[8] = 99;
    assert.throws(() => Catalogue.deserialize(version), (e: unknown) => isSnapshotError(e) && /version/.test((e as Error).message));
  });

  test('every added domain and its subdomains match, unrelated hosts do not (property)', () => {
    const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
    const domain = fc.array(label, { minLength: 2, maxLength: 4 }).map((l) => `${l.join('.')}.test`);
    fc.assert(
      fc.property(fc.uniqueArray(domain, { minLength: 1, maxLength: 60 }), fc.array(label, { minLength: 1, maxLength: 3 }), fc.array(domain, { maxLength: 30 }), (domains, prefix, others) => {
        const b = new CatalogueBuilder();
        domains.forEach((d, i) => b.add(d, [`custom/c${i % 5}`], 'prop'));
        const c = Catalogue.deserialize(b.build().serialize());
        const set = new Set(domains);
        for (const d of domains) {
          assert.ok(matches(c, d).includes(d), `${d} matches itself`);
          assert.ok(matches(c, `${prefix.join('.')}.${d}`).includes(d), `a subdomain of ${d} matches it`);
        }
        for (const o of others) {
          // expected: exactly the added names that are o itself or a parent of o
          const expected = domains.filter((d) => o === d || o.endsWith(`.${d}`)).sort((x, y) => y.length - x.length);
          assert.deepEqual(matches(c, o), expected, `${o} matches only its own parents in the set`);
          if (!set.has(o)) assert.ok(!matches(c, o).includes(o));
        }
        assert.deepEqual(matches(c, `x${domains[0]}`), domains.filter((d) => `x${domains[0]}` === d || `x${domains[0]}`.endsWith(`.${d}`)));
      }),
      { numRuns: 200 },
    );
  });
});
