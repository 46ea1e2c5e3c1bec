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
  // cli
  HR_CLI_USAGE: { status: 400, summary: 'the command line is not understood' },
  // config
  HR_CONFIG_INVALID: { status: 400, summary: 'the configuration file or environment has a problem' },
} as const satisfies Record<string, { status?: number; summary: string }>;

export type ErrorCode = keyof typeof errorCodes;
