// Writing small pieces of YAML into an existing file by replacing only the text of the nodes that
// change, so every other byte (comments, spacing, the house style of `{ roles: [pupil] }`) stays
// as the school wrote it. The caller checks the result by parsing it again.
import { isCollection, isMap, isScalar, isSeq, stringify, type Node, type Pair } from 'yaml';

export interface Splice {
  start: number;
  end: number;
  text: string;
}

/** Apply non-overlapping splices (any order). */
export function applySplices(text: string, splices: readonly Splice[]): string {
  const sorted = [...splices].sort((a, b) => b.start - a.start);
  let out = text;
  let limit = Number.POSITIVE_INFINITY;
  for (const s of sorted) {
    if (s.end > limit) throw new Error('overlapping splices');
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
    limit = s.start;
  }
  return out;
}

const PLAIN_FLOW = /^[A-Za-z0-9][A-Za-z0-9._/@-]*$/;
const SPECIAL = /^(true|false|yes|no|on|off|null|~|[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?|0x[0-9a-f]+|0o[0-7]+|\.inf|\.nan)$/i;

/** A scalar as it may stand inside `[...]` or `{...}`: plain when unambiguous, else double-quoted. */
export function flowScalar(value: unknown): string {
  if (typeof value === 'string') return PLAIN_FLOW.test(value) && !SPECIAL.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return JSON.stringify(value);
}

/** A scalar on a line of its own (`reason: …`); yaml's own quoting rules for block context. */
export function blockScalar(value: unknown): string {
  return stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
}

/** Does a flow collection in the source have spaces inside its brackets (`{ a: 1 }`)? */
export function flowPadding(source: string, node: Node): boolean {
  const range = node.range;
  if (!range) return false;
  const inner = source.slice(range[0] + 1, range[1] - 1);
  return inner.length > 0 && inner.startsWith(' ');
}

/** A plain value (strings, numbers, arrays, small objects) in flow style. */
export function flowValue(value: unknown, padMaps = true): string {
  if (Array.isArray(value)) return `[${value.map((v) => flowValue(v, padMaps)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${flowScalar(k)}: ${flowValue(v, padMaps)}`)
      .join(', ');
    if (inner === '') return '{}';
    return padMaps ? `{ ${inner} }` : `{${inner}}`;
  }
  return flowScalar(value);
}

/** The source text of a node as written. */
export function sourceOf(source: string, node: Node): string | null {
  return node.range ? source.slice(node.range[0], node.range[1]) : null;
}

/** The column where a node's text starts. */
export function columnOf(source: string, offset: number): number {
  return offset - (source.lastIndexOf('\n', offset - 1) + 1);
}

/**
 * A flow map written again with one key replaced, added or removed; every other pair keeps its
 * source text. Null when the map holds something we do not rewrite by hand.
 */
export function rewriteFlowMap(source: string, map: Node, key: string, value: unknown | undefined): string | null {
  if (!isMap(map) || !map.flow || !map.range) return null;
  const parts: string[] = [];
  let found = false;
  for (const pair of map.items as Pair[]) {
    if (!isScalar(pair.key) || !pair.key.range) return null;
    const name = String(pair.key.value);
    if (name === key) {
      found = true;
      if (value !== undefined) parts.push(`${sourceOf(source, pair.key)}: ${flowValue(value)}`);
      continue;
    }
    const valueNode = pair.value as Node | null;
    if (!valueNode || !valueNode.range || (isCollection(valueNode) && !valueNode.flow)) return null;
    parts.push(`${sourceOf(source, pair.key)}: ${sourceOf(source, valueNode)}`);
  }
  if (!found && value !== undefined) parts.push(`${flowScalar(key)}: ${flowValue(value)}`);
  if (parts.length === 0) return '{}';
  return flowPadding(source, map) ? `{ ${parts.join(', ')} }` : `{${parts.join(', ')}}`;
}

function lineStartOf(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

function lineEndOf(source: string, offset: number): number {
  const end = source.indexOf('\n', offset);
  return end === -1 ? source.length : end + 1;
}

/**
 * A sequence of scalars changed to `values` in the style it had. A flow list is written again
 * (unless it holds a comment); a block list keeps the lines of the items that stay, comments and
 * all, loses the lines of removed items and gains lines after its last item. `values` must be
 * the kept items in their order followed by the new ones. Null when that cannot be done by hand.
 */
export function rewriteScalarSeq(source: string, seq: Node, values: readonly string[]): Splice[] | null {
  if (!isSeq(seq) || !seq.range) return null;
  const [start, end] = seq.range;
  if (seq.flow) {
    if (source.slice(start, end).includes('#')) return null;
    const inner = values.map(flowScalar).join(', ');
    const text = flowPadding(source, seq) && inner !== '' ? `[ ${inner} ]` : `[${inner}]`;
    return [{ start, end, text }];
  }
  const splices: Splice[] = [];
  let lastKept: Node | null = null;
  let kept = 0;
  for (const item of seq.items) {
    if (!isScalar(item) || !item.range) return null;
    const lineStart = lineStartOf(source, item.range[0]);
    // one item per line, written `- value`
    if (!/^\s*-\s+$/.test(source.slice(lineStart, item.range[0]))) return null;
    if (kept < values.length && String(item.value).toLowerCase() === values[kept]) {
      kept++;
      lastKept = item;
    } else {
      splices.push({ start: lineStart, end: lineEndOf(source, item.range[0]), text: '' });
    }
  }
  if (lastKept === null) return null;
  const added = values.slice(kept);
  if (added.length > 0) {
    const at = lineEndOf(source, lastKept.range![0]);
    const indent = source.slice(lineStartOf(source, lastKept.range![0]), lastKept.range![0]).replace(/-\s+$/, '');
    const lead = at === source.length && !source.endsWith('\n') ? '\n' : '';
    splices.push({ start: at, end: at, text: `${lead}${added.map((v) => `${indent}- ${flowScalar(v)}\n`).join('')}` });
  }
  return splices;
}
