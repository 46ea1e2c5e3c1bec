// The workflows the policy names, built once at start over the shared store: notifications
// (inbox and mail), unblock requests and reports, incidents, circumvention sanctions, safeguarding
// alerts, compliance records and the reports for governors. The data path touches only two
// things here, both in memory: the sanction set (applied in `decide`) and the alert watcher
// (handed each decision event after the log); everything else runs off the data path.
import type { WorkflowRouteDeps } from '../api/index.ts';
import {
  AlertDigest,
  AlertStore,
  AlertWatcher,
  BlockPageForms,
  BlockTickets,
  IncidentStore,
  RequestsWorkflow,
  SanctionStore,
} from '../cases/index.ts';
import {
  CheckIdentities,
  CheckLog,
  ComplianceRecords,
  ComplianceScheduler,
  ComplianceService,
  FilterCheckRunner,
  peoplePopulation,
} from '../compliance/index.ts';
import type { HedgerowConfig } from '../config/index.ts';
import type { AuditLog, StoreDatabase } from '../db/index.ts';
import type { DecisionEvent, Person } from '../engine/index.ts';
import { isServiceIdentity, type PeopleStore } from '../identity/index.ts';
import { openNotifications, type Notifications } from '../notify/index.ts';
import type { OverrideStore } from '../overrides/index.ts';
import type { ResolvedPolicy } from '../policy/index.ts';
import { workflowReportSources } from './report-sources.ts';

export interface WorkflowOptions {
  store: StoreDatabase;
  audit: AuditLog;
  people: PeopleStore;
  overrides: OverrideStore;
  config: HedgerowConfig;
  dataDir: string;
  policy: () => ResolvedPolicy;
  /** the school layer's file and a reload, for site reports that add a site to the block list */
  schoolPolicy: { file(): string; reload(): { ok: boolean; problems: string[]; revision: string } };
  dashboardUrl: () => string;
  now: () => number;
  say: (line: string) => void;
}

export interface Workflows {
  notifications: Notifications;
  requests: RequestsWorkflow;
  blockForms: BlockPageForms;
  incidents: IncidentStore;
  sanctions: SanctionStore;
  alerts: AlertStore;
  alertWatcher: AlertWatcher;
  compliance: ComplianceService;
  /** a sanctioned pupil outside a supervised session is blocked; everyone else passes unchanged */
  applySanctions(person: Person, at: number): Person;
  /** every decision event, after the log has it; cheap and never throws */
  noteEvent(event: DecisionEvent): void;
  /** when the circumvention window crosses the policy's threshold (8.2) */
  onCircumventionThreshold(person: string, count: number, events: DecisionEvent[]): void;
  /** the filter checks browse through the running proxy and DNS filter, once they listen */
  attachFilterChecks(targets: {
    proxy: { host: string; port: number } | null;
    dns: { host: string; port: number; blockAnswer: 'nxdomain' | { a: string; aaaa?: string }; identify(address: string): { role: string; groups?: readonly string[] } } | null;
  }): void;
  /** what the API's workflow routes call */
  routeDeps: WorkflowRouteDeps;
  close(): Promise<void>;
}

/** The address a local client reaches a listener on (a wildcard bind answers on loopback). */
function reachable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export async function openWorkflows(options: WorkflowOptions): Promise<Workflows> {
  const { store, audit, people, overrides, policy, now, say } = options;
  const closers: Array<() => Promise<void> | void> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
  };
  try {
    const notifications = openNotifications({
      store,
      people,
      config: options.config.notify,
      roleSets: () => policy().roleSets,
      now,
      dashboardUrl: options.dashboardUrl,
      onError: (error) => say(`notifications: ${(error as Error).message}`),
    });
    closers.push(() => notifications.close());
    const notifier = notifications.center;

    const requests = new RequestsWorkflow({
      store,
      audit,
      overrides,
      notifier,
      policy,
      people,
      now,
      schoolPolicy: options.schoolPolicy,
      onError: (error, what) => say(`requests: ${what} failed: ${(error as Error).message}`),
    });
    await requests.start();
    closers.push(() => requests.close());
    const blockForms = new BlockPageForms({ workflow: requests, tickets: BlockTickets.open(options.dataDir, { now }) });

    const incidents = new IncidentStore({ store, audit, notifier, policy, now });
    incidents.startPurgeTimer(24 * 3_600_000, (error) => say(`incidents: retention purge failed: ${(error as Error).message}`));
    closers.push(() => incidents.close());

    const sanctions = await SanctionStore.open({
      store,
      audit,
      notifier,
      people,
      policy,
      now,
      // another node's decisions reach this one within this time
      refreshEveryMs: 30_000,
      onError: (error, what) => say(`sanctions: ${what} failed: ${(error as Error).message}`),
    });
    closers.push(() => sanctions.close());

    const alerts = new AlertStore(store, { now });
    const alertWatcher = new AlertWatcher({ store: alerts, notifier, policy, now, onError: (error) => say(`alerts: ${(error as Error).message}`) });
    await alertWatcher.start();
    closers.push(() => alertWatcher.close());
    const alertDigest = new AlertDigest({ store: alerts, notifier, policy, now, onError: (error) => say(`alert digest: ${(error as Error).message}`) });
    alertDigest.start();
    closers.push(() => alertDigest.close());

    const checkLog = new CheckLog(store);
    const compliance = new ComplianceService({
      records: new ComplianceRecords({ store, audit, now }),
      checkLog,
      audit,
      policy,
      population: peoplePopulation(people),
      notifier,
      now,
      onError: (error) => say(`compliance: ${(error as Error).message}`),
    });
    const complianceScheduler = new ComplianceScheduler({ service: compliance });
    complianceScheduler.start();
    closers.push(() => complianceScheduler.close());

    notifications.start();

    const reportData = workflowReportSources({ requests, incidents, sanctions, alerts, compliance, checkLog });

    return {
      notifications,
      requests,
      blockForms,
      incidents,
      sanctions,
      alerts,
      alertWatcher,
      compliance,
      applySanctions: (person, at) => sanctions.current().apply(person, at),
      // the filter checks' own browsing is not a person's and raises no alert
      noteEvent: (event) => {
        if (event.person !== null && isServiceIdentity(event.person)) return;
        alertWatcher.note(event);
      },
      onCircumventionThreshold: (person, count, events) => sanctions.onCircumventionThreshold(person, count, events),
      attachFilterChecks(targets) {
        const identities = new CheckIdentities({ people, dir: `${options.dataDir}/compliance` });
        compliance.setRunner(
          new FilterCheckRunner({
            proxy: targets.proxy ? { host: reachable(targets.proxy.host), port: targets.proxy.port, credentialsFor: (as) => identities.credentialsFor(as) } : null,
            dns: targets.dns
              ? { host: reachable(targets.dns.host), port: targets.dns.port, blockAnswer: targets.dns.blockAnswer, sources: ['127.0.0.1'], identify: targets.dns.identify }
              : null,
          }),
        );
      },
      routeDeps: {
        notifications: { notifications: notifications.center, outbox: notifications.outbox },
        incidents: { incidents },
        sanctions: { sanctions },
        alerts: { alerts, notifications: notifications.center, digest: alertDigest },
        compliance: { service: compliance },
        reporting: { sources: reportData.sources, pack: reportData.pack },
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
