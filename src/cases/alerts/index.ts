// Safeguarding alerts (DfE monitoring standard): triggers on decision events (high-risk
// categories, rules, keyword lists on search terms), the alert store with de-duplication and
// handling, the weekly digest, and the API.
export { KeywordMatcher, normaliseSearchText, termPattern, type KeywordList, type KeywordMatch } from './keyword-matcher.ts';
export { compileAlerts, alertTriggers, type CompiledAlerts } from './alert-triggers.ts';
export {
  AlertStore,
  ALERT_TRIGGER_KINDS,
  ALERT_STATES,
  alertDedupeKey,
  type AlertTriggerKind,
  type AlertState,
  type AlertRecord,
  type AlertEventRecord,
  type AlertHit,
  type AlertFilter,
  type AlertRecordedHit,
  type AlertDigestFigures,
  type AlertOpenedCount,
  type AlertDigestRecord,
} from './alert-store.ts';
export { alertMessage, digestMessage, alertSubjectTitle } from './alert-text.ts';
export { AlertWatcher, type AlertWatcherOptions, type AlertWatcherStats } from './alert-watcher.ts';
export { AlertDigest, latestDigestAt, nextDigestAt, type AlertDigestOptions, type AlertDigestRun, type AlertDigestTimers, type DigestWeekday } from './alert-digest.ts';
export { alertRoutes, type AlertRouteDeps } from './alert-routes.ts';
