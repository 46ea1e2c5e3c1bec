// The governors' page: the termly report's figures for a chosen term (small counts already hidden
// by the API, no person named) with the PDF to download, and the annual review's evidence pack
// for a chosen period (a PDF summary and CSV files).
import { useEffect, useState, type FormEvent } from 'react';
import { withQuery } from './api-client.ts';
import { SelectField, TextField } from './controls.tsx';
import { formatDateTime, formatIsoDate, formatNumber } from './format.ts';
import type { GovernorsAnswer, NamedCount, ReviewPackAnswer, ShownCount } from './governors-types.ts';
import { navigate, type Route } from './hash-route.ts';
import { ErrorMessage, Loading } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

/** `12`, `fewer than 5`, `withheld` */
export function shownText(count: ShownCount): string {
  if (count.kind === 'count') return formatNumber(count.value);
  if (count.kind === 'fewer-than') return `fewer than ${count.below}`;
  return 'withheld';
}

function shortDate(iso: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) return iso;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
}

/** Bars for named counts; a hidden count draws no bar and reads as its words. */
function CountBars({ items, label }: { items: readonly NamedCount[]; label: string }) {
  if (items.length === 0) return <p>Nothing was recorded.</p>;
  const max = Math.max(1, ...items.map((i) => (i.count.kind === 'count' ? i.count.value : 0)));
  return (
    <ul className="bar-list" aria-label={label}>
      {items.map((item) => (
        <li key={item.id}>
          <span className="bar-label">{item.title}</span>
          <span className="bar-track" aria-hidden="true">
            {item.count.kind === 'count' && item.count.value > 0 ? <span className="bar-fill bar-neutral" style={{ width: `${Math.max(2, (item.count.value / max) * 100)}%` }} /> : null}
          </span>
          <span className="bar-count">{shownText(item.count)}</span>
        </li>
      ))}
    </ul>
  );
}

function Facts({ items }: { items: ReadonlyArray<[string, string]> }) {
  return (
    <dl className="facts">
      {items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function TermReport({ answer }: { answer: GovernorsAnswer }) {
  const report = answer.report;
  const pdf = withQuery('/api/reports/governors.pdf', { term: report.term.name });
  return (
    <>
      <section className="panel" aria-labelledby="term-heading">
        <h2 id="term-heading">
          {report.school}: {report.term.name}
        </h2>
        <Facts
          items={[
            ['Term', `${formatIsoDate(report.term.start)} to ${formatIsoDate(report.term.end)}`],
            ['Figures read', formatDateTime(report.producedAt)],
            ['Policy version', report.policy.version ?? 'not given'],
            ['Policy review date', report.policy.reviewDate ? formatIsoDate(report.policy.reviewDate) : 'not set'],
          ]}
        />
        {report.policy.reviewDue ? (
          <div className="message message-info">
            <p className="message-title">The policy is due for review</p>
            <p>Its review date has passed (1.1).</p>
          </div>
        ) : null}
        <p className="hint">
          No child is named. A count that could relate to a child and is below {report.suppressBelow} reads “fewer than {report.suppressBelow}”; “withheld” hides another count so
          that no small one can be worked out from the rest.
        </p>
        <p>
          <a className="button button-primary" href={pdf} download>
            Download the report (PDF)
          </a>
        </p>
      </section>

      <section aria-labelledby="blocks-heading">
        <h2 id="blocks-heading">Blocked attempts</h2>
        <p>Blocked attempts this term: {shownText(report.blocks.total)}.</p>
        <div className="grid-2">
          <div>
            <h3>By category</h3>
            <CountBars items={report.blocks.byCategory} label="Blocked attempts by category" />
          </div>
          <div>
            <h3>By group</h3>
            <CountBars items={report.blocks.byGroup} label="Blocked attempts by group" />
          </div>
        </div>
        <TableRegion label="Blocked attempts per week">
          <table className="report-table">
            <caption>Blocked attempts per week and category</caption>
            <thead>
              <tr>
                <th scope="col">Week beginning</th>
                <th scope="col" className="num">
                  All
                </th>
                {report.blocks.categories.map((c) => (
                  <th scope="col" className="num" key={c.id}>
                    {c.title}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.blocks.weeks.map((week) => (
                <tr key={week.start}>
                  <th scope="row">
                    {shortDate(week.start)}
                    {week.halfTerm ? ' (half term)' : ''}
                  </th>
                  <td className="num">{shownText(week.total)}</td>
                  {week.byCategory.map((cell, i) => (
                    <td className="num" key={report.blocks.categories[i]?.id ?? i}>
                      {shownText(cell)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      </section>

      <section aria-labelledby="requests-heading">
        <h2 id="requests-heading">Unblock requests and decisions</h2>
        <Facts
          items={[
            ['Requested', shownText(report.requests.requested)],
            ['Approved', shownText(report.requests.approved)],
            ['Declined', shownText(report.requests.declined)],
            ['Median time to a decision', report.requests.medianDaysToDecision === null ? 'too few decisions' : `${report.requests.medianDaysToDecision} days`],
          ]}
        />
        {report.requests.byCategory.length > 0 ? (
          <TableRegion label="Requests by category">
            <table className="report-table">
              <caption>Unblock requests and decisions by category</caption>
              <thead>
                <tr>
                  <th scope="col">Category</th>
                  <th scope="col" className="num">
                    Requested
                  </th>
                  <th scope="col" className="num">
                    Approved
                  </th>
                  <th scope="col" className="num">
                    Declined
                  </th>
                  <th scope="col" className="num">
                    Median days
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.requests.byCategory.map((row) => (
                  <tr key={row.id}>
                    <th scope="row">{row.title}</th>
                    <td className="num">{shownText(row.requested)}</td>
                    <td className="num">{shownText(row.approved)}</td>
                    <td className="num">{shownText(row.declined)}</td>
                    <td className="num">{row.medianDays === null ? '—' : row.medianDays}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        ) : (
          <p>No unblock requests were made this term.</p>
        )}
      </section>

      <section aria-labelledby="incidents-heading">
        <h2 id="incidents-heading">Incidents</h2>
        <p>Incidents opened this term: {shownText(report.incidents.total)}.</p>
        <div className="grid-2">
          <div>
            <h3>By type</h3>
            <CountBars items={report.incidents.byType} label="Incidents by type" />
          </div>
          <div>
            <h3>By outcome</h3>
            <CountBars items={report.incidents.byOutcome} label="Incidents by outcome" />
          </div>
        </div>
      </section>

      <section aria-labelledby="training-heading">
        <h2 id="training-heading">Training and acknowledgement</h2>
        <TableRegion label="Training">
          <table className="report-table">
            <caption>Completion at the end of the term</caption>
            <thead>
              <tr>
                <th scope="col">Course</th>
                <th scope="col" className="num">
                  Required
                </th>
                <th scope="col" className="num">
                  Done
                </th>
                <th scope="col" className="num">
                  Overdue
                </th>
              </tr>
            </thead>
            <tbody>
              {report.training.courses.map((c) => (
                <tr key={c.id}>
                  <th scope="row">{c.title ?? c.id}</th>
                  <td className="num">{formatNumber(c.required)}</td>
                  <td className="num">{formatNumber(c.done)}</td>
                  <td className="num">{formatNumber(c.overdue)}</td>
                </tr>
              ))}
              {report.training.acknowledgement ? (
                <tr>
                  <th scope="row">Acknowledged policy version {report.training.acknowledgement.version}</th>
                  <td className="num">{formatNumber(report.training.acknowledgement.required)}</td>
                  <td className="num">{formatNumber(report.training.acknowledgement.done)}</td>
                  <td className="num">—</td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </TableRegion>
      </section>

      <section aria-labelledby="checks-heading">
        <h2 id="checks-heading">Filter checks</h2>
        <Facts
          items={[
            ['Checks run', formatNumber(report.checks.runs)],
            ['Passed', formatNumber(report.checks.passes)],
            ['Failed', formatNumber(report.checks.failures)],
          ]}
        />
      </section>

      <section aria-labelledby="sanctions-heading">
        <h2 id="sanctions-heading">Sanctions and alerts</h2>
        <Facts
          items={[
            ['Supervised-only sanctions imposed', shownText(report.sanctions.imposed)],
            ['Lifted or ended', shownText(report.sanctions.lifted)],
            ['In force at the end of the term', shownText(report.sanctions.inForce)],
            ['Safeguarding alerts', shownText(report.alerts.total)],
          ]}
        />
        <div className="grid-2">
          <div>
            <h3>Alerts by category</h3>
            <CountBars items={report.alerts.byCategory} label="Alerts by category" />
          </div>
          <div>
            <h3>Alerts by keyword list</h3>
            <CountBars items={report.alerts.byList} label="Alerts by keyword list" />
          </div>
        </div>
      </section>
    </>
  );
}

function ReviewPack({ term, from, to }: { term: string; from: string; to: string }) {
  const [draft, setDraft] = useState({ from, to });
  useEffect(() => setDraft({ from, to }), [from, to]);
  const { data, error, loading } = useApi<ReviewPackAnswer>(withQuery('/api/reports/review-pack', { from, to }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate('governors', { term, from: draft.from, to: draft.to });
  };
  return (
    <section aria-labelledby="pack-heading">
      <h2 id="pack-heading">Annual review evidence pack</h2>
      <p className="hint">The decision register, the filter check log, the overrides and an incidents summary, for the review of the policy. Leave the dates empty for the school year in the calendar.</p>
      <form className="filters" onSubmit={submit} aria-label="Choose the review period">
        <TextField label="From" type="date" value={draft.from} onValue={(v) => setDraft((d) => ({ ...d, from: v }))} />
        <TextField label="To" type="date" value={draft.to} onValue={(v) => setDraft((d) => ({ ...d, to: v }))} />
        <div className="filter-actions">
          <button type="submit" className="button-primary">
            Show
          </button>
        </div>
      </form>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the evidence pack" /> : null}
      {data ? (
        <>
          <Facts
            items={[
              ['Period', `${formatIsoDate(data.period.start)} to ${formatIsoDate(data.period.end)}`],
              ['Decisions on unblock requests', `${formatNumber(data.register.decided)} (${formatNumber(data.register.approved)} approved, ${formatNumber(data.register.declined)} declined)`],
              ['Filter checks', `${formatNumber(data.checks.runs)} run, ${formatNumber(data.checks.failures)} failed`],
              ['Overrides in force during the period', formatNumber(data.overrides)],
              ['Incidents', shownText(data.incidents.total)],
            ]}
          />
          <TableRegion label="Evidence pack files">
            <table className="report-table">
              <caption>Files to download</caption>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col" className="num">
                    Rows
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.files.map((file) => (
                  <tr key={file.id}>
                    <th scope="row">
                      <a href={file.url} download>
                        {file.title}
                      </a>
                    </th>
                    <td className="num">{file.rows === null ? '—' : formatNumber(file.rows)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        </>
      ) : null}
    </section>
  );
}

export function GovernorsPage({ route }: { route: Route }) {
  const term = route.params.get('term') ?? '';
  const from = route.params.get('from') ?? '';
  const to = route.params.get('to') ?? '';
  const { data, error, loading } = useApi<GovernorsAnswer>(withQuery('/api/reports/governors', { term }));
  const terms = data?.terms ?? [];
  const chosen = data?.report.term.name ?? term;

  return (
    <>
      <h1 tabIndex={-1}>Governors' report</h1>
      <p className="lead">The termly figures the Governing Board needs to oversee the e-safety policy (1.1), and the evidence for its annual review. Counts only: no child is named.</p>
      {terms.length > 0 ? (
        <form className="filters" aria-label="Choose the term" onSubmit={(e) => e.preventDefault()}>
          <SelectField label="Term" value={chosen} onValue={(value) => navigate('governors', { term: value, from, to })} options={terms.map((t) => ({ id: t.name, title: t.name }))} />
        </form>
      ) : null}
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the report" /> : null}
      {data ? <TermReport answer={data} /> : null}
      <ReviewPack term={term} from={from} to={to} />
    </>
  );
}
