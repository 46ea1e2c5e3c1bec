// Every error code Hedgerow emits, with the HTTP status it maps to where one applies and a one-line
// summary. `docs/errors.md` lists the same table; a test keeps the two in step. Add a code here
// (in its module's section) before using it.
export const errorCodes = {
  // policy
  HR_POLICY_READ: { status: 400, summary: 'the policy file cannot be read' },
  HR_POLICY_YAML: { status: 400, summary: 'the policy file is not valid YAML' },
  HR_POLICY_SCHEMA: { status: 400, summary: 'a field of the policy file does not fit the schema' },
  HR_POLICY_REFERENCE: { status: 400, summary: 'the policy names a role, group, window, category or clause it does not define' },
  HR_POLICY_LOCKED: { status: 400, summary: 'a lower layer tries to override a rule that a higher layer locked' },
  HR_POLICY_DUPLICATE: { status: 400, summary: 'two rules or definitions share one id' },
  HR_POLICY_LAYERS: { status: 400, summary: 'the layer chain is broken (missing parent, cycle, wrong order)' },
  HR_POLICY_CALENDAR: { status: 400, summary: 'the calendar is inconsistent (unknown time zone, reversed dates or times)' },
  // catalogue
  HR_CATALOG_READ: { status: 400, summary: 'a list file or folder cannot be read' },
  HR_CATALOG_FORMAT: { status: 400, summary: 'a list line or file is not in the named format' },
  HR_CATALOG_SNAPSHOT: { status: 500, summary: 'a compiled catalogue snapshot is corrupt, truncated or of another version' },
  // engine
  HR_ENGINE_QUERY: { status: 400, summary: 'a decision query is malformed (unknown role, bad time)' },
  HR_ENGINE_URL: { status: 400, summary: 'the URL or host cannot be understood' },
  // proxy
  HR_PROXY_DNS: { status: 502, summary: 'the proxy could not find the requested host' },
  HR_PROXY_REFUSED: { status: 502, summary: 'the requested server refused the connection' },
  HR_PROXY_TIMEOUT: { status: 504, summary: 'the requested server did not answer in time' },
  HR_PROXY_FORBIDDEN_TARGET: { status: 403, summary: 'the proxy never connects to link-local, metadata or its own addresses' },
  HR_PROXY_LOOP: { status: 403, summary: 'a request addressed to the proxy itself' },
  HR_PROXY_CLIENT: { status: 403, summary: 'the client is not on a network allowed to use the proxy' },
  // dns
  HR_DNS_BIND: { status: 500, summary: 'the DNS filter cannot listen on its address and port' },
  // identity
  HR_IDENTITY_ROSTER: { status: 400, summary: 'a roster file or row has a problem (missing field, unknown role or group, bad date, duplicate username, too large)' },
  HR_IDENTITY_INPUT: { status: 400, summary: 'a username, password, device name or network mapping is not acceptable' },
  HR_IDENTITY_UNKNOWN_PERSON: { status: 404, summary: 'no person with that username in the people store' },
  HR_IDENTITY_DIRECTORY: { status: 502, summary: 'the LDAP directory cannot be reached or answered with an error' },
  // store
  HR_STORE_LOCKED: { status: 500, summary: 'another process already writes the decision log in this data folder' },
  HR_STORE_OPEN: { status: 500, summary: 'the database cannot be opened' },
  HR_STORE_MIGRATION: { status: 500, summary: 'a database migration failed and was rolled back' },
  // mail filter (SMTP service, quarantine, ClamAV)
  HR_MAIL_FILTER_BIND: { status: 500, summary: 'the mail filter cannot listen on its address and port' },
  HR_MAIL_RELAY: { status: 502, summary: 'the next hop refused or did not take the message; the sender is told to try again later' },
  HR_MAIL_CLAMD: { status: 502, summary: 'ClamAV (clamd) cannot be reached or answered with an error' },
  HR_MAIL_QUARANTINE_KEY: { status: 500, summary: 'the quarantine key is missing, not 32 bytes, or not the one a message was sealed with' },
  HR_MAIL_QUARANTINE_TAMPERED: { status: 500, summary: 'a quarantined message failed its integrity check (content or envelope altered)' },
  HR_MAIL_QUARANTINE_NOT_FOUND: { status: 404, summary: 'no quarantined message with that id (or its content was deleted)' },
  HR_MAIL_QUARANTINE_SEALED: { status: 409, summary: 'the content of a quarantined message stays sealed until its sender or a recipient challenges the decision' },
  HR_MAIL_QUARANTINE_NOT_PARTY: { status: 403, summary: 'only the sender or a recipient of a quarantined message may challenge it' },
  HR_MAIL_QUARANTINE_INPUT: { status: 400, summary: 'a quarantine request lacks a reason or names no address' },
  HR_MAIL_QUARANTINE_STATE: { status: 409, summary: 'the quarantined message was already released or deleted' },
  // activity
  HR_ACTIVITY_CURSOR: { status: 400, summary: 'a paging cursor is not one the activity store gave out' },
  HR_ACTIVITY_FILTER: { status: 400, summary: 'an activity search has a malformed filter (a time that is not a number, an empty host)' },
  // cli
  HR_CLI_USAGE: { status: 400, summary: 'the command line is not understood' },
  // config
  HR_CONFIG_INVALID: { status: 400, summary: 'the configuration file or environment has a problem' },
  // overrides (time-boxed grants)
  HR_OVERRIDES_INPUT: { status: 400, summary: 'an override names nothing to allow, no one to allow it for, or a time range that is not usable' },
  HR_OVERRIDES_NOT_FOUND: { status: 404, summary: 'no override with that id' },
  HR_OVERRIDES_REVOKED: { status: 409, summary: 'the override was already revoked' },
  // policy edits from the dashboard
  HR_POLICY_EDIT_INPUT: { status: 400, summary: 'a policy edit is not understood (site not in the rule, bad rule fields)' },
  HR_POLICY_EDIT_UNKNOWN_RULE: { status: 404, summary: 'no rule with that id in any layer of the policy' },
  HR_POLICY_EDIT_LOCKED: { status: 409, summary: 'the rule is locked or a legal list and cannot be edited' },
  HR_POLICY_EDIT_LAYER: { status: 409, summary: 'the rule belongs to a higher layer (council, trust, federation); only the school layer is edited here' },
  HR_POLICY_EDIT_CONFLICT: { status: 409, summary: 'the rule id is taken, or the policy file changed while the edit was made' },
  HR_POLICY_EDIT_LINT: { status: 422, summary: 'the edited policy would not pass the linter; nothing was written' },
  HR_POLICY_EDIT_WRITE: { status: 500, summary: 'the policy file cannot be read or written' },
  // api feature routes
  HR_API_PURPOSE_REQUIRED: { status: 400, summary: "reading a named adult's browsing needs a lawful monitoring purpose from the policy's list" },
  // api framework (every route)
  HR_API_INPUT: { status: 400, summary: 'the parameters, query or body do not fit the route; every problem is named with its field' },
  HR_API_SIGNED_OUT: { status: 401, summary: 'not signed in, or the session ended (signed out, idle too long, too old)' },
  HR_API_FORBIDDEN: { status: 403, summary: "the account's role may not perform this action (docs/access.md)" },
  HR_API_CSRF: { status: 403, summary: 'a state-changing request without the x-csrf-token header of its session' },
  HR_API_NOT_FOUND: { status: 404, summary: 'no such API route, or no such object' },
  HR_API_CONFLICT: { status: 409, summary: 'the request conflicts with the current state' },
  HR_API_TOO_LARGE: { status: 413, summary: 'the request body is larger than the route accepts' },
  HR_API_MEDIA_TYPE: { status: 415, summary: 'the request body is of a content type the route does not accept' },
  HR_API_INTERNAL: { status: 500, summary: 'an unexpected failure; the details are in the server log, never in the answer' },
  // dashboard accounts and sign-in
  HR_AUTH_SIGN_IN_FAILED: { status: 401, summary: 'wrong username or password, or the account is disabled (one answer for all, so usernames cannot be probed)' },
  HR_AUTH_THROTTLED: { status: 429, summary: 'too many failed sign-ins for this username or from this address; wait the time given and try again' },
  HR_AUTH_CURRENT_PASSWORD: { status: 400, summary: 'the current password given with a password change is wrong' },
  HR_AUTH_PASSWORD_RULE: { status: 400, summary: 'a new password is too short, too long or the same as the username' },
  HR_AUTH_ACCOUNT_INPUT: { status: 400, summary: 'an account field is not acceptable (username, display name, or a role the policy does not define)' },
  HR_AUTH_ACCOUNT_EXISTS: { status: 409, summary: 'an account with that username already exists' },
  HR_AUTH_UNKNOWN_ACCOUNT: { status: 404, summary: 'no dashboard account with that id or username' },
  HR_AUTH_LAST_ADMIN: { status: 409, summary: 'the change would leave no enabled account that may manage accounts' },
  HR_AUTH_SETUP_TOKEN: { status: 403, summary: 'the setup token is wrong or expired, or the first administrator already exists' },
  // cases: requests and reports
  HR_REQUESTS_INPUT: { status: 400, summary: 'an unblock request or report field is missing or not acceptable (no reason, an unknown group, a duration over the policy maximum)' },
  HR_REQUESTS_NOT_FOUND: { status: 404, summary: 'no unblock request or report with that id that this account may see' },
  HR_REQUESTS_STATE: { status: 409, summary: 'the request or report is not in a state that allows this step (already decided, withdrawn or closed)' },
  HR_REQUESTS_NOT_ROUTED: { status: 403, summary: "the policy's workflows do not give this step to the account's role (reviewers recommend, deciders decide, reports go to their routes)" },
  HR_REQUESTS_TICKET_KEY: { status: 500, summary: "the block-page ticket key in the data folder cannot be read or made, or a given key is too short" },
  // cases: incidents and evidence
  HR_INCIDENTS_NOT_CONFIGURED: { status: 409, summary: 'the policy sets no incident workflow (workflows.incidents)' },
  HR_INCIDENTS_NOT_FOUND: { status: 404, summary: 'no incident case with that id that this account may see' },
  HR_INCIDENTS_INPUT: { status: 400, summary: 'an incident field is not acceptable (a party with no name, an unknown username, a result the step does not take)' },
  HR_INCIDENTS_CLOSED: { status: 409, summary: 'the case is closed; nothing more can be added or changed' },
  HR_INCIDENTS_CHAIN_END: { status: 409, summary: 'the case is already with the last role of the reporting chain (9.2)' },
  HR_INCIDENTS_STEPS_OPEN: { status: 409, summary: 'a required next step has no outcome and no recorded reason to skip it, so the case cannot close' },
  HR_INCIDENTS_STEP_NOT_FOUND: { status: 404, summary: 'no next step with that id on the case' },
  HR_INCIDENTS_STEP_DONE: { status: 409, summary: 'the next step already has an outcome or was skipped' },
  HR_INCIDENTS_EVIDENCE_NOT_FOUND: { status: 404, summary: 'no evidence with that id on the case that this account may see' },
  HR_INCIDENTS_EVIDENCE_EMPTY: { status: 400, summary: 'the evidence upload has no bytes' },
  HR_INCIDENTS_EVIDENCE_TOO_LARGE: { status: 413, summary: "the evidence is larger than the policy's evidence.maxBytes; refused before it is read" },
  HR_INCIDENTS_EVIDENCE_TYPE: { status: 415, summary: "the evidence's declared type is not one the policy's evidence.types accepts" },
  HR_INCIDENTS_EVIDENCE_MISMATCH: { status: 415, summary: "the evidence's bytes are not of the type declared for it" },
  HR_INCIDENTS_EVIDENCE_DIMENSIONS: { status: 413, summary: 'an evidence image declares more pixels than any screenshot or photo (a decompression bomb); refused' },
  HR_INCIDENTS_EVIDENCE_TAMPERED: { status: 500, summary: 'stored evidence no longer matches the SHA-256 digest taken at upload; it is not served' },
  // cases: sanctions
  HR_SANCTIONS_NOT_CONFIGURED: { status: 409, summary: 'the policy has no `workflows.sanctions` section, so sanctions cannot be proposed, imposed or supervised' },
  HR_SANCTIONS_INPUT: { status: 400, summary: 'a sanction request lacks a reason, names an unknown person, or asks for a duration that is not usable or longer than the policy allows' },
  HR_SANCTIONS_NOT_PUPIL: { status: 400, summary: 'supervised-only sanctions apply to pupils only; circumvention by an adult is referred to the deciders' },
  HR_SANCTIONS_NOT_FOUND: { status: 404, summary: 'no sanction proposal, sanction or supervised session with that id' },
  HR_SANCTIONS_STATE: { status: 409, summary: 'the proposal was already decided, or the sanction or session has already ended' },
  HR_SANCTIONS_CONFLICT: { status: 409, summary: 'the person is already under a sanction, or a supervised session is already open for it' },
  // notifications and alerts
  HR_NOTIFY_INPUT: { status: 400, summary: 'a notification has no subject or text, or names a recipient that is not a role, person, account or mail address' },
  HR_NOTIFY_NOT_FOUND: { status: 404, summary: 'no notification with that id in your inbox, or no mail delivery with that id' },
  HR_NOTIFY_MAIL: { status: 502, summary: 'the mail relay refused a notification or could not be reached; it stays queued and is tried again later' },
  HR_NOTIFY_STATE: { status: 409, summary: 'the mail delivery is not one that failed, so there is nothing to send again' },
  HR_ALERTS_NOT_FOUND: { status: 404, summary: 'no safeguarding alert with that id' },
  HR_ALERTS_STATE: { status: 409, summary: 'the alert was already acknowledged or closed' },
  HR_ALERTS_INPUT: { status: 400, summary: 'an alert filter or note is not usable (closing needs a note; times must be numbers)' },
  // compliance
  HR_COMPLIANCE_INPUT: { status: 400, summary: 'a compliance record does not fit (unknown course, a date in the future, a note too long)' },
  HR_COMPLIANCE_NOT_CONFIGURED: { status: 409, summary: 'the policy does not set up that compliance record (`workflows.compliance`)' },
  HR_COMPLIANCE_UNKNOWN_PERSON: { status: 404, summary: 'no person of that username in the people store' },
  HR_COMPLIANCE_VERSION: { status: 409, summary: 'the acknowledgement names a policy version that is no longer the current one' },
  HR_COMPLIANCE_CHECKS_UNAVAILABLE: { status: 409, summary: 'filter checks cannot run here: the proxy or the DNS filter is not running' },
  HR_COMPLIANCE_CHECK_IDENTITY: { status: 500, summary: 'a filter check identity could not be prepared (people store or data folder)' },
  // reporting (governors' report, review pack) and audit
  HR_REPORTING_NO_TERMS: { status: 404, summary: "the policy's calendar names no terms, so there is no term to report on" },
  HR_REPORTING_TERM: { status: 404, summary: "no term of that name in the policy's calendar" },
  HR_REPORTING_PERIOD: { status: 400, summary: 'the review period is not two dates in order, at most two years apart' },
  HR_AUDIT_NO_LOG: { status: 500, summary: 'the database named holds no audit log (no such file, or no audit_log table)' },
} as const satisfies Record<string, { status?: number; summary: string }>;

export type ErrorCode = keyof typeof errorCodes;
