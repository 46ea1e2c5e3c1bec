import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { loadCatalogue } from '../catalog/index.ts';
import { PolicyEngine } from '../engine/index.ts';
import { loadPolicy, type PolicyProblem } from '../policy/index.ts';

/** The reference policy shipped in `examples/` (the federation school layer on its council's). */
export function referencePolicyPath(): string {
  return fileURLToPath(new URL('../../examples/reference/school.yaml', import.meta.url));
}

/** Every piece of state lives in one folder: `HEDGEROW_DATA`, default `./data`. */
export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.HEDGEROW_DATA && env.HEDGEROW_DATA !== '' ? env.HEDGEROW_DATA : 'data');
}

export interface LoadEngineOptions {
  policyFile?: string;
  dataDir?: string;
}

export interface LoadedEngine {
  engine: PolicyEngine | null;
  problems: PolicyProblem[];
  policyFile: string;
  catalogueLoadMs: number;
  catalogueFromSnapshot: boolean;
}

export function loadEngine(options: LoadEngineOptions = {}): LoadedEngine {
  const policyFile = resolve(options.policyFile ?? referencePolicyPath());
  const { policy, problems } = loadPolicy(policyFile);
  if (!policy) return { engine: null, problems, policyFile, catalogueLoadMs: 0, catalogueFromSnapshot: false };
  const { catalogue, loadMs, fromSnapshot } = loadCatalogue(options.dataDir ?? dataDirectory());
  return { engine: new PolicyEngine({ policy, catalogue }), problems, policyFile, catalogueLoadMs: loadMs, catalogueFromSnapshot: fromSnapshot };
}
