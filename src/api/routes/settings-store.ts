// Small named settings the dashboard edits (alert recipients), in the `settings` table of the
// store (migration 005_settings), as JSON text. Every change is audited with before and after.
import type { Kysely } from 'kysely';
import type { AuditLog, Database, StoreDatabase } from '../../db/index.ts';

interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
  updated_by: string;
}

type WithSettings = Database & { settings: SettingsTable };

export const ALERT_KINDS = ['circumvention', 'unblock-request', 'enforcement-health', 'legal-block'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertRecipient {
  /** an e-mail address */
  address: string;
  name?: string;
  /** what this recipient is told about */
  alerts: AlertKind[];
}

export class SettingsStore {
  private readonly db: Kysely<WithSettings>;

  constructor(store: StoreDatabase, private readonly audit: AuditLog, private readonly now: () => number) {
    this.db = store.db.withTables<{ settings: SettingsTable }>();
  }

  async get<T>(key: string, fallback: T): Promise<T> {
    const row = await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    if (!row) return fallback;
    try {
      return JSON.parse(row.value) as T;
    } catch {
      return fallback;
    }
  }

  /** Stores the value and audits the change; returns the value before. */
  async put<T>(key: string, value: T, actor: string, reason: string | null, fallback: T): Promise<T> {
    const before = await this.get(key, fallback);
    const text = JSON.stringify(value);
    const at = this.now();
    await this.db
      .insertInto('settings')
      .values({ key, value: text, updated_at: at, updated_by: actor })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: text, updated_at: at, updated_by: actor }))
      .execute();
    await this.audit.append({ actor, action: 'settings.change', subject: `setting:${key}`, before, after: value, reason });
    return before;
  }

  async alertRecipients(): Promise<AlertRecipient[]> {
    return this.get<AlertRecipient[]>('alert-recipients', []);
  }
}
