// Hedgerow's DNS filter: UDP and TCP, EDNS(0), a TTL-respecting cache, the engine's decision on
// every query, safe-search rewrites and the Firefox DoH canary.
export { startDnsFilter, type DnsFilter, type DnsFilterStats } from './server.ts';
export type { DnsFilterOptions } from './options.ts';
export { safeSearchRules, safeSearchTarget, type SafeSearchLevel, type SafeSearchRule, type SafeSearchSettings } from './safe-search.ts';
