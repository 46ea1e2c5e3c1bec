// Small numbers in reports for governors. A count that could relate to a child (incidents,
// sanctions, alerts, blocks, requests, any per-group figure) is never printed when it is below
// the policy's `workflows.reporting.suppressBelow` (N): it reads "fewer than N". Zero may show.
//
// Hiding a cell is not enough when its table also shows a total: the total minus the shown cells
// gives the hidden one back. So a table is described as lines (cells that add up to a margin),
// and in every line that hides anything more cells are withheld (complementary suppression),
// smallest first, until the hidden cells cannot be worked out from the rest:
//   - at least two entries of the line are hidden (one alone is its total minus the others);
//   - when the line's margin is shown and it hides k small cells beside m withheld ones, the
//     hidden sum S leaves every small cell its whole range: m ≥ 1 and S − m·N ≥ k·(N − 1).
// A margin that is itself hidden leaves S unknown, which protects the line. Lines are checked
// again until nothing changes, so a cell withheld for a column is accounted for in its row.
// One more case: a small total over two or more small cells would bound them ("fewer than 3"
// over two cells pins both to 1), so such a total reads "withheld" instead of "fewer than N".
// NOTE: counts where one event counts in several cells (a site in two categories, a pupil in a
// class and a year group) are treated as if they added up exactly: that only hides more.

/** A count as a report shows it. */
export type ShownCount =
  | { kind: 'count'; value: number }
  /** between 1 and below − 1 */
  | { kind: 'fewer-than'; below: number }
  /** hidden so that a small count elsewhere cannot be worked out (by subtraction, or from a small total) */
  | { kind: 'withheld' };

/** Cells (indexes into the values) that add up to a margin; margin null when no total is printed. */
export interface ProtectedLine {
  cells: readonly number[];
  /** the index of the line's total, or null: an unprinted total is still treated as known */
  margin: number | null;
}

type State = 'shown' | 'small' | 'withheld';

export const DEFAULT_SUPPRESS_BELOW = 5;

function checkThreshold(below: number): number {
  if (!Number.isInteger(below) || below < 1) throw new RangeError(`suppressBelow must be a whole number from 1, not ${below}`);
  return below;
}

function checkCount(value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`a count must be 0 or more, not ${value}`);
  return Math.floor(value);
}

/** One count on its own (no total it belongs to): shown, or "fewer than N". */
export function protectCount(value: number, below: number): ShownCount {
  const n = checkCount(value);
  checkThreshold(below);
  return n > 0 && n < below ? { kind: 'fewer-than', below } : { kind: 'count', value: n };
}

/**
 * Every value as it may be shown, given the lines it takes part in. Values are counts; lines
 * name them by index.
 */
export function protectTable(values: readonly number[], lines: readonly ProtectedLine[], below: number): ShownCount[] {
  checkThreshold(below);
  const counts = values.map(checkCount);
  const state: State[] = counts.map((n) => (n > 0 && n < below ? 'small' : 'shown'));
  for (const line of lines) {
    for (const index of [...line.cells, ...(line.margin === null ? [] : [line.margin])]) {
      if (!Number.isInteger(index) || index < 0 || index >= counts.length) throw new RangeError(`line names value ${index}, which does not exist`);
    }
  }
  const hidden = (i: number) => state[i] !== 'shown';
  for (const line of lines) {
    if (line.margin !== null && state[line.margin] === 'small' && line.cells.filter((i) => counts[i]! > 0).length >= 2) state[line.margin] = 'withheld';
  }

  const safe = (line: ProtectedLine): boolean => {
    const marginHidden = line.margin !== null && hidden(line.margin);
    const hiddenCells = line.cells.filter(hidden);
    const count = hiddenCells.length + (marginHidden ? 1 : 0);
    if (count === 0) return true;
    if (count < 2) return false;
    if (marginHidden) return true;
    const small = hiddenCells.filter((i) => state[i] === 'small').length;
    if (small === 0) return true;
    const withheld = hiddenCells.length - small;
    const sum = hiddenCells.reduce((total, i) => total + counts[i]!, 0);
    return withheld >= 1 && sum - withheld * below >= small * (below - 1);
  };

  let changed = true;
  while (changed) {
    changed = false;
    for (const line of lines) {
      while (!safe(line)) {
        // withhold the smallest shown non-zero cell; when none is left, the margin
        let next = -1;
        for (const i of line.cells) {
          if (state[i] === 'shown' && counts[i]! > 0 && (next < 0 || counts[i]! < counts[next]!)) next = i;
        }
        if (next < 0 && line.margin !== null && state[line.margin] === 'shown' && counts[line.margin]! > 0) next = line.margin;
        if (next < 0) break;
        state[next] = 'withheld';
        changed = true;
      }
    }
  }
  return counts.map((n, i): ShownCount => {
    if (state[i] === 'small') return { kind: 'fewer-than', below };
    if (state[i] === 'withheld') return { kind: 'withheld' };
    return { kind: 'count', value: n };
  });
}

/** A list of counts and its total: `{ total, cells }` as they may be shown. */
export function protectBreakdown(cells: readonly number[], below: number, total?: number): { total: ShownCount; cells: ShownCount[] } {
  const sum = total ?? cells.reduce((a, b) => a + b, 0);
  const shown = protectTable([sum, ...cells], [{ cells: cells.map((_, i) => i + 1), margin: 0 }], below);
  return { total: shown[0]!, cells: shown.slice(1) };
}

/** `12`, `fewer than 5`, `withheld` */
export function formatShown(count: ShownCount): string {
  if (count.kind === 'count') return count.value.toLocaleString('en-GB');
  if (count.kind === 'fewer-than') return `fewer than ${count.below}`;
  return 'withheld';
}

/** The number a chart may draw for a count: its value, or null when it is hidden. */
export function shownValue(count: ShownCount): number | null {
  return count.kind === 'count' ? count.value : null;
}
