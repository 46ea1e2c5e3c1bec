// The suffix table and its hashes against a plain reference: a Map of names walked suffix by suffix.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { HostHashes, SuffixTable, hashHostSpan, hashHostSuffixes, hashWhole } from '../../src/catalog/index.ts';

const label = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.'));

/** what a lookup must answer: every entry that is the host or a parent of it, most specific first */
function reference(entries: Map<string, [number, boolean]>, host: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  let suffix = host;
  for (let first = true; ; first = false) {
    const entry = entries.get(suffix);
    // exact-only entries (public suffixes) match the whole host only
    if (entry && (first || !entry[1])) out.push([suffix, entry[0]]);
    const dot = suffix.indexOf('.');
    if (dot < 0) return out;
    suffix = suffix.slice(dot + 1);
  }
}

function answer(host: string, hashes: HostHashes, n: number, values: Int32Array, idx: Int32Array): Array<[string, number]> {
  return Array.from({ length: n }, (_, i) => [host.slice(hashes.starts[idx[i]!]!), values[i]!] as [string, number]);
}

describe('suffix hashes', () => {
  test('hashing a host inside a URL, hashing it alone and hashing a whole name agree on any input', () => {
    const alone = new HostHashes();
    const inside = new HostHashes();
    const whole = new Int32Array(2);
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), (host, before, after) => {
        hashHostSuffixes(host, alone);
        const labels = host.split('.').length;
        hashHostSpan(`${before}${host}${after}`, before.length, before.length + host.length, labels, inside);
        assert.equal(inside.count, alone.count);
        assert.deepEqual([...inside.h1.subarray(0, labels)], [...alone.h1.subarray(0, labels)]);
        assert.deepEqual([...inside.h2.subarray(0, labels)], [...alone.h2.subarray(0, labels)]);
        assert.deepEqual([...inside.starts.subarray(0, labels)], [...alone.starts.subarray(0, labels)]);
        hashWhole(host, whole);
        assert.deepEqual([whole[0], whole[1]], [alone.h1[0], alone.h2[0]]);
        // every suffix hash is the hash of that suffix as a name of its own
        for (let i = 0; i < labels; i++) {
          hashWhole(host.slice(alone.starts[i]!), whole);
          assert.deepEqual([whole[0], whole[1]], [alone.h1[i], alone.h2[i]]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('names that differ only in where a dot falls hash differently', () => {
    const whole = new Int32Array(2);
    const seen = new Set<string>();
    for (const text of ['abcd.efgh', 'abcdefgh', 'abc.defgh', 'abcde.fgh', 'a.bcdefgh', 'abcdefg.h', 'ab.cd.ef.gh']) {
      hashWhole(text, whole);
      seen.add(`${whole[0]}:${whole[1]}`);
    }
    assert.equal(seen.size, 7);
  });
});

describe('suffix table', () => {
  test('a lookup answers what a suffix walk over the same entries answers, on any entries and hosts', () => {
    const hashes = new HostHashes();
    const values = new Int32Array(16);
    const idx = new Int32Array(16);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.nat(1000), fc.boolean()), { maxLength: 60 }),
        fc.array(fc.tuple(fc.array(label, { maxLength: 3 }), fc.nat()), { minLength: 1, maxLength: 20 }),
        fc.array(name, { maxLength: 10 }),
        (entries, derived, others) => {
          const table = SuffixTable.build(entries);
          const map = new Map<string, [number, boolean]>();
          for (const [domain, value, exactOnly] of entries) map.set(domain, [value, exactOnly]);
          // hosts under the entries (hits and subdomain hits) and unrelated names (mostly misses)
          const hosts = [...others];
          for (const [prefix, pick] of derived) if (entries.length > 0) hosts.push([...prefix, entries[pick % entries.length]![0]].join('.'));
          for (const host of hosts) {
            hashHostSuffixes(host, hashes);
            const n = table.lookup(hashes, values, idx);
            assert.deepEqual(answer(host, hashes, n, values, idx), reference(map, host), host);
            // the same lookup in two halves, as the engine does it
            table.prepare(hashes);
            const m = table.lookupPrepared(hashes, values, idx);
            assert.deepEqual(answer(host, hashes, m, values, idx), reference(map, host), host);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a prepared lookup is not reused once the hashes hold another host', () => {
    const table = SuffixTable.build([
      ['blocked.example', 1, false],
      ['other.example', 2, false],
    ]);
    const hashes = new HostHashes();
    const values = new Int32Array(4);
    const idx = new Int32Array(4);
    hashHostSuffixes('www.blocked.example', hashes);
    table.prepare(hashes);
    hashHostSuffixes('www.other.example', hashes);
    assert.equal(table.lookupPrepared(hashes, values, idx), 1);
    assert.equal(values[0], 2);
    hashHostSuffixes('unlisted.example', hashes);
    table.prepare(hashes);
    hashHostSuffixes('blocked.example', hashes);
    assert.equal(table.lookupPrepared(hashes, values, idx), 1);
    assert.equal(values[0], 1);
  });

  test('a prepared lookup on another table does not stand for this one', () => {
    const a = SuffixTable.build([['blocked.example', 1, false]]);
    const b = SuffixTable.build([['blocked.example', 7, false]]);
    const hashes = new HostHashes();
    const values = new Int32Array(4);
    const idx = new Int32Array(4);
    hashHostSuffixes('blocked.example', hashes);
    a.prepare(hashes);
    assert.equal(b.lookupPrepared(hashes, values, idx), 1);
    assert.equal(values[0], 7);
    assert.equal(a.lookupPrepared(hashes, values, idx), 1);
    assert.equal(values[0], 1);
  });
});
