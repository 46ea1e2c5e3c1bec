// The compliance records as the policy asks for them (4.1–4.3, 6.6–6.10, 6.13, 6.16, the review
// date, the DfE filtering standard's checks): what each person owes and by when, computed from the
// policy in force, the people store and what has been recorded. Everything is read afresh on each
// call, so a policy reload or a roster import shows at once.
import { localIsoDate } from '../identity/index.ts';
import type { AuditLog } from '../db/index.ts';
import { HedgerowError } from '../errors/index.ts';
import type { Notifier } from '../notify/index.ts';
import { expandRoles, parseDuration, parseZonedTime, type ComplianceSection, type ResolvedPolicy } from '../policy/index.ts';
import type { CheckLog } from './check-log.ts';
import type { ComplianceRecords, PersonStart } from './compliance-records.ts';
import type {
  AcknowledgementOutstanding,
  AcknowledgementView,
  CheckLogPage,
  CheckRunView,
  Course,
  DueCell,
  DueState,
  MemberSummary,
  MyAcknowledgement,
  OverdueItem,
  PersonCompliance,
  PolicyVersionView,
  ReviewStatus,
  ReviewView,
  SelfCheckView,
  TrainingCell,
  TrainingMatrix,
  TrainingRecordView,
} from './compliance-types.ts';
import { dueCell } from './due.ts';
import type { FilterCheckRunner } from './filter-check-runner.ts';
import { policyReviewDate, policyVersionOf, type PolicyVersion } from './policy-version.ts';
import type { ComplianceMember, Population } from './population.ts';

export interface ComplianceServiceOptions {
  records: ComplianceRecords;
  checkLog: CheckLog;
  audit: AuditLog;
  /** the policy in force; asked on every call */
  policy(): ResolvedPolicy;
  population: Population;
  notifier: Notifier;
  /** the filter checks; null where the proxy and DNS filter do not run */
  runner?: FilterCheckRunner | null;
  now?: () => number;
  /** a notification that could not be sent (the record itself stands) */
  onError?(error: unknown): void;
}

export const MAX_NOTE = 2000;
const EARLIEST = Date.UTC(1990, 0, 1);

export interface MemberStatus {
  member: MemberSummary;
  training: Array<TrainingCell & { title: string; clauses: string[] }>;
  acknowledgement: DueCell | null;
  selfCheck: DueCell | null;
}

export interface ComplianceState {
  at: number;
  policy: ResolvedPolicy;
  section: ComplianceSection | null;
  courses: Course[];
  version: (PolicyVersion & { since: number }) | null;
  members: MemberStatus[];
}

/** Training and acknowledgement counts at one instant; no person named. */
export interface ComplianceFiguresAt {
  at: number;
  courses: Array<{ id: string; title: string; required: number; done: number; overdue: number }>;
  /** null when the policy asks for no acknowledgement */
  acknowledgement: { version: string; required: number; done: number } | null;
}

/** Someone signed in: their own status, even when the people store does not list them. */
export interface Self {
  username: string;
  displayName: string;
  role: string;
}

function inputError(field: string, message: string): HedgerowError {
  return new HedgerowError('HR_COMPLIANCE_INPUT', message, { where: { field } });
}

function notConfigured(what: string): HedgerowError {
  return new HedgerowError('HR_COMPLIANCE_NOT_CONFIGURED', `the policy sets no ${what} (\`workflows.compliance\`)`);
}

/** A note as stored: trimmed, null when empty, refused when too long. */
export function cleanNote(text: string | null | undefined, field: string): string | null {
  const note = (text ?? '').trim();
  if (note.length > MAX_NOTE) throw inputError(field, `the note is ${note.length} characters; at most ${MAX_NOTE}`);
  return note === '' ? null : note;
}

export class ComplianceService {
  private readonly options: ComplianceServiceOptions;
  private readonly now: () => number;
  private running: Promise<CheckRunView> | null = null;

  constructor(options: ComplianceServiceOptions) {
    this.options = { ...options };
    this.now = options.now ?? Date.now;
  }

  get records(): ComplianceRecords {
    return this.options.records;
  }

  get notifier(): Notifier {
    return this.options.notifier;
  }

  policy(): ResolvedPolicy {
    return this.options.policy();
  }

  section(): ComplianceSection | null {
    return this.policy().workflows.compliance;
  }

  timeZone(): string {
    return this.policy().calendar?.timeZone ?? 'UTC';
  }

  /** `YYYY-MM-DD` in the school's zone */
  dateOf(ms: number): string {
    return localIsoDate(ms, this.timeZone());
  }

  /** the injected clock */
  clock(): number {
    return this.now();
  }

  /** The start of a school day `YYYY-MM-DD` in the school's zone; NaN unless it is a real date. */
  dayStart(date: string): number {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return Number.NaN;
    const at = parseZonedTime(date, this.timeZone());
    // 2026-02-30 would roll over into March; only a date that reads back the same is one
    return Number.isNaN(at) || this.dateOf(at) !== date ? Number.NaN : at;
  }

  /**
   * A day someone did or started something, as an instant: noon in the school's zone, so the
   * day reads the same in any browser within twelve hours of the school's time.
   */
  dayNoon(date: string): number {
    const start = this.dayStart(date);
    return Number.isNaN(start) ? start : start + 12 * 3_600_000;
  }

  reportError(error: unknown): void {
    this.options.onError?.(error);
  }

  courses(policy: ResolvedPolicy = this.policy()): Course[] {
    const section = policy.workflows.compliance;
    return Object.entries(section?.training ?? {}).map(([id, course]) => ({
      id,
      title: course.title,
      clauses: [...course.clauses],
      roles: expandRoles(course.roles, policy.roleSets),
      dueWithin: course.dueWithin,
      every: course.every ?? null,
    }));
  }

  /** Everyone's status at once (and `self`'s, when the people store does not list them). */
  async state(self?: Self): Promise<ComplianceState> {
    return this.stateAt(this.now(), self, false);
  }

  /**
   * Everyone's status at `at`; `bounded` leaves out what was done after it (training completed,
   * acceptances and self-checks later than `at`), so a past instant reads as it stood then.
   */
  private async stateAt(at: number, self: Self | undefined, bounded: boolean): Promise<ComplianceState> {
    const policy = this.policy();
    const section = policy.workflows.compliance;
    const courses = this.courses(policy);
    const people: ComplianceMember[] = [...(await this.options.population())];
    if (self && !people.some((m) => m.username === self.username)) people.push({ username: self.username, displayName: self.displayName, role: self.role });
    const records = this.options.records;
    await records.noteSeen(people.map((m) => m.username));
    const starts = await records.starts();
    const completions = new Map<string, { last: number; count: number }>();
    for (const record of await records.trainingRecords()) {
      if (bounded && record.completedAt > at) continue;
      const key = `${record.person}\n${record.course}`;
      const seen = completions.get(key);
      completions.set(key, { last: Math.max(seen?.last ?? -Infinity, record.completedAt), count: (seen?.count ?? 0) + 1 });
    }
    let version: ComplianceState['version'] = null;
    let accepted = new Map<string, number>();
    if (section?.acknowledgement) {
      const current = policyVersionOf(policy);
      version = { ...current, since: await records.noteVersion(current) };
      accepted = await records.acknowledgementsOf(current.key);
      if (bounded) accepted = new Map([...accepted].filter(([, acceptedAt]) => acceptedAt <= at));
    }
    const selfChecks = section?.selfCheck ? await records.lastSelfChecks(bounded ? at : undefined) : new Map<string, number>();
    const ackRoles = new Set(expandRoles(section?.acknowledgement?.roles ?? [], policy.roleSets));
    const selfCheckRoles = new Set(expandRoles(section?.selfCheck?.roles ?? [], policy.roleSets));

    const members = people.map((person): MemberStatus => {
      const member = summary(person, starts.get(person.username), at);
      const training = courses.map((course) => {
        const done = completions.get(`${person.username}\n${course.id}`);
        const cell = dueCell({
          required: course.roles.includes(person.role),
          anchorAt: member.startAt,
          lastAt: done?.last ?? null,
          firstWithinMs: parseDuration(course.dueWithin),
          everyMs: course.every === null ? null : parseDuration(course.every),
          now: at,
        });
        return { ...cell, course: course.id, completions: done?.count ?? 0, title: course.title, clauses: course.clauses };
      });
      const acknowledgement =
        section?.acknowledgement && version
          ? dueCell({
              required: ackRoles.has(person.role),
              // a new version is due from when it came into force, or from the start of someone newer
              anchorAt: Math.max(member.startAt, version.since),
              lastAt: accepted.get(person.username) ?? null,
              firstWithinMs: parseDuration(section.acknowledgement.dueWithin),
              everyMs: null,
              now: at,
            })
          : null;
      const selfCheck = section?.selfCheck
        ? dueCell({
            required: selfCheckRoles.has(person.role),
            anchorAt: member.startAt,
            lastAt: selfChecks.get(person.username) ?? null,
            firstWithinMs: parseDuration(section.selfCheck.every),
            everyMs: parseDuration(section.selfCheck.every),
            now: at,
          })
        : null;
      return { member, training, acknowledgement, selfCheck };
    });
    members.sort((a, b) => a.member.displayName.localeCompare(b.member.displayName) || a.member.username.localeCompare(b.member.username));
    return { at, policy, section, courses, version, members };
  }

  /**
   * Training and acknowledgement counts as they stood at `at` (now at the latest), for the
   * governors' report: per course, the people asked who had started by then, those up to date
   * (done and not yet late again) and those overdue; and how many of those asked had accepted
   * the policy version in force now. People who have left the people store are not counted.
   */
  async figuresAt(at: number): Promise<ComplianceFiguresAt> {
    const when = Math.min(at, this.now());
    const state = await this.stateAt(when, undefined, true);
    const started = state.members.filter((m) => m.member.startAt <= when);
    const courses = state.courses.map((course, index) => {
      let required = 0;
      let done = 0;
      let overdue = 0;
      for (const m of started) {
        const cell = m.training[index]!;
        if (cell.state === 'not-required') continue;
        required += 1;
        if (cell.state === 'overdue') overdue += 1;
        else if (cell.lastAt !== null) done += 1;
      }
      return { id: course.id, title: course.title, required, done, overdue };
    });
    let acknowledgement: ComplianceFiguresAt['acknowledgement'] = null;
    if (state.section?.acknowledgement && state.version) {
      const asked = started.filter((m) => m.acknowledgement && m.acknowledgement.state !== 'not-required');
      acknowledgement = { version: state.version.version, required: asked.length, done: asked.filter((m) => m.acknowledgement!.lastAt !== null).length };
    }
    return { at: when, courses, acknowledgement };
  }

  // --- training ---

  async trainingMatrix(): Promise<TrainingMatrix> {
    const state = await this.state();
    if (!state.section || state.courses.length === 0) throw notConfigured('training courses');
    const totals: Record<DueState, number> = { done: 0, due: 0, overdue: 0, 'not-required': 0 };
    const rows = state.members
      .filter((m) => m.training.some((cell) => cell.state !== 'not-required'))
      .map((m) => {
        for (const cell of m.training) totals[cell.state] += 1;
        return { ...m.member, cells: m.training.map(({ title: _title, clauses: _clauses, ...cell }) => cell) };
      });
    return { courses: state.courses, rows, totals, at: state.at };
  }

  /** Everything late: training, acknowledgements and self-checks, the longest overdue first. */
  async overdue(): Promise<OverdueItem[]> {
    const state = await this.state();
    const items: OverdueItem[] = [];
    for (const m of state.members) {
      const base = { username: m.member.username, displayName: m.member.displayName, role: m.member.role };
      for (const cell of m.training) {
        if (cell.state === 'overdue') items.push({ ...base, what: 'training', course: cell.course, title: cell.title, dueAt: cell.dueAt! });
      }
      if (m.acknowledgement?.state === 'overdue') {
        items.push({ ...base, what: 'acknowledgement', course: null, title: `Accept the policy (version ${state.version!.version})`, dueAt: m.acknowledgement.dueAt! });
      }
      if (m.selfCheck?.state === 'overdue') items.push({ ...base, what: 'self-check', course: null, title: 'Check your own online presence', dueAt: m.selfCheck.dueAt! });
    }
    return items.sort((a, b) => a.dueAt - b.dueAt || a.displayName.localeCompare(b.displayName));
  }

  private async view(state: ComplianceState, username: string): Promise<PersonCompliance> {
    const found = state.members.find((m) => m.member.username === username);
    if (!found) throw new HedgerowError('HR_COMPLIANCE_UNKNOWN_PERSON', `no person \`${username}\` in the people store`, { where: { field: 'username' } });
    const records = this.options.records;
    const [training, selfChecks, acknowledgements] = await Promise.all([
      records.trainingRecords(username),
      records.selfCheckHistory(username),
      records.acknowledgementHistory(username),
    ]);
    return {
      member: found.member,
      training: found.training,
      acknowledgement: found.acknowledgement && state.version ? { ...found.acknowledgement, versionKey: state.version.key, version: state.version.version } : null,
      selfCheck: found.selfCheck && state.section?.selfCheck ? { ...found.selfCheck, every: state.section.selfCheck.every, clauses: [...state.section.selfCheck.clauses] } : null,
      records: { training: [...training].reverse(), selfChecks, acknowledgements },
    };
  }

  async person(username: string): Promise<PersonCompliance> {
    return this.view(await this.state(), username);
  }

  async mine(self: Self): Promise<PersonCompliance> {
    return this.view(await this.state(self), self.username);
  }

  /**
   * A completion, by the person themself or by a manager for them. `completedOn` is the school
   * day it was done (default today); `mayRecordForOthers` is checked by the caller's permission.
   */
  async recordTraining(
    input: { person: string; course: string; completedOn?: string | undefined; evidence?: string | null | undefined },
    by: Self,
  ): Promise<TrainingRecordView> {
    const section = this.section();
    const course = section?.training[input.course];
    if (!section || Object.keys(section.training).length === 0) throw notConfigured('training courses');
    if (!course) throw inputError('course', `unknown course \`${input.course}\` (courses: ${Object.keys(section.training).join(', ')})`);
    const now = this.now();
    let completedAt = now;
    if (input.completedOn !== undefined) {
      completedAt = this.dayNoon(input.completedOn);
      if (Number.isNaN(completedAt)) throw inputError('completedOn', `\`${input.completedOn}\` is not a date like 2026-09-02`);
      if (input.completedOn > this.dateOf(now)) throw inputError('completedOn', `\`${input.completedOn}\` is in the future`);
      // done today, this morning: not later than now
      completedAt = Math.min(completedAt, now);
      if (completedAt < EARLIEST) throw inputError('completedOn', `\`${input.completedOn}\` is too long ago to be a training date`);
    }
    const evidence = cleanNote(input.evidence, 'evidence');
    if (input.person !== by.username) await this.requireMember(input.person);
    return this.options.records.recordTraining({ person: input.person, course: input.course, completedAt, evidence }, by.username);
  }

  /** A manager records when someone started (induction and the first due dates run from it). */
  async recordStart(person: string, startedOn: string, by: Self, reason: string | null): Promise<MemberSummary> {
    const startAt = this.dayNoon(startedOn);
    if (Number.isNaN(startAt)) throw inputError('startedOn', `\`${startedOn}\` is not a date like 2026-09-02`);
    if (startAt < EARLIEST) throw inputError('startedOn', `\`${startedOn}\` is too long ago to be a start date`);
    const member = await this.requireMember(person);
    const start = await this.options.records.recordStart(person, startAt, by.username, reason);
    return summary(member, start, this.now());
  }

  private async requireMember(username: string): Promise<ComplianceMember> {
    const member = (await this.options.population()).find((m) => m.username === username);
    if (!member) throw new HedgerowError('HR_COMPLIANCE_UNKNOWN_PERSON', `no person \`${username}\` in the people store`, { where: { field: 'person' } });
    return member;
  }

  // --- acknowledgement of the policy ---

  private versionView(version: PolicyVersion & { since: number }): PolicyVersionView {
    return {
      key: version.key,
      version: version.version,
      policyName: version.policyName,
      owner: version.owner,
      revision: version.revision,
      clauses: version.clauses,
      since: version.since,
    };
  }

  async acknowledgementFor(self: Self): Promise<MyAcknowledgement> {
    const state = await this.state(self);
    if (!state.section?.acknowledgement || !state.version) throw notConfigured('policy acknowledgement');
    const mine = state.members.find((m) => m.member.username === self.username)!;
    const accepted = await this.options.records.acknowledgementOf(self.username, state.version.key);
    return { policy: this.versionView(state.version), required: mine.acknowledgement?.state !== 'not-required', state: mine.acknowledgement!, accepted };
  }

  /** "I have read and accept": only the version the person was shown (its key) is accepted. */
  async acknowledge(self: Self, versionKey: string): Promise<AcknowledgementView> {
    const policy = this.policy();
    if (!policy.workflows.compliance?.acknowledgement) throw notConfigured('policy acknowledgement');
    const current = policyVersionOf(policy);
    if (versionKey !== current.key) {
      throw new HedgerowError('HR_COMPLIANCE_VERSION', `the policy has changed since the page was opened (now version \`${current.version}\`); read it again and accept that`, { where: { field: 'versionKey' } });
    }
    await this.options.records.noteVersion(current);
    const { acknowledgement } = await this.options.records.acknowledge(self.username, current);
    return acknowledgement;
  }

  async acknowledgementOutstanding(): Promise<AcknowledgementOutstanding> {
    const state = await this.state();
    if (!state.section?.acknowledgement || !state.version) throw notConfigured('policy acknowledgement');
    const asked = state.members.filter((m) => m.acknowledgement && m.acknowledgement.state !== 'not-required');
    const outstanding = asked
      .filter((m) => m.acknowledgement!.lastAt === null)
      .map((m) => ({ ...m.member, dueAt: m.acknowledgement!.dueAt!, state: m.acknowledgement!.state }))
      .sort((a, b) => a.dueAt - b.dueAt || a.displayName.localeCompare(b.displayName));
    return { policy: this.versionView(state.version), outstanding, accepted: asked.length - outstanding.length, required: asked.length };
  }

  // --- online-presence self-checks (6.13) ---

  async selfCheck(self: Self, note: string | null | undefined): Promise<SelfCheckView> {
    if (!this.section()?.selfCheck) throw notConfigured('online-presence self-check');
    return this.options.records.recordSelfCheck(self.username, cleanNote(note, 'note'));
  }

  // --- the policy's review date ---

  async reviewStatus(): Promise<ReviewStatus> {
    const policy = this.policy();
    const section = policy.workflows.compliance;
    const history = await this.options.records.reviews();
    const last = history[0] ?? null;
    const fromFile = policyReviewDate(policy);
    const recorded = last?.nextReviewDate ?? null;
    let reviewDate: string | null = fromFile;
    let source: ReviewStatus['source'] = fromFile ? 'policy' : null;
    // ISO dates compare as text; a later date in either place moves the review on
    if (recorded !== null && (reviewDate === null || recorded > reviewDate)) {
      reviewDate = recorded;
      source = 'recorded';
    }
    const remindBefore = section?.reviewReminder?.before ?? null;
    let state: ReviewStatus['state'] = 'none';
    if (reviewDate !== null) {
      const at = parseZonedTime(reviewDate, this.timeZone());
      const now = this.now();
      const before = parseDuration(remindBefore ?? '30d');
      state = now >= at ? 'overdue' : now >= at - before ? 'soon' : 'ok';
    }
    return {
      reviewDate,
      source,
      policyReviewDate: fromFile,
      state,
      remindBefore,
      remindTo: expandRoles(section?.reviewReminder?.to ?? [], policy.roleSets),
      lastReview: last,
      history,
    };
  }

  /**
   * Records that the policy was reviewed, by whom, and the next review date. The policy file
   * itself is not edited: its `reviewDate` stays as written until someone changes the file.
   */
  async markReviewed(input: { nextReviewDate: string; note?: string | null | undefined }, by: Self): Promise<ReviewView> {
    if (Number.isNaN(this.dayStart(input.nextReviewDate))) throw inputError('nextReviewDate', `\`${input.nextReviewDate}\` is not a date like 2027-10-01`);
    if (input.nextReviewDate <= this.dateOf(this.now())) throw inputError('nextReviewDate', `the next review date \`${input.nextReviewDate}\` must be after today`);
    const policy = this.policy();
    const layer = policy.layers[policy.layers.length - 1];
    return this.options.records.markReviewed(
      { nextReviewDate: input.nextReviewDate, note: cleanNote(input.note, 'note'), policyVersion: layer?.version ?? null, policyRevision: policy.revision },
      by.username,
    );
  }

  // --- filter checks ---

  /** When the next scheduled run is due: the last run plus `every`, or now before the first. */
  async nextCheckDueAt(): Promise<number | null> {
    const checks = this.section()?.filterChecks;
    if (!checks || checks.tests.length === 0) return null;
    const last = await this.options.checkLog.last();
    return last ? last.startedAt + parseDuration(checks.every) : this.now();
  }

  async checkLog(options: { limit?: number; cursor?: string | null } = {}): Promise<CheckLogPage> {
    const page = await this.options.checkLog.list(options);
    return { ...page, nextDueAt: await this.nextCheckDueAt(), every: this.section()?.filterChecks?.every ?? null };
  }

  /** The filter checks, once the proxy and DNS filter have started (they start after the API). */
  setRunner(runner: FilterCheckRunner | null): void {
    this.options.runner = runner;
  }

  get checksAvailable(): boolean {
    return this.options.runner?.available === true;
  }

  /**
   * Runs every filter check now and records the run; a run already under way is shared rather
   * than started twice. A failed check notifies `filterChecks.notify`.
   */
  runChecks(trigger: 'schedule' | 'manual', requestedBy: string | null): Promise<CheckRunView> {
    if (this.running) return this.running;
    const run = this.runChecksOnce(trigger, requestedBy).finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async runChecksOnce(trigger: 'schedule' | 'manual', requestedBy: string | null): Promise<CheckRunView> {
    const policy = this.policy();
    const checks = policy.workflows.compliance?.filterChecks;
    if (!checks || checks.tests.length === 0) throw notConfigured('filter checks');
    const runner = this.options.runner;
    if (!runner || !runner.available) throw new HedgerowError('HR_COMPLIANCE_CHECKS_UNAVAILABLE', 'filter checks cannot run here: neither the proxy nor the DNS filter is running');
    const startedAt = this.now();
    const results = await runner.run(checks.tests, policy);
    const run = await this.options.checkLog.record({ startedAt, finishedAt: this.now(), trigger, requestedBy, policyRevision: policy.revision, results });
    if (requestedBy !== null) {
      await this.options.audit.append({
        actor: requestedBy,
        action: 'compliance.check-run',
        subject: `check-run:${run.id}`,
        before: null,
        after: { passed: run.passed, failed: run.failed, notApplicable: run.notApplicable },
        reason: null,
      });
    }
    if (run.failed > 0) await this.notifyFailedRun(run, expandRoles(checks.notify, policy.roleSets));
    return run;
  }

  private async notifyFailedRun(run: CheckRunView, roles: string[]): Promise<void> {
    if (roles.length === 0) return;
    const failed = run.results.filter((r) => r.outcome === 'fail');
    const lines = failed.map((r) => `- ${r.testId} (${r.path}, as ${r.role}${r.groups.length ? ` in ${r.groups.join(', ')}` : ''}): ${r.detail ?? `expected ${r.expected}, saw ${r.seen}`}`);
    try {
      await this.options.notifier.notify({
        kind: 'compliance.check-failed',
        to: roles.map((role) => ({ role })),
        subject: `Filter check failed: ${failed.length} of ${run.results.length - run.notApplicable} checks`,
        text: `The filter checks of ${this.dateOf(run.startedAt)} found the filter not doing what the policy says:\n${lines.join('\n')}\n\nThe check log in the dashboard has the details.`,
        link: '#/compliance?tab=checks',
        about: { type: 'filter-check-run', id: run.id },
      });
    } catch (error) {
      this.reportError(error);
    }
  }
}

function summary(person: ComplianceMember, start: PersonStart | undefined, now: number): MemberSummary {
  const firstSeen = start?.firstSeenAt ?? now;
  if (start?.startAt != null) return { username: person.username, displayName: person.displayName, role: person.role, startAt: start.startAt, startSource: 'recorded' };
  if (person.addedAt !== undefined) return { username: person.username, displayName: person.displayName, role: person.role, startAt: person.addedAt, startSource: 'added' };
  return { username: person.username, displayName: person.displayName, role: person.role, startAt: firstSeen, startSource: 'first-seen' };
}
