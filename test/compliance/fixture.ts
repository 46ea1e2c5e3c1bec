// Shared pieces of the compliance tests: the reference policy (copied, so a test can give it a
// new version), a store on SQLite or PostgreSQL, people from the reference roster, a clock the
// test moves, and a notifier that records what it was asked to send (it stands for the inbox).
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComplianceRecords, ComplianceService, CheckLog, type ComplianceMember, type FilterCheckRunner } from '../../src/compliance/index.ts';
import { AuditLog, migrate, openDatabase, type DialectName, type StoreDatabase } from '../../src/db/index.ts';
import type { NotificationInput, Notifier } from '../../src/notify/index.ts';
import { loadPolicy, type ResolvedPolicy } from '../../src/policy/index.ts';
import type { TestPostgres } from '../support/postgres.ts';

export const DAY = 86_400_000;
/** Tuesday 1 September 2026, 09:00 in London */
export const SEPT_1 = Date.parse('2026-09-01T08:00:00Z');

const reference = fileURLToPath(new URL('../../examples/reference/', import.meta.url));

/** The reference policy as files in a folder of their own, so a test can change the school layer. */
export class PolicyFiles {
  readonly dir: string;
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'hedgerow-compliance-policy-'));
    copyFileSync(join(reference, 'council.yaml'), join(this.dir, 'council.yaml'));
    copyFileSync(join(reference, 'school.yaml'), join(this.dir, 'school.yaml'));
  }
  get school(): string {
    return join(this.dir, 'school.yaml');
  }
  /** Replaces exactly one piece of the school layer's text. */
  edit(from: string, to: string): void {
    const text = readFileSync(this.school, 'utf8');
    assert.equal(text.split(from).length, 2, `expected one \`${from}\` in school.yaml`);
    writeFileSync(this.school, text.replace(from, to));
  }
  load(): ResolvedPolicy {
    const { policy, problems } = loadPolicy(this.school);
    assert.deepEqual(problems, []);
    return policy!;
  }
}

export function referencePolicy(): ResolvedPolicy {
  const { policy, problems } = loadPolicy(join(reference, 'school.yaml'));
  assert.deepEqual(problems, []);
  return policy!;
}

/** Staff and others from the reference roster (examples/reference/roster.csv). */
export const STAFF: ComplianceMember[] = [
  { username: 'ada.tinderbox', displayName: 'Ada Tinderbox', role: 'teacher' },
  { username: 'gwendolyn.ash', displayName: 'Gwendolyn Ash', role: 'support-staff' },
  { username: 'marjorie.wychwood', displayName: 'Marjorie Wychwood', role: 'headteacher' },
  { username: 'olive.stonechat', displayName: 'Olive Stonechat', role: 'network-manager' },
  { username: 'rupert.thornbury', displayName: 'Rupert Thornbury', role: 'governor' },
  { username: 'poppy.hazelwood', displayName: 'Poppy Hazelwood', role: 'pupil' },
];

export class Clock {
  constructor(public at: number) {}
  now = (): number => this.at;
  advance(ms: number): void {
    this.at += ms;
  }
}

export class RecordingNotifier implements Notifier {
  readonly sent: NotificationInput[] = [];
  failNext = 0;
  async notify(input: NotificationInput): Promise<{ id: string; recipients: number }> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('the inbox is not reachable');
    }
    this.sent.push(input);
    return { id: `n-${this.sent.length}`, recipients: input.to.length };
  }
  kinds(): string[] {
    return this.sent.map((n) => n.kind);
  }
  to(person: string): NotificationInput[] {
    return this.sent.filter((n) => n.to.some((r) => 'person' in r && r.person === person));
  }
}

export interface Opened {
  store: StoreDatabase;
  url: string;
}

/** A new, migrated database; `url` opens the same one again (a restart). */
export async function freshStore(dialect: DialectName, tmp: string, name: string, server?: TestPostgres): Promise<Opened> {
  const url = dialect === 'sqlite' ? `sqlite:${join(tmp, `${name}.db`)}` : await server!.createDatabase(name.replace(/[^a-z0-9_]/g, '_'));
  const store = await openDatabase(url);
  const result = await migrate(store.db);
  assert.equal(result.failed, undefined, result.failed?.error.message);
  return { store, url };
}

export interface Built {
  service: ComplianceService;
  records: ComplianceRecords;
  audit: AuditLog;
  notifier: RecordingNotifier;
}

export function buildService(
  store: StoreDatabase,
  options: { clock: Clock; policy: () => ResolvedPolicy; people?: () => ComplianceMember[]; notifier?: RecordingNotifier; runner?: FilterCheckRunner | null; errors?: unknown[] },
): Built {
  const audit = new AuditLog(store, { now: options.clock.now });
  const records = new ComplianceRecords({ store, audit, now: options.clock.now });
  const notifier = options.notifier ?? new RecordingNotifier();
  const service = new ComplianceService({
    records,
    checkLog: new CheckLog(store),
    audit,
    policy: options.policy,
    population: options.people ?? (() => STAFF),
    notifier,
    runner: options.runner ?? null,
    now: options.clock.now,
    onError: (error) => options.errors?.push(error),
  });
  return { service, records, audit, notifier };
}
