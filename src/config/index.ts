// Configuration of a Hedgerow process: schema, loading with environment overrides.
export { configSchema, networkSchema, type HedgerowConfig, type NetworkMapping } from './schema.ts';
export { loadConfig, configError, type ConfigProblem } from './load.ts';
