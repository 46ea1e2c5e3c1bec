// The API of unblock requests, reports and the register. Each route's action is checked first
// (docs/access.md); then the policy's workflows say who among those holding it may take the step:
// reviewers recommend and deciders decide (`workflows.requests.unblock`), a report is handled by
// the accounts it was routed to. Everyone with `requests.create` follows their own requests and
// reports; reviewers and deciders see every unblock request; a handler sees the reports routed to
// its role, to it by name, or to its classes.
import { z } from 'zod';
import { defineRoute, type ApiDeps, type RouteContext, type RouteSpec, type SignedIn } from '../../api/index.ts';
import type { Person } from '../../engine/index.ts';
import { normaliseTarget } from '../../engine/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import { CONTACT_DIRECTIONS, REPORT_KINDS, REPORT_OUTCOMES, UNBLOCK_STATES, UNDECIDED, type Actor, type CaseReport, type UnblockRequest } from './request-types.ts';
import type { RequestsWorkflow } from './requests-workflow.ts';
import { REGISTER_COLUMNS } from './register.ts';
import { deciderRoles, reviewerRoles, routedTo } from './routing.ts';
import { inputError } from './requests-context.ts';

const idParams = z.strictObject({ id: z.string().min(1).max(64) });
const epoch = z.coerce.number().int().min(0).max(8_640_000_000_000_000);
const pageQuery = {
  cursor: z.string().min(1).max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
};
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');
const text = (max: number) => z.string().max(max);

const scopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('requester') }),
  z.strictObject({ type: z.literal('group'), group: z.string().min(1).max(100) }),
  z.strictObject({ type: z.literal('role'), role: z.string().min(1).max(100) }),
  z.strictObject({ type: z.literal('role-set'), roleSet: z.string().min(1).max(100) }),
]);

const allowedSchema = z.object({ recommend: z.boolean(), decide: z.boolean(), withdraw: z.boolean() });
const requestSchema = z.object({
  id: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  source: z.enum(['block-page', 'dashboard']),
  eventId: z.string().nullable(),
  requester: z.string().nullable(),
  requesterRole: z.string(),
  requesterGroups: z.array(z.string()),
  clientIp: z.string().nullable(),
  url: z.string(),
  host: z.string(),
  categories: z.array(z.string()),
  clauses: z.array(z.string()),
  reason: z.string(),
  state: z.enum(UNBLOCK_STATES as [string, ...string[]]),
  dueAt: z.number().nullable(),
  overdue: z.boolean(),
  recommendation: z.object({ value: z.enum(['approve', 'decline']), by: z.string(), at: z.number(), note: z.string() }).nullable(),
  decision: z.object({ value: z.enum(['approved', 'declined']), by: z.string(), at: z.number(), note: z.string() }).nullable(),
  approval: z
    .object({
      scope: scopeSchema,
      grantScope: z.object({ groups: z.array(z.string()).optional(), roles: z.array(z.string()).optional(), people: z.array(z.string()).optional() }),
      site: z.string(),
      grantId: z.string().nullable(),
      from: z.number(),
      until: z.number(),
    })
    .nullable(),
  closedAt: z.number().nullable(),
  allowed: allowedSchema,
});

const reportAllowedSchema = z.object({ acknowledge: z.boolean(), close: z.boolean() });
const reportSchema = z.object({
  id: z.string(),
  kind: z.enum(REPORT_KINDS as [string, ...string[]]),
  createdAt: z.number(),
  updatedAt: z.number(),
  source: z.enum(['block-page', 'dashboard']),
  eventId: z.string().nullable(),
  reporter: z.string().nullable(),
  reporterRole: z.string(),
  reporterGroups: z.array(z.string()),
  clientIp: z.string().nullable(),
  url: z.string().nullable(),
  host: z.string().nullable(),
  categories: z.array(z.string()),
  clauses: z.array(z.string()),
  message: z.string(),
  contact: z.object({ platform: z.string(), otherParty: z.string(), direction: z.enum(CONTACT_DIRECTIONS as [string, ...string[]]) }).nullable(),
  routedTo: z.object({ roles: z.array(z.string()), people: z.array(z.string()), groups: z.array(z.string()) }),
  state: z.enum(['open', 'acknowledged', 'closed']),
  dueAt: z.number().nullable(),
  overdue: z.boolean(),
  acknowledged: z.object({ by: z.string(), at: z.number() }).nullable(),
  closed: z.object({ by: z.string(), at: z.number(), outcome: z.enum(REPORT_OUTCOMES as [string, ...string[]]), note: z.string(), blockedSite: z.string().nullable() }).nullable(),
  allowed: reportAllowedSchema,
});

const registerEntrySchema = z.object({
  type: z.enum(['unblock-request', 'site-report']),
  id: z.string(),
  host: z.string(),
  url: z.string().nullable(),
  categories: z.array(z.string()),
  askedBy: z.string().nullable(),
  askedRole: z.string(),
  askedAt: z.number(),
  reason: z.string(),
  recommendedBy: z.string().nullable(),
  recommendation: z.enum(['approve', 'decline']).nullable(),
  recommendationNote: z.string().nullable(),
  decidedBy: z.string(),
  decidedAt: z.number(),
  decision: z.string(),
  decisionNote: z.string(),
  scope: z.string().nullable(),
  from: z.number().nullable(),
  until: z.number().nullable(),
  state: z.string(),
});
const countRow = { requests: z.number(), approved: z.number(), declined: z.number() };
const figuresSchema = z.object({
  from: z.number().nullable(),
  to: z.number().nullable(),
  requests: z.number(),
  approved: z.number(),
  declined: z.number(),
  withdrawn: z.number(),
  pending: z.number(),
  byCategory: z.array(z.object({ category: z.string(), ...countRow })),
  byGroup: z.array(z.object({ group: z.string(), ...countRow })),
  timeToDecision: z.object({ decided: z.number(), medianMs: z.number().nullable(), p90Ms: z.number().nullable() }),
});

function signedIn(account: SignedIn | null): SignedIn {
  if (!account) throw new HedgerowError('HR_API_SIGNED_OUT', 'sign in first', { httpStatus: 401 });
  return account;
}

function actorOf(account: SignedIn): Actor {
  return { username: account.username, role: account.role, groups: account.groups };
}

function personOf(account: SignedIn): Person {
  return { id: account.username, role: account.role, groups: account.groups };
}

/** Sees every unblock request: the reviewers and deciders. */
function seesAllRequests(context: RouteContext): boolean {
  return context.can('requests.review') || context.can('requests.decide');
}

function rangeOf(query: { from?: number | undefined; to?: number | undefined }): { from?: number; to?: number } {
  if (query.from !== undefined && query.to !== undefined && query.to <= query.from) throw inputError('to', 'must be after `from`');
  return { ...(query.from !== undefined ? { from: query.from } : {}), ...(query.to !== undefined ? { to: query.to } : {}) };
}

/**
 * The routes over a workflow. Pass it as a function (`() => deps.requests`) to have it read only
 * when a request comes, so that building the route list touches no dependency.
 */
export function requestsRoutes(deps: ApiDeps, workflow: RequestsWorkflow | (() => RequestsWorkflow)): RouteSpec[] {
  const policy = () => deps.engine().policy;
  const current = typeof workflow === 'function' ? workflow : () => workflow;
  // read on each use, never while the list is built
  const own = {
    get unblock() {
      return current().unblock;
    },
    get reports() {
      return current().reports;
    },
    register: (query: Parameters<RequestsWorkflow['register']>[0]) => current().register(query),
    registerCsv: (query: Parameters<RequestsWorkflow['registerCsv']>[0]) => current().registerCsv(query),
    figures: (range: Parameters<RequestsWorkflow['figures']>[0]) => current().figures(range),
  };

  const requestView = (request: UnblockRequest, context: RouteContext) => {
    const account = signedIn(context.account);
    const undecided = UNDECIDED.includes(request.state);
    return {
      ...request,
      allowed: {
        recommend: undecided && context.can('requests.review') && reviewerRoles(policy()).includes(account.role),
        decide: undecided && context.can('requests.decide') && deciderRoles(policy()).includes(account.role),
        withdraw: undecided && request.requester === account.username,
      },
    };
  };

  const reportView = (report: CaseReport, context: RouteContext) => {
    const account = signedIn(context.account);
    const handles = context.can('reports.handle') && routedTo(report.routedTo, actorOf(account), policy());
    return { ...report, allowed: { acknowledge: handles && report.state === 'open', close: handles && report.state !== 'closed' } };
  };

  const visibleRequest = async (id: string, context: RouteContext): Promise<UnblockRequest> => {
    const account = signedIn(context.account);
    const request = await own.unblock.get(id);
    // someone else's request reads as missing, so ids cannot be probed
    if (!request || (!seesAllRequests(context) && request.requester !== account.username)) throw new HedgerowError('HR_REQUESTS_NOT_FOUND', `no unblock request \`${id}\``);
    return request;
  };

  const viewer = (context: RouteContext) => ({ actor: actorOf(signedIn(context.account)), handles: context.can('reports.handle') });

  return [
    defineRoute({
      method: 'GET',
      url: '/api/requests',
      action: 'requests.create',
      summary: 'Unblock requests, newest first: every one for reviewers and deciders, your own for everyone else; `overdue` past `respondWithin`',
      tags: ['requests'],
      query: z.strictObject({
        state: z.enum(['submitted', 'recommended', 'approved', 'declined', 'withdrawn', 'expired', 'open']).optional(),
        mine: flag.optional(),
        host: z.string().min(1).max(253).optional(),
        overdue: flag.optional(),
        from: epoch.optional(),
        to: epoch.optional(),
        ...pageQuery,
      }),
      response: z.object({ items: z.array(requestSchema), nextCursor: z.string().nullable() }),
      async handler(context) {
        const account = signedIn(context.account);
        const { state, mine, host, overdue, cursor, limit } = context.query;
        const onlyMine = mine === true || !seesAllRequests(context);
        const page = await own.unblock.list({
          ...(state !== undefined ? { state } : {}),
          ...(onlyMine ? { requester: account.username } : {}),
          ...(host !== undefined ? { host } : {}),
          ...(overdue ? { overdue: true } : {}),
          ...rangeOf(context.query),
          cursor: cursor ?? null,
          ...(limit !== undefined ? { limit } : {}),
        });
        return { items: page.items.map((r) => requestView(r, context)), nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/requests/:id',
      action: 'requests.create',
      summary: 'One unblock request with its recommendation, decision and approval, and the steps you may take',
      tags: ['requests'],
      params: idParams,
      response: requestSchema,
      async handler(context) {
        return requestView(await visibleRequest(context.params.id, context), context);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/requests',
      action: 'requests.create',
      summary: 'Ask for an address to be unblocked, with a reason; the reviewers are told (8.4)',
      tags: ['requests'],
      body: z.strictObject({ url: z.string().trim().min(1, 'say which address').max(2048), reason: z.string().trim().min(1, 'say why it is needed').max(1000) }),
      response: requestSchema,
      async handler(context) {
        const account = signedIn(context.account);
        const target = normaliseTarget(context.body.url);
        if (target.error !== '' || target.host === '') throw inputError('url', `\`${context.body.url}\` is not a web address`);
        const decision = deps.engine().decide({ person: personOf(account), url: context.body.url, at: deps.now() });
        const { request } = await own.unblock.submit(
          {
            asker: { person: account.username, role: account.role, groups: account.groups, clientIp: context.request.ip },
            source: 'dashboard',
            url: context.body.url,
            host: target.host,
            categories: decision.categories,
            clauses: decision.clauses,
            reason: context.body.reason,
          },
          account.username,
        );
        context.reply.code(201);
        return requestView(request, context);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/requests/:id/recommend',
      action: 'requests.review',
      summary: "A reviewer's recommendation to approve or decline, with a note for the decider (8.4)",
      tags: ['requests'],
      params: idParams,
      body: z.strictObject({ recommendation: z.enum(['approve', 'decline']), note: z.string().trim().min(1, 'say why, for the decider').max(1000) }),
      response: requestSchema,
      async handler(context) {
        const account = signedIn(context.account);
        await visibleRequest(context.params.id, context);
        return requestView(await own.unblock.recommend(context.params.id, context.body, actorOf(account)), context);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/requests/:id/approve',
      action: 'requests.decide',
      summary: 'Approve for the requester, a group, a role or a role set until a time (or for a duration) within the policy maximum; the grant is in force at once (8.5)',
      tags: ['requests'],
      params: idParams,
      body: z.strictObject({
        scope: scopeSchema,
        until: z.number().int().min(0).optional(),
        duration: z.string().regex(/^\d+(m|h|d|w|y)$/, 'must be a duration like 90m, 8h, 30d or 1y').optional(),
        site: z.string().min(1).max(253).optional(),
        note: text(1000).optional(),
      }),
      response: requestSchema,
      async handler(context) {
        const account = signedIn(context.account);
        await visibleRequest(context.params.id, context);
        const { scope, until, duration, site, note } = context.body;
        const approved = await own.unblock.approve(
          context.params.id,
          { scope, ...(until !== undefined ? { until } : {}), ...(duration !== undefined ? { duration } : {}), ...(site !== undefined ? { site } : {}), ...(note !== undefined ? { note } : {}) },
          actorOf(account),
        );
        return requestView(approved, context);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/requests/:id/decline',
      action: 'requests.decide',
      summary: 'Decline with a reason the requester is told (8.5)',
      tags: ['requests'],
      params: idParams,
      body: z.strictObject({ reason: z.string().trim().min(1, 'a declined request needs a reason').max(1000) }),
      response: requestSchema,
      async handler(context) {
        const account = signedIn(context.account);
        await visibleRequest(context.params.id, context);
        return requestView(await own.unblock.decline(context.params.id, context.body, actorOf(account)), context);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/requests/:id/withdraw',
      action: 'requests.create',
      summary: 'Withdraw your own request before it is decided',
      tags: ['requests'],
      params: idParams,
      response: requestSchema,
      async handler(context) {
        const account = signedIn(context.account);
        return requestView(await own.unblock.withdraw(context.params.id, actorOf(account)), context);
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/api/case-reports',
      action: 'requests.create',
      summary: 'Reports (site, accidental access, tell a teacher, contact attempts), newest first: your own, and those routed to you when you handle reports',
      tags: ['requests'],
      query: z.strictObject({
        kind: z.enum(REPORT_KINDS as [string, ...string[]]).optional(),
        state: z.enum(['open', 'acknowledged', 'closed', 'active']).optional(),
        mine: z.enum(['made', 'routed']).optional(),
        overdue: flag.optional(),
        from: epoch.optional(),
        to: epoch.optional(),
        ...pageQuery,
      }),
      response: z.object({ items: z.array(reportSchema), nextCursor: z.string().nullable() }),
      async handler(context) {
        const { kind, state, mine, overdue, cursor, limit } = context.query;
        const page = await own.reports.list(
          {
            ...(kind !== undefined ? { kind: kind as never } : {}),
            ...(state !== undefined ? { state } : {}),
            ...(mine !== undefined ? { mine } : {}),
            ...(overdue ? { overdue: true } : {}),
            ...rangeOf(context.query),
            cursor: cursor ?? null,
            ...(limit !== undefined ? { limit } : {}),
          },
          viewer(context),
        );
        return { items: page.items.map((r) => reportView(r, context)), nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/case-reports/:id',
      action: 'requests.create',
      summary: 'One report, if it is yours or routed to you',
      tags: ['requests'],
      params: idParams,
      response: reportSchema,
      async handler(context) {
        return reportView(await own.reports.getFor(context.params.id, viewer(context)), context);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/case-reports',
      action: 'requests.create',
      summary: 'Report a site (6.14, 8.3), a contact attempt between staff and a pupil or parent (6.4, 6.5, 7.3, 7.4), accidental access, or tell a teacher (7.8); routed by the policy',
      tags: ['requests'],
      body: z.strictObject({
        kind: z.enum(REPORT_KINDS as [string, ...string[]]),
        url: z.string().trim().max(2048).optional(),
        message: z.string().max(1000).default(''),
        contact: z
          .strictObject({
            platform: z.string().trim().min(1, 'say which platform').max(100),
            otherParty: z.string().trim().min(1, 'say who made or received the contact').max(200),
            direction: z.enum(CONTACT_DIRECTIONS as [string, ...string[]]),
          })
          .optional(),
      }),
      response: reportSchema,
      async handler(context) {
        const account = signedIn(context.account);
        const { kind, url, message, contact } = context.body;
        if (kind === 'contact-attempt' && !contact) throw inputError('contact', 'a contact attempt needs the platform, who was on the other side and which way it went');
        if (kind !== 'contact-attempt' && contact) throw inputError('contact', 'only a contact attempt has contact details');
        let host: string | null = null;
        let categories: readonly string[] = [];
        if (url) {
          const target = normaliseTarget(url);
          if (target.error !== '' || target.host === '') throw inputError('url', `\`${url}\` is not a web address`);
          host = target.host;
          categories = deps.engine().decide({ person: personOf(account), url, at: deps.now() }).categories;
        }
        const { report } = await own.reports.create(
          {
            kind: kind as CaseReport['kind'],
            asker: { person: account.username, role: account.role, groups: account.groups, clientIp: context.request.ip },
            source: 'dashboard',
            url: url || null,
            host,
            categories,
            message,
            ...(contact ? { contact: contact as NonNullable<CaseReport['contact']> } : {}),
          },
          account.username,
        );
        context.reply.code(201);
        return reportView(report, context);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/case-reports/:id/acknowledge',
      action: 'reports.handle',
      summary: 'Acknowledge a report routed to you (stops it being overdue)',
      tags: ['requests'],
      params: idParams,
      body: z.strictObject({ note: text(1000).optional() }).optional(),
      response: reportSchema,
      async handler(context) {
        const account = signedIn(context.account);
        return reportView(await own.reports.acknowledge(context.params.id, actorOf(account), context.body?.note ?? ''), context);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/case-reports/:id/close',
      action: 'reports.handle',
      summary: "Close a report routed to you with an outcome and a note; `site-blocked` adds a reported site to the school's block list at once (8.3)",
      tags: ['requests'],
      params: idParams,
      body: z.strictObject({ outcome: z.enum(REPORT_OUTCOMES as [string, ...string[]]), note: z.string().trim().min(1, 'say what was done, or why nothing was').max(1000) }),
      response: reportSchema.extend({ block: z.object({ changed: z.boolean(), rule: z.string(), revision: z.string(), reload: z.object({ ok: z.boolean(), problems: z.array(z.string()) }) }).nullable() }),
      async handler(context) {
        const account = signedIn(context.account);
        const { report, block } = await own.reports.close(context.params.id, { outcome: context.body.outcome as never, note: context.body.note }, actorOf(account));
        return { ...reportView(report, context), block };
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/api/register',
      action: 'register.read',
      summary: 'The register of what is allowed or blocked and why: decided unblock requests and closed site reports, oldest decision first',
      tags: ['requests'],
      query: z.strictObject({ from: epoch.optional(), to: epoch.optional(), type: z.enum(['unblock-request', 'site-report']).optional() }),
      response: z.object({ items: z.array(registerEntrySchema) }),
      async handler(context) {
        const { type } = context.query;
        return { items: await own.register({ ...rangeOf(context.query), ...(type ? { type } : {}) }) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/register.csv',
      action: 'register.read',
      summary: `The register as CSV for the annual review (columns: ${REGISTER_COLUMNS.join(', ')})`,
      tags: ['requests'],
      produces: 'text/csv',
      query: z.strictObject({ from: epoch.optional(), to: epoch.optional(), type: z.enum(['unblock-request', 'site-report']).optional() }),
      async handler(context) {
        const { type } = context.query;
        const csv = await own.registerCsv({ ...rangeOf(context.query), ...(type ? { type } : {}) });
        context.reply.header('content-type', 'text/csv; charset=utf-8');
        context.reply.header('content-disposition', 'attachment; filename="register.csv"');
        return csv;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/register/figures',
      action: 'register.read',
      summary: 'Overblocking figures for requests made in a period: requests and approvals per category and per group, median and 90th-percentile time to decision',
      tags: ['requests'],
      query: z.strictObject({ from: epoch.optional(), to: epoch.optional() }),
      response: figuresSchema,
      async handler(context) {
        return own.figures(rangeOf(context.query));
      },
    }),
  ];
}
