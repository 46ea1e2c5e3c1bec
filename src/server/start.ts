// `hedgerow start`: the proxy, the DNS filter and the HTTP service in one process, sharing one
// engine that is swapped atomically when the policy or the catalogue changes. A broken new policy
// is refused with its lint messages, the last good one stays in force, and the people who may edit
// the policy are told. When the engine cannot decide (no catalogue, or `decide` throwing), each
// role's fail mode from the policy applies at the proxy, the DNS filter and the block pages.
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { allRoutes, startHttpService, type ApiDeps, type HealthReport } from '../api/index.ts';
import { openActivityStore, type ActivityStore } from '../activity/index.ts';
import { AuthService, ensureSetupToken, setupLink } from '../auth/index.ts';
import { AuditLog, migrate, openDatabase, redactDatabaseUrl, type StoreDatabase } from '../db/index.ts';
import { OverrideStore } from '../overrides/index.ts';
import { addressesAtDomains, createMailInspector, KeyRing, Quarantine, relayMessage, startMailService, type MailInspector, type MailService } from '../mail/index.ts';
import type { RequestsWorkflow } from '../cases/index.ts';
import { openWorkflows, type Workflows } from './workflows.ts';
import type { HedgerowConfig } from '../config/index.ts';
import { startDnsFilter, type DnsFilter } from '../dns/index.ts';
import { PolicyEngine, type DecisionEvent, type DecisionQuery, type Person } from '../engine/index.ts';
import { buildCatalogue } from '../catalog/index.ts';
import { formatLocation, HedgerowError } from '../errors/index.ts';
import { loadPolicy, parseDuration, readLayerChain, type PolicyProblem } from '../policy/index.ts';
import { defaultForbiddenTargets, readCertificateAuthority, startProxy, type ForwardProxy, type InspectionOptions } from '../proxy/index.ts';
import { dataDirectory, loadEngine, referencePolicyPath, type LoadedEngine } from '../runtime/index.ts';
import { DecisionLog, PostgresEventStore, databasePath, type DecisionLogStats, type EventStoreBackend } from '../store/index.ts';
import { DecisionGuard, type FailModeHealth } from './decision-guard.ts';
import { alertReloadRefused } from './reload-alert.ts';
import { Identifier, LdapAuthenticator, NetworkMap, PeopleStore, type LdapOptions } from '../identity/index.ts';

export interface RunningHedgerow {
  readonly engine: PolicyEngine;
  readonly proxy: ForwardProxy | null;
  readonly dns: DnsFilter | null;
  readonly http: { host: string; port: number };
  /** the decision log: SQLite in the data folder, or PostgreSQL (whose reads return promises) */
  readonly log: DecisionLog<EventStoreBackend>;
  /** unblock requests, reports and the register */
  readonly requests: RequestsWorkflow;
  /** every workflow: notifications, incidents, sanctions, alerts, compliance, reports */
  readonly workflows: Workflows;
  readonly people: PeopleStore;
  readonly store: StoreDatabase;
  readonly overrides: OverrideStore;
  readonly activity: ActivityStore;
  readonly dataDir: string;
  /** the one-time link that creates the first administrator, while no account exists */
  readonly setupUrl: string | null;
  /** reload the policy and catalogue; returns the problems when the new policy was refused */
  reload(): { ok: boolean; problems: string[]; revision: string };
  close(): Promise<void>;
}

/** `/health` as the server reports it: the service's report, with fail modes and the problems in one list. */
export type ServerHealth = HealthReport & {
  /** every reason the status is `degraded`, as sentences */
  problems: string[];
  failMode: FailModeHealth;
  decisionLog: DecisionLogStats;
};

export interface StartOptions {
  now?: () => number;
  log?: (line: string) => void;
  /** the proxy's name lookups (default: the system resolver); tests map reserved names here */
  resolveHost?: (host: string) => Promise<string[]>;
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

  const policyProblems = (problems: readonly PolicyProblem[]) => problems.map((p) => `${formatLocation(p.where)}${p.message} [${p.code}]`);
  // The policy decides who gets which fail mode, so a policy that cannot be used stops the start;
  // a catalogue that cannot be loaded does not: every role gets its fail mode until a reload works.
  let first: LoadedEngine;
  let startFailure: string | null = null;
  try {
    first = loadEngine({ policyFile, dataDir });
  } catch (error) {
    const { policy, problems } = loadPolicy(policyFile);
    if (!policy) throw new HedgerowError('HR_POLICY_SCHEMA', `the policy cannot be used:\n${policyProblems(problems).join('\n')}`);
    startFailure = `the catalogue cannot be loaded: ${(error as Error).message}`;
    first = { engine: new PolicyEngine({ policy, catalogue: buildCatalogue([], false) }), problems, policyFile, catalogueLoadMs: 0, catalogueFromSnapshot: false };
  }
  if (!first.engine) {
    throw new HedgerowError('HR_POLICY_SCHEMA', `the policy cannot be used:\n${policyProblems(first.problems).join('\n')}`);
  }
  let engine: PolicyEngine = first.engine;
  let loadedAt = now();
  let lastReloadProblems: string[] = [];
  const policy = () => engine.policy;
  say(`policy ${engine.revision}: ${policy().layers.map((l) => l.name).join(' → ')}`);
  const guard = new DecisionGuard({ policy: () => engine.policy, revision: () => engine.revision, now, say });
  if (startFailure !== null) {
    guard.setUnavailable(startFailure);
    const modes = guard.report().roles;
    say(`${startFailure}; until a reload succeeds each role's fail mode applies: ${Object.entries(modes).map(([role, mode]) => `${role} ${mode}`).join(', ')}`);
  } else {
    say(`catalogue: ${engine.catalogue.domainCount} domains, ${engine.catalogue.ipCount} IP rules (${first.catalogueFromSnapshot ? 'snapshot' : 'built'} in ${first.catalogueLoadMs.toFixed(0)} ms)`);
  }

  // With a PostgreSQL store the decision log writes there too (still spooling to the data folder
  // first), so the dashboard reads what the filters write.
  const storeUrl = config.database ?? `sqlite:${databasePath(dataDir)}`;
  const postgresEvents = /^postgres(ql)?:\/\//.test(storeUrl) ? await PostgresEventStore.open(storeUrl) : null;
  const log: DecisionLog<EventStoreBackend> = DecisionLog.open<EventStoreBackend>({
    dataDir,
    ...(postgresEvents ? { backend: postgresEvents } : {}),
    retentionMs: parseDuration(policy().retention.decisions ?? '365d'),
    circumventionWindowMs: parseDuration(policy().circumvention.window),
    circumventionThreshold: policy().circumvention.threshold,
    // the circumvention window and retention run on the server's clock, as the events are stamped
    now,
    // the sanctions workflow turns a crossing into a proposal (8.2); it exists a little later
    onCircumventionThreshold: (person, count, events) => workflows?.onCircumventionThreshold(person, count, events),
    // a failing database or spool is the operator's to see, in the server's own log
    onWarning: say,
  });
  let workflows: Workflows | null = null;
  if (log.migrations && log.migrations.applied.length > 0) say(`store: applied migrations ${log.migrations.applied.join(', ')}`);

  // The typed store (accounts, sessions, audit, overrides, settings): SQLite in the data folder,
  // or PostgreSQL. Overrides are read into memory here so the data path never waits for it.
  let store: StoreDatabase;
  let overrides: OverrideStore;
  let activity: ActivityStore;
  try {
    store = await openDatabase(storeUrl);
  } catch (error) {
    await log.close();
    throw error;
  }
  try {
    const migrated = await migrate(store.db);
    if (migrated.failed) throw migrated.failed.error;
    if (migrated.applied.length > 0) say(`store ${redactDatabaseUrl(storeUrl)}: applied migrations ${migrated.applied.join(', ')}`);
    overrides = await OverrideStore.open({ store, audit: new AuditLog(store, { now }), now });
    activity = await openActivityStore(store.dialect === 'postgres' ? { postgres: storeUrl } : { dataDir });
  } catch (error) {
    await store.close();
    await log.close();
    throw error;
  }
  const audit = new AuditLog(store, { now });

  // Who is browsing: proxy credentials (the roster's passwords, or a directory bind), a
  // registered device, the client's network, else the policy's unidentified role. The DNS filter
  // and the block-page service see only addresses, so they use the network mapping alone.
  const people = PeopleStore.open(dataDir);
  let reloadLater = (): { ok: boolean; problems: string[]; revision: string } => ({ ok: false, problems: ['the server is still starting'], revision: engine.revision });
  let httpPortLater = config.http.port;
  // The workflows (requests and reports, incidents, sanctions, alerts, compliance, reports for
  // governors) over the same store. A site report closed as blocked edits the school layer and
  // reloads; the block page's forms carry a ticket signed with the key in the data folder.
  let running: Workflows;
  try {
    running = await openWorkflows({
      store,
      audit,
      people,
      overrides,
      config,
      dataDir,
      policy,
      schoolPolicy: { file: () => policyFile, reload: () => reloadLater() },
      dashboardUrl: () => `${config.http.publicUrl ?? `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${httpPortLater}`}/dashboard/`,
      now,
      say,
    });
  } catch (error) {
    overrides.close();
    await activity.close();
    await store.close();
    await log.close();
    people.close();
    throw error;
  }
  workflows = running;
  const { requests, blockForms } = running;
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
  // Every enforcement point decides with the overrides in force (held in memory, current on change).
  // Every decision event goes to the log, then past the safeguarding alerts (in memory, cheap).
  const sink = (event: DecisionEvent) => {
    log.sink(event);
    running.noteEvent(event);
  };
  // When the engine cannot answer, the guard answers with the role's fail mode instead.
  const decide = (query: DecisionQuery) =>
    guard.decide(query, (q) => {
      q.grants = overrides.current();
      q.person = running.applySanctions(q.person, q.at);
      return engine.decide(q);
    });
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
    let mail: MailService | null = null;
    const health = (): ServerHealth => {
      const failMode = guard.report();
      const decisionLog = log.stats();
      const problems: string[] = [];
      if (lastReloadProblems.length > 0) problems.push(`the last policy reload was refused (${lastReloadProblems.length} problem${lastReloadProblems.length === 1 ? '' : 's'}); the policy in force is ${engine.revision}`);
      if (failMode.active) problems.push(`fail modes apply since ${new Date(failMode.since!).toISOString()}: ${failMode.why}`);
      if (decisionLog.storeError !== null) problems.push(`the decision log's database is failing since ${new Date(decisionLog.storeErrorSince!).toISOString()} (${decisionLog.storeError}); events wait in the spool`);
      if (decisionLog.spoolError !== null) problems.push(`the decision log's spool cannot be written since ${new Date(decisionLog.spoolErrorSince!).toISOString()} (${decisionLog.spoolError})`);
      if (decisionLog.dropped > 0) problems.push(`${decisionLog.dropped} decision events were lost (neither spooled nor stored)`);
      const dnsStats = dns?.stats();
      // one name whose servers never answer is not an outage; several failures in a row are
      if (dnsStats?.upstreamFailingSince != null && dnsStats.upstreamFailuresInARow >= 3) problems.push(`the DNS filter's upstream resolvers are failing since ${new Date(dnsStats.upstreamFailingSince).toISOString()}; cached names are answered stale, others SERVFAIL`);
      return {
        status: problems.length === 0 ? 'ok' : 'degraded',
        problems,
        policyRevision: engine.revision,
        policyLoadedAt: loadedAt,
        lastReloadProblems,
        failMode,
        points: {
          proxy: { enabled: proxy !== null, listening: proxy ? `${proxy.address.host}:${proxy.address.port}` : null, stats: proxy?.stats() },
          dns: { enabled: dns !== null, listening: dns ? `${dns.address.host}:${dns.address.port}` : null, stats: dnsStats },
          ...Object.fromEntries(
            (mail?.filters ?? []).map((filter) => [`mail-${filter.mode}`, { enabled: true, listening: `${filter.address.host}:${filter.address.port}`, stats: filter.stats() }]),
          ),
        },
        decisionLog,
        catalogueDomains: engine.catalogue.domainCount,
      };
    };
    let reloadPolicy = (): { ok: boolean; problems: string[]; revision: string } => ({ ok: false, problems: ['the server is still starting'], revision: engine.revision });
    // Mail: the sealed quarantine and an inspector rebuilt whenever the policy or roster changes.
    const mailConfig = config.mail;
    const quarantine = mailConfig ? new Quarantine({ store, audit, keys: KeyRing.fromConfig(mailConfig.quarantine ?? {}), now }) : null;
    // The roster's names are re-read at most once a minute, not per message.
    let mailInspector: { revision: string; roster: string; checkedAt: number; inspector: MailInspector } | null = null;
    const currentMailInspector = (): MailInspector => {
      const at = now();
      if (mailInspector && mailInspector.revision === engine.revision && at - mailInspector.checkedAt < 60_000) return mailInspector.inspector;
      const names = people.list().map((p) => p.displayName);
      const roster = names.join('\n');
      if (mailInspector && mailInspector.revision === engine.revision && mailInspector.roster === roster) {
        mailInspector.checkedAt = at;
        return mailInspector.inspector;
      }
      const mailPolicy = policy().mail;
      if (!mailPolicy) throw new HedgerowError('HR_CONFIG_INVALID', 'mail is configured but the policy has no `mail` section');
      mailInspector = { revision: engine.revision, roster, checkedAt: at, inspector: createMailInspector({ policy: mailPolicy, names, now }) };
      return mailInspector.inspector;
    };
    const directory = config.ldap ? new LdapAuthenticator(structuredClone(config.ldap) as LdapOptions) : null;
    const apiDeps: ApiDeps = {
      db: store,
      audit,
      engine: () => engine,
      policyFiles: () => ({ school: policyFile, layers: engine.policy.layers.map((layer) => resolve(layer.file)) }),
      reload: () => reloadPolicy(),
      people,
      activity,
      overrides,
      requests,
      workflows: running.routeDeps,
      health,
      config,
      now,
      ...(quarantine && mailConfig
        ? {
            quarantine: {
              quarantine,
              addressesOf: addressesAtDomains(() => policy().mail?.internalDomains ?? []),
              reinject: (envelope: { from: string; to: string[] }, raw: Buffer) => relayMessage(mailConfig.relay, envelope, raw),
            },
          }
        : {}),
      auth: new AuthService(
        { store, audit, policy, now, groupsOf: (username) => people.get(username)?.groups ?? [], directory },
        { idleTimeoutMs: parseDuration(config.dashboard.idleTimeout), absoluteLifetimeMs: parseDuration(config.dashboard.sessionLifetime) },
      ),
    };
    const http = await startHttpService({
      host: httpHost,
      port: httpPort,
      publicUrl,
      pac: () => ({ proxyHost: config.proxy.host, proxyPort: proxy?.address.port ?? config.proxy.port, bypass: config.pacBypass }),
      identify,
      decide: (person, url, at) => decide({ person, url, at }),
      api: { deps: apiDeps, routes: allRoutes(apiDeps) },
      isPupil,
      timeZone,
      blockForms,
      sink,
      now,
      health,
    });
    httpPort = http.address.port;
    httpPortLater = httpPort;
    started.push(() => http.app.close());
    say(`block page, PAC file and health on ${publicUrl()}; dashboard on ${publicUrl()}/dashboard/`);
    const setupToken = await ensureSetupToken(store, now());
    const setupUrl = setupToken ? setupLink(publicUrl(), setupToken) : null;
    if (setupUrl) say(`no dashboard account yet: create the first administrator at ${setupUrl} (or run \`hedgerow users add --role headteacher\`)`);

    if (config.proxy.enabled) {
      proxy = await startProxy({
        host: config.proxy.host,
        port: config.proxy.port,
        allowedClients: [...config.proxy.allowedClients],
        requireAuth: config.proxy.requireAuth,
        limits: config.proxy.limits,
        ...(config.proxy.forbiddenTargets ? { forbiddenTargets: [...defaultForbiddenTargets, ...config.proxy.forbiddenTargets] } : {}),
        // the dashboard and API, the DNS filter and the mail filter are never reached through the proxy
        ownPorts: () => [httpPort, ...(dns ? [dns.address.port] : []), ...(mail?.filters ?? []).map((filter) => filter.address.port)],
        // With requireAuth, no credentials means a challenge (407), not the network's role.
        identify: (clientIp, credentials) => (config.proxy.requireAuth && credentials === null ? null : identifier.identify(clientIp, credentials)),
        decide,
        sink,
        blockPage: { baseUrl: `${publicUrl()}/block`, smartAdviceFor: isPupil, timeZone: timeZone(), ticket: (fields) => blockForms.ticket(fields) },
        warnGraceMs: parseDuration(policy().warnGrace),
        safeSearchFor: (person) => engine.safeSearchFor(person),
        ...(inspection ? { inspection } : {}),
        ...(options.resolveHost ? { resolve: options.resolveHost } : {}),
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
        // the canary asks whether DNS-over-HTTPS counts as circumvention for this person, sanctions
        // aside; failing closed keeps DoH off too, so the filter is not bypassed meanwhile
        dohIsCircumvention: (person) => {
          const decision = guard.decide({ person, url: 'dns.google', at: now() }, (q) => engine.decide({ ...q, grants: overrides.current() }));
          return decision.circumvention || decision.kind === 'block.fail-closed';
        },
        sink,
        ...(config.dns.rateLimit ? { rateLimit: { ...config.dns.rateLimit } } : {}),
        now,
      });
      started.push(() => dns!.close());
      say(`DNS filter listening on ${dns.address.host}:${dns.address.port} (udp and tcp)`);
    }

    // The filter checks (DfE standards) browse through the proxy and DNS filter just started.
    {
      const dnsBlockAddress = config.dns.blockAddress ?? (httpHost === '0.0.0.0' || httpHost === '::' ? '127.0.0.1' : httpHost);
      running.attachFilterChecks({
        proxy: proxy ? { host: proxy.address.host, port: proxy.address.port } : null,
        dns: dns
          ? {
              host: dns.address.host,
              port: dns.address.port,
              blockAnswer: config.dns.blockAnswer === 'nxdomain' ? 'nxdomain' : { a: dnsBlockAddress, ...(config.dns.blockAddress6 ? { aaaa: config.dns.blockAddress6 } : {}) },
              identify,
            }
          : null,
      });
    }

    if (mailConfig && quarantine) {
      currentMailInspector(); // a policy without a usable mail section fails here, at start
      mail = await startMailService(mailConfig, {
        inspector: currentMailInspector,
        quarantine,
        retentionMs: () => (policy().retention.quarantine ? parseDuration(policy().retention.quarantine!) : null),
        onPurgeError: (error) => say(`quarantine purge failed: ${(error as Error).message}`),
        now,
      });
      started.push(() => mail!.close());
      for (const filter of mail.filters) say(`mail filter (${filter.mode}) listening on ${filter.address.host}:${filter.address.port}`);
    }

    const reload = () => {
      let next: LoadedEngine;
      try {
        next = loadEngine({ policyFile, dataDir });
      } catch (error) {
        // a catalogue that cannot be loaded is refused like a broken policy: the last good engine stays
        const problem: PolicyProblem = { code: 'HR_CATALOG_READ', message: `the catalogue cannot be loaded: ${(error as Error).message}`, where: {} };
        next = { engine: null, problems: [problem], policyFile, catalogueLoadMs: 0, catalogueFromSnapshot: false };
      }
      if (!next.engine) {
        lastReloadProblems = policyProblems(next.problems);
        say(`policy reload refused; the last good policy (${engine.revision}) stays in force:\n  ${lastReloadProblems.join('\n  ')}`);
        // the revision of what was refused: saving the same broken text again tells no one twice
        const refusedRevision = createHash('sha256').update(readLayerChain(policyFile).revision).update('\0').update(lastReloadProblems.join('\n')).digest('hex').slice(0, 16);
        alertReloadRefused(running.notifications.center, { policy: engine.policy, inForce: engine.revision, refusedRevision, file: policyFile, problems: lastReloadProblems }).catch((error: Error) =>
          say(`policy reload refused: the alert could not be sent: ${error.message}`),
        );
        return { ok: false, problems: lastReloadProblems, revision: engine.revision };
      }
      engine = next.engine;
      loadedAt = now();
      lastReloadProblems = [];
      guard.setUnavailable(null);
      say(`policy reloaded: ${engine.revision}`);
      return { ok: true, problems: [], revision: engine.revision };
    };
    reloadPolicy = reload;
    reloadLater = reload;

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
      requests,
      workflows: running,
      people,
      store,
      overrides,
      activity,
      dataDir,
      setupUrl,
      reload,
      async close() {
        if (closed) return;
        closed = true;
        if (debounce) clearTimeout(debounce);
        for (const w of watchers) w.close();
        for (const stop of started.reverse()) await stop().catch(() => undefined);
        await running.close();
        overrides.close();
        await activity.close();
        await store.close();
        await log.close();
        people.close();
      },
    };
  } catch (error) {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    await running.close();
    overrides.close();
    await activity.close();
    await store.close();
    await log.close();
    people.close();
    throw error;
  }
}
