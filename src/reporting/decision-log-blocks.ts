// The decision log's part of a governors' report: blocked attempts per week and category, and per
// group over the whole period, read from the activity store's counts (which hold no person).
import type { ActivityStore } from '../activity/index.ts';
import type { BlockFigures, ReportPeriod, ReportSources } from './report-sources.ts';

export type BlockCountsReader = Pick<ActivityStore, 'overview' | 'aggregate'>;

/** `ReportSources.blocks` over an activity store. */
export function decisionLogBlocks(activity: BlockCountsReader): ReportSources['blocks'] {
  return async (period: ReportPeriod, weeks: readonly ReportPeriod[]): Promise<BlockFigures> => {
    const answers = await Promise.all(weeks.map((week) => activity.overview(week.from, week.to)));
    const byGroup: Record<string, number> = {};
    for (const row of await activity.aggregate(period.from, period.to)) {
      if (row.action !== 'block') continue;
      byGroup[row.group] = (byGroup[row.group] ?? 0) + row.count;
    }
    return {
      weeks: answers.map((figures) => {
        const byCategory: Record<string, number> = {};
        for (const entry of figures.blocksByCategory) byCategory[entry.category] = (byCategory[entry.category] ?? 0) + entry.count;
        return { total: figures.totals.blocked, byCategory };
      }),
      byGroup,
    };
  };
}
