// The reports people make: "report a site" (6.14, 8.3), "I reached this by accident" (council
// internet rules), "tell a teacher" (7.8) and contact or friend-request attempts between staff and
// pupils or parents (6.4, 6.5, 7.3, 7.4). Each is routed when it is made (routing.ts) and handled
// by the accounts it was routed to: open → acknowledged → closed with an outcome and a note. A
// site report's closure can add the site to the school's block list. Every step is audited.
import { sql } from 'kysely';
import { parseDuration } from '../../policy/index.ts';
import { parseList, type CaseReportRoutesTable, type ReportRow } from './request-tables.ts';
import {
  cut,
  cutList,
  FIELD_LIMITS,
  type Actor,
  type Asker,
  type CaseReport,
  type ContactDirection,
  type Page,
  type ReportKind,
  type ReportOutcome,
  type ReportRouting,
  type ReportState,
  type RequestSource,
} from './request-types.ts';
import { decodeCursor, DEFAULT_PAGE, encodeCursor, inputError, isUniqueViolation, MAX_PAGE, newId, notFound, tell, type RequestsContext } from './requests-context.ts';
import { classGroupsOf, reportSection, routedTo, routeReport } from './routing.ts';
import { notRouted, stateError } from './unblock-requests.ts';

export interface NewReport {
  kind: ReportKind;
  asker: Asker;
  source: RequestSource;
  eventId?: string | null;
  ticketKey?: string | null;
  url?: string | null;
  host?: string | null;
  categories?: readonly string[];
  message: string;
  /** contact attempts only */
  contact?: { platform: string; otherParty: string; direction: ContactDirection };
}

export interface ReportViewer {
  actor: Actor;
  /** holds `reports.handle`: sees what is routed to it as well as its own */
  handles: boolean;
}

export interface ReportFilter {
  kind?: ReportKind;
  /** `active`: open or acknowledged */
  state?: ReportState | 'active';
  /** `made`: only the viewer's own; `routed`: only those routed to the viewer */
  mine?: 'made' | 'routed';
  overdue?: boolean;
  from?: number;
  to?: number;
  cursor?: string | null;
  limit?: number;
}

/** Adds a reported site to the school's block list (audited, reloaded): see site-blocker.ts. */
export interface SiteBlocker {
  block(host: string, actor: string, reason: string): Promise<{ changed: boolean; rule: string; revision: string; reload: { ok: boolean; problems: string[] } }>;
}

const ACTIVE: readonly ReportState[] = ['open', 'acknowledged'];

const TITLES: Record<ReportKind, string> = {
  'site-report': 'Site reported as inappropriate',
  accident: 'Accidental access reported',
  'tell-teacher': 'A pupil wants to tell a teacher',
  'contact-attempt': 'Contact attempt between staff and a pupil or parent reported',
};

function routingOf(rows: readonly CaseReportRoutesTable[]): ReportRouting {
  const routing: ReportRouting = { roles: [], people: [], groups: [] };
  for (const row of rows) {
    if (row.kind === 'role') routing.roles.push(row.value);
    else if (row.kind === 'person') routing.people.push(row.value);
    else if (row.kind === 'group') routing.groups.push(row.value);
  }
  return routing;
}

export function toCaseReport(row: ReportRow, routing: ReportRouting, now: number): CaseReport {
  const state = row.state as ReportState;
  return {
    id: row.id,
    kind: row.kind as ReportKind,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    source: row.source === 'dashboard' ? 'dashboard' : 'block-page',
    eventId: row.event_id,
    reporter: row.reporter,
    reporterRole: row.reporter_role,
    reporterGroups: parseList(row.reporter_groups),
    clientIp: row.client_ip,
    url: row.url,
    host: row.host,
    categories: parseList(row.categories),
    clauses: parseList(row.clauses),
    message: row.message,
    contact:
      row.platform !== null && row.other_party !== null && row.direction !== null
        ? { platform: row.platform, otherParty: row.other_party, direction: row.direction as ContactDirection }
        : null,
    routedTo: routing,
    state,
    dueAt: row.due_at,
    // acknowledging is the answer the policy's `respondWithin` asks for
    overdue: state === 'open' && row.due_at !== null && row.due_at <= now,
    acknowledged: row.acknowledged_by !== null && row.acknowledged_at !== null ? { by: row.acknowledged_by, at: row.acknowledged_at } : null,
    closed:
      state === 'closed' && row.closed_by !== null && row.closed_at !== null
        ? { by: row.closed_by, at: row.closed_at, outcome: row.outcome as ReportOutcome, note: row.note ?? '', blockedSite: row.blocked_site }
        : null,
  };
}

function auditView(report: CaseReport): Record<string, unknown> {
  const { overdue: _overdue, ...rest } = report;
  return rest;
}

export class CaseReports {
  constructor(
    private readonly ctx: RequestsContext,
    private readonly blocker: SiteBlocker | null,
  ) {}

  private async routingFor(ids: readonly string[]): Promise<Map<string, ReportRouting>> {
    const out = new Map<string, ReportRouting>();
    if (ids.length === 0) return out;
    const rows = await this.ctx.db.selectFrom('case_report_routes').selectAll().where('report_id', 'in', [...ids]).orderBy('kind').orderBy('value').execute();
    const byId = new Map<string, CaseReportRoutesTable[]>();
    for (const row of rows) byId.set(row.report_id, [...(byId.get(row.report_id) ?? []), row]);
    for (const id of ids) out.set(id, routingOf(byId.get(id) ?? []));
    return out;
  }

  /** The report, whoever asks (callers check `visibleTo`). */
  async get(id: string): Promise<CaseReport | null> {
    const row = await this.ctx.db.selectFrom('case_reports').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return toCaseReport(row, (await this.routingFor([id])).get(id)!, this.ctx.now());
  }

  /** The reporter sees their own; a handler sees what is routed to it. */
  visibleTo(report: CaseReport, viewer: ReportViewer): boolean {
    if (report.reporter !== null && report.reporter === viewer.actor.username) return true;
    return viewer.handles && routedTo(report.routedTo, viewer.actor, this.ctx.policy());
  }

  /** The report if this viewer may see it, else HR_REQUESTS_NOT_FOUND (never saying it exists). */
  async getFor(id: string, viewer: ReportViewer): Promise<CaseReport> {
    const report = await this.get(id);
    if (!report || !this.visibleTo(report, viewer)) throw notFound('report', id);
    return report;
  }

  async create(input: NewReport, actor: string): Promise<{ report: CaseReport; duplicate: boolean }> {
    const now = this.ctx.now();
    const policy = this.ctx.policy();
    const message = cut(input.message, FIELD_LIMITS.text);
    const host = input.host ? cut(input.host, FIELD_LIMITS.host).toLowerCase() : null;
    if (input.kind === 'site-report' && !host) throw inputError('url', 'say which site is being reported');
    let contact: NewReport['contact'] | null = null;
    if (input.kind === 'contact-attempt') {
      const platform = cut(input.contact?.platform ?? '', FIELD_LIMITS.platform);
      const otherParty = cut(input.contact?.otherParty ?? '', FIELD_LIMITS.name);
      if (platform === '') throw inputError('contact.platform', 'say which platform it happened on');
      if (otherParty === '') throw inputError('contact.otherParty', 'say who made or received the contact');
      if (message === '') throw inputError('message', 'say what happened');
      contact = { platform, otherParty, direction: input.contact!.direction };
    }
    const ticketKey = input.ticketKey ?? null;
    if (ticketKey !== null) {
      const earlier = await this.ctx.db.selectFrom('case_reports').select('id').where('ticket_key', '=', ticketKey).executeTakeFirst();
      if (earlier) return { report: (await this.get(earlier.id))!, duplicate: true };
    }
    const section = reportSection(policy, input.kind);
    const routed = routeReport(input.kind, input.asker, policy, this.ctx.people);
    const row: ReportRow = {
      id: newId('rpt'),
      kind: input.kind,
      created_at: now,
      updated_at: now,
      source: input.source,
      event_id: input.eventId ? cut(input.eventId, FIELD_LIMITS.eventId) : null,
      ticket_key: ticketKey,
      reporter: input.asker.person,
      reporter_role: input.asker.role,
      reporter_groups: JSON.stringify(cutList(input.asker.groups)),
      client_ip: input.asker.clientIp,
      url: input.url ? cut(input.url, FIELD_LIMITS.url) : null,
      host,
      categories: JSON.stringify(cutList(input.categories ?? [])),
      clauses: JSON.stringify(cutList(section?.clauses ?? [])),
      message,
      platform: contact?.platform ?? null,
      other_party: contact?.otherParty ?? null,
      direction: contact?.direction ?? null,
      state: 'open',
      due_at: section?.respondWithin ? now + parseDuration(section.respondWithin) : null,
      acknowledged_by: null,
      acknowledged_at: null,
      closed_by: null,
      closed_at: null,
      outcome: null,
      note: null,
      blocked_site: null,
    };
    const routes: CaseReportRoutesTable[] = [
      ...[...new Set(routed.routing.roles)].map((value) => ({ report_id: row.id, kind: 'role', value })),
      ...[...new Set(routed.routing.people)].map((value) => ({ report_id: row.id, kind: 'person', value })),
      ...[...new Set(routed.routing.groups)].map((value) => ({ report_id: row.id, kind: 'group', value })),
    ];
    try {
      await this.ctx.db.transaction().execute(async (trx) => {
        await trx.insertInto('case_reports').values(row).execute();
        if (routes.length > 0) await trx.insertInto('case_report_routes').values(routes).execute();
      });
    } catch (error) {
      if (ticketKey !== null && isUniqueViolation(error)) {
        const earlier = await this.ctx.db.selectFrom('case_reports').select('id').where('ticket_key', '=', ticketKey).executeTakeFirst();
        if (earlier) return { report: (await this.get(earlier.id))!, duplicate: true };
      }
      throw error;
    }
    const report = toCaseReport(row, routingOf(routes), now);
    try {
      await this.ctx.audit.append({ actor, action: 'report.create', subject: `report:${row.id}`, before: null, after: auditView(report), reason: null });
    } catch (error) {
      await this.ctx.db.deleteFrom('case_reports').where('id', '=', row.id).execute();
      throw error;
    }
    const about = report.host ? ` (${report.host})` : '';
    await tell(this.ctx, {
      kind: `report.${input.kind}`,
      to: [...routed.routing.roles.map((role) => ({ role })), ...routed.people.map((person) => ({ person }))],
      subject: `${TITLES[input.kind]}${about}`,
      text: `${TITLES[input.kind]}${about} by ${report.reporter ?? `someone on the ${report.reporterRole} network`}. It was sent to you under the school's policy${report.clauses.length > 0 ? ` (${report.clauses.join(', ')})` : ''}; please acknowledge it and record what was done.`,
      link: `#/requests?report=${encodeURIComponent(row.id)}`,
      about: { type: 'report', id: row.id },
    });
    return { report, duplicate: false };
  }

  async list(filter: ReportFilter, viewer: ReportViewer): Promise<Page<CaseReport>> {
    const now = this.ctx.now();
    const policy = this.ctx.policy();
    const limit = Math.max(1, Math.min(filter.limit ?? DEFAULT_PAGE, MAX_PAGE));
    const { actor } = viewer;
    const groups = classGroupsOf(actor, policy);
    const showMade = filter.mine !== 'routed';
    const showRouted = viewer.handles && filter.mine !== 'made';
    if (!showMade && !showRouted) return { items: [], nextCursor: null };
    let query = this.ctx.db.selectFrom('case_reports').selectAll();
    query = query.where((eb) => {
      const routedHere = eb.exists(
        eb
          .selectFrom('case_report_routes')
          .select('case_report_routes.report_id')
          .whereRef('case_report_routes.report_id', '=', 'case_reports.id')
          .where((r) =>
            r.or([
              r.and([r('case_report_routes.kind', '=', 'role'), r('case_report_routes.value', '=', actor.role)]),
              r.and([r('case_report_routes.kind', '=', 'person'), r('case_report_routes.value', '=', actor.username)]),
              ...(groups.length > 0 ? [r.and([r('case_report_routes.kind', '=', 'group'), r('case_report_routes.value', 'in', groups)])] : []),
            ]),
          ),
      );
      const made = eb('case_reports.reporter', '=', actor.username);
      if (showMade && showRouted) return eb.or([made, routedHere]);
      return showMade ? made : routedHere;
    });
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    if (filter.state === 'active') query = query.where('state', 'in', [...ACTIVE]);
    else if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.overdue) query = query.where('state', '=', 'open').where('due_at', '<=', now);
    if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('created_at', '<', filter.to);
    if (filter.cursor) {
      const [at, id] = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const routing = await this.routingFor(page.map((row) => row.id));
    const last = page[page.length - 1];
    return { items: page.map((row) => toCaseReport(row, routing.get(row.id)!, now)), nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  /** Reports waiting for someone (open or acknowledged). */
  async countActive(): Promise<number> {
    const row = await this.ctx.db.selectFrom('case_reports').select(sql<number>`count(*)`.as('n')).where('state', 'in', [...ACTIVE]).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async acknowledge(id: string, actor: Actor, note = ''): Promise<CaseReport> {
    const before = await this.handled(id, actor);
    if (before.state !== 'open') throw stateError(`report \`${id}\` is already ${before.state}`);
    const now = this.ctx.now();
    await this.claim(before, { state: 'acknowledged', acknowledged_by: actor.username, acknowledged_at: now, updated_at: now });
    const after = (await this.get(id))!;
    await this.audited(actor.username, 'report.acknowledge', before, after, cut(note, FIELD_LIMITS.text) || null);
    return after;
  }

  /**
   * Closes a report with its outcome and a note. `site-blocked` (site reports only) first adds
   * the site to the school's block list, which is audited and reloaded on its own.
   */
  async close(id: string, input: { outcome: ReportOutcome; note: string }, actor: Actor): Promise<{ report: CaseReport; block: Awaited<ReturnType<SiteBlocker['block']>> | null }> {
    const before = await this.handled(id, actor);
    if (before.state === 'closed') throw stateError(`report \`${id}\` is already closed`);
    const note = cut(input.note, FIELD_LIMITS.text);
    if (note === '') throw inputError('note', 'say what was done, or why nothing was');
    let block: Awaited<ReturnType<SiteBlocker['block']>> | null = null;
    if (input.outcome === 'site-blocked') {
      if (before.kind !== 'site-report' || !before.host) throw inputError('outcome', 'only a site report can close by blocking its site');
      if (!this.blocker) throw inputError('outcome', 'blocking sites from reports is not available on this server');
      block = await this.blocker.block(before.host, actor.username, `site report ${id}: ${note}`);
    }
    const now = this.ctx.now();
    await this.claim(before, {
      state: 'closed',
      closed_by: actor.username,
      closed_at: now,
      outcome: input.outcome,
      note,
      blocked_site: input.outcome === 'site-blocked' ? before.host : null,
      updated_at: now,
    });
    const after = (await this.get(id))!;
    await this.audited(actor.username, 'report.close', before, after, note);
    return { report: after, block };
  }

  /** The report, if it is routed to this account; handling needs the route, not only the action. */
  private async handled(id: string, actor: Actor): Promise<CaseReport> {
    const report = await this.get(id);
    if (!report) throw notFound('report', id);
    if (!routedTo(report.routedTo, actor, this.ctx.policy())) {
      if (report.reporter === actor.username) throw notRouted(`report \`${id}\` is yours; it is handled by the people it was sent to`);
      throw notFound('report', id);
    }
    return report;
  }

  private async claim(report: CaseReport, set: Partial<ReportRow>): Promise<void> {
    const result = await this.ctx.db
      .updateTable('case_reports')
      .set(set)
      .where('id', '=', report.id)
      .where('state', '=', report.state)
      .where('updated_at', '=', report.updatedAt)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw stateError(`report \`${report.id}\` changed while this step was taken; look at it again`);
  }

  private async audited(actor: string, action: string, before: CaseReport, after: CaseReport, reason: string | null): Promise<void> {
    try {
      await this.ctx.audit.append({ actor, action, subject: `report:${after.id}`, before: auditView(before), after: auditView(after), reason });
    } catch (error) {
      await this.ctx.db
        .updateTable('case_reports')
        .set({
          state: before.state,
          acknowledged_by: before.acknowledged?.by ?? null,
          acknowledged_at: before.acknowledged?.at ?? null,
          closed_by: before.closed?.by ?? null,
          closed_at: before.closed?.at ?? null,
          outcome: before.closed?.outcome ?? null,
          note: before.closed?.note ?? null,
          blocked_site: before.closed?.blockedSite ?? null,
          updated_at: before.updatedAt,
        })
        .where('id', '=', before.id)
        .execute();
      throw error;
    }
  }
}
