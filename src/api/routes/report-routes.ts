// Reports for governors: counts by group, category and action over a period. Aggregate only —
// the rows are built field by field here so no person, device or address can ride along.
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_SPAN_MS = 30 * DAY_MS;

export function reportRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/reports/aggregate',
      action: 'reports.aggregate',
      summary: 'Decisions counted by group × category × action over a period (default the last 30 days); never a person',
      tags: ['reports'],
      query: z.strictObject({ from: z.coerce.number().int().min(0).optional(), to: z.coerce.number().int().min(0).optional() }),
      response: z.object({
        from: z.number(),
        to: z.number(),
        rows: z.array(z.object({ group: z.string(), category: z.string(), action: z.enum(['allow', 'block', 'warn']), count: z.number() })),
      }),
      async handler(context) {
        const to = context.query.to ?? deps.now() + 1;
        const from = context.query.from ?? to - DEFAULT_SPAN_MS;
        const rows = await deps.activity.aggregate(from, to);
        return { from, to, rows: rows.map((row) => ({ group: row.group, category: row.category, action: row.action, count: row.count })) };
      },
    }),
  ];
}
