import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCodes } from '../../src/errors/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('docs/errors.md lists exactly the codes in src/errors/codes.ts, with the same status and meaning', () => {
  const rows = readFileSync(join(root, 'docs/errors.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| HR_'))
    .map((line) => line.split('|').map((cell) => cell.trim()));
  const documented = Object.fromEntries(rows.map((cells) => [cells[1], { status: cells[2], summary: cells[3] }]));
  assert.deepEqual(Object.keys(documented).sort(), Object.keys(errorCodes).sort());
  for (const [code, info] of Object.entries(errorCodes)) {
    assert.equal(documented[code]!.summary, info.summary, code);
    assert.equal(documented[code]!.status, String(info.status), code);
  }
});

test('every HR_ code used in the sources is defined', () => {
  const used = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) for (const match of readFileSync(path, 'utf8').matchAll(/'(HR_[A-Z_]+)'/g)) used.add(match[1]!);
    }
  };
  walk(join(root, 'src'));
  const undefinedCodes = [...used].filter((code) => !(code in errorCodes));
  assert.deepEqual(undefinedCodes, []);
});
