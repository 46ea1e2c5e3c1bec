// Sees every decision event and raises safeguarding alerts. `note()` runs on the data path (the
// proxy and DNS filter call it through the server's event sink), so it only tests the event
// against the compiled triggers and, on a hit, queues it; the store, de-duplication and the
// notification happen later, off the path (setImmediate). It never throws: a failure is counted
// and reported to `onError`. A queue that outgrows its bound drops new hits and counts them.
//
// An alert is announced once: the notification carries the key `alert:ID`, and the alert records
// the notification's id. Alerts opened but not announced (the process stopped in between) are
// announced at the next start; nothing already announced is sent again.
import type { DecisionEvent } from '../../engine/index.ts';
import type { Notifier, Recipient } from '../../notify/index.ts';
import type { ResolvedPolicy } from '../../policy/index.ts';
import type { AlertHit, AlertRecord, AlertStore } from './alert-store.ts';
import { alertMessage } from './alert-text.ts';
import { alertTriggers, compileAlerts, type CompiledAlerts } from './alert-triggers.ts';

export interface AlertWatcherOptions {
  store: AlertStore;
  notifier: Notifier;
  /** the policy in force (the engine's); read on every event, compiled again when it changes */
  policy: () => ResolvedPolicy;
  now?: () => number;
  /** more recipients for an alert, beyond `alerts.notify` (addresses from the settings page, say) */
  extraRecipients?: (alert: AlertRecord) => Recipient[] | Promise<Recipient[]>;
  onError?: (error: unknown) => void;
  /** hits waiting for the store at most (default 10,000) */
  maxQueue?: number;
  /** at start, unannounced alerts opened this recently are announced (default 24 hours) */
  recoverWithinMs?: number;
}

export interface AlertWatcherStats {
  /** events that raised at least one hit */
  matched: number;
  opened: number;
  repeats: number;
  /** hits dropped because the queue was full */
  dropped: number;
  failures: number;
  queued: number;
}

export class AlertWatcher {
  private readonly store: AlertStore;
  private readonly notifier: Notifier;
  private readonly policy: () => ResolvedPolicy;
  private readonly now: () => number;
  private readonly extraRecipients: AlertWatcherOptions['extraRecipients'];
  private readonly onError: (error: unknown) => void;
  private readonly maxQueue: number;
  private readonly recoverWithinMs: number;
  private compiled: CompiledAlerts | null = null;
  private compiledFrom: unknown = undefined;
  private readonly queue: AlertHit[][] = [];
  private draining: Promise<void> | null = null;
  private recoverAfterDrain = false;
  private closed = false;
  private readonly counts = { matched: 0, opened: 0, repeats: 0, dropped: 0, failures: 0 };

  constructor(options: AlertWatcherOptions) {
    this.store = options.store;
    this.notifier = options.notifier;
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
    this.extraRecipients = options.extraRecipients;
    this.onError = options.onError ?? (() => undefined);
    this.maxQueue = options.maxQueue ?? 10_000;
    this.recoverWithinMs = options.recoverWithinMs ?? 24 * 3_600_000;
  }

  private report(error: unknown): void {
    this.counts.failures += 1;
    try {
      this.onError(error);
    } catch {
      // a failing error reporter must not reach the data path either
    }
  }

  private triggers(): CompiledAlerts | null {
    const section = this.policy().workflows.alerts;
    if (section !== this.compiledFrom) {
      this.compiledFrom = section;
      this.compiled = section ? compileAlerts(section) : null;
    }
    return this.compiled;
  }

  /** Called for every decision event; cheap, and never throws. */
  note(event: DecisionEvent): void {
    if (this.closed) return;
    try {
      const compiled = this.triggers();
      if (compiled === null) return;
      const hits = alertTriggers(compiled, event);
      if (hits.length === 0) return;
      this.counts.matched += 1;
      if (this.queue.length >= this.maxQueue) {
        this.counts.dropped += hits.length;
        return;
      }
      this.queue.push(hits);
      this.scheduleDrain();
    } catch (error) {
      this.report(error);
    }
  }

  private scheduleDrain(): void {
    if (this.draining !== null) return;
    this.draining = new Promise<void>((resolve) => {
      setImmediate(() => {
        void this.drain().finally(() => {
          this.draining = null;
          // hits that arrived during the last await of this drain
          if (this.queue.length > 0) this.scheduleDrain();
          resolve();
        });
      });
    });
  }

  private async drain(): Promise<void> {
    try {
      for (let hits = this.queue.shift(); hits !== undefined; hits = this.queue.shift()) {
        let windowMs = 0;
        try {
          windowMs = this.triggers()?.windowMs ?? 0;
        } catch (error) {
          // no policy to read: the hit is still kept, as its own alert
          this.report(error);
        }
        for (const hit of hits) {
          try {
            const recorded = await this.store.recordHit(hit, windowMs);
            if (recorded.created) {
              this.counts.opened += 1;
              await this.announce(recorded.alert);
            } else if (!recorded.duplicate) this.counts.repeats += 1;
          } catch (error) {
            this.report(error);
          }
        }
      }
      if (this.recoverAfterDrain && !this.closed) {
        this.recoverAfterDrain = false;
        await this.recover();
      }
    } catch (error) {
      this.report(error);
    }
  }

  /** Tells the `alerts.notify` roles (and any extra recipients) about a new alert. */
  private async announce(alert: AlertRecord): Promise<boolean> {
    try {
      const policy = this.policy();
      const section = policy.workflows.alerts;
      if (!section) return false;
      const extra = this.extraRecipients ? await this.extraRecipients(alert) : [];
      const { subject, text } = alertMessage(alert, policy);
      const result = await this.notifier.notify({
        kind: `alert.${alert.kind}`,
        to: [...section.notify.map((role) => ({ role })), ...extra],
        subject,
        text,
        link: `#/alerts?alert=${encodeURIComponent(alert.id)}`,
        about: { type: 'alert', id: alert.id },
        once: `alert:${alert.id}`,
      });
      await this.store.setNotification(alert.id, result.id);
      return true;
    } catch (error) {
      // left unannounced: tried again after the next drain and at the next start
      this.recoverAfterDrain = true;
      this.report(error);
      return false;
    }
  }

  /** Announces alerts opened recently that never were (a stop between opening and announcing). */
  async recover(): Promise<number> {
    let announced = 0;
    try {
      for (const alert of await this.store.unannounced(this.now() - this.recoverWithinMs)) {
        if (await this.announce(alert)) announced += 1;
      }
    } catch (error) {
      this.report(error);
    }
    return announced;
  }

  /** At start: announce what an earlier run left unannounced. */
  async start(): Promise<void> {
    await this.recover();
  }

  /** Resolves once every queued hit is stored and announced (tests; orderly shutdown). */
  async idle(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  stats(): AlertWatcherStats {
    return { ...this.counts, queued: this.queue.reduce((n, hits) => n + hits.length, 0) };
  }

  /** Stops taking events and finishes what is queued. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}
