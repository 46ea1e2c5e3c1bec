// `GET /api/overview`: one school day at a glance — totals, decisions by hour, blocks by
// category, circumvention alerts, open requests and the health of each enforcement point. Names
// on alerts are shown only to someone who could read that person's activity anyway.
import { z } from 'zod';
import { localIsoDate } from '../../identity/index.ts';
import { parseZonedTime } from '../../policy/index.ts';
import type { ApiDeps } from '../api-deps.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';
import { mayNamePerson, signedIn, timeZoneOf } from './audience.ts';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-11-24');

/** The day after an ISO date, as an ISO date. */
export function nextIsoDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** Local midnight to local midnight in the zone: 23, 24 or 25 hours. */
export function dayRange(date: string, timeZone: string): { from: number; to: number } {
  return { from: parseZonedTime(date, timeZone), to: parseZonedTime(nextIsoDate(date), timeZone) };
}

/** The enforcement points of a health report as a list. */
export function pointList(points: Record<string, { enabled: boolean; listening: string | null }>): Array<{ name: string; enabled: boolean; listening: string | null; healthy: boolean }> {
  return Object.entries(points).map(([name, point]) => ({
    name,
    enabled: point.enabled,
    listening: point.listening,
    // a point switched off is not failing; one switched on must be listening
    healthy: !point.enabled || point.listening !== null,
  }));
}

const overviewResponse = z.object({
  date: z.string(),
  totals: z.object({ total: z.number(), allowed: z.number(), blocked: z.number(), warned: z.number(), logged: z.number() }),
  byHour: z.array(z.object({ hour: z.number(), allowed: z.number(), blocked: z.number() })),
  blocksByCategory: z.array(z.object({ category: z.string(), title: z.string(), count: z.number() })),
  alerts: z.array(z.object({ at: z.number(), person: z.string().nullable(), personHidden: z.boolean(), kind: z.literal('circumvention'), host: z.string(), rule: z.string() })),
  openRequests: z.number(),
  points: z.array(z.object({ name: z.string(), enabled: z.boolean(), listening: z.string().nullable(), healthy: z.boolean() })),
});

export function overviewRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/overview',
      action: 'overview.read',
      summary: "A day's decisions, blocks by category, circumvention alerts, open requests and enforcement health",
      tags: ['overview'],
      query: z.strictObject({ date: isoDate.optional() }),
      response: overviewResponse,
      async handler(context) {
        const account = signedIn(context.account);
        const engine = deps.engine();
        const policy = engine.policy;
        const timeZone = timeZoneOf(engine);
        const date = context.query.date ?? localIsoDate(deps.now(), timeZone);
        const { from, to } = dayRange(date, timeZone);
        const logRules = policy.rules.filter((rule) => rule.action === 'log').map((rule) => rule.id);
        if (policy.default.action === 'log') logRules.push('default');
        const figures = await deps.activity.overview(from, to, { logRules });
        const can = (action: Parameters<typeof context.can>[0]) => context.can(action);
        const alerts = figures.alerts.map((alert) => {
          const named = alert.person !== null && mayNamePerson(alert.person, account, can, policy, deps.people.get(alert.person));
          return { at: alert.at, person: named ? alert.person : null, personHidden: alert.person !== null && !named, kind: 'circumvention' as const, host: alert.host, rule: alert.rule };
        });
        const openRequests = await deps.requests.unblock.countOpen();
        return {
          date,
          totals: figures.totals,
          byHour: figures.byHour,
          blocksByCategory: figures.blocksByCategory.map((row) => ({
            category: row.category,
            title: row.category === '' ? 'Uncategorised' : (policy.categories[row.category]?.title ?? row.category),
            count: row.count,
          })),
          alerts,
          openRequests,
          points: pointList(deps.health().points),
        };
      },
    }),
  ];
}
