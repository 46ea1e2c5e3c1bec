// The policy module's public face: read, validate, merge and explain policy files.
export * from './schema.ts';
export { readLayer, readLayerChain, parseLayer, formatFieldPath, problemToError, type PolicyProblem, type LoadedLayer, type LayerChain } from './load.ts';
export { resolvePolicy, type ResolvedPolicy, type ResolvedRule, type ResolveResult } from './resolve.ts';
export { compileCalendar, compileCalendarProblems, type CompiledCalendar, type LocalTime } from './calendar.ts';
export { loadPolicy, lintPolicy, type LoadPolicyResult } from './policy.ts';
export { parseDuration } from './duration.ts';
export { parseZonedTime, zoneOffsetMs } from './zoned-time.ts';
export { policyCoverage, formatCoverage, type ClauseCoverage } from './coverage.ts';
export { resolveMailPolicy, MAIL_RULE_DEFAULTS, type ResolvedMailPolicy, type ResolvedMailRule, type ResolvedSignalOverride } from './mail-resolve.ts';
export { MAIL_RULE_IDS, type MailRuleId, type MailAction, type MailSection } from './mail-schema.ts';
export * from './workflows/index.ts';
