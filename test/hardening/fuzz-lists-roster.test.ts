// Junk in the files an administrator imports: block lists in every format (parsed and imported
// into a data folder) and the roster CSV (parsed and imported into the people store). Every junk
// line is reported with its line number, every good line is kept, and an import that fails
// leaves the data folder and the store exactly as they were.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { importList, normaliseEntry, parseListFile, type ListFormat, type ParsedList } from '../../src/catalog/index.ts';
import { isHedgerowError } from '../../src/errors/index.ts';
import { PeopleStore, parseRoster, type RosterPolicy } from '../../src/identity/index.ts';
import { loadPolicy } from '../../src/policy/index.ts';
import { fuzzCount, fuzzSeed, mutateText, Rng } from './support/fuzz-random.ts';

const SEED = fuzzSeed();
const root = fileURLToPath(new URL('../../examples/reference/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hedgerow-fuzz-lists-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const GOOD_NAMES = ['blocked.example', 'ads.example.org', 'www.blocked.example', 'b\u00fccher.example', 'under_score.example', 'x-1.example.net', 'tracker.example.co.uk'];
/** lines no list format can read as a host, whatever the format */
const JUNK = ['not a host at all', 'a/b/c', 'http://', 'bad*wild.example', 'exa mple.com x y', '*.*.example', 'host\u0000name.example', 'singlelabel', '1.2.3.999', 'x'.repeat(300) + '.example', 'xn--zz.example', '<script>.example', '..', '@@', '||*^'];

function line(format: ListFormat, name: string): string {
  switch (format) {
    case 'hosts':
      return `0.0.0.0 ${name}`;
    case 'adblock':
      return `||${name}^`;
    case 'tsv':
      return `${name}\tcustom/fuzz`;
    default:
      return name;
  }
}

interface BuiltList {
  text: string;
  goodLines: Map<number, string>;
  junkLines: Set<number>;
  lines: number;
}

/** A list with good, junk, comment and mutated lines, each line's kind known where it can be. */
function buildList(rng: Rng, format: Exclude<ListFormat, 'ut1'>): BuiltList {
  const out: string[] = [];
  const goodLines = new Map<number, string>();
  const junkLines = new Set<number>();
  const count = rng.range(1, 60);
  for (let i = 0; i < count; i++) {
    const n = out.length + 1;
    const roll = rng.int(10);
    if (roll < 4) {
      const name = rng.pick(GOOD_NAMES);
      goodLines.set(n, name);
      out.push(line(format, rng.chance(0.2) ? name.toUpperCase() : name));
    } else if (roll < 6) {
      junkLines.add(n);
      out.push(format === 'tsv' && rng.chance(0.3) ? `${rng.pick(GOOD_NAMES)}\tnot a category` : format === 'hosts' && rng.chance(0.3) ? `not-an-address ${rng.pick(GOOD_NAMES)}` : line(format, rng.pick(JUNK)));
    } else if (roll < 7) {
      out.push(rng.pick(['', '# a comment', format === 'adblock' ? '! title' : '   ', '\t']));
    } else {
      // unknown by construction: only the invariants below are checked for it
      out.push(mutateText(rng, line(format, rng.pick([...GOOD_NAMES, ...JUNK, 'fe80::1%lo0', '[::1]', '192.0.2.10'])), 4000).replace(/[\r\n]/g, ''));
    }
  }
  const eol = rng.pick(['\n', '\r\n']);
  const text = (rng.chance(0.1) ? '\ufeff' : '') + out.join(eol) + (rng.chance(0.5) ? eol : '');
  if (text.startsWith('\ufeff')) {
    // a byte-order mark makes the first line's kind uncertain
    goodLines.delete(1);
    junkLines.delete(1);
  }
  return { text, goodLines, junkLines, lines: out.length };
}

function checkParsed(list: ParsedList, built: BuiltList, file: string, label: string): void {
  const rawLines = built.text.split('\n').map((l) => l.replace(/\r$/, ''));
  for (const problem of list.problems) {
    assert.equal(problem.file, file, label);
    assert.ok(Number.isInteger(problem.line) && problem.line >= 1 && problem.line <= built.lines, `${label}: problem on line ${problem.line} of ${built.lines}`);
    const raw = rawLines[problem.line - 1]!;
    assert.equal(problem.text, raw.length > 200 ? `${raw.slice(0, 200)}…` : raw, `${label}: the problem quotes another line`);
    assert.ok(problem.message.length > 0);
  }
  const problemLines = new Set(list.problems.map((p) => p.line));
  for (const n of built.junkLines) assert.ok(problemLines.has(n), `${label}: junk line ${n} ${JSON.stringify(rawLines[n - 1])} was not reported`);
  const domains = new Set(list.entries.map((e) => e.domain));
  for (const [n, name] of built.goodLines) {
    const expected = normaliseEntry(name);
    assert.equal(expected.kind, 'domain');
    assert.ok(domains.has((expected as { value: string }).value), `${label}: good line ${n} (${name}) is missing`);
    assert.ok(!problemLines.has(n), `${label}: good line ${n} was reported as junk`);
  }
  // whatever was kept is a host the catalogue can match
  for (const entry of list.entries) assert.deepEqual(normaliseEntry(entry.domain), { kind: 'domain', value: entry.domain }, label);
  for (const entry of list.ips) assert.equal(normaliseEntry(entry.ip).kind, 'ip', label);
}

/** Every file under a folder with its bytes, to see that a failed import changed nothing. */
function snapshotFolder(folder: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (at: string): void => {
    let names: string[];
    try {
      names = readdirSync(at);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(path, readFileSync(path).toString('base64'));
    }
  };
  walk(folder);
  return files;
}

describe('block lists with junk lines', () => {
  it('reports every junk line by number, keeps every good line, and imports all of it or nothing', (t) => {
    const rng = new Rng(SEED).fork();
    const count = fuzzCount(300);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    let imported = 0;
    let refused = 0;
    let problems = 0;
    const formats = ['domains', 'hosts', 'adblock', 'tsv'] as const;
    for (let i = 0; i < count; i++) {
      const format = formats[i % formats.length]!;
      const built = buildList(rng, format);
      const file = join(dir, `list-${i}.txt${rng.chance(0.2) ? '.gz' : ''}`);
      writeFileSync(file, file.endsWith('.gz') ? gzipSync(Buffer.from(built.text, 'utf8')) : built.text);
      const label = `${format} list ${i} (seed ${SEED})`;
      const parsed = parseListFile(file, format);
      checkParsed(parsed, built, file, label);
      problems += parsed.problems.length;
      // importing rebuilds the catalogue: every tenth list, to keep the run short
      if (i % 10 !== 0) continue;
      const before = snapshotFolder(dataDir);
      try {
        const report = importList(dataDir, file, { format, name: 'fuzz' });
        imported++;
        assert.deepEqual(report.skipped, parsed.problems, label);
        const stored = gunzipSync(readFileSync(join(dataDir, 'lists', 'fuzz.tsv.gz'))).toString('utf8');
        const storedNames = new Set(stored.split('\n').filter((l) => l !== '').map((l) => l.split('\t')[0]!));
        assert.deepEqual(storedNames, new Set([...parsed.entries.map((e) => e.domain), ...parsed.ips.map((e) => e.ip)]), `${label}: the stored list is not the parsed one`);
      } catch (error) {
        assert.ok(isHedgerowError(error) && /^HR_CATALOG_/.test(error.code), `${label}: import threw ${String(error)}`);
        refused++;
        assert.equal(parsed.entries.length + parsed.ips.length, 0, `${label}: a list with good lines was refused: ${String(error)}`);
        assert.deepEqual(snapshotFolder(dataDir), before, `${label}: a refused import changed the data folder`);
      }
    }
    assert.ok(imported > 0 && problems > 0);
    t.diagnostic(`seed ${SEED}: ${count} lists parsed (${problems} junk lines reported), ${imported} imported, ${refused} refused whole`);
  });

  it('regression: refuses a gzip bomb and an endless device with HR_CATALOG_READ instead of reading them', () => {
    // Found by this suite: lists were read and unpacked without a limit, so a small gzip file of
    // many members could ask for gigabytes and `/dev/zero` was read forever.
    const member = gzipSync(Buffer.alloc(1024 * 1024, 0x61));
    const bomb = join(dir, 'bomb.txt.gz');
    writeFileSync(bomb, Buffer.concat(Array.from({ length: 257 }, () => member)));
    assert.ok(statSync(bomb).size < 512 * 1024);
    for (const path of [bomb, '/dev/zero']) {
      assert.throws(
        () => parseListFile(path, 'domains'),
        (error: unknown) => isHedgerowError(error) && error.code === 'HR_CATALOG_READ' && /limit|not a regular file/.test(error.message),
      );
    }
  });

  it('regression: reads the macOS hosts line `fe80::1%lo0 localhost` and zoned addresses instead of throwing', () => {
    // Found by this suite: an IPv6 address with a zone passed the address check but not the URL
    // parser, and the exception stopped the whole import.
    const hosts = join(dir, 'hosts');
    writeFileSync(hosts, '127.0.0.1 localhost\nfe80::1%lo0 localhost\n0.0.0.0 blocked.example\n');
    const parsed = parseListFile(hosts, 'hosts');
    assert.deepEqual(parsed.entries.map((e) => e.domain), ['blocked.example']);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(normaliseEntry('fe80::1%eth0'), { kind: 'ip', value: 'fe80::1' });
    assert.deepEqual(normaliseEntry('[fe80::1%25eth0]'), { kind: 'ip', value: 'fe80::1' });
  });

  it('refuses a corrupt gzip list and a missing file with HR_CATALOG_READ', () => {
    const corrupt = join(dir, 'corrupt.txt.gz');
    writeFileSync(corrupt, gzipSync(Buffer.from('blocked.example\n'.repeat(100))).subarray(0, 30));
    for (const path of [corrupt, join(dir, 'missing.txt')]) {
      assert.throws(() => parseListFile(path, 'domains'), (error: unknown) => isHedgerowError(error) && error.code === 'HR_CATALOG_READ');
    }
  });
});

describe('roster CSV files with junk rows', () => {
  const loaded = loadPolicy(join(root, 'school.yaml'));
  if (!loaded.policy) throw new Error('the reference policy does not load');
  const policy = loaded.policy;
  const roles = Object.keys(policy.roles);
  const rosterPolicy: RosterPolicy = { roles, groups: Object.keys(policy.groups), childRoles: roles.filter((r) => policy.roles[r]!.child) };
  const GOOD = readFileSync(join(root, 'roster.csv'), 'utf8');
  const NOW = Date.parse('2026-11-24T10:00:00Z');
  const options = { file: 'roster.csv', policy: rosterPolicy, timeZone: 'Europe/London', now: NOW };
  const JUNK_ROWS = [
    'Ada Fernleigh,ada fernleigh,pupil,Year 4,2017-03-05,,,',
    'Ada Fernleigh,ada.fernleigh,wizard,,,,,',
    'Ada Fernleigh,ada.fernleigh,pupil,Year 99,2017-03-05,,,',
    'Ada Fernleigh,ada.fernleigh,pupil,Year 4,31/02/2017,,,',
    'Ada Fernleigh,ada.fernleigh,pupil,Year 4,2099-01-01,,,',
    'Ada Fernleigh,ada.fernleigh,pupil,Year 4,,,,',
    ',ada.fernleigh,teacher,,,,,',
    'Ada Fernleigh,ada.fernleigh,teacher,,,,not-an-email,',
    'Ada Fernleigh,ada.fernleigh,teacher,,,,,ada.fernleigh',
    'Ada Fernleigh,ada.fernleigh,teacher,,,no-such-group,,',
    'too,few,columns',
    'Ada\u0007Fernleigh,ada.fernleigh,teacher,,,,,',
    `${'A'.repeat(300)},ada.fernleigh,teacher,,,,,`,
  ];

  it('reports every junk row by its line, and the store imports all rows or none', (t) => {
    const rng = new Rng(SEED).fork().fork();
    const count = fuzzCount(300);
    const storeDir = mkdtempSync(join(dir, 'people-'));
    let store = PeopleStore.open(storeDir, { clock: () => NOW });
    const baseline = store.importRoster(GOOD, options);
    assert.deepEqual(baseline.problems, []);
    const everyone = JSON.stringify(store.list({ includeInactive: true }));
    let refused = 0;
    let accepted = 0;
    try {
      for (let i = 0; i < count; i++) {
        const lines = GOOD.trimEnd().split('\n');
        const junk = new Set<number>();
        for (let k = rng.int(4); k > 0; k--) {
          const at = rng.range(2, lines.length + 1);
          lines.splice(at - 1, 0, rng.pick(JUNK_ROWS));
          // rows after it move down one line
          const moved = [...junk].map((n) => (n >= at ? n + 1 : n));
          junk.clear();
          for (const n of moved) junk.add(n);
          junk.add(at);
        }
        let text = lines.join(rng.pick(['\n', '\r\n'])) + '\n';
        const mutated = rng.chance(0.3);
        if (mutated) text = mutateText(rng, text, 200_000);
        const label = `roster ${i} (seed ${SEED})`;
        let parsed: ReturnType<typeof parseRoster>;
        try {
          parsed = parseRoster(text, options);
        } catch (error) {
          assert.ok(isHedgerowError(error) && error.code === 'HR_IDENTITY_ROSTER', `${label}: threw ${String(error)}`);
          continue;
        }
        // CR LF, LF and a lone CR (old Mac files) each end a line
        const lineCount = text.split(/\r\n|\r|\n/).length;
        for (const problem of parsed.problems) {
          if (!(Number.isInteger(problem.line) && problem.line >= 1 && problem.line <= lineCount)) writeFileSync(join(tmpdir(), `hedgerow-fuzz-roster-${SEED}-${i}.csv`), text, 'latin1');
          assert.ok(Number.isInteger(problem.line) && problem.line >= 1 && problem.line <= lineCount, `${label}: problem on line ${problem.line} of ${lineCount}: ${JSON.stringify(problem)}`);
          assert.ok(problem.field.length > 0 && problem.message.length > 0, label);
        }
        if (!mutated) {
          const problemLines = new Set(parsed.problems.map((p) => p.line));
          for (const n of junk) assert.ok(problemLines.has(n), `${label}: junk row on line ${n} ${JSON.stringify(lines[n - 1])} was not reported (${JSON.stringify(parsed.problems)})`);
        }
        const result = store.importRoster(text, options);
        if (result.problems.length > 0) {
          refused++;
          assert.equal(result.imported + result.updated, 0, label);
          assert.equal(JSON.stringify(store.list({ includeInactive: true })), everyone, `${label}: a refused roster changed the store`);
        } else {
          accepted++;
          assert.equal(result.imported + result.updated, parsed.people.length, label);
          // put the store back as the baseline left it, for the next comparison
          if (result.imported > 0 || JSON.stringify(store.list({ includeInactive: true })) !== everyone) {
            store.close();
            rmSync(storeDir, { recursive: true, force: true });
            store = PeopleStore.open(storeDir, { clock: () => NOW });
            store.importRoster(GOOD, options);
          }
        }
      }
    } finally {
      store.close();
    }
    assert.ok(refused > count / 3, `refused ${refused}`);
    t.diagnostic(`seed ${SEED}: ${count} rosters, ${refused} refused whole with their lines, ${accepted} accepted`);
  });

  it('regression: reports each row by its own line in a file that mixes CR LF, LF and lone CR endings', () => {
    // Found by this suite: csv-parse counted a CR LF as two lines once it had seen a bare LF, so
    // problems further down pointed at lines past the end of the file.
    const text = ['name,username,role,year group,date of birth', 'Ada Fernleigh,ada.fernleigh,teacher,,', 'Bo Marsh,bo.marsh,wizard,,', 'Cy Reed,cy.reed,teacher,,', 'Di Vale,di.vale,wizard,,'].join('\n').replace('teacher,,\nBo', 'teacher,,\r\nBo').replace('teacher,,\nDi', 'teacher,,\rDi');
    const { problems } = parseRoster(`${text}\n`, options);
    assert.deepEqual(problems.map((p) => [p.line, p.field]), [[3, 'role'], [5, 'role']]);
  });

  it('reports an unclosed quote as a CSV problem with a line, not a throw', () => {
    const { people, problems } = parseRoster(`${GOOD.trimEnd()}\n"Ada Fernleigh,ada.fernleigh,teacher,,,,,\n`, options);
    assert.deepEqual(people, []);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.field, 'csv');
    assert.ok(problems[0]!.line >= 1);
  });
});
