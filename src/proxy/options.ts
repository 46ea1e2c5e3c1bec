// The proxy's options, their defaults and their validation (every problem reported at once).
import type { BlockPageTicketer } from './block-page.ts';
import { HedgerowError } from '../errors/index.ts';
import type { Decision, DecisionQuery, DecisionSink, Person } from '../engine/types.ts';
import type { SafeSearchLevel } from '../engine/index.ts';
import type { ProxyCredentials } from './proxy-auth.ts';
import { buildAddressPortSet, buildAddressSet } from './cidr.ts';

export type DecideFunction = (query: DecisionQuery) => Decision;

export interface ProxyLimits {
  /** request line + headers, bytes; more → 431 */
  maxHeaderBytes: number;
  /** header fields per request; more → 431 */
  maxHeaders: number;
  /** time to receive a request's headers; then 408 and close */
  headersTimeoutMs: number;
  /** keep-alive idle time between requests on a client connection */
  idleTimeoutMs: number;
  upstreamConnectTimeoutMs: number;
  /** upstream silence (waiting for the response, or mid-body) before 504 / abort */
  upstreamResponseTimeoutMs: number;
  /** an open CONNECT tunnel or WebSocket with no traffic either way is closed after this */
  tunnelIdleTimeoutMs: number;
  /** how long to wait for the first bytes of a tunnel (the TLS ClientHello) */
  peekTimeoutMs: number;
  /** how many first bytes of a tunnel may be held while looking for the ClientHello */
  peekMaxBytes: number;
  /** upstream connections kept per origin */
  maxSocketsPerOrigin: number;
  /** client connections open at once, every address together (tunnels included); more → 503 or close */
  maxConnections: number;
  /** client connections open at once from one address; more → 503 or close */
  maxConnectionsPerClient: number;
}

/** TLS inspection of CONNECT tunnels (off unless given). */
export interface InspectionOptions {
  /** the school CA, PEM (ECDSA P-256); host certificates are signed with it */
  ca: { key: string; cert: string };
  /**
   * Whether to inspect a tunnel the policy allowed, asked once per tunnel with the host (the SNI,
   * else the CONNECT host) and the categories the engine matched. The caller decides per group
   * and answers false for private categories (banking, health).
   */
  inspect(person: Person, host: string, categories: readonly string[]): boolean;
  /** PEM certificates trusted for upstream servers instead of node's bundled roots (private CAs, tests) */
  upstreamCa?: string | readonly string[];
  /** host certificates kept in memory (default 5000) */
  leafCacheSize?: number;
}

export interface ProxyOptions {
  host: string;
  port: number;
  /** CIDRs (IPv4/IPv6) that may use the proxy; others get 403 and the connection is closed */
  allowedClients: string[];
  /** who is asking; null → 407 when `requireAuth`, else the `anonymous` person */
  identify(clientIp: string, credentials: ProxyCredentials | null): Person | Promise<Person | null> | null;
  requireAuth?: boolean;
  /** the person for unidentified clients when auth is not required (default `{ role: 'guest' }`) */
  anonymous?: Person;
  /** realm in `Proxy-Authenticate` */
  realm?: string;
  /** the one engine, synchronous; swapped with `setDecide` on policy reload */
  decide: DecideFunction;
  /** one DecisionEvent per decision (point `proxy`); called synchronously, never awaited */
  sink?: DecisionSink;
  /** `ticket` signs what the page knew into its forms (src/cases: BlockPageForms.ticket) */
  blockPage: { baseUrl: string; smartAdviceFor(person: Person): boolean; timeZone?: string; ticket?: BlockPageTicketer };
  /** how long a reason given on a warn page is honoured for that person and host (default 1 h) */
  warnGraceMs?: number;
  limits?: Partial<ProxyLimits>;
  /** host name → addresses; default `dns.lookup` (all addresses) */
  resolve?: (host: string) => Promise<string[]>;
  /**
   * CIDRs (every port) or `address:port` entries never connected to. Default: link-local
   * (169.254.0.0/16, fe80::/10), 100.100.100.200 and fd00:ec2::254 (cloud metadata), and the
   * proxy's own listening address and port. Given entries replace the CIDR defaults; the proxy's
   * own address is always added.
   */
  forbiddenTargets?: string[];
  /**
   * Ports where this machine's other Hedgerow services listen (the HTTP service with the dashboard
   * and API, the DNS filter, the mail filter): refused on every local address, like the proxy's
   * own port, so that nobody reaches them through the proxy from the proxy's own address. Only
   * the block page's forms (under `blockPage.baseUrl`) are still passed to the HTTP service.
   */
  ownPorts?: () => readonly number[];
  /** ports a CONNECT may ask for (default 443 and 8443); `any` for every port */
  connectPorts?: number[] | 'any';
  /** a tunnel whose first bytes are not TLS, to port 443: allowed, allowed and flagged (default), or closed */
  nonTlsOn443?: 'allow' | 'flag' | 'block';
  /** TLS inspection; without it every CONNECT is a tunnel */
  inspection?: InspectionOptions;
  /** the safe-search level for a person (plain http:// and inspected https:// requests); default: none */
  safeSearchFor?: (person: Person) => SafeSearchLevel;
  now?: () => number;
}

export const defaultLimits: Readonly<ProxyLimits> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 100,
  headersTimeoutMs: 20_000,
  idleTimeoutMs: 60_000,
  upstreamConnectTimeoutMs: 10_000,
  upstreamResponseTimeoutMs: 60_000,
  tunnelIdleTimeoutMs: 10 * 60_000,
  peekTimeoutMs: 5_000,
  peekMaxBytes: 16 * 1024,
  maxSocketsPerOrigin: 256,
  // each tunnel also holds an upstream socket: the process needs twice this many descriptors
  maxConnections: 20_000,
  // a browser opens at most about 32 connections to its proxy; this leaves room for a few users
  // behind one address (a terminal server) and for WebSockets
  maxConnectionsPerClient: 256,
});

export const defaultForbiddenTargets: readonly string[] = Object.freeze(['169.254.0.0/16', 'fe80::/10', '100.100.100.200', 'fd00:ec2::254']);

/** Every problem with the options, or an empty list. */
export function validateOptions(options: ProxyOptions): string[] {
  const problems: string[] = [];
  if (typeof options.host !== 'string' || options.host === '') problems.push('host: must be an address to listen on');
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) problems.push(`port: \`${String(options.port)}\` is not a port`);
  if (!Array.isArray(options.allowedClients) || options.allowedClients.length === 0) {
    problems.push('allowedClients: must list at least one network (the proxy is never open)');
  } else {
    for (const bad of buildAddressSet(options.allowedClients).invalid) problems.push(`allowedClients: \`${bad}\` is not a CIDR or address`);
    if (options.allowedClients.some((c) => /^(0\.0\.0\.0\/0|::\/0)$/.test(c.trim()))) problems.push('allowedClients: a network covering every address makes an open proxy');
  }
  if (options.forbiddenTargets) {
    for (const bad of buildAddressPortSet(options.forbiddenTargets).invalid) problems.push(`forbiddenTargets: \`${bad}\` is not a CIDR or address:port`);
  }
  if (options.ownPorts !== undefined && typeof options.ownPorts !== 'function') problems.push('ownPorts: must be a function');
  if (typeof options.identify !== 'function') problems.push('identify: must be a function');
  if (typeof options.decide !== 'function') problems.push('decide: must be a function');
  if (!options.blockPage || typeof options.blockPage.baseUrl !== 'string' || !/^https?:\/\//.test(options.blockPage.baseUrl)) {
    problems.push('blockPage.baseUrl: must be an http(s) URL');
  }
  if (options.blockPage && typeof options.blockPage.smartAdviceFor !== 'function') problems.push('blockPage.smartAdviceFor: must be a function');
  if (options.warnGraceMs !== undefined && !(Number.isFinite(options.warnGraceMs) && options.warnGraceMs >= 0)) problems.push('warnGraceMs: must be zero or more');
  for (const [key, value] of Object.entries(options.limits ?? {})) {
    // an unset limit (from an optional configuration field) keeps its default
    if (value === undefined) continue;
    if (!(key in defaultLimits)) problems.push(`limits.${key}: unknown limit`);
    else if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) problems.push(`limits.${key}: must be a positive number`);
  }
  if (Array.isArray(options.connectPorts) && options.connectPorts.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    problems.push('connectPorts: every entry must be a port');
  }
  if (options.inspection !== undefined) {
    const inspection = options.inspection;
    if (typeof inspection.ca?.key !== 'string' || !inspection.ca.key.includes('PRIVATE KEY')) problems.push('inspection.ca.key: must be a PEM private key');
    if (typeof inspection.ca?.cert !== 'string' || !inspection.ca.cert.includes('BEGIN CERTIFICATE')) problems.push('inspection.ca.cert: must be a PEM certificate');
    if (typeof inspection.inspect !== 'function') problems.push('inspection.inspect: must be a function');
    if (inspection.leafCacheSize !== undefined && !(Number.isInteger(inspection.leafCacheSize) && inspection.leafCacheSize > 0)) problems.push('inspection.leafCacheSize: must be a positive whole number');
  }
  if (options.safeSearchFor !== undefined && typeof options.safeSearchFor !== 'function') problems.push('safeSearchFor: must be a function');
  return problems;
}

/** The limits in force: the defaults, with every limit the options set. */
export function resolveLimits(limits: Partial<ProxyLimits> | undefined): ProxyLimits {
  const resolved: ProxyLimits = { ...defaultLimits };
  for (const [key, value] of Object.entries(limits ?? {}) as Array<[keyof ProxyLimits, number | undefined]>) {
    if (value !== undefined) resolved[key] = value;
  }
  return resolved;
}

export function assertValidOptions(options: ProxyOptions): void {
  const problems = validateOptions(options);
  if (problems.length > 0) {
    throw new HedgerowError('HR_CONFIG_INVALID', `proxy options: ${problems.join('; ')}`, { where: { field: 'proxy' } });
  }
}
