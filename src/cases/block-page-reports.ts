// What people say from the block page: "request access" (8.4), "I reached this by accident"
// (council internet rules), "tell a teacher" (7.8). Recorded here as they arrive; the workflows
// route them to the e-safety team, the line manager or a teacher.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { runSqliteMigrations, type Migration, type MigrationReport } from '../store/index.ts';

export type BlockPageReportKind = 'request-access' | 'accident' | 'tell-teacher';
export const blockPageReportKinds: readonly BlockPageReportKind[] = ['request-access', 'accident', 'tell-teacher'];

export interface BlockPageReport {
  id: string;
  at: number;
  kind: BlockPageReportKind;
  person: string | null;
  role: string;
  clientIp: string | null;
  url: string;
  host: string;
  clauses: string[];
  categories: string[];
  /** the decision event the block page showed (its reference) */
  eventId: string | null;
  message: string;
  status: 'new';
}

export const blockPageReportMigrations: readonly Migration[] = [
  {
    id: 'cases-001_block_page_reports',
    sql: `CREATE TABLE block_page_reports (
      id TEXT PRIMARY KEY,
      at INTEGER NOT NULL,
      kind TEXT NOT NULL,
      person TEXT,
      role TEXT NOT NULL,
      client_ip TEXT,
      url TEXT NOT NULL,
      host TEXT NOT NULL,
      clauses TEXT NOT NULL,
      categories TEXT NOT NULL,
      event_id TEXT,
      message TEXT NOT NULL,
      status TEXT NOT NULL DEFAULT 'new'
    );
    CREATE INDEX block_page_reports_at ON block_page_reports (at);
    CREATE INDEX block_page_reports_person ON block_page_reports (person, at);`,
  },
];

/** Longest text kept from a form field; the rest is cut, never rejected. */
const MAX_FIELD = 2000;

export class BlockPageReports {
  readonly migrations: MigrationReport;
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;

  constructor(databaseFile: string) {
    this.db = new Database(databaseFile);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrations = runSqliteMigrations(this.db, blockPageReportMigrations);
    this.insert = this.db.prepare(
      `INSERT INTO block_page_reports (id, at, kind, person, role, client_ip, url, host, clauses, categories, event_id, message)
       VALUES (@id, @at, @kind, @person, @role, @clientIp, @url, @host, @clauses, @categories, @eventId, @message)`,
    );
  }

  record(input: Omit<BlockPageReport, 'id' | 'status'>): BlockPageReport {
    const report: BlockPageReport = {
      ...input,
      id: randomUUID(),
      url: input.url.slice(0, MAX_FIELD),
      host: input.host.slice(0, 253),
      message: input.message.slice(0, MAX_FIELD),
      status: 'new',
    };
    this.insert.run({ ...report, clauses: JSON.stringify(report.clauses), categories: JSON.stringify(report.categories) });
    return report;
  }

  list(limit = 100): BlockPageReport[] {
    const rows = this.db.prepare('SELECT * FROM block_page_reports ORDER BY at DESC LIMIT ?').all(limit) as Array<Record<string, unknown>>;
    return rows.map((row) => ({
      id: row.id as string,
      at: row.at as number,
      kind: row.kind as BlockPageReportKind,
      person: row.person as string | null,
      role: row.role as string,
      clientIp: row.client_ip as string | null,
      url: row.url as string,
      host: row.host as string,
      clauses: JSON.parse(row.clauses as string) as string[],
      categories: JSON.parse(row.categories as string) as string[],
      eventId: row.event_id as string | null,
      message: row.message as string,
      status: 'new',
    }));
  }

  close(): void {
    this.db.close();
  }
}
