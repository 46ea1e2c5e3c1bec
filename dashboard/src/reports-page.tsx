// The governors' report: counts by group, category and decision over a period. It never names a
// person; the API builds it from aggregates only.
import { useEffect, useState, type FormEvent } from 'react';
import { withQuery } from './api-client.ts';
import type { AggregateRow } from './api-types.ts';
import { BarList } from './bar-list.tsx';
import { SelectField, TextField } from './controls.tsx';
import { formatDateTime, formatNumber } from './format.ts';
import { navigate, type Route } from './hash-route.ts';
import { usePolicyNames } from './policy-names.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

/** `2026-11-01` → the start of that day in the browser's zone (epoch ms), or null. */
function dayStart(iso: string, plusDays = 0): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return null;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + plusDays).getTime();
}

interface PivotRow {
  group: string;
  category: string;
  allow: number;
  warn: number;
  block: number;
}

/** One row per group and category with its counts by decision; every cell is a count the API gave. */
export function pivot(rows: readonly AggregateRow[]): PivotRow[] {
  const out = new Map<string, PivotRow>();
  for (const row of rows) {
    const key = `${row.group}\u0000${row.category}`;
    const entry = out.get(key) ?? { group: row.group, category: row.category, allow: 0, warn: 0, block: 0 };
    if (row.action === 'allow' || row.action === 'warn' || row.action === 'block') entry[row.action] += row.count;
    out.set(key, entry);
  }
  return [...out.values()].sort((a, b) => a.group.localeCompare(b.group) || b.block - a.block || b.allow - a.allow);
}

export function ReportsPage({ route }: { route: Route }) {
  const session = useSession();
  const names = usePolicyNames(session.can('policy.read'));
  const from = route.params.get('from') ?? '';
  const to = route.params.get('to') ?? '';
  const [draft, setDraft] = useState({ from, to });
  const [chosenCategory, setChosenCategory] = useState('');
  useEffect(() => setDraft({ from, to }), [from, to]);
  const { data, error, loading } = useApi<{ rows: AggregateRow[]; from?: number; to?: number }>(
    withQuery('/api/reports/aggregate', { from: dayStart(from), to: dayStart(to, 1) }),
  );
  const rows = data?.rows ?? [];
  const table = pivot(rows);
  const categoryTitle = (id: string) => (id ? names.title('categories', id) : 'Uncategorised');
  // The chart compares groups within one category, so each bar is one of the API's counts.
  const blockedCategories = [...new Set(rows.filter((r) => r.action === 'block').map((r) => r.category))]
    .map((id) => ({ id, title: categoryTitle(id), most: Math.max(...rows.filter((r) => r.category === id && r.action === 'block').map((r) => r.count)) }))
    .sort((a, b) => b.most - a.most);
  const category = blockedCategories.some((c) => c.id === chosenCategory) ? chosenCategory : (blockedCategories[0]?.id ?? '');
  const bars = rows
    .filter((r) => r.action === 'block' && r.category === category)
    .sort((a, b) => b.count - a.count)
    .map((r) => ({ id: r.group, label: names.title('groups', r.group), count: r.count }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate('reports', draft);
  };

  return (
    <>
      <h1 tabIndex={-1}>Reports</h1>
      <p className="lead">How the filter was used, by group and category. Counts only: no pupil or member of staff is named in this report.</p>
      <form className="filters" onSubmit={submit} aria-label="Choose the period">
        <TextField label="From" type="date" value={draft.from} onValue={(v) => setDraft((d) => ({ ...d, from: v }))} />
        <TextField label="To" type="date" value={draft.to} onValue={(v) => setDraft((d) => ({ ...d, to: v }))} />
        <div className="filter-actions">
          <button type="submit" className="button-primary">
            Show
          </button>
        </div>
      </form>
      {data?.from !== undefined && data.to !== undefined ? (
        <p className="muted">
          From {formatDateTime(data.from)} to {formatDateTime(data.to)}.
        </p>
      ) : null}
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the report" /> : null}
      {data && rows.length === 0 ? <p>No decisions were recorded in this period.</p> : null}
      {rows.length > 0 ? (
        <>
          {bars.length > 0 ? (
            <section className="panel" aria-labelledby="by-group-heading">
              <div className="results-bar results-bar-tight">
                <h2 id="by-group-heading">Blocked attempts by group: {categoryTitle(category)}</h2>
                <SelectField label="Category" value={category} onValue={setChosenCategory} options={blockedCategories} className="field-inline" />
              </div>
              <BarList label={`Blocked attempts at ${categoryTitle(category)} sites, by group`} items={bars} />
            </section>
          ) : null}
          <section aria-labelledby="table-heading">
            <h2 id="table-heading">All figures</h2>
            <p className="hint">
              An attempt at a site in several categories counts once in each, and a pupil in a class and a year group counts in both, so the rows do not add up to a
              total.
            </p>
            <TableRegion label="Decisions by group, category and decision">
              <table className="report-table">
                <thead>
                  <tr>
                    <th scope="col">Group</th>
                    <th scope="col">Category</th>
                    <th scope="col" className="num">
                      Allowed
                    </th>
                    <th scope="col" className="num">
                      Warned
                    </th>
                    <th scope="col" className="num">
                      Blocked
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {table.map((row) => (
                    <tr key={`${row.group}|${row.category}`}>
                      <th scope="row">{names.title('groups', row.group)}</th>
                      <td>{categoryTitle(row.category)}</td>
                      <td className="num">{formatNumber(row.allow)}</td>
                      <td className="num">{formatNumber(row.warn)}</td>
                      <td className="num">{formatNumber(row.block)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          </section>
        </>
      ) : null}
    </>
  );
}
