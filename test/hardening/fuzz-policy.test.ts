// The reference policy, mutated line by line and byte by byte, read by `loadPolicy` and
// `lintPolicy` from temp files: every result is either a policy or a list of coded problems with
// the file and line, never an exception; YAML alias bombs and endless files are refused at once.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { lintPolicy, loadPolicy, type PolicyProblem } from '../../src/policy/index.ts';
import { fuzzCount, fuzzSeed, mutateText, Rng } from './support/fuzz-random.ts';

const SEED = fuzzSeed();
const reference = fileURLToPath(new URL('../../examples/reference/', import.meta.url));
const SCHOOL = readFileSync(join(reference, 'school.yaml'), 'utf8');
const COUNCIL = readFileSync(join(reference, 'council.yaml'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'hedgerow-fuzz-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** problems that are about a file as a whole (it cannot be read) have no line to point at */
const WHOLE_FILE = new Set(['HR_POLICY_READ']);

const SCALARS = ['~', 'null', '[]', '{}', '""', "''", '0', '-1', '1e309', '0x10', '.nan', 'yes', 'no', 'on', '2026-02-30', '"8.1"', '8.1', '*nowhere', '&a', '!!binary aGVsbG8=', '!!js/function "x"', '!custom x', '|', '>-', '? complex', `"${'x'.repeat(5000)}"`, '"\\u0000"', "'\u202e'", '"<script>alert(1)</script>"', '[a, [b, [c, [d]]]]', '@reserved', '`tick`', '%YAML 1.1'];

/** One line-level change that keeps most of the YAML readable, so the schema and the merge see it. */
function mutateLines(rng: Rng, text: string): string {
  const lines = text.split('\n');
  for (let step = rng.range(1, 3); step > 0; step--) {
    const at = rng.int(lines.length);
    const line = lines[at]!;
    switch (rng.int(8)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, line);
        break;
      case 2: {
        const other = rng.int(lines.length);
        [lines[at], lines[other]] = [lines[other]!, line];
        break;
      }
      case 3:
        lines[at] = rng.chance(0.5) ? `  ${line}` : line.replace(/^ {1,2}/, '');
        break;
      case 4: {
        // a value replaced by an odd scalar
        const colon = line.indexOf(': ');
        if (colon > 0) lines[at] = `${line.slice(0, colon + 2)}${rng.pick(SCALARS)}`;
        break;
      }
      case 5: {
        // a key renamed
        const colon = line.indexOf(':');
        if (colon > 0) lines[at] = `${line.slice(0, colon).replace(/[a-z]+$/i, rng.pick(['id', 'extends', 'rules', 'x', 'lock', 'layer', 'clauses', '__proto__', 'constructor']))}${line.slice(colon)}`;
        break;
      }
      case 6:
        // an id or a name swapped for another one the file uses (duplicates, dangling references)
        lines[at] = line.replace(/\b(pupil|staff|teacher|social-media|8\.1|7\.7|lesson-time)\b/, rng.pick(['pupil', 'teacher', 'social-media', 'nonsense', '8.1', '99.9', 'lesson-time']));
        break;
      default:
        lines.splice(at, 0, rng.pick(['extends: school.yaml', 'extends: council.yaml', 'extends: /dev/zero', 'extends: ../../../../etc/passwd', 'extends: missing.yaml', '---', '...', '\t', 'key: [unclosed', 'a: &x 1', 'b: *x']));
    }
  }
  return lines.join('\n');
}

function checkProblems(problems: readonly PolicyProblem[], label: string): void {
  assert.ok(Array.isArray(problems), label);
  for (const problem of problems) {
    assert.match(problem.code, /^HR_POLICY_[A-Z_]+$/, `${label}: code ${problem.code}`);
    assert.equal(typeof problem.message, 'string');
    assert.ok(problem.message.length > 0, `${label}: an empty message`);
    // a clear message is a sentence, not a dump (a Buffer's method names listed as unknown fields)
    assert.ok(problem.message.length < 1000, `${label}: a message of ${problem.message.length} characters: ${problem.message.slice(0, 200)}…`);
    assert.ok(problem.where.file, `${label}: no file for ${problem.code} ${problem.message}`);
    if (!WHOLE_FILE.has(problem.code)) assert.ok(Number.isInteger(problem.where.line) && problem.where.line! >= 1, `${label}: no line for ${problem.code} ${problem.message} (${JSON.stringify(problem.where)})`);
  }
}

describe('policy files under hostile edits', () => {
  it('answers every mutated reference policy with a policy or coded problems with file and line, never a throw', (t) => {
    const rng = new Rng(SEED).fork();
    const count = fuzzCount(120);
    let loaded = 0;
    const codes = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const school = join(dir, `school-${i}.yaml`);
      const mutateCouncil = rng.chance(0.3);
      const council = join(dir, `council-${i}.yaml`);
      const mutate = (text: string): string => (rng.chance(0.7) ? mutateLines(rng, text) : mutateText(rng, text, 200_000));
      writeFileSync(council, mutateCouncil ? mutate(COUNCIL) : COUNCIL);
      writeFileSync(school, (mutateCouncil ? SCHOOL : mutate(SCHOOL)).replace(/^extends: council\.yaml$/m, `extends: council-${i}.yaml`));
      const label = `input ${i} (seed ${SEED})`;
      let result: ReturnType<typeof loadPolicy>;
      // lint reads the files again (every fourth input, to keep the run short)
      let linted: PolicyProblem[] | null = null;
      try {
        result = loadPolicy(school);
        if (i % 4 === 0) linted = lintPolicy(school);
      } catch (error) {
        // keep the input that broke it, for a regression test
        writeFileSync(join(tmpdir(), `hedgerow-fuzz-policy-failure-${i}.yaml`), readFileSync(school));
        assert.fail(`${label}: threw ${(error as Error).stack}`);
      }
      checkProblems(result.problems, label);
      if (linted) {
        checkProblems(linted, label);
        assert.equal(linted.length, result.problems.length, `${label}: lint and load disagree`);
      }
      if (result.policy) loaded++;
      else assert.ok(result.problems.length > 0, `${label}: no policy and no problem`);
      for (const p of result.problems) codes.set(p.code, (codes.get(p.code) ?? 0) + 1);
      rmSync(school);
      rmSync(council);
    }
    // the mutations reach the schema and the merge, not only the YAML reader
    assert.ok((codes.get('HR_POLICY_YAML') ?? 0) > 0 && (codes.get('HR_POLICY_SCHEMA') ?? 0) > 0, JSON.stringify([...codes]));
    t.diagnostic(`seed ${SEED}: ${count} mutated policies, ${loaded} still load; problems ${JSON.stringify(Object.fromEntries(codes))}`);
  });

  it('regression: refuses a YAML alias bomb with a coded problem at its first alias, quickly', () => {
    // Found by this suite: the yaml library's alias limit threw out of loadPolicy instead of
    // becoming a problem.
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let k = 1; k < 9; k++) {
      const prev = String.fromCharCode(96 + k);
      const name = String.fromCharCode(97 + k);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const file = join(dir, 'bomb.yaml');
    writeFileSync(file, `hedgerow: 1\nlayer: school\nid: bomb\nname: Bomb\n${levels.join('\n')}\n`);
    const started = performance.now();
    const { policy, problems } = loadPolicy(file);
    const ms = performance.now() - started;
    assert.equal(policy, null);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.code, 'HR_POLICY_YAML');
    assert.match(problems[0]!.message, /aliases/);
    assert.equal(problems[0]!.where.line, 6);
    // a generous bound that only an expanding bomb could break
    assert.ok(ms < 2_000, `took ${ms.toFixed(0)} ms`);
  });

  it('regression: refuses a parent layer that is a device (`extends: /dev/zero`) instead of reading it forever', () => {
    // Found by this suite: the file was read before its size was checked, so an endless device
    // never returned.
    const file = join(dir, 'device.yaml');
    writeFileSync(file, 'hedgerow: 1\nlayer: school\nid: s\nname: S\nextends: /dev/zero\n');
    const { policy, problems } = loadPolicy(file);
    assert.equal(policy, null);
    assert.deepEqual(
      problems.map((p) => [p.code, p.message, p.where.line ?? null]),
      [
        ['HR_POLICY_READ', 'cannot read the policy: not a regular file', null],
        ['HR_POLICY_LAYERS', 'parent layer `/dev/zero` cannot be read', 5],
      ],
    );
  });

  it('regression: answers an empty file and YAML 1.1 tags with one clear problem each, at a line', () => {
    // Found by this suite: an empty file's problem had no line, and `!!binary` made a value a
    // Buffer whose method names came back as a hundred "unknown fields".
    const cases: Array<[string, RegExp, number]> = [
      ['', /holds no policy/, 1],
      ['# nothing but a comment\n', /holds no policy/, 1],
      ['- a list\n', /must be a mapping/, 1],
      ['!!binary aGVsbG8=\n', /must be a mapping/, 1],
      ['hedgerow: 1\nlayer: school\nid: s\nname: !!set {a}\n', /must be string/, 4],
    ];
    for (const [text, message, line] of cases) {
      const file = join(dir, 'odd.yaml');
      writeFileSync(file, text);
      const problems = lintPolicy(file).filter((p) => message.test(p.message));
      assert.equal(problems.length, 1, `${JSON.stringify(text)}: ${JSON.stringify(lintPolicy(file))}`);
      assert.equal(problems[0]!.where.line, line);
      checkProblems(lintPolicy(file), JSON.stringify(text));
    }
  });

  it('regression: quotes only the start of a huge token or key in a problem', () => {
    // Found by this suite: problems quoted the whole offending token, a line of 70 KB included.
    const file = join(dir, 'long.yaml');
    for (const text of [`hedgerow: 1\nlayer: school\nname: "${'/'.repeat(70_000)}\nid: "x\n`, `hedgerow: 1\nlayer: school\nid: s\nname: S\n${'A'.repeat(900)}: 1\n`]) {
      writeFileSync(file, text);
      const problems = lintPolicy(file);
      assert.ok(problems.length > 0);
      for (const problem of problems) assert.ok(problem.message.length <= 300, `${problem.message.length}: ${problem.message.slice(0, 100)}`);
    }
    const [unknown] = lintPolicy(file);
    assert.equal(unknown!.message, `unknown field \`${'A'.repeat(60)}…\``);
  });

  it('refuses a policy file over the size limit before parsing it', () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `hedgerow: 1\n# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const problems = lintPolicy(file);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.code, 'HR_POLICY_READ');
    assert.match(problems[0]!.message, /limit/);
  });

  it('reads deeply nested flow collections as problems, not a stack overflow', () => {
    const file = join(dir, 'deep.yaml');
    writeFileSync(file, `hedgerow: 1\nlayer: school\nid: s\nname: S\nrules: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    const problems = lintPolicy(file);
    checkProblems(problems, 'deep nesting');
    assert.ok(problems.length > 0);
  });
});
