// Reading policy layers: YAML with positions, validated by the schema, every problem reported at
// once with file:line:column and the field path. A layer names its parent with `extends`; the chain
// is read parent-first (council → federation → school).
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, resolve, relative } from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isScalar, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { HedgerowError, type ErrorCode, type SourceLocation } from '../errors/index.ts';
import { layerSchema, type LayerFile } from './schema.ts';

export interface PolicyProblem {
  code: ErrorCode;
  message: string;
  where: SourceLocation;
}

/** One layer file as read: its data, and a way back from a field path to the line it came from. */
export interface LoadedLayer {
  file: string;
  /** the file's path as shown in messages (relative to the working directory when shorter) */
  displayName: string;
  text: string;
  data: LayerFile;
  locate(path: readonly (string | number)[]): SourceLocation;
}

export interface LayerReadResult {
  layer: LoadedLayer | null;
  problems: PolicyProblem[];
}

/** The largest policy file we accept; a policy is hand-written text, never megabytes. */
const MAX_POLICY_BYTES = 4 * 1024 * 1024;

export function formatFieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}

function displayNameOf(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.length < file.length && !rel.startsWith('..') ? rel : file;
}

function makeLocator(doc: Document, lineCounter: LineCounter, file: string) {
  return (path: readonly (string | number)[]): SourceLocation => {
    // Walk down as far as the document has nodes; a missing field points at its parent.
    for (let depth = path.length; depth >= 0; depth--) {
      const sub = path.slice(0, depth);
      const node = sub.length === 0 ? doc.contents : doc.getIn(sub, true);
      if (isNode(node) && node.range) {
        const pos = lineCounter.linePos(node.range[0]);
        return { file, line: pos.line, column: pos.col, field: formatFieldPath(path) || undefined };
      }
    }
    // an empty document (nothing but comments) has no node at all: its problems are at the top
    return { file, line: 1, column: 1, field: formatFieldPath(path) || undefined };
  };
}

/** Where a mapping's key is written (for unknown fields, point at the key, not its value). */
function locateKey(doc: Document, lineCounter: LineCounter, file: string, parent: readonly (string | number)[], key: string): SourceLocation {
  const node = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
  const field = formatFieldPath([...parent, key]);
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key) && pair.key.value === key && pair.key.range) {
        const pos = lineCounter.linePos(pair.key.range[0]);
        return { file, line: pos.line, column: pos.col, field };
      }
    }
  }
  return { ...makeLocator(doc, lineCounter, file)(parent), field };
}

/** The value at a path of the parsed document, or undefined when a step is missing. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const step of path) {
    if (value === null || typeof value !== 'object' || typeof step === 'symbol') return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

// zod 4 leaves the offending value out of its issues, so whether a field is missing or merely of
// the wrong type is read from the document itself.
function describeZodIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `\`${k}\``).join(', ')}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => `\`${String(v)}\``).join(', ')}`;
    case 'invalid_type':
      return valueAt(raw, issue.path) === undefined ? `is required (${issue.expected})` : `must be ${issue.expected}`;
    case 'invalid_union':
      return 'does not match any allowed form';
    default:
      return issue.message.toLowerCase().replace(/\.$/, '');
  }
}

/**
 * A message quotes what the file says (a token, a key); a line of the file can be megabytes, so
 * a long quotation is cut short, and so is the message.
 */
function clipMessage(message: string): string {
  const clipped = message.replace(/([`"'])([^`"'\n]{80,})(\1|$)/g, (_m, quote: string, inner: string, end: string) => `${quote}${inner.slice(0, 60)}…${end}`);
  return clipped.length > 300 ? `${clipped.slice(0, 299)}…` : clipped;
}

function aliasProblem(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return /alias/i.test(text)
    ? 'aliases expand to too many copies (over 100): refused as a possible resource exhaustion attack'
    : `cannot read the document: ${text.split('\n')[0]!.toLowerCase()}`;
}

/** Where the document's first alias (`*name`) is, or the top of the file. */
function firstAlias(doc: Document, lineCounter: LineCounter, file: string): SourceLocation {
  let at: number | null = null;
  visit(doc, {
    Alias(_key, node) {
      if (node.range) at = node.range[0];
      return visit.BREAK;
    },
  });
  const pos = lineCounter.linePos(at ?? 0);
  return { file, line: pos.line, column: pos.col };
}

/** Parse and validate one layer file's text. */
export function parseLayer(text: string, file: string): LayerReadResult {
  const displayName = displayNameOf(file);
  const lineCounter = new LineCounter();
  // NOTE: YAML 1.1 tags (`!!binary`, `!!set`, `!!timestamp`) stay unresolved: they would turn a
  // value into a Buffer, Set or Date, which the schema then reports field by field of its methods
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, resolveKnownTags: false });
  const problems: PolicyProblem[] = [];
  for (const error of doc.errors) {
    const pos = lineCounter.linePos(error.pos[0]);
    problems.push({
      code: 'HR_POLICY_YAML',
      message: clipMessage(error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').toLowerCase()),
      where: { file: displayName, line: pos.line, column: pos.col },
    });
  }
  if (problems.length > 0) return { layer: null, problems };
  const locate = makeLocator(doc, lineCounter, displayName);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // the yaml library refuses aliases that would expand without bound ("billion laughs")
    return { layer: null, problems: [{ code: 'HR_POLICY_YAML', message: aliasProblem(error), where: firstAlias(doc, lineCounter, displayName) }] };
  }
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    const message = raw === null || raw === undefined ? 'the file holds no policy: a layer starts with `hedgerow: 1` and `layer: …`' : 'the file must be a mapping of fields (`hedgerow: 1`, `layer: …`), not a list or a single value';
    return { layer: null, problems: [{ code: 'HR_POLICY_SCHEMA', message, where: locate([]) }] };
  }
  const parsed = layerSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      // Unknown keys point at the key itself, not at the object holding it.
      const where =
        issue.code === 'unrecognized_keys' && issue.keys.length === 1
          ? locateKey(doc, lineCounter, displayName, path, issue.keys[0]!)
          : locate(path);
      problems.push({ code: 'HR_POLICY_SCHEMA', message: clipMessage(describeZodIssue(issue, raw)), where });
    }
    return { layer: null, problems };
  }
  return { layer: { file, displayName, text, data: parsed.data, locate }, problems };
}

export function readLayer(file: string): LayerReadResult {
  const absolute = resolve(file);
  let text: string;
  const tooLarge = (bytes: number): LayerReadResult => ({
    layer: null,
    problems: [{ code: 'HR_POLICY_READ', message: `file is ${bytes} bytes; the limit is ${MAX_POLICY_BYTES}`, where: { file: displayNameOf(absolute) } }],
  });
  try {
    // NOTE: checked before reading: a device (`extends: /dev/zero`) never ends and a FIFO blocks
    const stat = statSync(absolute);
    if (!stat.isFile()) {
      return { layer: null, problems: [{ code: 'HR_POLICY_READ', message: 'cannot read the policy: not a regular file', where: { file: displayNameOf(absolute) } }] };
    }
    if (stat.size > MAX_POLICY_BYTES) return tooLarge(stat.size);
    const buffer = readFileSync(absolute);
    if (buffer.length > MAX_POLICY_BYTES) return tooLarge(buffer.length);
    text = buffer.toString('utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return { layer: null, problems: [{ code: 'HR_POLICY_READ', message: `cannot read the policy: ${reason}`, where: { file: displayNameOf(absolute) } }] };
  }
  return parseLayer(text, absolute);
}

/** Layer kinds from the top of the hierarchy down; a parent must be higher than its child. */
const layerRank = { council: 0, trust: 1, federation: 2, school: 3 } as const;

export interface LayerChain {
  /** parent first: council, then federation/school */
  layers: LoadedLayer[];
  problems: PolicyProblem[];
  /** a digest of every layer's text, so a decision names exactly the policy it came from */
  revision: string;
}

/** Read a layer and all its ancestors through `extends`. */
export function readLayerChain(file: string): LayerChain {
  const layers: LoadedLayer[] = [];
  const problems: PolicyProblem[] = [];
  const seen = new Set<string>();
  let next: string | undefined = resolve(file);
  let child: LoadedLayer | null = null;
  while (next) {
    if (seen.has(next)) {
      problems.push({ code: 'HR_POLICY_LAYERS', message: `layers extend each other in a cycle through \`${displayNameOf(next)}\``, where: child ? child.locate(['extends']) : { file: next } });
      break;
    }
    seen.add(next);
    const result = readLayer(next);
    problems.push(...result.problems);
    if (!result.layer) {
      if (child && result.problems.some((p) => p.code === 'HR_POLICY_READ')) {
        problems.push({ code: 'HR_POLICY_LAYERS', message: `parent layer \`${child.data.extends}\` cannot be read`, where: child.locate(['extends']) });
      }
      break;
    }
    const layer = result.layer;
    if (child && layerRank[layer.data.layer] >= layerRank[child.data.layer]) {
      problems.push({
        code: 'HR_POLICY_LAYERS',
        message: `a ${child.data.layer} layer cannot extend a ${layer.data.layer} layer`,
        where: child.locate(['extends']),
      });
    }
    layers.unshift(layer);
    child = layer;
    next = layer.data.extends ? resolve(dirname(layer.file), layer.data.extends) : undefined;
  }
  const hash = createHash('sha256');
  for (const layer of layers) hash.update(layer.text).update('\0');
  return { layers, problems, revision: hash.digest('hex').slice(0, 12) };
}

export function problemToError(problem: PolicyProblem): HedgerowError {
  return new HedgerowError(problem.code, problem.message, { where: problem.where });
}
