// The DNS filter's options: what the caller passes, checked once, with defaults filled in.
import net from 'node:net';
import { HedgerowError } from '../errors/index.ts';
import type { Decision, DecisionQuery, DecisionSink, Person } from '../engine/types.ts';
import type { SafeSearchSettings } from './safe-search.ts';

export interface DnsFilterOptions {
  host: string;
  port: number;
  /** resolvers to forward to, in order of preference */
  upstreams: Array<{ host: string; port: number }>;
  /** how a blocked name is answered: NXDOMAIN, or the block page's address */
  blockAnswer: 'nxdomain' | { a: string; aaaa?: string };
  /** maps a client address to a person (per-subnet roles live in the caller) */
  identify(clientIp: string): Person;
  decide(query: DecisionQuery): Decision;
  safeSearchFor(person: Person): SafeSearchSettings;
  /** true: answer `use-application-dns.net` NXDOMAIN so Firefox keeps DNS-over-HTTPS off */
  dohIsCircumvention(person: Person): boolean;
  /** one event per decided query; called synchronously and never awaited */
  sink?: DecisionSink;
  cache?: { maxEntries: number; minTtl?: number; maxTtl?: number };
  /** per client address; over the limit, UDP queries are dropped and TCP ones REFUSED */
  rateLimit?: { perSecond: number; burst: number };
  /** TTL (seconds) of block answers and their negative-caching SOA; default 10 */
  blockTtl?: number;
  /** per upstream attempt, milliseconds; default 2000 */
  upstreamTimeout?: number;
  /**
   * RFC 8767: an answer past its TTL is kept `maxStaleSeconds` (default 86,400; 0 turns serving
   * stale off) and given, with TTL `answerTtl` (default 30), when every upstream fails or none has
   * answered within `clientTimeoutMs` (default 1,800)
   */
  serveStale?: { maxStaleSeconds?: number; answerTtl?: number; clientTimeoutMs?: number };
  /**
   * RFC 9520: after every upstream failed for a question, it is answered at once (stale, else
   * SERVFAIL) for this long rather than waited on again; milliseconds, default 5,000
   */
  failureCacheMs?: number;
  now?: () => number;
}

export interface ResolvedDnsOptions {
  host: string;
  port: number;
  upstreams: Array<{ host: string; port: number }>;
  block: { mode: 'nxdomain' } | { mode: 'address'; a: Buffer; aaaa: Buffer | null };
  identify: DnsFilterOptions['identify'];
  decide: DnsFilterOptions['decide'];
  safeSearchFor: DnsFilterOptions['safeSearchFor'];
  dohIsCircumvention: DnsFilterOptions['dohIsCircumvention'];
  sink: DecisionSink | null;
  cache: { maxEntries: number; minTtl: number; maxTtl: number };
  rateLimit: { perSecond: number; burst: number } | null;
  blockTtl: number;
  upstreamTimeout: number;
  serveStale: { maxStaleSeconds: number; answerTtl: number; clientTimeoutMs: number };
  failureCacheMs: number;
  now: () => number;
}

const isPort = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;
const isCount = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0;

/** Checks every option and reports all problems in one HR_CONFIG_INVALID error. */
export function resolveDnsOptions(options: DnsFilterOptions): ResolvedDnsOptions {
  const problems: Array<{ field: string; message: string }> = [];
  const problem = (field: string, message: string): void => {
    problems.push({ field, message });
  };
  if (typeof options.host !== 'string' || net.isIP(options.host) === 0) problem('dns.host', `\`${String(options.host)}\` is not an IP address`);
  if (!isPort(options.port)) problem('dns.port', `\`${String(options.port)}\` is not a port number`);
  if (!Array.isArray(options.upstreams) || options.upstreams.length === 0) problem('dns.upstreams', 'at least one upstream resolver is needed');
  else
    options.upstreams.forEach((upstream, index) => {
      if (net.isIP(upstream?.host ?? '') === 0) problem(`dns.upstreams[${index}].host`, `\`${String(upstream?.host)}\` is not an IP address`);
      if (!isPort(upstream?.port) || upstream.port === 0) problem(`dns.upstreams[${index}].port`, `\`${String(upstream?.port)}\` is not a port number`);
    });
  let block: ResolvedDnsOptions['block'] = { mode: 'nxdomain' };
  if (options.blockAnswer !== 'nxdomain') {
    const answer = options.blockAnswer;
    if (!answer || typeof answer !== 'object' || !net.isIPv4(answer.a ?? '')) {
      problem('dns.blockAnswer.a', `\`${String(answer?.a)}\` is not an IPv4 address`);
    } else if (answer.aaaa !== undefined && !net.isIPv6(answer.aaaa)) {
      problem('dns.blockAnswer.aaaa', `\`${String(answer.aaaa)}\` is not an IPv6 address`);
    } else {
      block = { mode: 'address', a: ipv4Bytes(answer.a), aaaa: answer.aaaa === undefined ? null : ipv6Bytes(answer.aaaa) };
    }
  }
  for (const name of ['identify', 'decide', 'safeSearchFor', 'dohIsCircumvention'] as const) {
    if (typeof options[name] !== 'function') problem(`dns.${name}`, 'must be a function');
  }
  const cache = { maxEntries: options.cache?.maxEntries ?? 100_000, minTtl: options.cache?.minTtl ?? 0, maxTtl: options.cache?.maxTtl ?? 86_400 };
  if (!isCount(cache.maxEntries)) problem('dns.cache.maxEntries', `\`${String(cache.maxEntries)}\` is not a whole number`);
  if (!isCount(cache.minTtl)) problem('dns.cache.minTtl', `\`${String(cache.minTtl)}\` is not a whole number of seconds`);
  if (!isCount(cache.maxTtl) || cache.maxTtl < cache.minTtl) problem('dns.cache.maxTtl', `\`${String(cache.maxTtl)}\` must be whole seconds, not below minTtl`);
  const rateLimit = options.rateLimit ?? null;
  if (rateLimit && !(rateLimit.perSecond > 0 && rateLimit.burst >= 1)) problem('dns.rateLimit', 'perSecond must be above 0 and burst at least 1');
  const blockTtl = options.blockTtl ?? 10;
  if (!isCount(blockTtl)) problem('dns.blockTtl', `\`${String(blockTtl)}\` is not a whole number of seconds`);
  const upstreamTimeout = options.upstreamTimeout ?? 2000;
  if (!(upstreamTimeout > 0)) problem('dns.upstreamTimeout', `\`${String(upstreamTimeout)}\` is not a positive number of milliseconds`);
  const serveStale = {
    maxStaleSeconds: options.serveStale?.maxStaleSeconds ?? 86_400,
    answerTtl: options.serveStale?.answerTtl ?? 30,
    clientTimeoutMs: options.serveStale?.clientTimeoutMs ?? 1_800,
  };
  if (!isCount(serveStale.maxStaleSeconds)) problem('dns.serveStale.maxStaleSeconds', `\`${String(serveStale.maxStaleSeconds)}\` is not a whole number of seconds`);
  if (!isCount(serveStale.answerTtl)) problem('dns.serveStale.answerTtl', `\`${String(serveStale.answerTtl)}\` is not a whole number of seconds`);
  if (!(serveStale.clientTimeoutMs > 0)) problem('dns.serveStale.clientTimeoutMs', `\`${String(serveStale.clientTimeoutMs)}\` is not a positive number of milliseconds`);
  const failureCacheMs = options.failureCacheMs ?? 5_000;
  if (!(failureCacheMs >= 0)) problem('dns.failureCacheMs', `\`${String(failureCacheMs)}\` is not a number of milliseconds`);

  if (problems.length > 0) {
    const first = problems[0]!;
    const message = problems.map((entry) => `${entry.field}: ${entry.message}`).join('; ');
    throw new HedgerowError('HR_CONFIG_INVALID', `dns filter options: ${message}`, { where: { field: first.field } });
  }
  return {
    host: options.host,
    port: options.port,
    upstreams: options.upstreams.map((upstream) => ({ host: upstream.host, port: upstream.port })),
    block,
    identify: options.identify,
    decide: options.decide,
    safeSearchFor: options.safeSearchFor,
    dohIsCircumvention: options.dohIsCircumvention,
    sink: options.sink ?? null,
    cache,
    rateLimit,
    blockTtl,
    upstreamTimeout,
    serveStale,
    failureCacheMs,
    now: options.now ?? Date.now,
  };
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map((part) => Number(part)));
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  // a trailing dotted quad (`::ffff:192.0.2.10`) becomes two groups
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const bytes = ipv4Bytes(quad[1]!);
    text = text.slice(0, -quad[1]!.length) + `${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.forEach((group, index) => out.writeUInt16BE(parseInt(group, 16), index * 2));
  return out;
}
