// Overrides: time-boxed grants (a teacher's curriculum grant to a class, an approved unblock
// request) stored in the database and kept compiled in memory for the engine.
export {
  OverrideStore,
  type Override,
  type OverridePage,
  type OverrideState,
  type OverrideStoreOptions,
  type OverrideTimers,
  type GrantSetListener,
} from './override-store.ts';
export {
  checkOverrideInput,
  siteHost,
  MAX_OVERRIDE_MS,
  type CheckedOverride,
  type InputProblem,
  type OverrideInput,
  type OverrideKind,
  type OverrideScope,
  type OverrideWhat,
} from './override-input.ts';
export { groupAncestry, groupWithin, ownClassGroups, scopeOutsideOwnClasses, type ClassScopeContext, type GroupParents } from './class-scope.ts';
