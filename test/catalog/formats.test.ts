import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isHedgerowError } from '../../src/errors/index.ts';
import { parseListFile } from '../../src/catalog/index.ts';

const root = mkdtempSync(join(tmpdir(), 'hedgerow-formats-'));
after(() => rmSync(root, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(root, name);
  writeFileSync(path, content);
  return path;
}

describe('list formats', () => {
  test('reads a plain domain list, normalising case, trailing dots, wildcards and IDN', () => {
    const path = file('plain.txt', ['# a comment', '', 'Blocked.Example.', '*.wild.example', '.dot.example', 'bücher.example', 'inline.example # note'].join('\n'));
    const parsed = parseListFile(path, 'domains', { category: 'games' });
    assert.deepEqual(
      parsed.entries.map((e) => e.domain),
      ['blocked.example', 'wild.example', 'dot.example', 'xn--bcher-kva.example', 'inline.example'],
    );
    assert.deepEqual(parsed.entries[0]!.categories, ['custom/games']);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.lines, 7);
  });

  test('reports junk lines with their line numbers and keeps the rest', () => {
    const path = file('junk.txt', ['good.example', 'not a host', 'bad_host!.example', 'localhost', 'a.*.example', 'http://url.example/path', 'second.example', '1.2.3'].join('\n'));
    const parsed = parseListFile(path, 'domains', { category: 'blp/test' });
    assert.deepEqual(parsed.entries.map((e) => e.domain), ['good.example', 'second.example']);
    assert.deepEqual(parsed.problems.map((p) => p.line), [2, 3, 4, 5, 6, 8]);
    assert.equal(parsed.problems[0]!.file, path);
    assert.equal(parsed.problems[0]!.text, 'not a host');
    assert.match(parsed.problems[2]!.message, /single-label/);
    assert.deepEqual(parsed.entries[0]!.categories, ['blp/test'], 'a category with a source keeps it');
  });

  test('keeps IP entries as IP rules, normalising IPv6', () => {
    const path = file('ips.txt', ['192.0.2.10', '2001:DB8:0:0::1', 'ip.example', '192.0.2.0/24'].join('\n'));
    const parsed = parseListFile(path, 'domains', { category: 'x' });
    assert.deepEqual(parsed.ips.map((e) => e.ip), ['192.0.2.10', '2001:db8::1']);
    assert.deepEqual(parsed.entries.map((e) => e.domain), ['ip.example']);
    assert.deepEqual(parsed.problems.map((p) => p.line), [4]);
  });

  test('reads hosts files, skipping the machine\'s own names', () => {
    const path = file('hosts', ['127.0.0.1 localhost', '::1 ip6-localhost ip6-loopback', '0.0.0.0 ads.example tracker.example', '127.0.0.1\tsink.example # c', 'plain.example', 'nonsense ads2.example'].join('\n'));
    const parsed = parseListFile(path, 'hosts', { category: 'advertising' });
    assert.deepEqual(parsed.entries.map((e) => e.domain), ['ads.example', 'tracker.example', 'sink.example', 'plain.example']);
    assert.deepEqual(parsed.problems.map((p) => p.line), [6]);
  });

  test('reads adblock-style lists and reports rules it cannot express', () => {
    const path = file('adblock.txt', ['[Adblock Plus 2.0]', '! Title: test', '||blocked.example^', '||important.example^$important', '@@||allowed.example^', 'example.org##.banner', '||thirdparty.example^$third-party', '/banner/*.gif', '||path.example/ads^'].join('\n'));
    const parsed = parseListFile(path, 'adblock', { category: 'ads' });
    assert.deepEqual(parsed.entries.map((e) => e.domain), ['blocked.example', 'important.example']);
    assert.deepEqual(parsed.problems.map((p) => p.line), [5, 6, 7, 8, 9]);
  });

  test('reads tsv lines with their own categories and reports malformed ones', () => {
    const path = file('cats.tsv', ['one.example\tut1/gambling,ut1/games', 'two.example\tblp/phishing', 'three.example', 'four.example\tnot-a-source-name'].join('\n'));
    const parsed = parseListFile(path, 'tsv');
    assert.deepEqual(parsed.entries, [
      { domain: 'one.example', categories: ['ut1/gambling', 'ut1/games'] },
      { domain: 'two.example', categories: ['blp/phishing'] },
    ]);
    assert.deepEqual(parsed.problems.map((p) => p.line), [3, 4]);
  });

  test('detects gzip by its magic bytes whatever the file is called', () => {
    const path = file('list.txt', gzipSync(Buffer.from('gz.example\n# c\nother.example\n')));
    const parsed = parseListFile(path, 'domains', { category: 'x' });
    assert.deepEqual(parsed.entries.map((e) => e.domain), ['gz.example', 'other.example']);
  });

  test('reads a UT1 folder, naming categories ut1/<folder> and taking the host part of urls', () => {
    const ut1 = join(root, 'ut1');
    mkdirSync(join(ut1, 'gambling'), { recursive: true });
    mkdirSync(join(ut1, 'social_networks'), { recursive: true });
    writeFileSync(join(ut1, 'gambling', 'domains'), 'bet.example\n192.0.2.10\n');
    writeFileSync(join(ut1, 'gambling', 'urls'), 'casino.example/play/now\n');
    writeFileSync(join(ut1, 'social_networks', 'domains'), gzipSync(Buffer.from('friends.example\nbet.example\nbad host\n')));
    writeFileSync(join(ut1, 'README'), 'not a category');
    const parsed = parseListFile(ut1, 'ut1');
    assert.deepEqual(parsed.entries, [
      { domain: 'bet.example', categories: ['ut1/gambling'] },
      { domain: 'casino.example', categories: ['ut1/gambling'] },
      { domain: 'friends.example', categories: ['ut1/social_networks'] },
      { domain: 'bet.example', categories: ['ut1/social_networks'] },
    ]);
    assert.deepEqual(parsed.ips, [{ ip: '192.0.2.10', categories: ['ut1/gambling'] }]);
    assert.equal(parsed.problems.length, 1);
    assert.equal(parsed.problems[0]!.file, join(ut1, 'social_networks', 'domains'));
    assert.equal(parsed.problems[0]!.line, 3);
  });

  test('an unreadable path is an HR_CATALOG_READ error', () => {
    for (const format of ['domains', 'ut1'] as const) {
      assert.throws(
        () => parseListFile(join(root, 'missing'), format),
        (e: unknown) => isHedgerowError(e) && e.code === 'HR_CATALOG_READ' && /missing/.test(e.message),
      );
    }
  });
});
