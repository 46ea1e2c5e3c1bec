// The mail module's public face: the inspector the SMTP filter calls, the detectors, and the
// out-of-office and calendar-subject checks with their command and API routes.
export { createMailInspector, GTUBE, DEFAULT_INSPECT_LIMITS, type MailInspectorOptions, type InspectLimits } from './inspector.ts';
export type { MailEnvelope, MailSignal, MailSignalWhere, MailVerdict, MailVerdictAction, MailReason, MailInspector } from './types.ts';
export { buildSignalTable, mailSignalProblems, signalNames, type SignalInfo, type SignalTable } from './signal-catalogue.ts';
export { TextScanner, type ScanHit, type ScanOptions, type TextScannerOptions } from './text-scanner.ts';
export { isValidNino, isValidNhsNumber, isValidUpn, upnCheckLetter, luhnValid, paymentCardScheme, isValidPostcode } from './identifiers.ts';
export { checkOutOfOffice, type CheckFinding, type OutOfOfficeResult } from './ooo-check.ts';
export { SubjectChecker, subjectHash, MAX_SUBJECT_CHARS, type SubjectCheckResult, type SubjectFinding } from './subject-check.ts';
export { SubjectExceptions, type SubjectException, type ApproveInput, type MailSubjectExceptionsTable } from './subject-exceptions.ts';
export { mailCheckRoutes, type MailCheckDeps } from './check-routes.ts';
export { mailCommand, MAIL_USAGE, type MailIo } from './mail-command.ts';
// the SMTP filter service, the sealed quarantine and the ClamAV client
export * from './smtp/index.ts';
export * from './quarantine/index.ts';
export { createClamdClient, type ClamdClient, type ClamdOptions, type ClamdResult } from './clamd.ts';
