// The one scheduler of compliance: reminders to people and the scheduled filter checks.
// Each round (every 15 minutes by default) it works out from the records what is due and sends
// what has not been sent: training due within 14 days or overdue (to the person), the policy to
// accept (to the person), an online-presence self-check due (6.13, to the person), the policy's
// review date coming or passed (to `reviewReminder.to`), and runs the filter checks when
// `filterChecks.every` has passed since the last run.
//
// A reminder is claimed in the store under a key naming what it is about and its due date before
// it is sent, so a restart, or a second node on the same database, never sends it twice. A send
// that fails gives its claim back and is tried next round. NOTE: a process that dies between the
// claim and the send loses that one reminder; the dashboard still shows what is due.
import type { NotificationInput } from '../notify/index.ts';
import type { CheckRunView } from './compliance-types.ts';
import type { ComplianceService } from './compliance-service.ts';

export interface ComplianceSchedulerOptions {
  service: ComplianceService;
  /** between rounds; default 15 minutes */
  intervalMs?: number;
  /** before the first round after start; default 10 seconds */
  firstDelayMs?: number;
}

export interface RoundReport {
  /** keys of the reminders sent in this round */
  sent: string[];
  /** the filter check run of this round, when one was due */
  checks: CheckRunView | null;
}

export class ComplianceScheduler {
  private readonly service: ComplianceService;
  private readonly intervalMs: number;
  private readonly firstDelayMs: number;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<RoundReport> | null = null;
  private closed = false;

  constructor(options: ComplianceSchedulerOptions) {
    this.service = options.service;
    this.intervalMs = options.intervalMs ?? 15 * 60_000;
    this.firstDelayMs = options.firstDelayMs ?? 10_000;
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.schedule(this.firstDelayMs);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick()
        .catch((error: unknown) => this.service.reportError(error))
        .finally(() => {
          if (!this.closed) this.schedule(this.intervalMs);
        });
    }, ms);
    // reminders never keep the process alive
    this.timer.unref();
  }

  /** One round now; a round already under way is shared. */
  tick(): Promise<RoundReport> {
    if (this.current) return this.current;
    const round = this.round().finally(() => {
      this.current = null;
    });
    this.current = round;
    return round;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current?.catch(() => undefined);
  }

  private async round(): Promise<RoundReport> {
    const report: RoundReport = { sent: [], checks: null };
    const service = this.service;
    const section = service.section();
    if (!section) return report;
    const state = await service.state();
    const date = (ms: number) => service.dateOf(ms);

    for (const { member, training, acknowledgement, selfCheck } of state.members) {
      const to = [{ person: member.username }];
      for (const cell of training) {
        if (cell.dueAt === null) continue;
        const clauses = cell.clauses.length > 0 ? ` (${cell.clauses.join(', ')})` : '';
        if (cell.state === 'overdue') {
          await this.send(report, `training:${member.username}:${cell.course}:${cell.dueAt}:overdue`, member.username, {
            kind: 'compliance.training-overdue',
            to,
            subject: `Training overdue: ${cell.title}`,
            text: `Your training "${cell.title}"${clauses} was due on ${date(cell.dueAt)}. Once you have done it, record it on the Compliance page of the dashboard, or ask your manager to.`,
            link: '#/compliance',
            about: { type: 'training', id: `${member.username}:${cell.course}` },
          });
        } else if (cell.state === 'due' && cell.soon) {
          await this.send(report, `training:${member.username}:${cell.course}:${cell.dueAt}:soon`, member.username, {
            kind: 'compliance.training-due',
            to,
            subject: `Training due by ${date(cell.dueAt)}: ${cell.title}`,
            text: `Your training "${cell.title}"${clauses} is due by ${date(cell.dueAt)}. Once you have done it, record it on the Compliance page of the dashboard, or ask your manager to.`,
            link: '#/compliance',
            about: { type: 'training', id: `${member.username}:${cell.course}` },
          });
        }
      }
      if (acknowledgement && state.version && acknowledgement.dueAt !== null && (acknowledgement.state === 'due' || acknowledgement.state === 'overdue')) {
        const late = acknowledgement.state === 'overdue';
        await this.send(report, `ack:${member.username}:${state.version.key}:${late ? 'overdue' : 'due'}`, member.username, {
          kind: late ? 'compliance.acknowledgement-overdue' : 'compliance.acknowledgement-due',
          to,
          subject: late ? `Overdue: accept the e-safety policy (version ${state.version.version})` : `Please read and accept the e-safety policy (version ${state.version.version})`,
          text: `${state.version.policyName || 'The policy'}, version ${state.version.version}, asks you to read what it says about staff online and accept it${late ? `; it was due on ${date(acknowledgement.dueAt)}` : ` by ${date(acknowledgement.dueAt)}`}. Open the acknowledgement page of the dashboard to read it and accept.`,
          link: '#/acknowledge',
          about: { type: 'acknowledgement', id: `${member.username}:${state.version.key}` },
        });
      }
      if (selfCheck && selfCheck.dueAt !== null && (selfCheck.state === 'overdue' || (selfCheck.state === 'due' && selfCheck.soon))) {
        const late = selfCheck.state === 'overdue';
        await this.send(report, `self-check:${member.username}:${selfCheck.dueAt}:${late ? 'overdue' : 'due'}`, member.username, {
          kind: 'compliance.self-check-due',
          to,
          subject: late ? 'Overdue: check your own online presence' : `Check your own online presence by ${date(selfCheck.dueAt)}`,
          text: `The policy asks staff to check their own online presence regularly for negative content, using search engines (${section.selfCheck?.clauses.join(', ') || '6.13'}). Search for your name, and your name with the school's, then record that you have checked on the Compliance page of the dashboard.`,
          link: '#/compliance',
          about: { type: 'self-check', id: member.username },
        });
      }
    }

    const review = await service.reviewStatus();
    if (review.reviewDate !== null && review.remindTo.length > 0 && (review.state === 'soon' || review.state === 'overdue')) {
      const late = review.state === 'overdue';
      const name = state.policy.layers[state.policy.layers.length - 1]?.name ?? 'the policy';
      await this.send(report, `review:${review.reviewDate}:${late ? 'overdue' : 'soon'}`, null, {
        kind: 'compliance.review-due',
        to: review.remindTo.map((role) => ({ role })),
        subject: late ? `The policy's review is overdue (${review.reviewDate})` : `The policy is due for review on ${review.reviewDate}`,
        text: `${name} is due for review on ${review.reviewDate}. Once it has been reviewed, mark it reviewed on the Compliance page of the dashboard with the next review date, and change the policy file if anything changed.`,
        link: '#/compliance?tab=review',
        about: { type: 'policy-review', id: review.reviewDate },
      });
    }

    report.checks = await this.runDueChecks();
    return report;
  }

  private async runDueChecks(): Promise<CheckRunView | null> {
    const service = this.service;
    if (!service.checksAvailable) return null;
    const dueAt = await service.nextCheckDueAt();
    if (dueAt === null || dueAt > service.clock()) return null;
    const last = (await service.checkLog({ limit: 1 })).items[0];
    // one run per interval across restarts and nodes: the claim names the run it follows
    const key = `checks:after:${last?.id ?? 'none'}`;
    if (!(await service.records.claimReminder(key, 'compliance.checks', null))) return null;
    try {
      const run = await service.runChecks('schedule', null);
      await service.records.reminderSent(key, run.id);
      return run;
    } catch (error) {
      await service.records.releaseReminder(key);
      throw error;
    }
  }

  private async send(report: RoundReport, key: string, person: string | null, input: NotificationInput): Promise<void> {
    const records = this.service.records;
    if (!(await records.claimReminder(key, input.kind, person))) return;
    try {
      const sent = await this.service.notifier.notify(input);
      await records.reminderSent(key, sent.id);
      report.sent.push(key);
    } catch (error) {
      await records.releaseReminder(key);
      this.service.reportError(error);
    }
  }
}
