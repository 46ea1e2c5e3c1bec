// Unblock request figures for one period, as a termly report counts them: requests made in the
// period, and decisions taken in it (a request made late in one term and decided early in the
// next counts as made in the first and decided in the second), with the days each decision
// took. Per category of the site and per group of the requester; counts only, never a person.
import type { Kysely } from 'kysely';
import { parseList, type RequestsDatabase } from './request-tables.ts';

const DAY_MS = 86_400_000;
/** a school's year is far below this; the same bound as the register */
const PERIOD_LIMIT = 100_000;

export interface RequestPeriodCounts {
  /** requests made in the period */
  requested: number;
  /** decided in the period and approved (an approval that has since expired included) */
  approved: number;
  /** decided in the period and declined */
  declined: number;
  /** days from request to decision (fractional), one per request decided in the period */
  decisionDays: number[];
}

export interface RequestPeriodFigures {
  total: RequestPeriodCounts;
  /** by each category of the site asked for; `''` when it had none */
  byCategory: Record<string, RequestPeriodCounts>;
  /** by each group the requester was in when asking; `''` when in none */
  byGroup: Record<string, RequestPeriodCounts>;
}

function empty(): RequestPeriodCounts {
  return { requested: 0, approved: 0, declined: 0, decisionDays: [] };
}

/** Unblock requests made or decided in [from, to). */
export async function requestPeriodFigures(db: Kysely<RequestsDatabase>, period: { from: number; to: number }): Promise<RequestPeriodFigures> {
  const { from, to } = period;
  const rows = await db
    .selectFrom('unblock_requests')
    .select(['state', 'created_at', 'decided_at', 'categories', 'requester_groups'])
    .where((eb) =>
      eb.or([
        eb.and([eb('created_at', '>=', from), eb('created_at', '<', to)]),
        eb.and([eb('decided_at', '>=', from), eb('decided_at', '<', to)]),
      ]),
    )
    .orderBy('created_at')
    .orderBy('id')
    .limit(PERIOD_LIMIT)
    .execute();
  const total = empty();
  const byCategory: Record<string, RequestPeriodCounts> = {};
  const byGroup: Record<string, RequestPeriodCounts> = {};
  for (const row of rows) {
    const createdAt = Number(row.created_at);
    const decidedAt = row.decided_at === null ? null : Number(row.decided_at);
    const made = createdAt >= from && createdAt < to;
    // only approve and decline set decided_at; an approval later expired keeps it
    const decided = decidedAt !== null && decidedAt >= from && decidedAt < to && ['approved', 'declined', 'expired'].includes(row.state);
    const declined = decided && row.state === 'declined';
    const approved = decided && !declined;
    const days = decided ? Math.max(0, decidedAt - createdAt) / DAY_MS : null;
    const add = (counts: RequestPeriodCounts) => {
      if (made) counts.requested += 1;
      if (approved) counts.approved += 1;
      if (declined) counts.declined += 1;
      if (days !== null) counts.decisionDays.push(days);
    };
    add(total);
    const categories = parseList(row.categories);
    for (const category of new Set(categories.length > 0 ? categories : [''])) add((byCategory[category] ??= empty()));
    const groups = parseList(row.requester_groups);
    for (const group of new Set(groups.length > 0 ? groups : [''])) add((byGroup[group] ??= empty()));
  }
  return { total, byCategory, byGroup };
}
