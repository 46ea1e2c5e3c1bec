// Searching the decision log: `GET /api/activity` (a page) and `GET /api/activity.csv` (every
// matching row, streamed). Who may see whom is decided in activity-scope.ts; reading an adult's
// browsing is audited with its purpose before any row is returned.
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.ts';
import { defineRoute, type RouteContext, type RouteSpec } from '../route-spec.ts';
import { signedIn } from './audience.ts';
import { auditStaffRead, resolveActivityScope, type ActivityAsk } from './activity-scope.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** a search without `from` looks back this far */
const DEFAULT_SPAN_MS = 7 * DAY_MS;

const filterFields = {
  person: z.string().min(1).max(128).optional(),
  group: z.string().min(1).max(64).optional(),
  role: z.string().min(1).max(64).optional(),
  host: z.string().min(1).max(253).optional(),
  category: z.string().min(1).max(64).optional(),
  action: z.enum(['allow', 'block', 'warn']).optional(),
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  /** one of the policy's `monitoringPurposes`, needed to read an adult's activity */
  purpose: z.string().min(1).max(64).optional(),
};

const searchQuery = z.strictObject({
  ...filterFields,
  cursor: z.string().min(1).max(512).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const exportQuery = z.strictObject(filterFields);

const decisionEventSchema = z.object({
  v: z.literal(1),
  id: z.string(),
  at: z.number(),
  point: z.string(),
  person: z.string().nullable(),
  role: z.string(),
  groups: z.array(z.string()),
  device: z.string().nullable(),
  clientIp: z.string().nullable(),
  host: z.string(),
  url: z.string().nullable(),
  categories: z.array(z.string()),
  action: z.enum(['allow', 'block', 'warn']),
  rule: z.string(),
  clauses: z.array(z.string()),
  circumvention: z.boolean(),
  policyRevision: z.string(),
  warnReason: z.string().nullable(),
  searchTerm: z.string().nullable(),
});

type FilterQuery = z.infer<typeof exportQuery>;

function ask(query: FilterQuery, now: number): ActivityAsk {
  // `to` is exclusive: include what was recorded at this very millisecond.
  const to = query.to ?? now + 1;
  return { ...query, to, from: query.from ?? to - DEFAULT_SPAN_MS };
}

function scopeOf(deps: ApiDeps, context: RouteContext<unknown, FilterQuery, unknown>) {
  const account = signedIn(context.account);
  const scope = resolveActivityScope(ask(context.query, deps.now()), account, (action) => context.can(action), deps.engine().policy, deps.people);
  return { account, scope };
}

export function activityRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/activity',
      // the weakest of the three reading actions; the handler widens to pupils and staff
      action: 'activity.read.own',
      summary: "Search decisions: your own; pupils' (teachers: their classes); a member of staff's with a monitoring purpose (audited)",
      tags: ['activity'],
      query: searchQuery,
      response: z.object({ items: z.array(decisionEventSchema), nextCursor: z.string().nullable() }),
      async handler(context) {
        const { account, scope } = scopeOf(deps, context);
        await auditStaffRead(deps.audit, account, scope, 'search');
        const page = await deps.activity.search({ ...scope.filter, cursor: context.query.cursor ?? null, ...(context.query.limit !== undefined ? { limit: context.query.limit } : {}) });
        return { items: page.items, nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/activity.csv',
      action: 'activity.export',
      summary: 'Export a search of the decision log as CSV (same filters and rules as /api/activity)',
      tags: ['activity'],
      query: exportQuery,
      produces: 'text/csv',
      async handler(context) {
        const { account, scope } = scopeOf(deps, context);
        await auditStaffRead(deps.audit, account, scope, 'export');
        context.reply.header('content-type', 'text/csv; charset=utf-8');
        context.reply.header('content-disposition', 'attachment; filename="activity.csv"');
        context.reply.header('cache-control', 'no-store');
        return Readable.from(deps.activity.exportCsv(scope.filter));
      },
    }),
  ];
}
