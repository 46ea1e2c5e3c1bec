// Editing the school layer's file on disk: one edit at a time per file, the edited text linted
// through the same loader and resolver `hedgerow policy lint` uses BEFORE anything is written,
// then written atomically (a temporary file beside it, renamed over it) so a reader or the file
// watcher never sees half a policy. A refused edit leaves the file exactly as it was.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { formatLocation } from '../errors/index.ts';
import { lintPolicy, readLayerChain, type PolicyProblem } from '../policy/index.ts';
import { PolicyEditError } from './policy-edit-error.ts';
import { applyPolicyEdit, type ParentRule, type PolicyEdit } from './rule-edits.ts';

export interface PolicyFileEditResult {
  /** the edited file, absolute */
  file: string;
  rule: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  replaces: ParentRule | null;
  /** false when the edit asked for what the file already said; nothing was written */
  changed: boolean;
}

const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task on the same file has finished. */
function serialised<T>(file: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.catch(() => undefined);
  queues.set(file, settled);
  void settled.then(() => {
    if (queues.get(file) === settled) queues.delete(file);
  });
  return run;
}

function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.length < file.length && !rel.startsWith('..') ? rel : file;
}

/** A lint problem as `hedgerow policy lint` prints it. */
export function lintLine(problem: PolicyProblem): string {
  return `${formatLocation(problem.where)}${problem.message} [${problem.code}]`;
}

async function writeSynced(path: string, text: string, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The rules of every layer above `file`, for explaining why they are not edited here. */
function parentRules(file: string): { parents: ParentRule[]; layerName: string } {
  const chain = readLayerChain(file);
  const parents: ParentRule[] = [];
  let layerName = `\`${basename(file)}\``;
  for (const layer of chain.layers) {
    if (resolve(layer.file) === file) {
      layerName = `the ${layer.data.layer} layer \`${layer.data.id}\``;
      continue;
    }
    for (const rule of layer.data.rules) {
      parents.push({ id: rule.id, layerId: layer.data.id, layerKind: layer.data.layer, layerName: layer.data.name, lock: rule.lock, legal: rule.legal });
    }
  }
  return { parents, layerName };
}

/**
 * Apply one edit to the layer file. Throws PolicyEditError: HR_POLICY_EDIT_LINT (422) with the
 * linter's lines when the result would not load, HR_POLICY_EDIT_LOCKED / _LAYER (409) for rules
 * this layer may not touch, HR_POLICY_EDIT_UNKNOWN_RULE (404), HR_POLICY_EDIT_INPUT (400),
 * HR_POLICY_EDIT_CONFLICT (409) when the file changed meanwhile.
 */
export function editPolicyFile(file: string, edit: PolicyEdit): Promise<PolicyFileEditResult> {
  const path = resolve(file);
  return serialised(path, async () => {
    let text: string;
    let mode: number;
    try {
      text = await readFile(path, 'utf8');
      mode = (await stat(path)).mode & 0o777;
    } catch (error) {
      throw new PolicyEditError('HR_POLICY_EDIT_WRITE', `cannot read the policy file \`${displayName(path)}\`: ${(error as Error).message}`);
    }
    const { parents, layerName } = parentRules(path);
    const result = applyPolicyEdit(text, edit, parents, layerName);
    const base = { file: path, rule: result.rule, before: result.before, after: result.after, replaces: result.replaces };
    if (result.text === text) return { ...base, changed: false };

    // Lint beside the real file so `extends: council.yaml` resolves exactly as it will.
    const temp = join(dirname(path), `.${basename(path)}.edit-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await writeSynced(temp, result.text, mode);
    } catch (error) {
      throw new PolicyEditError('HR_POLICY_EDIT_WRITE', `cannot write beside the policy file \`${displayName(path)}\`: ${(error as Error).message}`);
    }
    let renamed = false;
    try {
      const problems = lintPolicy(temp).map((p) => (p.where.file !== undefined && basename(p.where.file) === basename(temp) ? { ...p, where: { ...p.where, file: displayName(path) } } : p));
      if (problems.length > 0) {
        throw new PolicyEditError(
          'HR_POLICY_EDIT_LINT',
          `the edited policy has ${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was written`,
          problems.map((p) => ({ field: p.where.field ?? '', message: lintLine(p) })),
        );
      }
      const now = await readFile(path, 'utf8').catch(() => null);
      if (now !== text) throw new PolicyEditError('HR_POLICY_EDIT_CONFLICT', `the policy file \`${displayName(path)}\` changed while the edit was made; nothing was written, try again`);
      await rename(temp, path);
      renamed = true;
    } finally {
      if (!renamed) await unlink(temp).catch(() => undefined);
    }
    return { ...base, changed: true };
  });
}
