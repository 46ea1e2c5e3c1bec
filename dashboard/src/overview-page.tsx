// Today at a glance: totals, decisions by hour, blocks by category, circumvention alerts, open
// requests and the health of each enforcement point.
import { useState } from 'react';
import type { Overview } from './api-types.ts';
import { withQuery } from './api-client.ts';
import { BarList } from './bar-list.tsx';
import { formatIsoDate, formatNumber, formatTime, humanise } from './format.ts';
import { hrefFor, navigate, type Route } from './hash-route.ts';
import { HourChart, type HourBar } from './hour-chart.tsx';
import { useSession } from './session-context.tsx';
import { TableRegion } from './table-region.tsx';
import { ErrorMessage, Loading } from './status.tsx';
import { useApi } from './use-api.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** Hours as bars from 07:00 to 18:00 at least, widened to any hour with events. */
export function hourBars(byHour: Overview['byHour']): HourBar[] {
  const counts = new Map<number, { allowed: number; blocked: number }>();
  for (const entry of byHour) {
    // The API may name the hour (0–23) or give the bucket's start as epoch ms.
    const hour = entry.hour >= 0 && entry.hour < 24 ? entry.hour : new Date(entry.hour).getHours();
    const slot = counts.get(hour) ?? { allowed: 0, blocked: 0 };
    slot.allowed += entry.allowed;
    slot.blocked += entry.blocked;
    counts.set(hour, slot);
  }
  const hours = [...counts.keys()];
  const first = Math.min(7, ...hours);
  const last = Math.max(18, ...hours);
  const bars: HourBar[] = [];
  for (let h = first; h <= last; h++) {
    const slot = counts.get(h) ?? { allowed: 0, blocked: 0 };
    bars.push({ label: `${pad(h)}:00`, ...slot });
  }
  return bars;
}

export function OverviewPage({ route }: { route: Route }) {
  const session = useSession();
  const date = route.params.get('date') ?? '';
  const [picked, setPicked] = useState(date);
  const { data, error, loading } = useApi<Overview>(withQuery('/api/overview', { date }));
  const canSearch = session.canAny('activity.read.pupils', 'activity.read.staff');

  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>Overview</h1>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            navigate('overview', { date: picked });
          }}
        >
          <label htmlFor="overview-date">Day</label>
          <input id="overview-date" type="date" value={picked || data?.date || ''} onChange={(e) => setPicked(e.target.value)} />
          <button type="submit">Show</button>
        </form>
      </div>
      {data ? <p className="lead">{formatIsoDate(data.date)}</p> : null}
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="today's figures" /> : null}
      {data ? (
        <>
          <section aria-labelledby="totals-heading">
            <h2 id="totals-heading" className="visually-hidden">
              Totals
            </h2>
            <dl className="totals">
              <div className="total">
                <dt>Decisions</dt>
                <dd>{formatNumber(data.totals.total)}</dd>
              </div>
              <div className="total total-allowed">
                <dt>Allowed</dt>
                <dd>{formatNumber(data.totals.allowed)}</dd>
              </div>
              <div className="total total-blocked">
                <dt>Blocked</dt>
                <dd>{formatNumber(data.totals.blocked)}</dd>
              </div>
              <div className="total total-warned">
                <dt>Warned</dt>
                <dd>{formatNumber(data.totals.warned)}</dd>
              </div>
              <div className="total">
                <dt>Open requests</dt>
                <dd>{formatNumber(data.openRequests)}</dd>
              </div>
            </dl>
          </section>
          <div className="grid-2">
            <section className="panel panel-wide" aria-labelledby="hours-heading">
              <h2 id="hours-heading">Decisions by hour</h2>
              <HourChart bars={hourBars(data.byHour)} title={`Allowed and blocked decisions by hour, ${formatIsoDate(data.date)}`} />
            </section>
            <section className="panel" aria-labelledby="categories-heading">
              <h2 id="categories-heading">Blocks by category</h2>
              {data.blocksByCategory.length === 0 ? (
                <p>Nothing was blocked.</p>
              ) : (
                <BarList
                  label="Blocks by category"
                  items={[...data.blocksByCategory].sort((a, b) => b.count - a.count).map((c) => ({ id: c.category, label: c.title ?? humanise(c.category), count: c.count }))}
                />
              )}
            </section>
            <section className="panel" aria-labelledby="alerts-heading">
              <h2 id="alerts-heading">Alerts</h2>
              {data.alerts.length === 0 ? (
                <p>No attempts to get round the filter.</p>
              ) : (
                <ul className="alert-list">
                  {data.alerts.map((alert, i) => (
                    <li key={`${alert.at}-${i}`}>
                      <span className="alert-time">{formatTime(alert.at)}</span>{' '}
                      {alert.person && canSearch ? (
                        <a href={hrefFor('activity', { person: alert.person })}>{alert.person}</a>
                      ) : (
                        <span>{alert.person ?? (alert.personHidden ? 'Someone outside your classes' : 'An unidentified device')}</span>
                      )}{' '}
                      {alert.kind === 'circumvention' || !alert.kind ? 'tried to get round the filter at' : `${humanise(alert.kind).toLowerCase()}:`} <code>{alert.host}</code>
                      <span className="muted"> (rule {alert.rule})</span>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section className="panel" aria-labelledby="points-heading">
              <h2 id="points-heading">Enforcement points</h2>
              <TableRegion label="Enforcement points">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Point</th>
                      <th scope="col">State</th>
                      <th scope="col">Listening on</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.points.map((point) => (
                      <tr key={point.name}>
                        <th scope="row">{pointTitle(point.name)}</th>
                        <td>
                          <span className={`health ${!point.enabled ? 'health-off' : point.healthy ? 'health-ok' : 'health-bad'}`}>
                            {!point.enabled ? 'Off' : point.healthy ? 'Working' : 'Not working'}
                          </span>
                        </td>
                        <td>{point.listening ? <code>{point.listening}</code> : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableRegion>
            </section>
          </div>
        </>
      ) : null}
    </>
  );
}

export function pointTitle(name: string): string {
  const titles: Record<string, string> = { proxy: 'Web proxy', dns: 'DNS filter', mail: 'Mail filter', http: 'Block page and dashboard' };
  return titles[name] ?? humanise(name);
}
