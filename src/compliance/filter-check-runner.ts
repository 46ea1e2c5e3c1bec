// The filter checks (DfE filtering standard: check regularly that the filter does what the
// policy says, and record it). Each test of `workflows.compliance.filterChecks.tests` goes
// through the real enforcement points, never the engine alone:
//   - proxy: a GET through the running proxy, signed in as the test's role and groups with a
//     check identity (check-identities.ts); the proxy's answer says block, warn or allow and,
//     for a block or warn, the rule and clauses;
//   - DNS: a query to the running DNS filter from a local address. The DNS filter knows people
//     only by their address, so the test runs only where a source address maps to exactly the
//     test's role (or a role the same as it) and groups; otherwise it is recorded as not applicable.
// Expected against seen, per path: a pass needs the expected answer and, where the test lists
// clauses and the path reports them, every listed clause cited.
import type { ComplianceSection, ResolvedPolicy } from '../policy/index.ts';
import type { CheckResultView, CheckSeen } from './compliance-types.ts';
import type { CheckAs, CheckCredentials } from './check-identities.ts';
import { probeDns, type DnsBlockAnswer } from './dns-probe.ts';
import { probeProxy, type ProbeAnswer } from './proxy-probe.ts';

export type FilterCheckTest = NonNullable<ComplianceSection['filterChecks']>['tests'][number];

export interface FilterCheckTargets {
  /** the running proxy, and the credentials that browse as a role and groups */
  proxy: { host: string; port: number; credentialsFor(as: CheckAs): Promise<CheckCredentials> } | null;
  /**
   * the running DNS filter: how it answers a block, the local addresses the checks may send from
   * (default 127.0.0.1), and who the filter takes each of them for (its own `identify`)
   */
  dns: {
    host: string;
    port: number;
    blockAnswer: DnsBlockAnswer;
    sources?: readonly string[];
    identify(address: string): { role: string; groups?: readonly string[] };
  } | null;
  /** per probe; default 10 s */
  timeoutMs?: number;
}

type Expected = CheckResultView['expected'];

const EXPECTED: Record<FilterCheckTest['expect'], Expected> = { allow: 'allowed', block: 'blocked', warn: 'warned' };

export class FilterCheckRunner {
  constructor(private readonly targets: FilterCheckTargets) {}

  /** Whether anything can be checked here (the proxy or the DNS filter runs). */
  get available(): boolean {
    return this.targets.proxy !== null || this.targets.dns !== null;
  }

  /** Runs the tests one after another, both paths each, and returns every result in order. */
  async run(tests: readonly FilterCheckTest[], policy: ResolvedPolicy): Promise<CheckResultView[]> {
    const results: CheckResultView[] = [];
    for (const test of tests) {
      results.push(await this.viaProxy(test));
      results.push(await this.viaDns(test, policy));
    }
    return results;
  }

  private timeout(): number {
    return this.targets.timeoutMs ?? 10_000;
  }

  private async viaProxy(test: FilterCheckTest): Promise<CheckResultView> {
    const expected = EXPECTED[test.expect];
    const proxy = this.targets.proxy;
    if (!proxy) return notApplicable(test, 'proxy', expected, 'the proxy is not running here');
    let credentials: CheckCredentials;
    try {
      credentials = await proxy.credentialsFor({ role: test.as.role, groups: test.as.groups });
    } catch (error) {
      return result(test, 'proxy', expected, { seen: 'error', status: null, latencyMs: null, rule: null, clauses: [], detail: (error as Error).message });
    }
    const answer = await probeProxy(proxy, test.url, credentials, this.timeout());
    return result(test, 'proxy', expected, answer);
  }

  private async viaDns(test: FilterCheckTest, policy: ResolvedPolicy): Promise<CheckResultView> {
    const dns = this.targets.dns;
    // DNS cannot show a warning: with an address answer it sends the browser to the block page
    // (which shows the warning), with NXDOMAIN answers it lets the name through
    const expected: Expected = test.expect === 'warn' ? (dns && dns.blockAnswer !== 'nxdomain' ? 'blocked' : 'allowed') : EXPECTED[test.expect];
    if (!dns) return notApplicable(test, 'dns', expected, 'the DNS filter is not running here');
    const host = new URL(test.url).hostname.replace(/^\[|\]$/g, '');
    if (/^[\d.]+$/.test(host) || host.includes(':')) return notApplicable(test, 'dns', expected, 'the address is an IP address; there is no name to look up');
    const source = (dns.sources ?? ['127.0.0.1']).find((address) => sameIdentity(dns.identify(address), test.as, policy));
    if (source === undefined) {
      return notApplicable(test, 'dns', expected, `no check source address is taken for ${describeAs(test.as)} by the DNS filter`);
    }
    const answer = await probeDns(dns, host, { localAddress: source, blockAnswer: dns.blockAnswer, timeoutMs: this.timeout() });
    return result(test, 'dns', expected, { ...answer, detail: `${answer.detail ?? ''}${answer.detail ? '; ' : ''}asked from ${source}` });
  }
}

function effectiveRole(role: string, policy: ResolvedPolicy): string {
  return policy.roles[role]?.sameAs ?? role;
}

/** The DNS filter's person for an address is the test's: same role (or one the same as it) and groups. */
function sameIdentity(person: { role: string; groups?: readonly string[] }, as: { role: string; groups: readonly string[] }, policy: ResolvedPolicy): boolean {
  if (effectiveRole(person.role, policy) !== effectiveRole(as.role, policy)) return false;
  const mine = [...new Set(person.groups ?? [])].sort().join('\n');
  const wanted = [...new Set(as.groups)].sort().join('\n');
  return mine === wanted;
}

function describeAs(as: { role: string; groups: readonly string[] }): string {
  return as.groups.length > 0 ? `\`${as.role}\` in ${as.groups.map((g) => `\`${g}\``).join(', ')}` : `\`${as.role}\``;
}

function notApplicable(test: FilterCheckTest, path: 'proxy' | 'dns', expected: Expected, detail: string): CheckResultView {
  return {
    testId: test.id,
    url: test.url,
    role: test.as.role,
    groups: [...test.as.groups],
    path,
    expected,
    seen: 'not-applicable',
    outcome: 'not-applicable',
    latencyMs: null,
    status: null,
    rule: null,
    clauses: [],
    expectedClauses: [...test.clauses],
    detail,
  };
}

function result(test: FilterCheckTest, path: 'proxy' | 'dns', expected: Expected, answer: ProbeAnswer): CheckResultView {
  const seen: CheckSeen = answer.seen;
  let pass = seen === expected;
  let detail = answer.detail;
  // the proxy reports the clauses of a block or warn; a block for another reason is a failure too
  if (pass && path === 'proxy' && seen !== 'allowed' && test.clauses.length > 0) {
    const missing = test.clauses.filter((clause) => !answer.clauses.includes(clause));
    if (missing.length > 0) {
      pass = false;
      detail = `cited ${answer.clauses.join(', ') || 'no clause'} (rule \`${answer.rule ?? 'none'}\`), not ${missing.join(', ')}`;
    }
  }
  if (!pass && seen !== expected) detail = `expected ${expected}, the filter ${seen === 'error' ? 'gave an error' : seen}${detail ? `: ${detail}` : ''}`;
  return {
    testId: test.id,
    url: test.url,
    role: test.as.role,
    groups: [...test.as.groups],
    path,
    expected,
    seen,
    outcome: pass ? 'pass' : 'fail',
    latencyMs: answer.latencyMs,
    status: answer.status,
    rule: answer.rule,
    clauses: answer.clauses,
    expectedClauses: [...test.clauses],
    detail,
  };
}
