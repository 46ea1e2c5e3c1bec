// Incident cases (9.1–9.9, 6.11, 6.12, 6.15, 7.2) in the shared store. A case is reported by any
// member of staff (`incidents.report`) and lands with the first role of the reporting chain
// (9.2), who is told at once; the safeguarding roles (`incidents.manage`) read and manage every
// case, a reporter sees only what they reported. Next steps follow from the parties and the
// police criteria (next-steps.ts). Evidence is kept as uploaded with its SHA-256, checked on every
// read. The chronology only grows. Every change and every view goes to the audit log, without
// names or free text: the audit log outlives the case, the case does not outlive its retention.
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { AuditLog, StoreDatabase } from '../../db/index.ts';
import { HedgerowError, type ErrorCode } from '../../errors/index.ts';
import type { Notifier, Recipient } from '../../notify/index.ts';
import { parseDuration, type IncidentsSection, type ResolvedPolicy } from '../../policy/index.ts';
import { imageDimensions, MAX_EVIDENCE_PIXELS, normaliseContentType, sniffContentType } from './content-sniff.ts';
import {
  CLOSURE_OUTCOMES,
  INCIDENT_TYPE_INFO,
  INCIDENT_TYPES,
  PARTY_KINDS,
  PARTY_ROLES,
  POLICE_CRITERIA,
  POLICE_CRITERIA_INFO,
  STEP_INFO,
  STEP_KINDS,
  type ChronologyEntry,
  type ClosureOutcome,
  type EvidenceItem,
  type EvidenceType,
  type IncidentCase,
  type IncidentStatus,
  type IncidentStep,
  type IncidentSummary,
  type IncidentType,
  type NewIncident,
  type PartyInput,
  type PoliceCriterion,
  type RemovalResult,
  type ReporterView,
  type StepKind,
  type StepStatus,
} from './incident-model.ts';
import { platformEntry, proposeSteps } from './next-steps.ts';

interface IncidentsTable {
  id: string;
  type: string;
  status: string;
  platform: string | null;
  description: string;
  occurred_at: number;
  reported_at: number;
  reported_by: string;
  chain_index: number;
  owner_role: string;
  owner_person: string | null;
  criteria: string;
  closed_at: number | null;
  closed_by: string | null;
  closure_outcome: string | null;
  closure_rationale: string | null;
  closure_referrals: string | null;
}

interface PartiesTable {
  id: string;
  incident_id: string;
  position: number;
  added_at: number;
  added_by: string;
  kind: string;
  name: string | null;
  username: string | null;
  role: string;
  note: string | null;
}

interface StepsTable {
  id: string;
  incident_id: string;
  kind: string;
  title: string;
  clauses: string;
  required: number;
  basis: string;
  owner: string;
  due_at: number;
  status: string;
  link: string | null;
  result: string | null;
  outcome: string | null;
  decided_at: number | null;
  decided_by: string | null;
  created_at: number;
}

interface EvidenceTable {
  id: string;
  incident_id: string;
  kind: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  content: Uint8Array;
  uploaded_by: string;
  uploaded_at: number;
  shows_at: number | null;
  note: string | null;
}

interface ChronologyTable {
  incident_id: string;
  seq: number;
  at: number;
  actor: string;
  kind: string;
  text: string;
}

/** The tables of migration 008_incidents, as this module reads them. */
export interface IncidentTables {
  incidents: IncidentsTable;
  incident_parties: PartiesTable;
  incident_steps: StepsTable;
  incident_evidence: EvidenceTable;
  incident_chronology: ChronologyTable;
}

type Db = Kysely<IncidentTables> | Transaction<IncidentTables>;

export interface IncidentStoreOptions {
  store: StoreDatabase;
  audit: AuditLog;
  notifier: Notifier;
  /** the policy in force (its `workflows.incidents`, `retention.incidents`, roles and role sets) */
  policy: () => ResolvedPolicy;
  now?: () => number;
}

/** Who is asking, and whether they hold `incidents.manage`. */
export interface Viewer {
  username: string;
  manage: boolean;
}

export interface ReportForm {
  /** 9.3: shown to staff when they report */
  guidance: string;
  guidanceClauses: string[];
  types: Array<{ id: IncidentType; title: string; clauses: string[] }>;
  partyKinds: readonly string[];
  partyRoles: readonly string[];
  platforms: Array<{ id: string; title: string; reportUrl: string }>;
  criteria: Array<{ id: PoliceCriterion; title: string }>;
  evidence: { maxBytes: number; types: EvidenceType[] };
  clauses: string[];
}

export interface EvidenceUpload {
  bytes: Uint8Array;
  /** the type the uploader says it is; checked against the bytes */
  declaredType: string;
  name: string;
  /** the time and date of the incident it shows (9.4) */
  shows?: number | null;
  note?: string | null;
}

export interface CaseFilter {
  status?: IncidentStatus | 'active';
  type?: IncidentType;
  cursor?: string | null;
  limit?: number;
}

/** 9.3 in general words, for a policy that sets no guidance of its own. */
export const DEFAULT_GUIDANCE =
  'Do not respond to or retaliate against cyber-bullying. Save the evidence, with the time and date it happened, report it here, and seek support from your line manager or a senior member of staff.';

const MAX_TEXT = 8000;
const MAX_SHORT = 500;
const PAGE_DEFAULT = 50;
const REFERRAL_KINDS: ReadonlySet<string> = new Set(['police-referral', 'provider-report']);

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(10).toString('base64url')}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function fail(code: ErrorCode, message: string, field?: string): HedgerowError {
  return new HedgerowError(code, message, field ? { where: { field } } : {});
}

function clip(text: string | null | undefined, max: number): string | null {
  if (text === null || text === undefined) return null;
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed.slice(0, max);
}

function quoted(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

export class IncidentStore {
  private readonly db: Kysely<IncidentTables>;
  private readonly dialect: StoreDatabase['dialect'];
  private readonly audit: AuditLog;
  private readonly notifier: Notifier;
  private readonly policy: () => ResolvedPolicy;
  private readonly now: () => number;
  private purgeTimer: NodeJS.Timeout | null = null;

  constructor(options: IncidentStoreOptions) {
    // NOTE: the store's Database type lists the shared tables; these belong to this module.
    this.db = options.store.db as unknown as Kysely<IncidentTables>;
    this.dialect = options.store.dialect;
    this.audit = options.audit;
    this.notifier = options.notifier;
    this.policy = options.policy;
    this.now = options.now ?? Date.now;
  }

  /** The policy's incident workflow, or HR_INCIDENTS_NOT_CONFIGURED. */
  settings(): IncidentsSection {
    const section = this.policy().workflows.incidents;
    if (!section) throw new HedgerowError('HR_INCIDENTS_NOT_CONFIGURED', 'the policy sets no incident workflow (`workflows.incidents`)');
    return section;
  }

  /** What the report form needs, with the 9.3 guidance. */
  form(): ReportForm {
    const section = this.settings();
    return {
      guidance: section.guidance?.trim() || DEFAULT_GUIDANCE,
      guidanceClauses: ['9.3'],
      types: INCIDENT_TYPES.map((id) => ({ id, title: INCIDENT_TYPE_INFO[id].title, clauses: INCIDENT_TYPE_INFO[id].clauses })),
      partyKinds: PARTY_KINDS,
      partyRoles: PARTY_ROLES,
      platforms: Object.entries(section.platforms).map(([id, p]) => ({ id, title: p.title ?? id, reportUrl: p.reportUrl })),
      criteria: POLICE_CRITERIA.map((id) => ({ id, title: POLICE_CRITERIA_INFO[id] })),
      evidence: { maxBytes: section.evidence.maxBytes, types: [...section.evidence.types] },
      clauses: section.clauses,
    };
  }

  // ---- reporting -------------------------------------------------------------------------

  async create(input: NewIncident, actor: string): Promise<{ case: IncidentCase; notified: boolean }> {
    const section = this.settings();
    if (!INCIDENT_TYPES.includes(input.type)) throw fail('HR_INCIDENTS_INPUT', `unknown incident type ${quoted(String(input.type))}`, 'type');
    const description = clip(input.description, MAX_TEXT);
    if (!description) throw fail('HR_INCIDENTS_INPUT', 'say what happened, in your own words', 'description');
    if (!Number.isFinite(input.occurredAt) || input.occurredAt <= 0) throw fail('HR_INCIDENTS_INPUT', 'say when it happened', 'occurredAt');
    // a day's grace for a browser clock that is wrong; beyond that it is a mistaken date
    if (input.occurredAt > this.now() + 86_400_000) throw fail('HR_INCIDENTS_INPUT', 'the time it happened is in the future', 'occurredAt');
    const parties = (input.parties ?? []).map((party, index) => this.checkParty(party, `parties[${index}]`));
    const criteria = this.checkCriteria(input.criteria ?? []);
    const now = this.now();
    const id = newId('inc');
    const ownerRole = section.chain[0]!;
    const platform = this.platformName(input.platform ?? null);

    const proposed = await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('incidents')
        .values({
          id,
          type: input.type,
          status: 'open',
          platform,
          description,
          occurred_at: Math.floor(input.occurredAt),
          reported_at: now,
          reported_by: actor,
          chain_index: 0,
          owner_role: ownerRole,
          owner_person: null,
          criteria: JSON.stringify(criteria),
          closed_at: null,
          closed_by: null,
          closure_outcome: null,
          closure_rationale: null,
          closure_referrals: null,
        })
        .execute();
      await this.chronicle(trx, id, actor, 'reported', `Reported by ${quoted(actor)} as ${INCIDENT_TYPE_INFO[input.type].title.toLowerCase()}; with ${quoted(ownerRole)} (9.2).`);
      for (const party of parties) await this.insertParty(trx, id, party, actor, now);
      if (criteria.length > 0) await this.chronicle(trx, id, actor, 'criteria', `Police criteria marked: ${criteria.join(', ')} (9.8).`);
      return this.reconcileSteps(trx, id, actor);
    });

    await this.audit.append({
      actor,
      action: 'incident.create',
      subject: `incident:${id}`,
      after: { type: input.type, platform: platform !== null, parties: parties.map((p) => ({ kind: p.kind, role: p.role })), criteria, steps: proposed.map((s) => s.kind) },
    });
    const notified = await this.tell(id, actor, {
      kind: 'incident.opened',
      once: `incident.opened:${id}`,
      to: [this.recipient(ownerRole)],
      subject: 'A new incident has been reported',
      text: `A new ${INCIDENT_TYPE_INFO[input.type].title.toLowerCase()} case was reported and is with your role. Open the dashboard to read it.`,
    });
    await this.tellStepOwners(id, actor, proposed, ownerRole);
    return { case: await this.load(this.db, id), notified };
  }

  // ---- reading -----------------------------------------------------------------------------

  /** The case as this viewer may see it: whole for `incidents.manage`, limited for its reporter. Audited. */
  async view(id: string, viewer: Viewer): Promise<IncidentCase | ReporterView> {
    const row = await this.visibleRow(id, viewer);
    if (viewer.manage) {
      const found = await this.load(this.db, id);
      await this.audit.append({ actor: viewer.username, action: 'incident.view', subject: `incident:${id}`, after: { view: 'full' } });
      return found;
    }
    const evidence = await this.evidenceOf(this.db, id, viewer.username);
    await this.audit.append({ actor: viewer.username, action: 'incident.view', subject: `incident:${id}`, after: { view: 'limited' } });
    return {
      id: row.id,
      type: row.type as IncidentType,
      status: row.status as IncidentStatus,
      platform: row.platform,
      description: row.description,
      occurredAt: row.occurred_at,
      reportedAt: row.reported_at,
      closedAt: row.closed_at,
      evidence,
      limited: true,
    };
  }

  /** Cases newest first: all of them for `incidents.manage`, else the viewer's own reports. Audited. */
  async list(viewer: Viewer, filter: CaseFilter = {}): Promise<{ items: IncidentSummary[]; nextCursor: string | null }> {
    const limit = Math.max(1, Math.min(filter.limit ?? PAGE_DEFAULT, 500));
    let query = this.db.selectFrom('incidents').selectAll();
    if (!viewer.manage) query = query.where('reported_by', '=', viewer.username);
    if (filter.status === 'active') query = query.where('status', '!=', 'closed');
    else if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.type) query = query.where('type', '=', filter.type);
    const cursor = filter.cursor ? /^(\d+):(.+)$/.exec(filter.cursor) : null;
    if (filter.cursor && !cursor) throw fail('HR_INCIDENTS_INPUT', `the cursor ${quoted(filter.cursor)} is not one this list gave`, 'cursor');
    if (cursor) {
      const at = Number(cursor[1]);
      const after = cursor[2]!;
      query = query.where((eb) => eb.or([eb('reported_at', '<', at), eb.and([eb('reported_at', '=', at), eb('id', '<', after)])]));
    }
    const rows = await query.orderBy('reported_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const ids = page.map((r) => r.id);
    const now = this.now();
    const steps = ids.length > 0 ? await this.db.selectFrom('incident_steps').select(['incident_id', 'required', 'status', 'due_at']).where('incident_id', 'in', ids).execute() : [];
    let evidence = ids.length > 0 ? this.db.selectFrom('incident_evidence').select(['incident_id']).where('incident_id', 'in', ids) : null;
    if (evidence && !viewer.manage) evidence = evidence.where('uploaded_by', '=', viewer.username);
    const evidenceRows = evidence ? await evidence.execute() : [];
    const items = page.map((row): IncidentSummary => {
      const own = steps.filter((s) => s.incident_id === row.id && s.status === 'open');
      return {
        id: row.id,
        type: row.type as IncidentType,
        status: row.status as IncidentStatus,
        platform: row.platform,
        occurredAt: row.occurred_at,
        reportedAt: row.reported_at,
        reportedBy: viewer.manage ? row.reported_by : null,
        ownerRole: viewer.manage ? row.owner_role : null,
        ownerPerson: viewer.manage ? row.owner_person : null,
        openRequiredSteps: viewer.manage ? own.filter((s) => s.required === 1).length : null,
        overdueSteps: viewer.manage ? own.filter((s) => s.due_at < now).length : null,
        evidenceCount: evidenceRows.filter((e) => e.incident_id === row.id).length,
        closedAt: row.closed_at,
        limited: !viewer.manage,
      };
    });
    await this.audit.append({
      actor: viewer.username,
      action: 'incident.list',
      subject: 'incidents',
      after: { view: viewer.manage ? 'full' : 'limited', cases: ids, filter: { status: filter.status ?? null, type: filter.type ?? null } },
    });
    const last = page.at(-1);
    return { items, nextCursor: rows.length > limit && last ? `${last.reported_at}:${last.id}` : null };
  }

  // ---- managing (incidents.manage) ------------------------------------------------------------

  async addParty(id: string, input: PartyInput, actor: string): Promise<IncidentCase> {
    const party = this.checkParty(input, 'party');
    const { changed } = await this.change(id, actor, async (trx) => {
      const partyId = await this.insertParty(trx, id, party, actor, this.now());
      return { partyId, kind: party.kind, role: party.role };
    });
    await this.audit.append({ actor, action: 'incident.party.add', subject: `incident:${id}`, after: changed.result });
    await this.tellStepOwners(id, actor, changed.proposed, changed.ownerRole);
    return this.load(this.db, id);
  }

  async setCriteria(id: string, criteria: readonly PoliceCriterion[], actor: string): Promise<IncidentCase> {
    const checked = this.checkCriteria(criteria);
    const { changed } = await this.change(id, actor, async (trx, row) => {
      const before = JSON.parse(row.criteria) as PoliceCriterion[];
      await trx.updateTable('incidents').set({ criteria: JSON.stringify(checked) }).where('id', '=', id).execute();
      await this.chronicle(trx, id, actor, 'criteria', checked.length > 0 ? `Police criteria now: ${checked.join(', ')} (9.8).` : 'No police criteria marked (9.8).');
      return { before, after: checked };
    });
    await this.audit.append({ actor, action: 'incident.criteria', subject: `incident:${id}`, before: changed.result.before, after: changed.result.after });
    await this.tellStepOwners(id, actor, changed.proposed, changed.ownerRole);
    return this.load(this.db, id);
  }

  async addNote(id: string, text: string, actor: string): Promise<IncidentCase> {
    const note = clip(text, MAX_TEXT);
    if (!note) throw fail('HR_INCIDENTS_INPUT', 'the note is empty', 'text');
    const { changed } = await this.change(id, actor, async (trx) => ({ seq: await this.chronicle(trx, id, actor, 'note', note) }));
    await this.audit.append({ actor, action: 'incident.note', subject: `incident:${id}`, after: { seq: changed.result.seq } });
    return this.load(this.db, id);
  }

  /** The viewer takes the case on: they become its owner and it is in progress. */
  async take(id: string, actor: string): Promise<IncidentCase> {
    const { changed } = await this.change(
      id,
      actor,
      async (trx, row) => {
        await trx.updateTable('incidents').set({ owner_person: actor, status: 'in-progress' }).where('id', '=', id).execute();
        await this.chronicle(trx, id, actor, 'taken', `Taken on by ${quoted(actor)}.`);
        return { before: row.owner_person };
      },
      { advance: false },
    );
    await this.audit.append({ actor, action: 'incident.take', subject: `incident:${id}`, before: { person: changed.result.before }, after: { person: actor } });
    return this.load(this.db, id);
  }

  /** Moves the case to the next role of the reporting chain (9.2) and tells that role. */
  async escalate(id: string, reason: string, actor: string): Promise<IncidentCase> {
    const why = clip(reason, MAX_TEXT);
    if (!why) throw fail('HR_INCIDENTS_INPUT', 'say why the case is escalated', 'reason');
    const chain = this.settings().chain;
    const { changed } = await this.change(
      id,
      actor,
      async (trx, row) => {
        const from = Math.min(row.chain_index, chain.length - 1);
        if (from + 1 >= chain.length) throw new HedgerowError('HR_INCIDENTS_CHAIN_END', `the case is already with ${quoted(chain[from]!)}, the last role of the reporting chain`);
        const to = chain[from + 1]!;
        await trx.updateTable('incidents').set({ chain_index: from + 1, owner_role: to, owner_person: null }).where('id', '=', id).execute();
        await this.chronicle(trx, id, actor, 'escalated', `Escalated from ${quoted(row.owner_role)} to ${quoted(to)}: ${why}`);
        return { from: row.owner_role, to, type: row.type as IncidentType };
      },
      { advance: false },
    );
    const { from, to, type } = changed.result;
    await this.audit.append({ actor, action: 'incident.escalate', subject: `incident:${id}`, before: { role: from }, after: { role: to } });
    await this.tell(id, actor, {
      kind: 'incident.escalated',
      once: `incident.escalated:${id}:${to}`,
      to: [this.recipient(to)],
      subject: 'An incident has been escalated to you',
      text: `A ${INCIDENT_TYPE_INFO[type].title.toLowerCase()} case was escalated to your role along the reporting chain. Open the dashboard to read it.`,
    });
    return this.load(this.db, id);
  }

  /** A step the policy does not propose (a call to the local authority, say). */
  async addStep(id: string, input: { title: string; required: boolean; owner?: string | null; dueAt: number }, actor: string): Promise<IncidentCase> {
    const title = clip(input.title, MAX_SHORT);
    if (!title) throw fail('HR_INCIDENTS_INPUT', 'name the step', 'title');
    if (!Number.isFinite(input.dueAt) || input.dueAt <= 0) throw fail('HR_INCIDENTS_INPUT', 'give the step a due date', 'dueAt');
    const { changed } = await this.change(id, actor, async (trx, row) => {
      const stepId = newId('step');
      const owner = clip(input.owner, 128) ?? row.owner_role;
      await trx
        .insertInto('incident_steps')
        .values({
          id: stepId,
          incident_id: id,
          kind: 'other',
          title,
          clauses: '[]',
          required: input.required ? 1 : 0,
          basis: `Added by ${actor}.`,
          owner,
          due_at: Math.floor(input.dueAt),
          status: 'open',
          link: null,
          result: null,
          outcome: null,
          decided_at: null,
          decided_by: null,
          created_at: this.now(),
        })
        .execute();
      await this.chronicle(trx, id, actor, 'step', `Step added: ${title}${input.required ? ' (required)' : ''}; owner ${quoted(owner)}.`);
      return { stepId, owner };
    });
    await this.audit.append({ actor, action: 'incident.step.add', subject: `incident:${id}`, after: { step: changed.result.stepId, kind: 'other', required: input.required, owner: changed.result.owner } });
    return this.load(this.db, id);
  }

  async updateStep(id: string, stepId: string, input: { owner?: string; dueAt?: number }, actor: string): Promise<IncidentCase> {
    const owner = input.owner === undefined ? undefined : clip(input.owner, 128);
    if (input.owner !== undefined && !owner) throw fail('HR_INCIDENTS_INPUT', 'the step needs an owner', 'owner');
    if (input.dueAt !== undefined && (!Number.isFinite(input.dueAt) || input.dueAt <= 0)) throw fail('HR_INCIDENTS_INPUT', 'the due date is not a time', 'dueAt');
    const { changed } = await this.change(id, actor, async (trx) => {
      const step = await this.openStep(trx, id, stepId);
      const set: Partial<StepsTable> = {};
      if (owner) set.owner = owner;
      if (input.dueAt !== undefined) set.due_at = Math.floor(input.dueAt);
      if (Object.keys(set).length === 0) return { before: null, after: null, owner: null };
      await trx.updateTable('incident_steps').set(set).where('id', '=', stepId).execute();
      const parts = [owner ? `owner ${quoted(owner)}` : '', input.dueAt !== undefined ? `due ${new Date(input.dueAt).toISOString()}` : ''].filter(Boolean);
      await this.chronicle(trx, id, actor, 'step', `Step ${quoted(step.title)}: ${parts.join(', ')}.`);
      return { before: { owner: step.owner, dueAt: step.due_at }, after: { owner: owner ?? step.owner, dueAt: set.due_at ?? step.due_at }, owner: owner ?? null };
    });
    if (changed.result.after) {
      await this.audit.append({ actor, action: 'incident.step.update', subject: `incident:${id}`, before: { step: stepId, ...changed.result.before }, after: { step: stepId, ...changed.result.after } });
    }
    if (changed.result.owner) {
      await this.tell(id, actor, {
        kind: 'incident.step',
        to: [this.recipient(changed.result.owner)],
        subject: 'An incident step is yours',
        text: 'A next step of an incident case was given to you. Open the dashboard to read it.',
      });
    }
    return this.load(this.db, id);
  }

  /** Records what came of a step; for a removal request, whether the content was removed (9.6, 9.7). */
  async recordOutcome(id: string, stepId: string, input: { outcome: string; result?: RemovalResult | null }, actor: string): Promise<IncidentCase> {
    const outcome = clip(input.outcome, MAX_TEXT);
    if (!outcome) throw fail('HR_INCIDENTS_INPUT', 'record what came of the step', 'outcome');
    const { changed } = await this.change(id, actor, async (trx) => {
      const step = await this.openStep(trx, id, stepId);
      const result = input.result ?? null;
      if (step.kind === 'removal-request' && !result) {
        throw fail('HR_INCIDENTS_INPUT', 'say whether the content was removed, refused or the request went unanswered', 'result');
      }
      if (step.kind !== 'removal-request' && result) throw fail('HR_INCIDENTS_INPUT', `only a removal request takes a result, not ${quoted(step.title)}`, 'result');
      await trx
        .updateTable('incident_steps')
        .set({ status: 'done', outcome, result, decided_at: this.now(), decided_by: actor })
        .where('id', '=', stepId)
        .execute();
      await this.chronicle(trx, id, actor, 'step', `Step ${quoted(step.title)} done${result ? ` (${result})` : ''}: ${outcome}`);
      return { kind: step.kind, result };
    });
    await this.audit.append({ actor, action: 'incident.step.outcome', subject: `incident:${id}`, after: { step: stepId, kind: changed.result.kind, status: 'done', result: changed.result.result } });
    await this.tellStepOwners(id, actor, changed.proposed, changed.ownerRole);
    return this.load(this.db, id);
  }

  /** Skips a step with a recorded reason: for the police step, the decision not to refer (9.8). */
  async skipStep(id: string, stepId: string, reason: string, actor: string): Promise<IncidentCase> {
    const why = clip(reason, MAX_TEXT);
    if (!why) throw fail('HR_INCIDENTS_INPUT', 'record why the step is not taken', 'reason');
    const { changed } = await this.change(id, actor, async (trx) => {
      const step = await this.openStep(trx, id, stepId);
      await trx.updateTable('incident_steps').set({ status: 'skipped', outcome: why, decided_at: this.now(), decided_by: actor }).where('id', '=', stepId).execute();
      const what = step.kind === 'police-referral' ? 'Decided not to refer to the police' : `Step ${quoted(step.title)} not taken`;
      await this.chronicle(trx, id, actor, 'step', `${what}: ${why}`);
      return { kind: step.kind };
    });
    await this.audit.append({ actor, action: 'incident.step.skip', subject: `incident:${id}`, after: { step: stepId, kind: changed.result.kind, status: 'skipped' } });
    return this.load(this.db, id);
  }

  /** Closes the case with an outcome and its rationale; refused while a required step is open. */
  async closeCase(id: string, input: { outcome: ClosureOutcome; rationale: string }, actor: string): Promise<IncidentCase> {
    if (!CLOSURE_OUTCOMES.includes(input.outcome)) throw fail('HR_INCIDENTS_INPUT', `unknown outcome ${quoted(String(input.outcome))}`, 'outcome');
    const rationale = clip(input.rationale, MAX_TEXT);
    if (!rationale) throw fail('HR_INCIDENTS_INPUT', 'record the rationale for closing, including any decision not to refer', 'rationale');
    const { changed } = await this.change(
      id,
      actor,
      async (trx) => {
        const steps = await trx.selectFrom('incident_steps').selectAll().where('incident_id', '=', id).execute();
        const open = steps.filter((s) => s.required === 1 && s.status === 'open');
        if (open.length > 0) {
          const error = new HedgerowError(
            'HR_INCIDENTS_STEPS_OPEN',
            open.length === 1 ? `the required step ${quoted(open[0]!.title)} has no outcome and no reason to skip it` : `${open.length} required steps have no outcome and no reason to skip them`,
          );
          // the API shows each open step as a problem of its own
          throw Object.assign(error, { problems: open.map((s) => ({ field: `steps.${s.id}`, message: `${s.title}: no outcome and no reason to skip it` })) });
        }
        const referrals = [...new Set(steps.filter((s) => REFERRAL_KINDS.has(s.kind) && s.status === 'done').map((s) => s.kind))];
        const at = this.now();
        await trx
          .updateTable('incidents')
          .set({ status: 'closed', closed_at: at, closed_by: actor, closure_outcome: input.outcome, closure_rationale: rationale, closure_referrals: JSON.stringify(referrals) })
          .where('id', '=', id)
          .execute();
        await this.chronicle(trx, id, actor, 'closed', `Closed as ${input.outcome}: ${rationale}`);
        return { referrals };
      },
      { advance: false, reconcile: false },
    );
    await this.audit.append({ actor, action: 'incident.close', subject: `incident:${id}`, after: { outcome: input.outcome, referrals: changed.result.referrals } });
    return this.load(this.db, id);
  }

  // ---- evidence (9.4) -------------------------------------------------------------------------

  /**
   * Stores evidence as given: its bytes, SHA-256, uploader, time, original name and the type its
   * bytes show, which must be the declared type and one the policy accepts. The reporter of a
   * case may add to it; the safeguarding roles to any open case.
   */
  async addEvidence(id: string, upload: EvidenceUpload, viewer: Viewer): Promise<EvidenceItem> {
    const section = this.settings();
    const declared = normaliseContentType(upload.declaredType);
    const accepted: readonly string[] = section.evidence.types;
    if (!accepted.includes(declared)) {
      throw new HedgerowError('HR_INCIDENTS_EVIDENCE_TYPE', `evidence of type ${quoted(declared)} is not accepted; the policy accepts ${accepted.join(', ')}`);
    }
    if (upload.bytes.length === 0) throw new HedgerowError('HR_INCIDENTS_EVIDENCE_EMPTY', 'the evidence has no bytes');
    if (upload.bytes.length > section.evidence.maxBytes) throw tooLarge(section.evidence.maxBytes);
    const sniffed = sniffContentType(upload.bytes);
    if (sniffed !== declared) {
      throw new HedgerowError('HR_INCIDENTS_EVIDENCE_MISMATCH', `the file was declared ${quoted(declared)} but its bytes are ${sniffed ? quoted(sniffed) : 'none of the accepted types'}`);
    }
    const size = declared.startsWith('image/') ? imageDimensions(upload.bytes, declared as EvidenceType) : null;
    if (size && size.width * size.height > MAX_EVIDENCE_PIXELS) {
      throw new HedgerowError('HR_INCIDENTS_EVIDENCE_DIMENSIONS', `the image says it is ${size.width} × ${size.height} pixels, more than the ${MAX_EVIDENCE_PIXELS} a screenshot or photo has`);
    }
    const name = clip(upload.name.replace(/[\u0000-\u001f\u007f/\\]+/g, '_'), 255) ?? 'evidence';
    return this.storeEvidence(id, viewer, { kind: 'file', name, contentType: declared as EvidenceType, bytes: upload.bytes, shows: upload.shows ?? null, note: upload.note ?? null });
  }

  /** A web address as evidence (a post, a profile): kept as text with its digest like any file. */
  async addUrlEvidence(id: string, input: { url: string; shows?: number | null; note?: string | null }, viewer: Viewer): Promise<EvidenceItem> {
    let url: URL;
    try {
      url = new URL(input.url.trim());
    } catch {
      throw fail('HR_INCIDENTS_INPUT', `${quoted(input.url.slice(0, 200))} is not a web address`, 'url');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail('HR_INCIDENTS_INPUT', 'the address must start with http:// or https://', 'url');
    const text = url.toString();
    if (text.length > 4000) throw fail('HR_INCIDENTS_INPUT', 'the address is longer than 4000 characters', 'url');
    return this.storeEvidence(id, viewer, { kind: 'url', name: text, contentType: 'text/uri-list', bytes: Buffer.from(text, 'utf8'), shows: input.shows ?? null, note: input.note ?? null });
  }

  private async storeEvidence(
    id: string,
    viewer: Viewer,
    item: { kind: 'file' | 'url'; name: string; contentType: EvidenceItem['contentType']; bytes: Uint8Array; shows: number | null; note: string | null },
  ): Promise<EvidenceItem> {
    if (item.shows !== null && (!Number.isFinite(item.shows) || item.shows <= 0)) throw fail('HR_INCIDENTS_INPUT', 'the time the evidence shows is not a time', 'shows');
    const evidenceId = newId('ev');
    const digest = sha256(item.bytes);
    const at = this.now();
    const note = clip(item.note, MAX_SHORT);
    await this.change(
      id,
      viewer.username,
      async (trx) => {
        await trx
          .insertInto('incident_evidence')
          .values({
            id: evidenceId,
            incident_id: id,
            kind: item.kind,
            name: item.name,
            content_type: item.contentType,
            size: item.bytes.length,
            sha256: digest,
            content: Buffer.from(item.bytes.buffer, item.bytes.byteOffset, item.bytes.byteLength),
            uploaded_by: viewer.username,
            uploaded_at: at,
            shows_at: item.shows === null ? null : Math.floor(item.shows),
            note,
          })
          .execute();
        const shows = item.shows === null ? '' : `, showing ${new Date(item.shows).toISOString()}`;
        await this.chronicle(trx, id, viewer.username, 'evidence', `Evidence added: ${item.kind === 'url' ? item.name : `${quoted(item.name)} (${item.contentType}, ${item.bytes.length} bytes)`}${shows}; SHA-256 ${digest}.`);
        return null;
      },
      // a reporter adding evidence does not take the case on; a safeguarding role does
      { advance: viewer.manage, reconcile: false, visibleTo: viewer },
    );
    await this.audit.append({
      actor: viewer.username,
      action: 'incident.evidence.add',
      subject: `incident:${id}`,
      after: { evidence: evidenceId, kind: item.kind, contentType: item.contentType, size: item.bytes.length, sha256: digest },
    });
    return { id: evidenceId, kind: item.kind, name: item.name, contentType: item.contentType, size: item.bytes.length, sha256: digest, uploadedBy: viewer.username, uploadedAt: at, shows: item.shows, note };
  }

  /**
   * The evidence's bytes, after checking them against the digest taken at upload; a mismatch is
   * audited and refused. The safeguarding roles read any evidence; a reporter what they added.
   */
  async readEvidence(id: string, evidenceId: string, viewer: Viewer): Promise<{ item: EvidenceItem; bytes: Buffer }> {
    await this.visibleRow(id, viewer);
    let query = this.db.selectFrom('incident_evidence').selectAll().where('incident_id', '=', id).where('id', '=', evidenceId);
    if (!viewer.manage) query = query.where('uploaded_by', '=', viewer.username);
    const row = await query.executeTakeFirst();
    if (!row) throw new HedgerowError('HR_INCIDENTS_EVIDENCE_NOT_FOUND', `no evidence ${quoted(evidenceId)} on case ${quoted(id)}`);
    const bytes = Buffer.from(row.content);
    const actual = sha256(bytes);
    if (actual !== row.sha256 || bytes.length !== row.size) {
      await this.audit.append({ actor: viewer.username, action: 'incident.evidence.tampered', subject: `incident:${id}`, after: { evidence: evidenceId, expected: row.sha256, actual } });
      throw new HedgerowError('HR_INCIDENTS_EVIDENCE_TAMPERED', `evidence ${quoted(evidenceId)} no longer matches the digest taken when it was uploaded`);
    }
    await this.audit.append({ actor: viewer.username, action: 'incident.evidence.view', subject: `incident:${id}`, after: { evidence: evidenceId, sha256: row.sha256 } });
    return { item: toEvidence(row), bytes };
  }

  /** Checks every piece of a case's evidence against its digest (safeguarding roles). Audited. */
  async verifyEvidence(id: string, viewer: Viewer): Promise<Array<{ id: string; name: string; sha256: string; ok: boolean }>> {
    if (!viewer.manage) throw notFound(id);
    await this.visibleRow(id, viewer);
    const rows = await this.db.selectFrom('incident_evidence').selectAll().where('incident_id', '=', id).orderBy('uploaded_at').orderBy('id').execute();
    const out = rows.map((row) => {
      const bytes = Buffer.from(row.content);
      return { id: row.id, name: row.name, sha256: row.sha256, ok: bytes.length === row.size && sha256(bytes) === row.sha256 };
    });
    await this.audit.append({ actor: viewer.username, action: 'incident.evidence.verify', subject: `incident:${id}`, after: { checked: out.length, failed: out.filter((r) => !r.ok).map((r) => r.id) } });
    return out;
  }

  // ---- figures ------------------------------------------------------------------------------

  /**
   * Counts for the governors' report: cases reported in the period (`from` inclusive, `to`
   * exclusive) by type, and the same cases by outcome as at the period's end (`open` for those
   * not closed by then). Counts only, never a person; the report hides the small ones.
   */
  async figures(period: { from: number; to: number }): Promise<{ byType: Record<string, number>; byOutcome: Record<string, number> }> {
    const rows = await this.db
      .selectFrom('incidents')
      .select(['type', 'closed_at', 'closure_outcome'])
      .where('reported_at', '>=', period.from)
      .where('reported_at', '<', period.to)
      .execute();
    const byType: Record<string, number> = {};
    const byOutcome: Record<string, number> = {};
    for (const row of rows) {
      byType[row.type] = (byType[row.type] ?? 0) + 1;
      const outcome = row.closed_at !== null && row.closed_at < period.to && row.closure_outcome ? row.closure_outcome : 'open';
      byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
    }
    return { byType, byOutcome };
  }

  // ---- retention ------------------------------------------------------------------------------

  /**
   * Removes closed cases older than `retention.incidents` (counted from closing), with their
   * parties, steps, evidence and chronology. Open cases are never removed. The purge is audited
   * by case id only.
   */
  async purgeExpired(): Promise<{ purged: string[] }> {
    const keep = this.policy().retention.incidents;
    if (!keep) return { purged: [] };
    const before = this.now() - parseDuration(keep);
    const ids = await this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('incidents').select('id').where('status', '=', 'closed').where('closed_at', '<', before).execute();
      const found = rows.map((r) => r.id);
      if (found.length === 0) return found;
      for (const table of ['incident_evidence', 'incident_steps', 'incident_parties', 'incident_chronology'] as const) {
        await trx.deleteFrom(table).where('incident_id', 'in', found).execute();
      }
      await trx.deleteFrom('incidents').where('id', 'in', found).execute();
      return found;
    });
    if (ids.length > 0) await this.audit.append({ actor: 'system', action: 'incident.purge', subject: 'incidents', after: { cases: ids, retention: keep } });
    return { purged: ids };
  }

  /** Purges on a timer (daily, say); the timer does not keep the process alive. */
  startPurgeTimer(everyMs: number, onError: (error: unknown) => void = () => {}): void {
    this.stopPurgeTimer();
    this.purgeTimer = setInterval(() => {
      this.purgeExpired().catch(onError);
    }, everyMs);
    this.purgeTimer.unref();
  }

  stopPurgeTimer(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = null;
  }

  close(): void {
    this.stopPurgeTimer();
  }

  // ---- inside ---------------------------------------------------------------------------------

  private platformName(platform: string | null): string | null {
    const text = clip(platform, 200);
    if (!text) return null;
    return platformEntry(this.settings().platforms, text)?.id ?? text;
  }

  private checkParty(input: PartyInput, field: string): Required<PartyInput> {
    if (!PARTY_KINDS.includes(input.kind)) throw fail('HR_INCIDENTS_INPUT', `unknown kind of party ${quoted(String(input.kind))}`, `${field}.kind`);
    if (!PARTY_ROLES.includes(input.role)) throw fail('HR_INCIDENTS_INPUT', `unknown role in the case ${quoted(String(input.role))}`, `${field}.role`);
    const name = clip(input.name, 200);
    const username = clip(input.username, 128);
    if (!name && !username && input.kind !== 'unknown') throw fail('HR_INCIDENTS_INPUT', 'give the name or the roster username of the person', `${field}.name`);
    return { kind: input.kind, role: input.role, name, username, note: clip(input.note, MAX_SHORT) };
  }

  private checkCriteria(criteria: readonly string[]): PoliceCriterion[] {
    const out = new Set<PoliceCriterion>();
    criteria.forEach((c, i) => {
      if (!POLICE_CRITERIA.includes(c as PoliceCriterion)) throw fail('HR_INCIDENTS_INPUT', `unknown police criterion ${quoted(c)}`, `criteria[${i}]`);
      out.add(c as PoliceCriterion);
    });
    return POLICE_CRITERIA.filter((c) => out.has(c));
  }

  private async insertParty(trx: Db, incidentId: string, party: Required<PartyInput>, actor: string, at: number): Promise<string> {
    const id = newId('pty');
    const last = await trx.selectFrom('incident_parties').select((eb) => eb.fn.max('position').as('position')).where('incident_id', '=', incidentId).executeTakeFirst();
    await trx
      .insertInto('incident_parties')
      .values({ id, incident_id: incidentId, position: Number(last?.position ?? 0) + 1, added_at: at, added_by: actor, kind: party.kind, name: party.name, username: party.username, role: party.role, note: party.note })
      .execute();
    const who = party.name ?? party.username ?? 'someone not known';
    await this.chronicle(trx, incidentId, actor, 'party', `${who} (${party.kind}) added as ${party.role}.`);
    return id;
  }

  /** Appends to the chronology; the number follows the last one under the case's lock. */
  private async chronicle(trx: Db, incidentId: string, actor: string, kind: string, text: string): Promise<number> {
    const last = await trx.selectFrom('incident_chronology').select((eb) => eb.fn.max('seq').as('seq')).where('incident_id', '=', incidentId).executeTakeFirst();
    const seq = Number(last?.seq ?? 0) + 1;
    await trx.insertInto('incident_chronology').values({ incident_id: incidentId, seq, at: this.now(), actor, kind, text }).execute();
    return seq;
  }

  /** Locks the case row for this transaction (PostgreSQL; SQLite's writer lock covers it). */
  private async lockedRow(trx: Db, id: string): Promise<IncidentsTable> {
    let query = trx.selectFrom('incidents').selectAll().where('id', '=', id);
    if (this.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw notFound(id);
    return row;
  }

  /**
   * One change to an open case, in one transaction: lock, refuse if closed, run the change, move
   * an open case to in progress when a safeguarding role acts on it, and bring the proposed
   * steps up to date.
   */
  private async change<T>(
    id: string,
    actor: string,
    body: (trx: Transaction<IncidentTables>, row: IncidentsTable) => Promise<T>,
    options: { advance?: boolean; reconcile?: boolean; visibleTo?: Viewer } = {},
  ): Promise<{ changed: { result: T; proposed: IncidentStep[]; ownerRole: string } }> {
    this.settings();
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockedRow(trx, id);
      if (options.visibleTo && !options.visibleTo.manage && row.reported_by !== options.visibleTo.username) throw notFound(id);
      if (row.status === 'closed') throw new HedgerowError('HR_INCIDENTS_CLOSED', `case ${quoted(id)} is closed`);
      const result = await body(trx, row);
      if (options.advance !== false && row.status === 'open') {
        await trx.updateTable('incidents').set({ status: 'in-progress', owner_person: row.owner_person ?? actor }).where('id', '=', id).execute();
        await this.chronicle(trx, id, actor, 'taken', `In progress with ${quoted(row.owner_person ?? actor)}.`);
      }
      const proposed = options.reconcile === false ? [] : await this.reconcileSteps(trx, id, actor);
      return { changed: { result, proposed, ownerRole: row.owner_role } };
    });
  }

  /**
   * Brings the case's proposed steps in line with its parties, criteria and removal result:
   * adds the missing ones (owner and due time from the policy's `steps`), marks as not required
   * those whose reason has gone. Returns the steps it added.
   */
  private async reconcileSteps(trx: Db, id: string, actor: string): Promise<IncidentStep[]> {
    const section = this.settings();
    const row = await trx.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const parties = await trx.selectFrom('incident_parties').select(['kind', 'role']).where('incident_id', '=', id).execute();
    const steps = await trx.selectFrom('incident_steps').selectAll().where('incident_id', '=', id).execute();
    const removal = steps.find((s) => s.kind === 'removal-request' && s.status === 'done');
    const wanted = proposeSteps(
      {
        type: row.type as IncidentType,
        parties: parties.map((p) => ({ kind: p.kind as PartyInput['kind'], role: p.role as PartyInput['role'] })),
        criteria: JSON.parse(row.criteria) as PoliceCriterion[],
        platform: row.platform,
        removalResult: (removal?.result as RemovalResult | null | undefined) ?? null,
      },
      section.platforms,
    );
    const added: IncidentStep[] = [];
    const now = this.now();
    for (const proposal of wanted) {
      const existing = steps.find((s) => s.kind === proposal.kind);
      if (existing) {
        if (existing.status === 'open' && (existing.required === 1) !== proposal.required) {
          await trx.updateTable('incident_steps').set({ required: proposal.required ? 1 : 0, basis: proposal.basis }).where('id', '=', existing.id).execute();
          await this.chronicle(trx, id, actor, 'step', `Step ${quoted(existing.title)} is now ${proposal.required ? 'required' : 'optional'}: ${proposal.basis}`);
        }
        continue;
      }
      const info = STEP_INFO[proposal.kind];
      const configured = section.steps[proposal.kind];
      const step: StepsTable = {
        id: newId('step'),
        incident_id: id,
        kind: proposal.kind,
        title: info.title,
        clauses: JSON.stringify(info.clauses),
        required: proposal.required ? 1 : 0,
        basis: proposal.basis,
        owner: configured?.role ?? row.owner_role,
        due_at: now + parseDuration(configured?.dueWithin ?? info.dueWithin),
        status: 'open',
        link: proposal.link,
        result: null,
        outcome: null,
        decided_at: null,
        decided_by: null,
        created_at: now,
      };
      await trx.insertInto('incident_steps').values(step).execute();
      await this.chronicle(trx, id, actor, 'step', `Step proposed${proposal.required ? ' (required)' : ''}: ${info.title}; owner ${quoted(step.owner)}. ${proposal.basis}`);
      added.push(toStep(step, now));
    }
    // a step proposed earlier whose reason has gone stays listed but no longer holds the case open
    for (const step of steps) {
      if (step.kind === 'other' || step.status !== 'open' || step.required !== 1) continue;
      if (wanted.some((w) => w.kind === step.kind)) continue;
      await trx.updateTable('incident_steps').set({ required: 0 }).where('id', '=', step.id).execute();
      await this.chronicle(trx, id, actor, 'step', `Step ${quoted(step.title)} is no longer required: the reason it was proposed no longer holds.`);
    }
    return added;
  }

  private async openStep(trx: Db, incidentId: string, stepId: string): Promise<StepsTable> {
    const step = await trx.selectFrom('incident_steps').selectAll().where('incident_id', '=', incidentId).where('id', '=', stepId).executeTakeFirst();
    if (!step) throw new HedgerowError('HR_INCIDENTS_STEP_NOT_FOUND', `no step ${quoted(stepId)} on case ${quoted(incidentId)}`);
    if (step.status !== 'open') throw new HedgerowError('HR_INCIDENTS_STEP_DONE', `the step ${quoted(step.title)} was already ${step.status === 'done' ? 'done' : 'skipped'}`);
    return step;
  }

  /** The case row when the viewer may see it; otherwise not found (and the attempt audited). */
  private async visibleRow(id: string, viewer: Viewer): Promise<IncidentsTable> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (row && (viewer.manage || row.reported_by === viewer.username)) return row;
    if (row) await this.audit.append({ actor: viewer.username, action: 'incident.view.refused', subject: `incident:${id}`, after: { reason: 'not the reporter' } });
    // the same answer whether or not the case exists, so ids cannot be probed
    throw notFound(id);
  }

  private async evidenceOf(db: Db, id: string, onlyBy?: string): Promise<EvidenceItem[]> {
    let query = db
      .selectFrom('incident_evidence')
      .select(['id', 'incident_id', 'kind', 'name', 'content_type', 'size', 'sha256', 'uploaded_by', 'uploaded_at', 'shows_at', 'note'])
      .where('incident_id', '=', id);
    if (onlyBy !== undefined) query = query.where('uploaded_by', '=', onlyBy);
    const rows = await query.orderBy('uploaded_at').orderBy('id').execute();
    return rows.map(toEvidence);
  }

  private async load(db: Db, id: string): Promise<IncidentCase> {
    const row = await db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(id);
    const now = this.now();
    const [parties, steps, evidence, chronology] = await Promise.all([
      db.selectFrom('incident_parties').selectAll().where('incident_id', '=', id).orderBy('position').execute(),
      db.selectFrom('incident_steps').selectAll().where('incident_id', '=', id).orderBy('created_at').orderBy('id').execute(),
      this.evidenceOf(db, id),
      db.selectFrom('incident_chronology').selectAll().where('incident_id', '=', id).orderBy('seq').execute(),
    ]);
    return {
      id: row.id,
      type: row.type as IncidentType,
      status: row.status as IncidentStatus,
      platform: row.platform,
      description: row.description,
      occurredAt: row.occurred_at,
      reportedAt: row.reported_at,
      reportedBy: row.reported_by,
      owner: { role: row.owner_role, person: row.owner_person, chainIndex: row.chain_index },
      criteria: JSON.parse(row.criteria) as PoliceCriterion[],
      parties: parties.map((p) => ({
        id: p.id,
        kind: p.kind as PartyInput['kind'],
        name: p.name,
        username: p.username,
        role: p.role as PartyInput['role'],
        note: p.note,
        addedAt: p.added_at,
        addedBy: p.added_by,
      })),
      // proposed together means the same time: then the order 9.5–9.8 gives them
      steps: steps
        .sort((a, b) => a.created_at - b.created_at || STEP_KINDS.indexOf(a.kind as StepKind) - STEP_KINDS.indexOf(b.kind as StepKind) || (a.id < b.id ? -1 : 1))
        .map((s) => toStep(s, now)),
      evidence,
      chronology: chronology.map((c): ChronologyEntry => ({ seq: c.seq, at: c.at, actor: c.actor, kind: c.kind, text: c.text })),
      closure:
        row.status === 'closed' && row.closed_at !== null
          ? {
              outcome: row.closure_outcome as ClosureOutcome,
              rationale: row.closure_rationale ?? '',
              referrals: JSON.parse(row.closure_referrals ?? '[]') as string[],
              at: row.closed_at,
              by: row.closed_by ?? '',
            }
          : null,
    };
  }

  /** A role of the policy (or a role set) is told as a role; anything else is a username. */
  private recipient(owner: string): Recipient {
    const policy = this.policy();
    return policy.roles[owner] || policy.roleSets[owner] ? { role: owner } : { person: owner };
  }

  /** Sends a notification; a failure is written to the case's chronology rather than lost. */
  private async tell(id: string, actor: string, input: { kind: string; to: Recipient[]; subject: string; text: string; once?: string }): Promise<boolean> {
    try {
      await this.notifier.notify({ ...input, link: `#/incidents?case=${encodeURIComponent(id)}`, about: { type: 'incident', id } });
      return true;
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      try {
        await this.db.transaction().execute(async (trx) => {
          await this.lockedRow(trx, id);
          await this.chronicle(trx, id, actor, 'notify-failed', `Could not tell ${input.to.map((r) => Object.values(r)[0]).join(', ')}: ${why.slice(0, 300)}`);
        });
      } catch {
        // the case row is there; a second failure leaves only the first one unrecorded
      }
      return false;
    }
  }

  /** Tells the owners of newly proposed steps that are not the role the case is with. */
  private async tellStepOwners(id: string, actor: string, steps: readonly IncidentStep[], caseRole: string): Promise<void> {
    const owners = [...new Set(steps.map((s) => s.owner).filter((owner) => owner !== caseRole))];
    for (const owner of owners) {
      await this.tell(id, actor, {
        kind: 'incident.step',
        to: [this.recipient(owner)],
        subject: 'An incident step is yours',
        text: 'A next step of an incident case was given to your role. Open the dashboard to read it.',
      });
    }
  }
}

function notFound(id: string): HedgerowError {
  return new HedgerowError('HR_INCIDENTS_NOT_FOUND', `no incident case ${quoted(id)}`);
}

/** HR_INCIDENTS_EVIDENCE_TOO_LARGE with the limit in the message. */
export function tooLarge(maxBytes: number): HedgerowError {
  return new HedgerowError('HR_INCIDENTS_EVIDENCE_TOO_LARGE', `the evidence is larger than the ${maxBytes} bytes the policy allows`);
}

function toEvidence(row: Omit<EvidenceTable, 'content'>): EvidenceItem {
  return {
    id: row.id,
    kind: row.kind as EvidenceItem['kind'],
    name: row.name,
    contentType: row.content_type as EvidenceItem['contentType'],
    size: Number(row.size),
    sha256: row.sha256,
    uploadedBy: row.uploaded_by,
    uploadedAt: row.uploaded_at,
    shows: row.shows_at,
    note: row.note,
  };
}

function toStep(row: StepsTable, now: number): IncidentStep {
  return {
    id: row.id,
    kind: row.kind as StepKind,
    title: row.title,
    clauses: JSON.parse(row.clauses) as string[],
    required: row.required === 1,
    basis: row.basis,
    owner: row.owner,
    dueAt: row.due_at,
    status: row.status as StepStatus,
    link: row.link,
    result: row.result as RemovalResult | null,
    outcome: row.outcome,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    createdAt: row.created_at,
    overdue: row.status === 'open' && row.due_at < now,
  };
}
