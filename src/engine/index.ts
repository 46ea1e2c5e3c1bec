// The engine's public face: one `decide` for every enforcement point.
export * from './types.ts';
export { PolicyEngine, compileGrants, type EngineOptions, type SafeSearchLevel } from './engine.ts';
export { normaliseTarget, normaliseHost, noteNames, type Target } from './normalise.ts';
export { decisionEvent, type DecisionEventInput } from './events.ts';
export { failModeFor, failModeDecision, type FailMode, type FailModeInput } from './fail-mode.ts';
