// What every API route may use: the stores, the engine in force, the policy files and the clock.
// One value, built by the server at start and passed to each module's route list.
import type { AuditLog, StoreDatabase } from '../db/index.ts';
import type { ActivityStore } from '../activity/index.ts';
import { AuthService } from '../auth/index.ts';
import type { AlertRouteDeps, IncidentRouteDeps, RequestsWorkflow, SanctionRouteDeps } from '../cases/index.ts';
import type { ComplianceDeps } from '../compliance/index.ts';
import type { NotificationRouteDeps } from '../notify/index.ts';
import type { ReportingDeps } from '../reporting/index.ts';
import type { HedgerowConfig } from '../config/index.ts';
import type { PolicyEngine } from '../engine/index.ts';
import { LdapAuthenticator, type LdapOptions, type PeopleStore } from '../identity/index.ts';
import type { OverrideStore } from '../overrides/index.ts';
import type { QuarantineRouteDeps } from '../mail/index.ts';
import type { HealthReport } from './http-service.ts';

export interface ApiDeps {
  /** Kysely over SQLite or PostgreSQL */
  db: StoreDatabase;
  audit: AuditLog;
  /** the engine in force; swapped on every reload, so ask each time */
  engine(): PolicyEngine;
  /** paths of the policy layer files */
  policyFiles(): { school: string; layers: string[] };
  reload(): { ok: boolean; problems: string[]; revision: string };
  people: PeopleStore;
  activity: ActivityStore;
  /** grants in the database; keeps the engine's GrantSet current */
  overrides: OverrideStore;
  /** unblock requests, reports and the register (src/cases/requests) */
  requests: RequestsWorkflow;
  health(): HealthReport;
  config: HedgerowConfig;
  now(): number;
  /**
   * Sign-in, sessions and accounts. When absent, one is made from the other fields on first use
   * (default timeouts, the configuration's directory); the server sets it to choose timeouts.
   */
  auth?: AuthService;
  /** the sealed mail quarantine, when the mail filter is configured */
  quarantine?: QuarantineRouteDeps;
  /** the workflows' stores (inbox, incidents, sanctions, alerts, compliance, governors' reports) */
  workflows?: WorkflowRouteDeps;
}

export interface WorkflowRouteDeps {
  notifications: NotificationRouteDeps;
  incidents: IncidentRouteDeps;
  sanctions: SanctionRouteDeps;
  alerts: AlertRouteDeps;
  compliance: ComplianceDeps;
  reporting: ReportingDeps;
}

const made = new WeakMap<ApiDeps, AuthService>();

/** The sign-in service of these dependencies: `deps.auth`, or one made once from the rest. */
export function authOf(deps: ApiDeps): AuthService {
  if (deps.auth) return deps.auth;
  let auth = made.get(deps);
  if (!auth) {
    auth = new AuthService({
      store: deps.db,
      audit: deps.audit,
      policy: () => deps.engine().policy,
      now: () => deps.now(),
      groupsOf: (username) => deps.people.get(username)?.groups ?? [],
      directory: deps.config.ldap ? new LdapAuthenticator(structuredClone(deps.config.ldap) as LdapOptions) : null,
    });
    made.set(deps, auth);
  }
  return auth;
}
