// Putting the pieces together for a process: the policy file and the catalogue in the data folder
// compiled into one engine. The enforcement points and the CLI start from here.
export { loadEngine, referencePolicyPath, dataDirectory, type LoadedEngine, type LoadEngineOptions } from './load-engine.ts';
