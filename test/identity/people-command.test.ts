import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { devicesCommand, peopleCommand, PeopleStore, type PeopleIo } from '../../src/identity/index.ts';

function io(dataDir: string, stdin = ''): PeopleIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { stdout, stderr, stdin: Readable.from([stdin]), env: { HEDGEROW_DATA: dataDir }, now: () => Date.parse('2026-11-24T10:00:00Z'), out: () => out, err: () => err };
}

function inTemp(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hedgerow-people-cli-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('`people import` reports each bad row as FILE:LINE: field: message, exits 1 and imports nothing', inTemp(async (dir) => {
  const file = join(dir, 'roster.csv');
  writeFileSync(file, 'name,username,role,year group,date of birth\nArlo Puddingstone,arlo.p,pupil,Year 4,2017-09-12\nNo Year,no.year,pupil,Year 9,2017-01-01\nWizard,wiz,wizard,,\n');
  const cli = io(join(dir, 'data'));
  assert.equal(await peopleCommand(['import', file], cli), 1);
  const lines = cli.err().trim().split('\n');
  assert.equal(lines[0], `${file}:3: year group: unknown year group \`Year 9\` (write it like \`Year 4\`, \`year-4\` or \`4\`)`);
  assert.match(lines[1]!, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4: role: unknown role \`wizard\``));
  assert.match(lines[2]!, /2 problems in `roster\.csv`; nothing was imported/);
  const store = PeopleStore.open(join(dir, 'data'));
  assert.deepEqual(store.list(), []);
  store.close();
}));

test('`people import` of the reference roster, then `people list` by group and as JSON', inTemp(async (dir) => {
  const data = join(dir, 'data');
  const first = io(data);
  assert.equal(await peopleCommand(['import', 'examples/reference/roster.csv'], first), 0);
  assert.match(first.out(), /^imported \d+ new, updated 0 from examples\/reference\/roster\.csv\n$/);
  const list = io(data);
  assert.equal(await peopleCommand(['list', '--group', 'class-6s', '--role', 'pupil'], list), 0);
  const rows = list.out().trim().split('\n');
  assert.ok(rows.length >= 5);
  for (const row of rows) assert.match(row, /^[a-z.]+\tpupil\tyear-6,class-6s\tage 1[01]\troster\t/);
  const json = io(data);
  assert.equal(await peopleCommand(['list', '--role', 'headteacher', '--json'], json), 0);
  const people = json.out().trim().split('\n').map((l) => JSON.parse(l) as { role: string; hasPassword: boolean });
  assert.equal(people.length, 1);
  assert.equal(people[0]!.role, 'headteacher');
  assert.ok(!json.out().includes('scrypt'));
}));

test('`people set-password` reads the password from standard input and `devices add` links a device', inTemp(async (dir) => {
  const data = join(dir, 'data');
  await peopleCommand(['import', 'examples/reference/roster.csv'], io(data));
  const setPw = io(data, 'Kingfisher-7\n');
  assert.equal(await peopleCommand(['set-password', 'Ada.Tinderbox'], setPw), 0);
  const add = io(data);
  assert.equal(await devicesCommand(['add', 'AA-BB-CC-00-11-22', 'ada.tinderbox'], add), 0);
  assert.equal(add.out(), 'aa:bb:cc:00:11:22 → ada.tinderbox\n');
  const store = PeopleStore.open(data);
  assert.equal(await store.verifyPassword('ada.tinderbox', 'Kingfisher-7'), true);
  assert.equal(store.personForDevice('aa:bb:cc:00:11:22')?.username, 'ada.tinderbox');
  store.close();
  const unknown = io(data);
  assert.equal(await devicesCommand(['add', 'library-pc-1', 'nobody.here'], unknown), 1);
  assert.match(unknown.err(), /HR_IDENTITY_UNKNOWN_PERSON: no person `nobody\.here`/);
  const empty = io(data, '');
  assert.equal(await peopleCommand(['set-password', 'ada.tinderbox'], empty), 1);
  assert.match(empty.err(), /no password on standard input/);
}));

test('usage errors exit 2 with the usage text', inTemp(async (dir) => {
  const cli = io(join(dir, 'data'));
  assert.equal(await peopleCommand(['import'], cli), 2);
  assert.match(cli.err(), /people import takes one FILE[\s\S]*Usage:/);
  assert.equal(await devicesCommand(['frobnicate'], io(join(dir, 'data'))), 2);
}));
