// Safeguarding alerts (DfE monitoring standard): attempts in high-risk categories and searches
// matching the keyword lists, for the safeguarding roles. Filters live in the address; one alert
// opens beside the list with the events counted on it and how its notification was delivered,
// and is acknowledged, then closed with a note. Opening an alert is recorded in the audit log.
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, withQuery } from './api-client.ts';
import type { AlertDetail, AlertDigestInfo, AlertList, SafeguardingAlert } from './alerts-types.ts';
import { ChoiceField, SelectField, TextArea, TextField } from './controls.tsx';
import { formatDateTime, fromLocalInput, toLocalInput, type Named } from './format.ts';
import { hrefFor, navigate, type Route } from './hash-route.ts';
import { Pager } from './pager.tsx';
import { usePolicyNames, type PolicyNames } from './policy-names.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

const FILTERS = ['state', 'kind', 'group', 'person', 'from', 'to'] as const;
type FilterName = (typeof FILTERS)[number];
type Filters = Record<FilterName, string>;

const STATES: Named[] = [
  { id: 'open', title: 'Open (new or acknowledged)', extra: {} },
  { id: 'new', title: 'New', extra: {} },
  { id: 'acknowledged', title: 'Acknowledged', extra: {} },
  { id: 'closed', title: 'Closed', extra: {} },
  { id: 'all', title: 'All', extra: {} },
];

const KINDS: Named[] = [
  { id: 'category', title: 'Attempt in a category', extra: {} },
  { id: 'rule', title: 'Attempt caught by a rule', extra: {} },
  { id: 'keyword', title: 'Search matching a keyword list', extra: {} },
];

const STATE_WORDS: Record<string, string> = { new: 'New', acknowledged: 'Acknowledged', closed: 'Closed' };
const MAIL_WORDS: Record<string, string> = { pending: 'Waiting to send', sent: 'Sent', failed: 'Failed', none: 'Inbox only' };

function filtersFrom(params: URLSearchParams): Filters {
  const out = {} as Filters;
  for (const name of FILTERS) out[name] = params.get(name) ?? '';
  return out;
}

function paramsOf(filters: Filters, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FILTERS) if (filters[name]) out[name] = filters[name];
  return { ...out, ...extra };
}

function who(alert: SafeguardingAlert, names: PolicyNames): ReactNode {
  const groups = alert.groups.map((g) => names.title('groups', g)).join(', ');
  return (
    <>
      {alert.person ? (alert.personName ?? alert.person) : <span className="muted">Not signed in ({alert.clientIp ?? 'address unknown'})</span>}
      <span className="cell-note">
        {names.title('roles', alert.role)}
        {groups ? ` · ${groups}` : ''}
      </span>
    </>
  );
}

function what(alert: SafeguardingAlert): ReactNode {
  return (
    <>
      {alert.subjectTitle}
      <span className="cell-note">
        {alert.kind === 'keyword' ? `Search: “${alert.matched ?? alert.term ?? ''}”` : alert.kind === 'rule' ? `Rule ${alert.rule}, ${alert.action}` : `Category, ${alert.action}`}
      </span>
    </>
  );
}

export function AlertsPage({ route }: { route: Route }) {
  const session = useSession();
  const names = usePolicyNames(session.can('policy.read'));
  const applied = filtersFrom(route.params);
  const selected = route.params.get('alert');
  const appliedKey = JSON.stringify(applied);
  const [draft, setDraft] = useState<Filters>(applied);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    setDraft(filtersFrom(route.params));
    setCursors([null]);
  }, [appliedKey]);

  const cursor = cursors[cursors.length - 1] ?? null;
  const { data, error, loading, reload } = useApi<AlertList>(withQuery('/api/alerts', { ...paramsOf(applied), cursor, limit: 50 }));
  const digest = useApi<AlertDigestInfo>('/api/alerts/digest');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate('alerts', paramsOf(draft));
  };
  const set = (name: FilterName) => (value: string) => setDraft((d) => ({ ...d, [name]: value }));
  const setTime = (name: 'from' | 'to') => (value: string) => setDraft((d) => ({ ...d, [name]: value ? String(fromLocalInput(value) ?? '') : '' }));

  return (
    <>
      <h1 tabIndex={-1}>Safeguarding alerts</h1>
      <p className="lead">
        Attempts to reach high-risk sites and searches that match the safeguarding keyword lists. Repeats within the policy's window are counted on one alert. Opening an alert is recorded in
        the audit log.
      </p>
      {done ? <Success>{done}</Success> : null}
      {data ? (
        <p>
          <strong>{data.counts.new}</strong> new and <strong>{data.counts.acknowledged}</strong> acknowledged {data.counts.new + data.counts.acknowledged === 1 ? 'alert is' : 'alerts are'} open.
        </p>
      ) : null}

      {selected ? (
        <AlertPanel
          id={selected}
          names={names}
          onClose={() => navigate('alerts', paramsOf(applied))}
          onChanged={(text) => {
            setDone(text);
            reload();
          }}
        />
      ) : null}

      <form className="filters" onSubmit={submit} aria-label="Filter the alerts">
        <SelectField label="State" value={draft.state || 'open'} onValue={set('state')} options={STATES} />
        <SelectField label="Kind" value={draft.kind} onValue={set('kind')} options={KINDS} empty="Any kind" />
        <ChoiceField label="Group or class" value={draft.group} onValue={set('group')} options={names.groups} empty="Any group" />
        <TextField label="Person (username)" value={draft.person} onValue={set('person')} autoCapitalize="none" spellCheck={false} />
        <TextField label="From" type="datetime-local" value={draft.from ? toLocalInput(Number(draft.from)) : ''} onValue={setTime('from')} />
        <TextField label="To" type="datetime-local" value={draft.to ? toLocalInput(Number(draft.to)) : ''} onValue={setTime('to')} />
        <div className="filter-actions">
          <button type="submit" className="button-primary">
            Show
          </button>
          <button type="button" onClick={() => navigate('alerts', {})}>
            Clear
          </button>
        </div>
      </form>

      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="alerts" /> : null}
      {data ? (
        <section aria-labelledby="alerts-heading" aria-busy={loading}>
          <h2 id="alerts-heading">
            Alerts <span className="muted">(page {cursors.length}, newest first)</span>
          </h2>
          {data.items.length === 0 ? (
            <p>No alerts match.</p>
          ) : (
            <TableRegion label="Alerts">
              <table>
                <caption className="visually-hidden">Safeguarding alerts, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">First seen</th>
                    <th scope="col">Who</th>
                    <th scope="col">What</th>
                    <th scope="col">Where</th>
                    <th scope="col" className="num">
                      Times
                    </th>
                    <th scope="col">State</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((alert) => (
                    <tr key={alert.id} aria-current={alert.id === selected ? 'true' : undefined}>
                      <td className="nowrap">
                        {formatDateTime(alert.firstAt)}
                        {alert.count > 1 ? <span className="cell-note">last {formatDateTime(alert.lastAt)}</span> : null}
                      </td>
                      <td>{who(alert, names)}</td>
                      <td>{what(alert)}</td>
                      <td className="break">
                        <code>{alert.host}</code>
                        {alert.device ? <span className="cell-note">Device {alert.device}</span> : null}
                      </td>
                      <td className="num">{alert.count}</td>
                      <td>{alert.state === 'new' ? <span className="tag">New</span> : STATE_WORDS[alert.state]}</td>
                      <td>
                        <a className="button button-small" href={hrefFor('alerts', paramsOf(applied, { alert: alert.id }))}>
                          Open<span className="visually-hidden"> the alert of {formatDateTime(alert.firstAt)}: {alert.subjectTitle}</span>
                        </a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )}
          <Pager label="Pages of alerts" cursors={cursors} nextCursor={data.nextCursor} onChange={setCursors} />
        </section>
      ) : null}

      <section aria-labelledby="digest-heading" className="panel">
        <h2 id="digest-heading">Weekly digest</h2>
        <ErrorMessage error={digest.error} />
        {digest.data ? (
          <dl className="facts">
            <div>
              <dt>Next digest</dt>
              <dd>{digest.data.nextRun ? formatDateTime(digest.data.nextRun) : 'The policy sets no weekly digest'}</dd>
            </div>
            <div>
              <dt>Last sent</dt>
              <dd>{digest.data.last ? `${formatDateTime(digest.data.last.sentAt)} (covering ${formatDateTime(digest.data.last.periodFrom)} to ${formatDateTime(digest.data.last.periodTo)})` : 'Not yet'}</dd>
            </div>
          </dl>
        ) : null}
        <p className="hint">The digest gives counts by category and keyword list, the groups with most alerts and the open alerts. It names no one.</p>
      </section>
    </>
  );
}

function AlertPanel({ id, names, onClose, onChanged }: { id: string; names: PolicyNames; onClose(): void; onChanged(text: string): void }) {
  const { data, error, loading, reload } = useApi<AlertDetail>(`/api/alerts/${encodeURIComponent(id)}`);
  const alert = data?.alert;
  return (
    <section className="panel panel-wide" aria-labelledby="alert-heading">
      <div className="results-bar">
        <h2 id="alert-heading">{alert ? `Alert: ${alert.subjectTitle}` : 'Alert'}</h2>
        <button type="button" onClick={onClose}>
          Close the details
        </button>
      </div>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the alert" /> : null}
      {alert && data ? (
        <>
          <dl className="facts">
            <div>
              <dt>Who</dt>
              <dd>{who(alert, names)}</dd>
            </div>
            <div>
              <dt>What</dt>
              <dd>{what(alert)}</dd>
            </div>
            {alert.searchTerm ? (
              <div>
                <dt>Search</dt>
                <dd className="break">{alert.searchTerm}</dd>
              </div>
            ) : null}
            <div>
              <dt>Where</dt>
              <dd className="break">
                {alert.url ?? alert.host}
                {alert.device || alert.clientIp ? <span className="cell-note">{[alert.device ? `Device ${alert.device}` : null, alert.clientIp ? `Address ${alert.clientIp}` : null].filter(Boolean).join(' · ')}</span> : null}
              </dd>
            </div>
            <div>
              <dt>When</dt>
              <dd>
                {formatDateTime(alert.firstAt)}
                {alert.count > 1 ? ` and ${alert.count - 1} more ${alert.count === 2 ? 'time' : 'times'} until ${formatDateTime(alert.lastAt)}` : ''}
              </dd>
            </div>
            <div>
              <dt>Reference</dt>
              <dd>
                <code>{alert.eventId}</code>
                {alert.clauses.length > 0 ? <span className="cell-note">Clause {alert.clauses.join(', ')}</span> : null}
              </dd>
            </div>
            <div>
              <dt>State</dt>
              <dd>
                {STATE_WORDS[alert.state]}
                {alert.acknowledgedBy ? <span className="cell-note">Acknowledged by {alert.acknowledgedBy} {formatDateTime(alert.acknowledgedAt)}{alert.acknowledgeNote ? `: ${alert.acknowledgeNote}` : ''}</span> : null}
                {alert.closedBy ? <span className="cell-note">Closed by {alert.closedBy} {formatDateTime(alert.closedAt)}: {alert.closeNote}</span> : null}
              </dd>
            </div>
          </dl>

          {alert.state !== 'closed' ? (
            <HandleForm
              alert={alert}
              onDone={(text) => {
                reload();
                onChanged(text);
              }}
            />
          ) : null}

          <h3>Attempts counted</h3>
          <TableRegion label="Attempts counted">
            <table>
              <caption className="visually-hidden">Every attempt counted on this alert, oldest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Site</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Matched</th>
                </tr>
              </thead>
              <tbody>
                {data.events.map((e) => (
                  <tr key={e.eventId}>
                    <td className="nowrap">{formatDateTime(e.at)}</td>
                    <td className="break">
                      <code>{e.host}</code>
                    </td>
                    <td>{e.action}</td>
                    <td>{e.matched ?? <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>

          <h3>Who was told</h3>
          {data.deliveries.length === 0 ? (
            <p>No one has been told yet: the announcement is waiting to be written.</p>
          ) : (
            <TableRegion label="Who was told">
              <table>
                <caption className="visually-hidden">The people this alert was sent to, and how the mail fared</caption>
                <thead>
                  <tr>
                    <th scope="col">Recipient</th>
                    <th scope="col">Inbox</th>
                    <th scope="col">Mail</th>
                  </tr>
                </thead>
                <tbody>
                  {data.deliveries.map((d, i) => (
                    <tr key={`${d.username ?? d.email ?? ''}-${i}`}>
                      <td>
                        {d.username ?? d.email}
                        {d.username && d.email ? <span className="cell-note">{d.email}</span> : null}
                      </td>
                      <td>{d.username ? (d.readAt ? `Read ${formatDateTime(d.readAt)}` : 'Not read yet') : '—'}</td>
                      <td>
                        {MAIL_WORDS[d.mailStatus] ?? d.mailStatus}
                        {d.sentAt ? <span className="cell-note">{formatDateTime(d.sentAt)}</span> : null}
                        {d.lastError ? (
                          <span className="cell-note">
                            After {d.attempts} {d.attempts === 1 ? 'try' : 'tries'}: {d.lastError}
                          </span>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )}
        </>
      ) : null}
    </section>
  );
}

function HandleForm({ alert, onDone }: { alert: SafeguardingAlert; onDone(text: string): void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const act = async (kind: 'acknowledge' | 'close') => {
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/alerts/${encodeURIComponent(alert.id)}/${kind}`, kind === 'close' ? { note: note.trim() } : note.trim() ? { note: note.trim() } : {});
      setNote('');
      onDone(kind === 'close' ? `The alert “${alert.subjectTitle}” was closed.` : `The alert “${alert.subjectTitle}” was acknowledged.`);
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="stack"
      aria-label="Handle this alert"
      onSubmit={(e) => {
        e.preventDefault();
        void act('close');
      }}
    >
      <TextArea
        label="Note"
        hint={alert.state === 'new' ? 'Optional when acknowledging; required when closing: what was done, or why nothing needed doing' : 'Required when closing: what was done, or why nothing needed doing'}
        value={note}
        onValue={setNote}
        rows={3}
        maxLength={2000}
      />
      <ErrorMessage error={error} title="The alert was not changed" />
      <div className="button-row">
        {alert.state === 'new' ? (
          <button type="button" disabled={busy} onClick={() => void act('acknowledge')}>
            Acknowledge
          </button>
        ) : null}
        <button type="submit" className="button-primary" disabled={busy || note.trim() === ''}>
          Close with this note
        </button>
      </div>
    </form>
  );
}
