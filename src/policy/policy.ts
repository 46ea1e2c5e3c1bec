// Loading a policy in one call: the layer chain, merged and checked, with every problem at once.
import { readLayerChain, type PolicyProblem } from './load.ts';
import { resolvePolicy, type ResolvedPolicy } from './resolve.ts';

export interface LoadPolicyResult {
  policy: ResolvedPolicy | null;
  problems: PolicyProblem[];
}

export function loadPolicy(file: string): LoadPolicyResult {
  return resolvePolicy(readLayerChain(file));
}

/** Every problem of a policy file and its parents, in file then line order. */
export function lintPolicy(file: string): PolicyProblem[] {
  const { problems } = loadPolicy(file);
  return [...problems].sort(
    (a, b) =>
      (a.where.file ?? '').localeCompare(b.where.file ?? '') ||
      (a.where.line ?? 0) - (b.where.line ?? 0) ||
      (a.where.column ?? 0) - (b.where.column ?? 0),
  );
}
