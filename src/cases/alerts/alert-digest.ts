// The weekly digest of safeguarding alerts to `alerts.digest.to`, on `digest.day` at
// `digest.time` in the policy's time zone. The scheduler works out the due instant from the clock
// (summer time included), so it needs no memory of its own beyond the store:
// - each digest is recorded by its due instant, and its notification carries the key
//   `alerts.digest:DUE`, so a digest is sent at most once however many processes or restarts;
// - a digest missed while the server was down is sent at start if its due time passed less than
//   `catchUpMs` ago (a day by default); an older one is skipped, not sent late.
// A digest covers the seven days before its due instant and names no one: counts and group names.
import type { Notifier } from '../../notify/index.ts';
import { parseZonedTime, zoneOffsetMs, type ResolvedPolicy } from '../../policy/index.ts';
import type { AlertStore, AlertDigestFigures } from './alert-store.ts';
import { digestMessage, timeZoneOf } from './alert-text.ts';

export type DigestWeekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
const WEEKDAYS: readonly DigestWeekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;

export interface AlertDigestTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: AlertDigestTimers = {
  set(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clear(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** The due instants on the local dates around `t` (nine days: enough for one before and one after). */
function dueInstantsAround(t: number, day: DigestWeekday, time: string, timeZone: string): number[] {
  const local = new Date(t + zoneOffsetMs(timeZone, t));
  const out: number[] = [];
  for (let d = -8; d <= 8; d++) {
    const date = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + d));
    if (WEEKDAYS[date.getUTCDay()] !== day) continue;
    out.push(parseZonedTime(`${date.toISOString().slice(0, 10)} ${time}`, timeZone));
  }
  return out.sort((a, b) => a - b);
}

/** The latest due instant at or before `t`. */
export function latestDigestAt(t: number, day: DigestWeekday, time: string, timeZone: string): number {
  const found = dueInstantsAround(t, day, time, timeZone).filter((at) => at <= t);
  return found[found.length - 1]!;
}

/** The first due instant after `t`. */
export function nextDigestAt(t: number, day: DigestWeekday, time: string, timeZone: string): number {
  return dueInstantsAround(t, day, time, timeZone).find((at) => at > t)!;
}

export interface AlertDigestOptions {
  store: AlertStore;
  notifier: Notifier;
  policy: () => ResolvedPolicy;
  now?: () => number;
  timers?: AlertDigestTimers;
  /** how late a missed digest may still be sent (default one day) */
  catchUpMs?: number;
  /** the longest the scheduler sleeps before looking again (default one hour: a policy edit of day or time is noticed) */
  recheckMs?: number;
  onError?: (error: unknown) => void;
}

export interface AlertDigestRun {
  /** a digest went out in this run */
  sent: boolean;
  /** the due instant considered, or null when the policy sets no digest */
  dueAt: number | null;
  reason: 'sent' | 'no-digest' | 'already-sent' | 'too-late';
  notificationId?: string;
  figures?: AlertDigestFigures;
}

export class AlertDigest {
  private readonly store: AlertStore;
  private readonly notifier: Notifier;
  private readonly policy: () => ResolvedPolicy;
  private readonly now: () => number;
  private readonly timers: AlertDigestTimers;
  private readonly catchUpMs: number;
  private readonly recheckMs: number;
  private readonly onError: (error: unknown) => void;
  private timer: unknown = null;
  private running: Promise<AlertDigestRun> | null = null;
  private closed = false;

  constructor(options: AlertDigestOptions) {
    this.store = options.store;
    this.notifier = options.notifier;
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.catchUpMs = options.catchUpMs ?? DAY_MS;
    this.recheckMs = options.recheckMs ?? 3_600_000;
    this.onError = options.onError ?? (() => undefined);
  }

  /** The next due instant after now, or null when the policy sets no digest. */
  nextRun(): number | null {
    const policy = this.policy();
    const digest = policy.workflows.alerts?.digest;
    return digest ? nextDigestAt(this.now(), digest.day, digest.time, timeZoneOf(policy)) : null;
  }

  /** Sends the digest that is due, if it has not been sent; runs never overlap. */
  async runDue(): Promise<AlertDigestRun> {
    while (this.running) await this.running.catch(() => undefined);
    const run = this.run();
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = null;
    }
  }

  private async run(): Promise<AlertDigestRun> {
    const policy = this.policy();
    const digest = policy.workflows.alerts?.digest;
    if (!digest) return { sent: false, dueAt: null, reason: 'no-digest' };
    const zone = timeZoneOf(policy);
    const now = this.now();
    const dueAt = latestDigestAt(now, digest.day, digest.time, zone);
    if (await this.store.digest(dueAt)) return { sent: false, dueAt, reason: 'already-sent' };
    if (now - dueAt > this.catchUpMs) return { sent: false, dueAt, reason: 'too-late' };
    const from = latestDigestAt(dueAt - 1, digest.day, digest.time, zone);
    const figures = await this.store.digestFigures(from, dueAt);
    const { subject, text } = digestMessage(figures, policy);
    const result = await this.notifier.notify({
      kind: 'alert.digest',
      to: digest.to.map((role) => ({ role })),
      subject,
      text,
      link: '#/alerts',
      about: { type: 'alert-digest', id: String(dueAt) },
      once: `alerts.digest:${dueAt}`,
    });
    await this.store.recordDigest({ dueAt, periodFrom: from, periodTo: dueAt, sentAt: now, notificationId: result.id, summary: figures });
    return result.repeated ? { sent: false, dueAt, reason: 'already-sent', notificationId: result.id } : { sent: true, dueAt, reason: 'sent', notificationId: result.id, figures };
  }

  /** Sends a digest missed while stopped (within the catch-up time) and keeps the schedule. */
  start(): void {
    if (this.closed) return;
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      await this.runDue();
    } catch (error) {
      this.onError(error);
    }
    if (this.closed) return;
    let delay = this.recheckMs;
    try {
      const next = this.nextRun();
      if (next !== null) delay = Math.max(0, Math.min(this.recheckMs, next - this.now()));
    } catch (error) {
      this.onError(error);
    }
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = null;
      void this.tick();
    }, delay);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
    }
    await this.running?.catch(() => undefined);
  }
}
