// Small numbers: no count from 1 to N−1 is ever shown, and no hidden count can be worked out from
// what is shown. The second half is checked by an "attacker" that lists every value a hidden cell
// could take given everything the report shows, over many generated tables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatShown, protectBreakdown, protectCount, protectTable, type ProtectedLine, type ShownCount } from '../../src/reporting/index.ts';

const shownNumber = (s: ShownCount) => (s.kind === 'count' ? s.value : null);

describe('small numbers', () => {
  it('shows a single count below the threshold as "fewer than N", and zero and larger counts as they are', () => {
    assert.deepEqual(protectCount(0, 5), { kind: 'count', value: 0 });
    for (const n of [1, 2, 3, 4]) assert.deepEqual(protectCount(n, 5), { kind: 'fewer-than', below: 5 });
    assert.deepEqual(protectCount(5, 5), { kind: 'count', value: 5 });
    assert.equal(formatShown(protectCount(2, 5)), 'fewer than 5');
    assert.equal(formatShown(protectCount(1234, 5)), '1,234');
  });

  it('withholds the next smallest cell when one small cell would otherwise follow from the total', () => {
    const { total, cells } = protectBreakdown([12, 2, 7], 5);
    assert.deepEqual(total, { kind: 'count', value: 21 });
    assert.deepEqual(cells, [{ kind: 'count', value: 12 }, { kind: 'fewer-than', below: 5 }, { kind: 'withheld' }]);
  });

  it('hides the total too when no cell is large enough to cover a small one', () => {
    // 1 + 5 = 6: with the total shown, the small cell could only be 1
    const { total, cells } = protectBreakdown([1, 5], 5);
    assert.deepEqual(cells, [{ kind: 'fewer-than', below: 5 }, { kind: 'withheld' }]);
    assert.deepEqual(total, { kind: 'withheld' });
  });

  it('withholds a small total over two small cells, which would otherwise pin both (fewer than 3 over two cells means 1 each)', () => {
    const { total, cells } = protectBreakdown([1, 1, 0], 3);
    assert.deepEqual(total, { kind: 'withheld' });
    assert.deepEqual(cells, [{ kind: 'fewer-than', below: 3 }, { kind: 'fewer-than', below: 3 }, { kind: 'count', value: 0 }]);
    assert.deepEqual(protectBreakdown([2, 0], 3).total, { kind: 'fewer-than', below: 3 });
  });

  it('leaves a breakdown with no small cell alone', () => {
    const { total, cells } = protectBreakdown([12, 0, 7], 5);
    assert.deepEqual([total, ...cells].map(shownNumber), [19, 12, 0, 7]);
  });

  it('refuses a threshold below 1 and a negative count', () => {
    assert.throws(() => protectCount(3, 0), RangeError);
    assert.throws(() => protectTable([-1], [], 5), RangeError);
    assert.throws(() => protectTable([1, 2], [{ cells: [0, 5], margin: null }], 5), RangeError);
  });

  // Every value a small cell of a breakdown could take (and, for a withheld cell, whether it can
  // take more than one), given the shown cells, which cells are small (1..N−1) and which withheld
  // (N or more), and the total (shown, small or withheld).
  function feasibleValues(shown: readonly ShownCount[], below: number): Map<number, Set<number>> {
    const total = shown[0]!;
    const cells = shown.slice(1);
    const shownSum = cells.reduce((sum, c) => sum + (c.kind === 'count' ? c.value : 0), 0);
    const small = cells.map((c, i) => (c.kind === 'fewer-than' ? i : -1)).filter((i) => i >= 0);
    const withheld = cells.map((c, i) => (c.kind === 'withheld' ? i : -1)).filter((i) => i >= 0);
    const out = new Map<number, Set<number>>();
    for (const i of [...small, ...withheld]) out.set(i, new Set());
    const combos = (k: number): number[][] => (k === 0 ? [[]] : combos(k - 1).flatMap((rest) => Array.from({ length: below - 1 }, (_, v) => [v + 1, ...rest])));
    for (const combo of combos(small.length)) {
      const smallSum = combo.reduce((a, b) => a + b, 0);
      const known = shownSum + smallSum;
      let withheldSums: number[] = [];
      if (total.kind === 'count') {
        const w = total.value - known;
        if (withheld.length === 0 ? w !== 0 : w < withheld.length * below) continue;
        withheldSums = [w];
      } else if (total.kind === 'fewer-than') {
        if (withheld.length > 0 || known < 1 || known > below - 1) continue;
        withheldSums = [0];
      } else {
        // an unknown total: the withheld cells may hold any large enough values
        withheldSums = [withheld.length * below, withheld.length * below + 1];
      }
      combo.forEach((v, j) => out.get(small[j]!)!.add(v));
      for (const w of withheldSums) {
        if (withheld.length === 1) out.get(withheld[0]!)!.add(w);
        else for (const i of withheld) for (const v of [below, below + 1]) out.get(i)!.add(v);
      }
    }
    return out;
  }

  it('never lets a hidden cell of a breakdown be worked out from its total and the other cells', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 14 }), { minLength: 1, maxLength: 5 }), fc.constantFrom(3, 5), (cells, below) => {
        const { total, cells: shown } = protectBreakdown(cells, below);
        const all = [total, ...shown];
        for (const s of all) if (s.kind === 'count') assert.ok(s.value === 0 || s.value >= below, `shown ${s.value} below ${below}`);
        all.forEach((s, i) => {
          const value = i === 0 ? cells.reduce((a, b) => a + b, 0) : cells[i - 1]!;
          if (s.kind === 'fewer-than') assert.ok(value >= 1 && value < below);
          if (s.kind === 'count') assert.equal(s.value, value);
        });
        const feasible = feasibleValues(all, below);
        for (const [i, values] of feasible) {
          if (shown[i]!.kind === 'fewer-than') assert.ok(values.has(cells[i]!), `the true value of cell ${i} is among the feasible ones`);
          assert.ok(values.size >= 2, `cell ${i} of ${JSON.stringify(cells)} is pinned to ${[...values]} by ${JSON.stringify(all)}`);
          if (total.kind === 'count' && shown[i]!.kind === 'fewer-than') {
            assert.equal(values.size, below - 1, `cell ${i} of ${JSON.stringify(cells)} keeps its whole range`);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('leaves no line of a linked table with a lone hidden entry or an uncovered small cell', () => {
    const table = fc.record({
      rows: fc.integer({ min: 1, max: 4 }),
      columns: fc.integer({ min: 1, max: 4 }),
      seed: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 16, maxLength: 16 }),
      below: fc.constantFrom(3, 5),
    });
    fc.assert(
      fc.property(table, ({ rows, columns, seed, below }) => {
        const cell = (r: number, c: number) => seed[r * 4 + c]!;
        const rowTotals = Array.from({ length: rows }, (_, r) => Array.from({ length: columns }, (_, c) => cell(r, c)).reduce((a, b) => a + b, 0));
        const columnTotals = Array.from({ length: columns }, (_, c) => Array.from({ length: rows }, (_, r) => cell(r, c)).reduce((a, b) => a + b, 0));
        const values = [rowTotals.reduce((a, b) => a + b, 0), ...rowTotals, ...columnTotals];
        for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) values.push(cell(r, c));
        const at = (r: number, c: number) => 1 + rows + columns + r * columns + c;
        const range = (n: number) => Array.from({ length: n }, (_, i) => i);
        const lines: ProtectedLine[] = [
          { cells: range(rows).map((r) => 1 + r), margin: 0 },
          { cells: range(columns).map((c) => 1 + rows + c), margin: 0 },
          ...range(rows).map((r) => ({ cells: range(columns).map((c) => at(r, c)), margin: 1 + r })),
          ...range(columns).map((c) => ({ cells: range(rows).map((r) => at(r, c)), margin: 1 + rows + c })),
        ];
        const shown = protectTable(values, lines, below);
        shown.forEach((s, i) => {
          if (s.kind === 'count') assert.ok(s.value === values[i] && (s.value === 0 || s.value >= below));
          else if (s.kind === 'fewer-than') assert.ok(values[i]! >= 1 && values[i]! < below);
          // withheld: a larger count, or a small total that would bound its small cells
          else assert.ok(values[i]! >= 1);
        });
        for (const line of lines) {
          const entries = [...line.cells, line.margin!];
          const hidden = entries.filter((i) => shown[i]!.kind !== 'count');
          if (hidden.length === 0) continue;
          const exhausted = entries.every((i) => values[i] === 0 || shown[i]!.kind !== 'count');
          assert.ok(hidden.length >= 2 || exhausted, `a lone hidden entry in ${JSON.stringify(entries.map((i) => values[i]))}`);
          if (shown[line.margin!]!.kind === 'count') {
            const small = line.cells.filter((i) => shown[i]!.kind === 'fewer-than');
            const withheld = line.cells.filter((i) => shown[i]!.kind === 'withheld');
            const sum = [...small, ...withheld].reduce((total, i) => total + values[i]!, 0);
            if (small.length > 0) assert.ok(withheld.length >= 1 && sum - withheld.length * below >= small.length * (below - 1));
          }
        }
      }),
      { numRuns: 800 },
    );
  });
});
