// hedgerow.yaml is read at start: a file that would expand without bound is a clear problem with
// the file named, never a hang or a thrown error.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';

test('regression: a YAML alias bomb in hedgerow.yaml is refused as a problem naming the file, not thrown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hedgerow-config-bomb-'));
  const file = join(dir, 'hedgerow.yaml');
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let level = 1; level <= 9; level++) {
    const previous = `*a${level - 1}`;
    lines.push(`a${level}: &a${level} [${Array(10).fill(previous).join(', ')}]`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  const started = Date.now();
  const { config, problems } = loadConfig({ file, env: {} });
  assert.equal(config, null);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /cannot be expanded/);
  assert.equal(problems[0]!.where?.file, file);
  // refused at the alias count, long before the 10^10 entries it would expand to
  assert.ok(Date.now() - started < 5_000);
});
