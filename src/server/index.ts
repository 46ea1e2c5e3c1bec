// Starting Hedgerow: every enforcement point on one engine, reloaded atomically.
export { startHedgerow, type RunningHedgerow, type ServerHealth, type StartOptions } from './start.ts';
export type { FailModeHealth } from './decision-guard.ts';
