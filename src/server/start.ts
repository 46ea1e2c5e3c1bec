// `hedgerow start`: the proxy, the DNS filter and the HTTP service in one process, sharing one
// engine that is swapped atomically when the policy or the catalogue changes. A broken new policy
// is refused with its lint messages and the last good one stays in force.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { startHttpService, type HealthReport } from '../api/index.ts';
import { BlockPageReports } from '../cases/index.ts';
import type { HedgerowConfig } from '../config/index.ts';
import { startDnsFilter, type DnsFilter } from '../dns/index.ts';
import type { DecisionQuery, Person, PolicyEngine } from '../engine/index.ts';
import { formatLocation, HedgerowError } from '../errors/index.ts';
import { parseDuration } from '../policy/index.ts';
import { readCertificateAuthority, startProxy, type ForwardProxy, type InspectionOptions } from '../proxy/index.ts';
import { dataDirectory, loadEngine, referencePolicyPath } from '../runtime/index.ts';
import { DecisionLog, databasePath } from '../store/index.ts';
import { Identifier, LdapAuthenticator, NetworkMap, PeopleStore, type LdapOptions } from '../identity/index.ts';

export interface RunningHedgerow {
  readonly engine: PolicyEngine;
  readonly proxy: ForwardProxy | null;
  readonly dns: DnsFilter | null;
  readonly http: { host: string; port: number };
  readonly log: DecisionLog;
  readonly reports: BlockPageReports;
  readonly people: PeopleStore;
  readonly dataDir: string;
  /** reload the policy and catalogue; returns the problems when the new policy was refused */
  reload(): { ok: boolean; problems: string[]; revision: string };
  close(): Promise<void>;
}

export interface StartOptions {
  now?: () => number;
  log?: (line: string) => void;
}

/** The machine's own resolvers, for forwarding allowed names when none are configured. */
function systemResolvers(): Array<{ host: string; port: number }> {
  try {
    const text = readFileSync('/etc/resolv.conf', 'utf8');
    const found = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => ({ host: m[1]!, port: 53 }));
    return found.length > 0 ? found : [{ host: '127.0.0.1', port: 53 }];
  } catch {
    return [{ host: '127.0.0.1', port: 53 }];
  }
}

export async function startHedgerow(config: HedgerowConfig, options: StartOptions = {}): Promise<RunningHedgerow> {
  const now = options.now ?? Date.now;
  const say = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dataDir = resolve(config.dataDir ?? dataDirectory());
  const policyFile = resolve(config.policy ?? referencePolicyPath());

  const first = loadEngine({ policyFile, dataDir });
  if (!first.engine) {
    throw new HedgerowError('HR_POLICY_SCHEMA', `the policy cannot be used:\n${first.problems.map((p) => `${formatLocation(p.where)}${p.message} [${p.code}]`).join('\n')}`);
  }
  let engine: PolicyEngine = first.engine;
  let loadedAt = now();
  let lastReloadProblems: string[] = [];
  const policy = () => engine.policy;
  say(`policy ${engine.revision}: ${policy().layers.map((l) => l.name).join(' → ')}`);
  say(`catalogue: ${engine.catalogue.domainCount} domains, ${engine.catalogue.ipCount} IP rules (${first.catalogueFromSnapshot ? 'snapshot' : 'built'} in ${first.catalogueLoadMs.toFixed(0)} ms)`);

  const log = DecisionLog.open({
    dataDir,
    retentionMs: parseDuration(policy().retention.decisions ?? '365d'),
    circumventionWindowMs: parseDuration(policy().circumvention.window),
    circumventionThreshold: policy().circumvention.threshold,
  });
  if (log.migrations && log.migrations.applied.length > 0) say(`store: applied migrations ${log.migrations.applied.join(', ')}`);
  const reports = new BlockPageReports(databasePath(dataDir));
  if (reports.migrations.applied.length > 0) say(`store: applied migrations ${reports.migrations.applied.join(', ')}`);

  // Who is browsing: proxy credentials (the roster's passwords, or a directory bind), a
  // registered device, the client's network, else the policy's unidentified role. The DNS filter
  // and the block-page service see only addresses, so they use the network mapping alone.
  const people = PeopleStore.open(dataDir);
  const unidentifiedRole = () => policy().unidentifiedRole ?? 'guest';
  const networks = new NetworkMap(config.networks.map((n) => ({ ...n, groups: [...n.groups] })));
  const identifier = new Identifier({
    people,
    networks: config.networks.map((n) => ({ ...n, groups: [...n.groups] })),
    unidentifiedRole,
    timeZone: () => policy().calendar?.timeZone ?? 'UTC',
    policy: () => ({ roles: Object.keys(policy().roles), groups: Object.keys(policy().groups) }),
    directory: config.ldap ? new LdapAuthenticator(structuredClone(config.ldap) as LdapOptions) : null,
    clock: now,
    onDirectoryError: (error) => say(`directory sign-in failed: ${(error as Error).message}`),
  });
  const identify = (clientIp: string): Person => {
    const network = networks.lookup(clientIp);
    return network ? { role: network.role, groups: [...(network.groups ?? [])] } : { role: unidentifiedRole() };
  };
  const decide = (query: DecisionQuery) => engine.decide(query);
  const isPupil = (person: Person) => {
    const role = engine.roleOf(person);
    return role !== null && policy().roles[role]?.child === true;
  };
  const timeZone = () => policy().calendar?.timeZone ?? 'UTC';

  const httpHost = config.http.host;
  let httpPort = config.http.port;
  const publicUrl = () => config.http.publicUrl ?? `http://${httpHost.includes(':') ? `[${httpHost}]` : httpHost}:${httpPort}`;

  // TLS inspection: the school CA from the data folder, for the roles and groups configured,
  // never for a host in a category the policy marks private (banking, health).
  let inspection: InspectionOptions | null = null;
  if (config.inspection.enabled) {
    const ca = readCertificateAuthority(join(dataDir, 'ca'));
    if (!ca) throw new HedgerowError('HR_CONFIG_INVALID', `inspection is enabled but there is no school CA in \`${join(dataDir, 'ca')}\`; run \`hedgerow ca create\``);
    const roles = new Set(config.inspection.roles);
    const groups = new Set(config.inspection.groups);
    inspection = {
      ca,
      inspect: (person, _host, categories) => {
        if (categories.some((name) => policy().categories[name]?.private === true)) return false;
        if (roles.size === 0 && groups.size === 0) return true;
        const role = engine.roleOf(person);
        return (role !== null && roles.has(role)) || roles.has(person.role) || (person.groups ?? []).some((g) => groups.has(g));
      },
    };
    say(`TLS inspection on for ${roles.size + groups.size === 0 ? 'everyone' : [...roles, ...groups].join(', ')} (private categories excepted)`);
  }

  const started: Array<() => Promise<void>> = [];
  try {
    let proxy: ForwardProxy | null = null;
    let dns: DnsFilter | null = null;
    const http = await startHttpService({
      host: httpHost,
      port: httpPort,
      publicUrl,
      pac: () => ({ proxyHost: config.proxy.host, proxyPort: proxy?.address.port ?? config.proxy.port, bypass: config.pacBypass }),
      identify,
      decide: (person, url, at) => engine.decide({ person, url, at }),
      isPupil,
      timeZone,
      reports,
      sink: log.sink,
      now,
      health: (): HealthReport => ({
        status: lastReloadProblems.length === 0 ? 'ok' : 'degraded',
        policyRevision: engine.revision,
        policyLoadedAt: loadedAt,
        lastReloadProblems,
        points: {
          proxy: { enabled: proxy !== null, listening: proxy ? `${proxy.address.host}:${proxy.address.port}` : null, stats: proxy?.stats() },
          dns: { enabled: dns !== null, listening: dns ? `${dns.address.host}:${dns.address.port}` : null, stats: dns?.stats() },
        },
        decisionLog: log.stats(),
        catalogueDomains: engine.catalogue.domainCount,
      }),
    });
    httpPort = http.address.port;
    started.push(() => http.app.close());
    say(`block page, PAC file and health on ${publicUrl()}`);

    if (config.proxy.enabled) {
      proxy = await startProxy({
        host: config.proxy.host,
        port: config.proxy.port,
        allowedClients: [...config.proxy.allowedClients],
        requireAuth: config.proxy.requireAuth,
        // With requireAuth, no credentials means a challenge (407), not the network's role.
        identify: (clientIp, credentials) => (config.proxy.requireAuth && credentials === null ? null : identifier.identify(clientIp, credentials)),
        decide,
        sink: log.sink,
        blockPage: { baseUrl: `${publicUrl()}/block`, smartAdviceFor: isPupil, timeZone: timeZone() },
        warnGraceMs: parseDuration(policy().warnGrace),
        safeSearchFor: (person) => engine.safeSearchFor(person),
        ...(inspection ? { inspection } : {}),
        now,
      });
      started.push(() => proxy!.close(5_000));
      say(`proxy listening on ${proxy.address.host}:${proxy.address.port}`);
    }


    if (config.dns.enabled) {
      const blockAddress = config.dns.blockAddress ?? (httpHost === '0.0.0.0' || httpHost === '::' ? '127.0.0.1' : httpHost);
      dns = await startDnsFilter({
        host: config.dns.host,
        port: config.dns.port,
        upstreams: config.dns.upstreams ? config.dns.upstreams.map((u) => ({ ...u })) : systemResolvers(),
        blockAnswer: config.dns.blockAnswer === 'nxdomain' ? 'nxdomain' : { a: blockAddress, ...(config.dns.blockAddress6 ? { aaaa: config.dns.blockAddress6 } : {}) },
        identify,
        decide,
        safeSearchFor: (person) => engine.safeSearchFor(person),
        dohIsCircumvention: (person) => engine.decide({ person, url: 'dns.google', at: now() }).circumvention,
        sink: log.sink,
        ...(config.dns.rateLimit ? { rateLimit: { ...config.dns.rateLimit } } : {}),
        now,
      });
      started.push(() => dns!.close());
      say(`DNS filter listening on ${dns.address.host}:${dns.address.port} (udp and tcp)`);
    }

    const reload = () => {
      const next = loadEngine({ policyFile, dataDir });
      if (!next.engine) {
        lastReloadProblems = next.problems.map((p) => `${formatLocation(p.where)}${p.message} [${p.code}]`);
        say(`policy reload refused; the last good policy (${engine.revision}) stays in force:\n  ${lastReloadProblems.join('\n  ')}`);
        return { ok: false, problems: lastReloadProblems, revision: engine.revision };
      }
      engine = next.engine;
      loadedAt = now();
      lastReloadProblems = [];
      say(`policy reloaded: ${engine.revision}`);
      return { ok: true, problems: [], revision: engine.revision };
    };

    // Watch every layer file; editors replace files, so re-arm the watchers after each reload.
    let watchers: FSWatcher[] = [];
    let debounce: NodeJS.Timeout | null = null;
    const arm = () => {
      for (const w of watchers) w.close();
      watchers = [];
      if (!config.watchPolicy) return;
      // The policy's layers, and the catalogue snapshot that `hedgerow lists import` rewrites.
      const watched = [...engine.policy.layers.map((layer) => resolve(layer.file)), join(dataDir, 'catalog')];
      for (const path of watched) {
        try {
          const w = watch(path, (_event, name) => {
            if (path.endsWith('catalog') && name !== null && !String(name).startsWith('snapshot')) return;
            if (debounce) clearTimeout(debounce);
            debounce = setTimeout(() => {
              debounce = null;
              reload();
              arm();
            }, 300);
          });
          w.unref();
          watchers.push(w);
        } catch {
          // A file that cannot be watched is still reloaded on SIGHUP.
        }
      }
    };
    arm();

    let closed = false;
    return {
      get engine() {
        return engine;
      },
      proxy,
      dns,
      http: { host: httpHost, port: httpPort },
      log,
      reports,
      people,
      dataDir,
      reload,
      async close() {
        if (closed) return;
        closed = true;
        if (debounce) clearTimeout(debounce);
        for (const w of watchers) w.close();
        for (const stop of started.reverse()) await stop().catch(() => undefined);
        await log.close();
        reports.close();
        people.close();
      },
    };
  } catch (error) {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    await log.close();
    reports.close();
    people.close();
    throw error;
  }
}
