// Unblock requests (8.4, 8.5): asked from the block page or the dashboard, recommended by a
// reviewer (the e-safety team), approved or declined by a decider (the headteacher). Approval
// creates a grant through the override store, so the proxy and DNS filter allow it at once, and
// the grant's end (or revocation) turns the request `expired`. Every step is audited; the
// requester hears the outcome, reviewers hear of new requests, deciders of recommendations.
import { getDomain } from 'tldts';
import { sql } from 'kysely';
import { canonicalJson } from '../../db/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import { siteHost, type OverrideScope } from '../../overrides/index.ts';
import { expandRoles, parseDuration, type ResolvedPolicy } from '../../policy/index.ts';
import { REGISTER_LIMIT } from './register.ts';
import { parseList, type UnblockRow } from './request-tables.ts';
import {
  cut,
  cutList,
  FIELD_LIMITS,
  UNDECIDED,
  type Actor,
  type ApprovalScope,
  type Asker,
  type Page,
  type Recommendation,
  type RequestSource,
  type UnblockRequest,
  type UnblockState,
} from './request-types.ts';
import { decodeCursor, DEFAULT_PAGE, encodeCursor, inputError, isUniqueViolation, MAX_PAGE, newId, notFound, tell, type RequestsContext } from './requests-context.ts';
import { deciderRoles, reviewerRoles } from './routing.ts';

export interface NewUnblockRequest {
  asker: Asker;
  source: RequestSource;
  /** the block page's decision event */
  eventId?: string | null;
  /** `<event id>:<form>` from a verified ticket: the same form sent twice finds the first request */
  ticketKey?: string | null;
  url: string;
  host: string;
  categories: readonly string[];
  clauses: readonly string[];
  reason: string;
}

export interface UnblockFilter {
  /** `open`: submitted or recommended */
  state?: UnblockState | 'open';
  /** only this requester's */
  requester?: string;
  host?: string;
  overdue?: boolean;
  /** created at or after (epoch ms) */
  from?: number;
  /** created before (epoch ms) */
  to?: number;
  cursor?: string | null;
  limit?: number;
}

export interface Approval {
  scope: ApprovalScope;
  /** epoch ms, exclusive; give this or `duration` */
  until?: number;
  /** a policy duration (`7d`, `90m`); give this or `until` */
  duration?: string;
  /** the site to allow: the request's host (default) or a domain it is under */
  site?: string;
  note?: string;
}

type Joined = UnblockRow & { grant_revoked_at: number | null };

function parseScope(text: string | null): { scope: ApprovalScope; grantScope: OverrideScope } | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as { scope: ApprovalScope; grantScope: OverrideScope };
    return value && typeof value === 'object' && value.scope ? value : null;
  } catch {
    return null;
  }
}

/** The state as of now: an approval whose grant has ended or was revoked reads `expired` before the sweep records it. */
function stateOf(row: Joined, now: number): UnblockState {
  const stored = row.state as UnblockState;
  if (stored === 'approved' && ((row.valid_until !== null && row.valid_until <= now) || row.grant_revoked_at !== null)) return 'expired';
  return stored;
}

export function toUnblockRequest(row: Joined, now: number): UnblockRequest {
  const state = stateOf(row, now);
  const scope = parseScope(row.scope);
  let closedAt = row.closed_at;
  if (closedAt === null && state === 'expired') closedAt = Math.min(row.valid_until ?? Number.POSITIVE_INFINITY, row.grant_revoked_at ?? Number.POSITIVE_INFINITY);
  return {
    id: row.id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    source: row.source === 'dashboard' ? 'dashboard' : 'block-page',
    eventId: row.event_id,
    requester: row.requester,
    requesterRole: row.requester_role,
    requesterGroups: parseList(row.requester_groups),
    clientIp: row.client_ip,
    url: row.url,
    host: row.host,
    categories: parseList(row.categories),
    clauses: parseList(row.clauses),
    reason: row.reason,
    state,
    dueAt: row.due_at,
    overdue: UNDECIDED.includes(state) && row.due_at !== null && row.due_at <= now,
    recommendation:
      row.recommendation !== null && row.recommended_by !== null && row.recommended_at !== null
        ? { value: row.recommendation as Recommendation, by: row.recommended_by, at: row.recommended_at, note: row.recommendation_note ?? '' }
        : null,
    // only approve and decline set who decided
    decision:
      row.decided_by !== null && row.decided_at !== null
        ? { value: row.state === 'declined' ? 'declined' : 'approved', by: row.decided_by, at: row.decided_at, note: row.decision_note ?? '' }
        : null,
    approval:
      scope && row.site !== null && row.valid_from !== null && row.valid_until !== null
        ? { scope: scope.scope, grantScope: scope.grantScope, site: row.site, grantId: row.grant_id, from: row.valid_from, until: row.valid_until }
        : null,
    closedAt: Number.isFinite(closedAt) ? closedAt : null,
  };
}

/** What the audit chain keeps of a request (the derived fields are a matter of time). */
function auditView(request: UnblockRequest): Record<string, unknown> {
  const { overdue: _overdue, ...rest } = request;
  return rest;
}

/** The grant's scope for an approval scope, or the problem with it. */
export function grantScopeOf(scope: ApprovalScope, request: { requester: string | null }, policy: ResolvedPolicy): OverrideScope {
  switch (scope.type) {
    case 'requester':
      if (request.requester === null) throw inputError('scope', 'the requester was not known by name (only their network was); approve for a group or a role instead');
      return { people: [request.requester] };
    case 'group':
      if (!policy.groups[scope.group]) throw inputError('scope.group', `unknown group \`${scope.group}\``);
      return { groups: [scope.group] };
    case 'role':
      if (!policy.roles[scope.role]) throw inputError('scope.role', `unknown role \`${scope.role}\``);
      return { roles: [scope.role] };
    case 'role-set': {
      if (!policy.roleSets[scope.roleSet]) throw inputError('scope.roleSet', `unknown role set \`${scope.roleSet}\``);
      const roles = expandRoles([scope.roleSet], policy.roleSets);
      if (roles.length === 0) throw inputError('scope.roleSet', `role set \`${scope.roleSet}\` names no role`);
      return { roles };
    }
    default:
      throw inputError('scope', 'choose the requester, a group, a role or a role set');
  }
}

/** The site an approval allows: the request's host, or a domain it sits under (never a public suffix). */
export function approvalSite(requestHost: string, asked: string | undefined): string {
  const site = asked === undefined || asked.trim() === '' ? siteHost(requestHost) : siteHost(asked);
  if (site === null) throw inputError('site', asked === undefined ? `\`${requestHost}\` is an address, not a site name; it cannot be unblocked by name` : `\`${asked}\` is not a host name`);
  if (site !== requestHost && !requestHost.endsWith(`.${site}`)) throw inputError('site', `\`${site}\` is not \`${requestHost}\` or a domain it is under`);
  const registrable = getDomain(requestHost);
  if (registrable !== null && site.length < registrable.length) throw inputError('site', `\`${site}\` is a public suffix shared by many sites; allow \`${registrable}\` at most`);
  return site;
}

export class UnblockRequests {
  constructor(private readonly ctx: RequestsContext) {}

  private base() {
    return this.ctx.db
      .selectFrom('unblock_requests')
      .leftJoin('grants', 'grants.id', 'unblock_requests.grant_id')
      .selectAll('unblock_requests')
      .select('grants.revoked_at as grant_revoked_at');
  }

  private async row(id: string): Promise<Joined | null> {
    const row = await this.base().where('unblock_requests.id', '=', id).executeTakeFirst();
    return (row as Joined | undefined) ?? null;
  }

  private dueAt(createdAt: number): number | null {
    const within = this.ctx.policy().workflows.requests?.unblock?.respondWithin;
    return within ? createdAt + parseDuration(within) : null;
  }

  async get(id: string): Promise<UnblockRequest | null> {
    const row = await this.row(id);
    return row ? toUnblockRequest(row, this.ctx.now()) : null;
  }

  /** A new request, or the one the same block-page form already made (`duplicate`). */
  async submit(input: NewUnblockRequest, actor: string): Promise<{ request: UnblockRequest; duplicate: boolean }> {
    const now = this.ctx.now();
    const host = cut(input.host, FIELD_LIMITS.host).toLowerCase();
    if (host === '') throw inputError('url', 'say which address should be unblocked');
    const ticketKey = input.ticketKey ?? null;
    if (ticketKey !== null) {
      const earlier = await this.ctx.db.selectFrom('unblock_requests').select('id').where('ticket_key', '=', ticketKey).executeTakeFirst();
      if (earlier) return { request: (await this.get(earlier.id))!, duplicate: true };
    }
    const row: UnblockRow = {
      id: newId('req'),
      created_at: now,
      updated_at: now,
      source: input.source,
      event_id: input.eventId ? cut(input.eventId, FIELD_LIMITS.eventId) : null,
      ticket_key: ticketKey,
      requester: input.asker.person,
      requester_role: input.asker.role,
      requester_groups: JSON.stringify(cutList(input.asker.groups)),
      client_ip: input.asker.clientIp,
      url: cut(input.url, FIELD_LIMITS.url),
      host,
      categories: JSON.stringify(cutList(input.categories)),
      clauses: JSON.stringify(cutList(input.clauses)),
      reason: cut(input.reason, FIELD_LIMITS.text),
      state: 'submitted',
      due_at: this.dueAt(now),
      recommendation: null,
      recommended_by: null,
      recommended_at: null,
      recommendation_note: null,
      decided_by: null,
      decided_at: null,
      decision_note: null,
      scope: null,
      site: null,
      grant_id: null,
      valid_from: null,
      valid_until: null,
      closed_at: null,
    };
    try {
      await this.ctx.db.insertInto('unblock_requests').values(row).execute();
    } catch (error) {
      // the same form, sent twice at once: the other one made it
      if (ticketKey !== null && isUniqueViolation(error)) {
        const earlier = await this.ctx.db.selectFrom('unblock_requests').select('id').where('ticket_key', '=', ticketKey).executeTakeFirst();
        if (earlier) return { request: (await this.get(earlier.id))!, duplicate: true };
      }
      throw error;
    }
    const request = toUnblockRequest({ ...row, grant_revoked_at: null }, now);
    try {
      await this.ctx.audit.append({ actor, action: 'unblock.submit', subject: `unblock-request:${row.id}`, before: null, after: auditView(request), reason: request.reason || null });
    } catch (error) {
      // a request nobody can account for is not kept
      await this.ctx.db.deleteFrom('unblock_requests').where('id', '=', row.id).execute();
      throw error;
    }
    const policy = this.ctx.policy();
    await tell(this.ctx, {
      kind: 'unblock.submitted',
      to: reviewerRoles(policy).map((role) => ({ role })),
      subject: `Unblock request for ${host}`,
      text: `${request.requester ?? `Someone on the ${request.requesterRole} network`} asked for ${host} to be unblocked${request.reason ? `: "${request.reason}"` : '.'} Please review it and recommend a decision (8.4).`,
      link: `#/requests?id=${encodeURIComponent(row.id)}`,
      about: { type: 'unblock-request', id: row.id },
    });
    return { request, duplicate: false };
  }

  async list(filter: UnblockFilter = {}): Promise<Page<UnblockRequest>> {
    const now = this.ctx.now();
    const limit = Math.max(1, Math.min(filter.limit ?? DEFAULT_PAGE, MAX_PAGE));
    let query = this.base();
    if (filter.requester !== undefined) query = query.where('unblock_requests.requester', '=', filter.requester);
    if (filter.host !== undefined) query = query.where('unblock_requests.host', '=', filter.host.toLowerCase());
    if (filter.from !== undefined) query = query.where('unblock_requests.created_at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('unblock_requests.created_at', '<', filter.to);
    if (filter.state === 'open') query = query.where('unblock_requests.state', 'in', [...UNDECIDED]);
    else if (filter.state === 'approved') {
      query = query.where('unblock_requests.state', '=', 'approved').where('unblock_requests.valid_until', '>', now).where('grants.revoked_at', 'is', null);
    } else if (filter.state === 'expired') {
      query = query.where((eb) =>
        eb.or([
          eb('unblock_requests.state', '=', 'expired'),
          eb.and([eb('unblock_requests.state', '=', 'approved'), eb.or([eb('unblock_requests.valid_until', '<=', now), eb('grants.revoked_at', 'is not', null)])]),
        ]),
      );
    } else if (filter.state !== undefined) query = query.where('unblock_requests.state', '=', filter.state);
    if (filter.overdue) query = query.where('unblock_requests.state', 'in', [...UNDECIDED]).where('unblock_requests.due_at', '<=', now);
    if (filter.cursor) {
      const [at, id] = decodeCursor(filter.cursor);
      query = query.where((eb) => eb.or([eb('unblock_requests.created_at', '<', at), eb.and([eb('unblock_requests.created_at', '=', at), eb('unblock_requests.id', '<', id)])]));
    }
    const rows = (await query.orderBy('unblock_requests.created_at', 'desc').orderBy('unblock_requests.id', 'desc').limit(limit + 1).execute()) as Joined[];
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map((row) => toUnblockRequest(row, now)), nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  /**
   * Every request approved or declined in [from, to), whatever its state now (an approval that
   * has since expired included), oldest decision first: the rows of the annual review's register.
   */
  async decidedIn(period: { from: number; to: number }): Promise<UnblockRequest[]> {
    const now = this.ctx.now();
    const rows = (await this.base()
      .where('unblock_requests.decided_at', '>=', period.from)
      .where('unblock_requests.decided_at', '<', period.to)
      .where('unblock_requests.state', 'in', ['approved', 'declined', 'expired'])
      .orderBy('unblock_requests.decided_at')
      .orderBy('unblock_requests.id')
      .limit(REGISTER_LIMIT)
      .execute()) as Joined[];
    return rows.map((row) => toUnblockRequest(row, now));
  }

  /** Requests waiting for a recommendation or a decision. */
  async countOpen(): Promise<number> {
    const row = await this.ctx.db.selectFrom('unblock_requests').select(sql<number>`count(*)`.as('n')).where('state', 'in', [...UNDECIDED]).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** A reviewer's recommendation (8.4); a later one replaces it until the decision. */
  async recommend(id: string, input: { recommendation: Recommendation; note: string }, actor: Actor): Promise<UnblockRequest> {
    const policy = this.ctx.policy();
    if (!reviewerRoles(policy).includes(actor.role)) throw notRouted(`the policy gives recommending on unblock requests to ${listRoles(reviewerRoles(policy))}, not to \`${actor.role}\``);
    const note = cut(input.note, FIELD_LIMITS.text);
    if (note === '') throw inputError('note', 'say why, for the decider');
    const row = await this.undecided(id);
    const now = this.ctx.now();
    const before = toUnblockRequest(row, now);
    await this.claim(row, { state: 'recommended', recommendation: input.recommendation, recommended_by: actor.username, recommended_at: now, recommendation_note: note, updated_at: now });
    const after = (await this.get(id))!;
    await this.audited(actor.username, 'unblock.recommend', before, after, note, async () => {
      await this.restore(row);
    });
    await tell(this.ctx, {
      kind: 'unblock.recommended',
      to: deciderRoles(policy).map((role) => ({ role })),
      subject: `Recommendation to ${input.recommendation} unblocking ${row.host}`,
      text: `${actor.username} recommends that the request to unblock ${row.host} be ${input.recommendation === 'approve' ? 'approved' : 'declined'}: "${note}". The decision is yours (8.5).`,
      link: `#/requests?id=${encodeURIComponent(id)}`,
      about: { type: 'unblock-request', id },
    });
    return after;
  }

  /** A decider approves (8.5): a grant for the scope and time chosen, in force at once. */
  async approve(id: string, input: Approval, actor: Actor): Promise<UnblockRequest> {
    const policy = this.ctx.policy();
    this.mustDecide(policy, actor);
    const row = await this.undecided(id);
    const now = this.ctx.now();
    const grantScope = grantScopeOf(input.scope, row, policy);
    const site = approvalSite(row.host, input.site);
    const until = this.approvalEnd(input, now, policy);
    const note = cut(input.note ?? '', FIELD_LIMITS.text);
    const before = toUnblockRequest(row, now);
    await this.claim(row, {
      state: 'approved',
      decided_by: actor.username,
      decided_at: now,
      decision_note: note,
      scope: canonicalJson({ scope: input.scope, grantScope }),
      site,
      valid_from: now,
      valid_until: until,
      updated_at: now,
    });
    let grantId: string;
    try {
      const grant = await this.ctx.overrides.create(
        { kind: 'unblock', scope: grantScope, what: { sites: [site] }, from: now, until, reason: cut(`approved unblock request ${id}${note ? `: ${note}` : ''}`, FIELD_LIMITS.text) },
        actor.username,
      );
      grantId = grant.id;
    } catch (error) {
      await this.restore(row);
      throw error;
    }
    await this.ctx.db.updateTable('unblock_requests').set({ grant_id: grantId }).where('id', '=', id).execute();
    const after = (await this.get(id))!;
    await this.audited(actor.username, 'unblock.approve', before, after, note || null, async () => {
      await this.ctx.overrides.revoke(grantId, actor.username, `the approval of unblock request ${id} could not be recorded`).catch(() => undefined);
      await this.restore(row);
    });
    await this.tellRequester(after, `Your request to unblock ${row.host} was approved`, `Your request to unblock ${row.host} was approved by ${actor.username} until ${new Date(until).toISOString()}.${note ? ` Note: "${note}"` : ''}`);
    return after;
  }

  /** A decider declines (8.5), always with a reason. */
  async decline(id: string, input: { reason: string }, actor: Actor): Promise<UnblockRequest> {
    const policy = this.ctx.policy();
    this.mustDecide(policy, actor);
    const reason = cut(input.reason, FIELD_LIMITS.text);
    if (reason === '') throw inputError('reason', 'a declined request needs a reason the requester can read');
    const row = await this.undecided(id);
    const now = this.ctx.now();
    const before = toUnblockRequest(row, now);
    await this.claim(row, { state: 'declined', decided_by: actor.username, decided_at: now, decision_note: reason, updated_at: now });
    const after = (await this.get(id))!;
    await this.audited(actor.username, 'unblock.decline', before, after, reason, async () => {
      await this.restore(row);
    });
    await this.tellRequester(after, `Your request to unblock ${row.host} was declined`, `Your request to unblock ${row.host} was declined by ${actor.username}: "${reason}"`);
    return after;
  }

  /** The requester takes the request back before it is decided. */
  async withdraw(id: string, actor: Actor): Promise<UnblockRequest> {
    const row = await this.row(id);
    if (!row || row.requester !== actor.username) throw notFound('unblock request of yours', id);
    if (!UNDECIDED.includes(row.state as UnblockState)) throw stateError(`unblock request \`${id}\` is ${row.state}; only an undecided request can be withdrawn`);
    const now = this.ctx.now();
    const before = toUnblockRequest(row, now);
    await this.claim(row, { state: 'withdrawn', closed_at: now, updated_at: now });
    const after = (await this.get(id))!;
    await this.audited(actor.username, 'unblock.withdraw', before, after, null, async () => {
      await this.restore(row);
    });
    return after;
  }

  /**
   * Records `expired` for approvals whose grant has ended or was revoked; returns how many. Run
   * whenever the override store's grants change (which includes each expiry).
   */
  async expireDue(): Promise<number> {
    const now = this.ctx.now();
    const rows = (await this.base()
      .where('unblock_requests.state', '=', 'approved')
      .where((eb) => eb.or([eb('unblock_requests.valid_until', '<=', now), eb('grants.revoked_at', 'is not', null)]))
      .orderBy('unblock_requests.valid_until')
      .limit(MAX_PAGE)
      .execute()) as Joined[];
    let expired = 0;
    for (const row of rows) {
      const endedAt = Math.min(row.valid_until ?? now, row.grant_revoked_at ?? now, now);
      const result = await this.ctx.db
        .updateTable('unblock_requests')
        .set({ state: 'expired', closed_at: endedAt, updated_at: now })
        .where('id', '=', row.id)
        .where('state', '=', 'approved')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) continue;
      expired += 1;
      const before = toUnblockRequest(row, now);
      const after = (await this.get(row.id))!;
      await this.ctx.audit.append({
        actor: 'system',
        action: 'unblock.expire',
        subject: `unblock-request:${row.id}`,
        before: { ...auditView(before), state: 'approved' },
        after: auditView(after),
        reason: row.grant_revoked_at !== null && (row.valid_until === null || row.grant_revoked_at < row.valid_until) ? `grant ${row.grant_id} was revoked` : `grant ${row.grant_id} ended`,
      });
    }
    return expired;
  }

  private mustDecide(policy: ResolvedPolicy, actor: Actor): void {
    const deciders = deciderRoles(policy);
    if (!deciders.includes(actor.role)) throw notRouted(`the policy gives the decision on unblock requests to ${listRoles(deciders)}, not to \`${actor.role}\` (8.5)`);
  }

  private async undecided(id: string): Promise<Joined> {
    const row = await this.row(id);
    if (!row) throw notFound('unblock request', id);
    if (!UNDECIDED.includes(row.state as UnblockState)) throw stateError(`unblock request \`${id}\` is already ${row.state}`);
    return row;
  }

  private approvalEnd(input: Approval, now: number, policy: ResolvedPolicy): number {
    const maxText = policy.workflows.requests?.unblock?.maxDuration ?? '365d';
    const max = parseDuration(maxText);
    let until: number;
    if (input.until !== undefined && input.duration !== undefined) throw inputError('until', 'give `until` or `duration`, not both');
    if (input.until !== undefined) until = input.until;
    else if (input.duration !== undefined) {
      try {
        until = now + parseDuration(input.duration);
      } catch {
        throw inputError('duration', `\`${input.duration}\` is not a duration like 90m, 8h, 30d or 1y`);
      }
    } else throw inputError('until', 'an approval needs an end: give `until` or `duration`');
    if (!Number.isSafeInteger(until) || until <= now) throw inputError('until', 'the approval must end after now');
    if (until - now > max) throw inputError('until', `the policy allows an approval of at most ${maxText}`);
    return until;
  }

  /** Moves the row on only if nobody else did since it was read. */
  private async claim(row: Joined, set: Partial<UnblockRow>): Promise<void> {
    const result = await this.ctx.db
      .updateTable('unblock_requests')
      .set(set)
      .where('id', '=', row.id)
      .where('state', '=', row.state)
      .where('updated_at', '=', row.updated_at)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw stateError(`unblock request \`${row.id}\` changed while this step was taken; look at it again`);
  }

  private async restore(row: Joined): Promise<void> {
    const { grant_revoked_at: _revoked, id, ...fields } = row;
    await this.ctx.db.updateTable('unblock_requests').set(fields).where('id', '=', id).execute();
  }

  private async audited(actor: string, action: string, before: UnblockRequest, after: UnblockRequest, reason: string | null, undo: () => Promise<void>): Promise<void> {
    try {
      await this.ctx.audit.append({ actor, action, subject: `unblock-request:${after.id}`, before: auditView(before), after: auditView(after), reason });
    } catch (error) {
      // a step nobody can account for does not stand
      await undo();
      throw error;
    }
  }

  private async tellRequester(request: UnblockRequest, subject: string, text: string): Promise<void> {
    if (request.requester === null) return;
    await tell(this.ctx, {
      kind: 'unblock.decided',
      to: [{ person: request.requester }],
      subject,
      text,
      link: `#/requests?id=${encodeURIComponent(request.id)}`,
      about: { type: 'unblock-request', id: request.id },
    });
  }
}

function listRoles(roles: readonly string[]): string {
  return roles.length === 0 ? 'no role' : roles.map((r) => `\`${r}\``).join(', ');
}

export function notRouted(message: string): HedgerowError {
  return new HedgerowError('HR_REQUESTS_NOT_ROUTED', message);
}

export function stateError(message: string): HedgerowError {
  return new HedgerowError('HR_REQUESTS_STATE', message);
}
