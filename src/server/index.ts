// Starting Hedgerow: every enforcement point on one engine, reloaded atomically.
export { startHedgerow, type RunningHedgerow, type StartOptions } from './start.ts';
