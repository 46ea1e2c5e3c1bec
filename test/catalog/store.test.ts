import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isHedgerowError } from '../../src/errors/index.ts';
import { catalogueStats, importList, loadCatalogue, snapshotPath, whichHost } from '../../src/catalog/index.ts';

const root = mkdtempSync(join(tmpdir(), 'hedgerow-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

function fresh(): string {
  const dir = join(root, `data-${counter++}`);
  mkdirSync(dir);
  return dir;
}

function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      if (f.isDirectory()) walk(join(d, f.name), `${prefix}${f.name}/`);
      else out.push(`${prefix}${f.name}:${readFileSync(join(d, f.name)).length}`);
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out.sort();
}

describe('catalogue store', () => {
  test('imports a list, reports skipped lines, and the loaded catalogue knows its entries', () => {
    const data = fresh();
    const src = join(root, 'games.txt');
    writeFileSync(src, 'play.example\nbad entry\nac.uk\n192.0.2.10\n');
    const report = importList(data, src, { format: 'domains', category: 'games' });
    assert.equal(report.name, 'games');
    assert.equal(report.domains, 2);
    assert.equal(report.ips, 1);
    assert.equal(report.exactOnly, 1);
    assert.deepEqual(report.skipped.map((p) => p.line), [2]);
    assert.equal(report.snapshotPath, snapshotPath(data));
    assert.ok(existsSync(join(data, 'lists', 'games.tsv.gz')));
    const { catalogue, fromSnapshot } = loadCatalogue(data);
    assert.equal(fromSnapshot, true);
    assert.deepEqual(whichHost(catalogue, 'www.play.example')[0]!.sourceCategories, ['custom/games']);
    assert.deepEqual(whichHost(catalogue, 'ox.ac.uk'), []);
    const stats = catalogueStats(catalogue, data);
    assert.deepEqual(stats.lists.games, { domains: 2, ips: 1 });
    assert.equal(stats.sourceCategories['custom/games'], 3);
    assert.equal(stats.files?.[0]?.name, 'games');
    // the starter catalogue is in by default
    assert.ok(whichHost(catalogue, 'www.tiktok.com').some((m) => m.lists.includes('starter')));
  });

  test('an import with an unreadable path changes nothing', () => {
    const data = fresh();
    const src = join(root, 'first.txt');
    writeFileSync(src, 'first.example\n');
    importList(data, src, { format: 'domains' });
    const before = listing(data);
    assert.throws(
      () => importList(data, join(root, 'no-such-file.txt'), { format: 'domains', name: 'first' }),
      (e: unknown) => isHedgerowError(e) && e.code === 'HR_CATALOG_READ',
    );
    assert.deepEqual(listing(data), before);
  });

  test('an import with no valid entry changes nothing', () => {
    const data = fresh();
    const src = join(root, 'junk.txt');
    writeFileSync(src, '# only junk\nnot a host\n!!!\n');
    assert.throws(() => importList(data, src, { format: 'domains' }), (e: unknown) => isHedgerowError(e) && e.code === 'HR_CATALOG_FORMAT');
    assert.deepEqual(listing(data), []);
  });

  test('re-importing a list under the same name replaces it', () => {
    const data = fresh();
    const src = join(root, 'swap.txt');
    writeFileSync(src, 'old.example\n');
    importList(data, src, { format: 'domains', name: 'swap' });
    writeFileSync(src, 'new.example\n');
    importList(data, src, { format: 'domains', name: 'swap' });
    const { catalogue } = loadCatalogue(data, { includeStarter: false });
    assert.deepEqual(whichHost(catalogue, 'old.example'), []);
    assert.equal(whichHost(catalogue, 'new.example').length, 1);
  });

  test('rebuilds a corrupt snapshot instead of trusting it', () => {
    const data = fresh();
    const src = join(root, 'c.txt');
    writeFileSync(src, 'kept.example\n');
    importList(data, src, { format: 'domains' });
    const path = snapshotPath(data);
    const bytes = readFileSync(path);
    bytes[bytes.length - 40]! ^= 0xff;
    writeFileSync(path, bytes);
    const first = loadCatalogue(data);
    assert.equal(first.fromSnapshot, false);
    assert.equal(whichHost(first.catalogue, 'kept.example').length, 1);
    assert.equal(loadCatalogue(data).fromSnapshot, true, 'the rebuilt snapshot is written back');
  });

  test('rebuilds when the lists no longer match the snapshot manifest', () => {
    const data = fresh();
    const src = join(root, 'm.txt');
    writeFileSync(src, 'manifest.example\n');
    importList(data, src, { format: 'domains' });
    assert.equal(loadCatalogue(data, { includeStarter: false }).fromSnapshot, false, 'starter choice is part of the manifest');
    rmSync(join(data, 'lists', 'm.tsv.gz'));
    const after = loadCatalogue(data, { includeStarter: false });
    assert.equal(after.fromSnapshot, false);
    assert.deepEqual(whichHost(after.catalogue, 'manifest.example'), []);
  });

  test('an empty data folder loads the starter catalogue alone', () => {
    const data = fresh();
    const { catalogue } = loadCatalogue(data);
    assert.ok(catalogue.domainCount > 100);
    assert.deepEqual(catalogue.listNames, ['starter']);
  });

  test('imports a UT1 folder as list ut1 with ut1/<folder> categories', () => {
    const data = fresh();
    const ut1 = join(root, 'blacklists');
    mkdirSync(join(ut1, 'liste_bu'), { recursive: true });
    mkdirSync(join(ut1, 'dating'), { recursive: true });
    writeFileSync(join(ut1, 'liste_bu', 'domains'), 'gov.au\nlibrary.example\n');
    writeFileSync(join(ut1, 'dating', 'domains'), 'meet.example\n');
    const report = importList(data, ut1, { format: 'ut1' });
    assert.equal(report.name, 'ut1');
    assert.equal(report.exactOnly, 1);
    const { catalogue } = loadCatalogue(data, { includeStarter: false });
    assert.deepEqual(whichHost(catalogue, 'health.gov.au'), []);
    assert.deepEqual(whichHost(catalogue, 'a.meet.example')[0]!.sourceCategories, ['ut1/dating']);
  });
});
