// Circumvention sanctions (8.2): proposals from repeated attempts, supervised-only sanctions, and
// supervised sessions; the in-memory set `decide` reads; the API routes.
export { SanctionStore, SYSTEM_ACTOR, type ImposeInput, type ListFilter, type SanctionSetListener, type SanctionStoreOptions, type SanctionTimers } from './sanction-store.ts';
export { SanctionSet, type SanctionEntry, type SanctionState } from './sanction-set.ts';
export { sanctionRoutes, type SanctionRouteDeps } from './sanction-routes.ts';
export { attemptKind, attemptOf } from './attempt-kind.ts';
export {
  classBoundReader,
  classTeachersOf,
  inClassesOf,
  isChildRole,
  isDecider,
  maySupervise,
  namedRoles,
  type SanctionPeople,
  type SanctionPerson,
  type SuperviseAnswer,
} from './sanction-access.ts';
export type {
  AttemptKind,
  CircumventionAttempt,
  Page as SanctionPage,
  ProposalStatus,
  Recommendation,
  Sanction,
  SanctionProposal,
  SanctionStatus,
  SupervisedSession,
} from './sanction-types.ts';
export type { SanctionDatabase } from './sanction-tables.ts';
