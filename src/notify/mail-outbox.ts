// Sends the mail the notifier queued. Each pending delivery row is claimed (its next_attempt_at
// moved forward by a lease, compare-and-set), sent, and marked sent; a failure is recorded on the
// row (attempts, last error) and tried again after a doubling delay, until the last attempt marks
// it failed. Rows live in the store, so a restart loses nothing: the first pass after start sends
// whatever is pending, including a row whose sender died mid-send once its lease runs out.
import type { Kysely } from 'kysely';
import type { StoreDatabase } from '../db/index.ts';
import type { MailTransport } from './smtp-transport.ts';
import type { NotifyDatabase } from './notify-tables.ts';

export interface OutboxTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface RetryPolicy {
  maxAttempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, firstDelayMs: 30_000, maxDelayMs: 3_600_000 };

export interface MailOutboxOptions {
  store: StoreDatabase;
  transport: MailTransport;
  /** the From of every notification */
  from: string;
  now?: () => number;
  retry?: RetryPolicy;
  /** the dashboard's address (`https://hedgerow.school.example/dashboard/`), for the links in mail */
  dashboardUrl?: () => string | null;
  /** how long a claimed row is left to its sender before another may try it (default 5 minutes) */
  leaseMs?: number;
  /** how often to look for rows that other nodes wrote (default 60 s) */
  pollMs?: number;
  batchSize?: number;
  timers?: OutboxTimers;
  /** a pass failed as a whole (the store is down); the rows stay pending */
  onError?: (error: unknown) => void;
}

export interface OutboxPass {
  sent: number;
  /** failed this time and will be tried again */
  deferred: number;
  /** failed for the last time */
  failed: number;
}

export interface OutboxStats extends OutboxPass {
  passes: number;
  lastError: string | null;
}

const realTimers: OutboxTimers = {
  set(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** The delay before attempt `attempts + 1`, after `attempts` failures. */
export function retryDelay(attempts: number, retry: RetryPolicy): number {
  return Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** Math.max(0, attempts - 1));
}

/** What a failed send said, short enough for a column and a dashboard line. */
export function describeMailError(error: unknown): string {
  // the transport wraps the relay's error (HR_NOTIFY_MAIL); the relay's reply is what helps
  const source = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const e = source as { responseCode?: number; code?: string; message?: string; response?: string };
  const head = e.responseCode ? String(e.responseCode) : e.code ? e.code : 'error';
  const text = (e.response ?? e.message ?? String(source)).replace(/\s+/g, ' ').trim();
  return `${head}: ${text}`.slice(0, 500);
}

function domainOf(address: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(address);
  return match ? match[1]!.toLowerCase() : 'hedgerow.invalid';
}

export class MailOutbox {
  private readonly db: Kysely<NotifyDatabase>;
  private readonly transport: MailTransport;
  private readonly from: string;
  private readonly now: () => number;
  private readonly retry: RetryPolicy;
  private readonly dashboardUrl: () => string | null;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly timers: OutboxTimers;
  private readonly onError: (error: unknown) => void;
  private timer: unknown = null;
  private running: Promise<OutboxPass> | null = null;
  private again = false;
  private started = false;
  private closed = false;
  private readonly totals: OutboxStats = { sent: 0, deferred: 0, failed: 0, passes: 0, lastError: null };

  constructor(options: MailOutboxOptions) {
    // NOTE: the store's Database type lists the shared tables; these two belong to this module.
    this.db = options.store.db as unknown as Kysely<NotifyDatabase>;
    this.transport = options.transport;
    this.from = options.from;
    this.now = options.now ?? Date.now;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.dashboardUrl = options.dashboardUrl ?? (() => null);
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.pollMs = options.pollMs ?? 60_000;
    this.batchSize = options.batchSize ?? 50;
    this.timers = options.timers ?? realTimers;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Sends what is pending now (mail queued before a restart) and keeps watching. */
  start(): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.wake();
  }

  /** A notification with mail was written: send soon, off the writer's path. */
  wake(): void {
    if (this.closed || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    setImmediate(() => void this.runScheduled());
  }

  private async runScheduled(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
    try {
      await this.runOnce();
    } catch (error) {
      this.onError(error);
    }
    if (this.again) {
      this.again = false;
      setImmediate(() => void this.runScheduled());
      return;
    }
    await this.schedule();
  }

  /** The next pass: when the earliest pending row is due, or the poll interval, whichever is sooner. */
  private async schedule(): Promise<void> {
    if (this.closed) return;
    let delay = this.pollMs;
    try {
      const next = await this.db
        .selectFrom('notification_deliveries')
        .select((eb) => eb.fn.min('next_attempt_at').as('next'))
        .where('mail_status', '=', 'pending')
        .executeTakeFirst();
      const at = next?.next === null || next?.next === undefined ? null : Number(next.next);
      if (at !== null) delay = Math.max(0, Math.min(this.pollMs, at - this.now()));
    } catch (error) {
      this.onError(error);
    }
    if (this.closed) return;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.runScheduled();
    }, delay);
  }

  /** One pass over the due rows; passes never overlap (a second call waits for the first). */
  async runOnce(): Promise<OutboxPass> {
    while (this.running) await this.running.catch(() => undefined);
    const pass = this.pass();
    this.running = pass;
    try {
      return await pass;
    } finally {
      this.running = null;
    }
  }

  private async pass(): Promise<OutboxPass> {
    const result: OutboxPass = { sent: 0, deferred: 0, failed: 0 };
    for (;;) {
      const now = this.now();
      const rows = await this.db
        .selectFrom('notification_deliveries as d')
        .innerJoin('notifications as n', 'n.id', 'd.notification_id')
        .select(['d.id', 'd.notification_id', 'd.email', 'd.attempts', 'd.next_attempt_at', 'n.kind', 'n.subject', 'n.text', 'n.link'])
        .where('d.mail_status', '=', 'pending')
        .where('d.next_attempt_at', '<=', now)
        .orderBy('d.next_attempt_at')
        .orderBy('d.id')
        .limit(this.batchSize)
        .execute();
      let handled = 0;
      for (const row of rows) {
        if (this.closed) break;
        const claimed = await this.db
          .updateTable('notification_deliveries')
          .set({ next_attempt_at: now + this.leaseMs })
          .where('id', '=', row.id)
          .where('mail_status', '=', 'pending')
          .where('next_attempt_at', '=', row.next_attempt_at)
          .executeTakeFirst();
        // another sender took it between the read and the claim
        if (Number(claimed.numUpdatedRows) !== 1) continue;
        handled += 1;
        const attempts = row.attempts + 1;
        try {
          await this.transport.send(this.compose(row));
          await this.db
            .updateTable('notification_deliveries')
            .set({ mail_status: 'sent', sent_at: this.now(), attempts, last_error: null, next_attempt_at: null })
            .where('id', '=', row.id)
            .execute();
          result.sent += 1;
        } catch (error) {
          const lastError = describeMailError(error);
          const final = attempts >= this.retry.maxAttempts;
          await this.db
            .updateTable('notification_deliveries')
            .set({
              mail_status: final ? 'failed' : 'pending',
              attempts,
              last_error: lastError,
              next_attempt_at: final ? null : this.now() + retryDelay(attempts, this.retry),
            })
            .where('id', '=', row.id)
            .execute();
          this.totals.lastError = lastError;
          if (final) result.failed += 1;
          else result.deferred += 1;
        }
      }
      if (this.closed || rows.length < this.batchSize || handled === 0) break;
    }
    this.totals.passes += 1;
    this.totals.sent += result.sent;
    this.totals.deferred += result.deferred;
    this.totals.failed += result.failed;
    return result;
  }

  private compose(row: { id: string; notification_id: string; email: string | null; kind: string; subject: string; text: string; link: string | null }) {
    const base = this.dashboardUrl();
    const link = row.link !== null && base ? `${base.replace(/\/?$/, '/')}${row.link.replace(/^\//, '')}` : null;
    const text = [
      row.text.trimEnd(),
      '',
      ...(link ? [`Open it in Hedgerow: ${link}`, ''] : []),
      '-- ',
      'Sent by Hedgerow, the school e-safety system. This notification is also in your inbox on the Hedgerow dashboard.',
      '',
    ].join('\n');
    return {
      from: this.from,
      to: row.email!,
      subject: row.subject,
      text,
      messageId: `<${row.id}@${domainOf(this.from)}>`,
      date: new Date(this.now()),
      headers: {
        // RFC 3834: no out-of-office reply comes back to the relay
        'Auto-Submitted': 'auto-generated',
        'X-Hedgerow-Kind': row.kind,
        'X-Hedgerow-Notification': row.notification_id,
      },
    };
  }

  stats(): OutboxStats {
    return { ...this.totals };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
    await this.running?.catch(() => undefined);
    this.transport.close();
  }
}
