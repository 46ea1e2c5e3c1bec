// Requests and reports: ask for a site to be unblocked and follow the request (8.4); the e-safety
// team recommends and the headteacher decides, with a scope and an end (8.5); report a site
// (6.14, 8.3), a contact attempt between staff and a pupil or parent (6.4, 6.5, 7.3, 7.4), or
// tell a teacher (7.8), and handle the reports sent to you; read the register of what is allowed
// or blocked and why, and the overblocking figures. The API decides who may do what; this page
// only offers the steps it says are open to the account.
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, withQuery } from './api-client.ts';
import type { Page } from './api-types.ts';
import { problemFor, SelectField, TextArea, TextField } from './controls.tsx';
import { formatDateTime, formatNumber } from './format.ts';
import { hrefFor, navigate, type Route } from './hash-route.ts';
import { usePolicyNames, type PolicyNames } from './policy-names.ts';
import {
  DIRECTION_WORDS,
  OUTCOME_WORDS,
  REPORT_KIND_WORDS,
  REPORT_STATE_WORDS,
  UNBLOCK_STATE_WORDS,
  type ApprovalScope,
  type CaseReport,
  type ContactDirection,
  type OverblockingFigures,
  type RegisterEntry,
  type ReportKind,
  type ReportOutcome,
  type UnblockRequest,
} from './requests-types.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

type View = 'requests' | 'reports' | 'register';

function asApiError(reason: unknown): ApiError {
  return reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []);
}

function hours(ms: number | null): string {
  if (ms === null) return '—';
  const h = ms / 3_600_000;
  return h < 48 ? `${h.toFixed(1)} hours` : `${(h / 24).toFixed(1)} days`;
}

function whoAsked(person: string | null, role: string, names: PolicyNames): string {
  return person ?? `Not known by name (${names.title('roles', role)} network)`;
}

function scopeWords(scope: ApprovalScope, requester: string | null, names: PolicyNames): string {
  switch (scope.type) {
    case 'requester':
      return `Only ${requester ?? 'the requester'}`;
    case 'group':
      return names.title('groups', scope.group);
    case 'role':
      return `Everyone with the role ${names.title('roles', scope.role)}`;
    case 'role-set':
      return `All ${scope.roleSet}`;
  }
}

function routedWords(report: CaseReport, names: PolicyNames): string {
  const parts = [
    ...report.routedTo.roles.map((r) => names.title('roles', r)),
    ...report.routedTo.people,
    ...(report.routedTo.groups.length > 0 ? [`teachers of ${report.routedTo.groups.map((g) => names.title('groups', g)).join(', ')}`] : []),
  ];
  return parts.join('; ') || '—';
}

/** Midnight at the start of a `YYYY-MM-DD` day in the browser's zone, or null. */
function dayStart(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const ms = new Date(`${value}T00:00`).getTime();
  return Number.isFinite(ms) ? ms : null;
}

export function RequestsPage({ route }: { route: Route }) {
  const session = useSession();
  const views: Array<{ id: View; label: string }> = [
    ...(session.can('requests.create') ? [{ id: 'requests' as const, label: 'Unblock requests' }, { id: 'reports' as const, label: 'Reports' }] : []),
    ...(session.can('register.read') ? [{ id: 'register' as const, label: 'Register and figures' }] : []),
  ];
  const asked = route.params.get('view');
  const view: View = route.params.get('id') ? 'requests' : route.params.get('report') ? 'reports' : (views.find((v) => v.id === asked)?.id ?? views[0]?.id ?? 'requests');
  const names = usePolicyNames(session.can('policy.read'));

  return (
    <>
      <h1 tabIndex={-1}>Requests and reports</h1>
      <p className="lead">
        Ask for a blocked site to be opened (the e-safety team reviews, the headteacher decides: clauses 8.4 and 8.5), report a site or a contact attempt, and follow
        what happened.
      </p>
      {views.length > 1 ? (
        <fieldset className="segmented">
          <legend>Show</legend>
          {views.map((v) => (
            <div className="choice" key={v.id}>
              <input type="radio" id={`requests-view-${v.id}`} name="requests-view" checked={view === v.id} onChange={() => navigate('requests', { view: v.id })} />
              <label htmlFor={`requests-view-${v.id}`}>{v.label}</label>
            </div>
          ))}
        </fieldset>
      ) : null}
      {views.length === 0 ? <p>You do not have permission to make or see requests.</p> : null}
      {view === 'requests' && session.can('requests.create') ? <RequestsView route={route} names={names} /> : null}
      {view === 'reports' && session.can('requests.create') ? <ReportsView route={route} names={names} /> : null}
      {view === 'register' && session.can('register.read') ? <RegisterView names={names} /> : null}
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Unblock requests

function RequestsView({ route, names }: { route: Route; names: PolicyNames }) {
  const id = route.params.get('id');
  if (id) return <RequestDetail key={id} id={id} names={names} />;
  return <RequestList route={route} names={names} />;
}

function RequestList({ route, names }: { route: Route; names: PolicyNames }) {
  const session = useSession();
  const seesAll = session.canAny('requests.review', 'requests.decide');
  const state = route.params.get('state') ?? 'open';
  const overdue = route.params.get('overdue') === 'true';
  const path = withQuery('/api/requests', { state: state === 'all' ? null : state, overdue: overdue ? 'true' : null });
  const { data, error, loading, reload } = useApi<Page<UnblockRequest>>(path);
  const [done, setDone] = useState<string | null>(null);
  const go = (params: Record<string, string | null>) => navigate('requests', { view: 'requests', state, overdue: overdue ? 'true' : null, ...params });

  return (
    <>
      {done ? <Success>{done}</Success> : null}
      <AskForm
        onAsked={(request) => {
          setDone(`Your request for ${request.host} was sent to the e-safety team.`);
          reload();
        }}
      />
      <section aria-labelledby="requests-heading">
        <h2 id="requests-heading">{seesAll ? 'Unblock requests' : 'Your unblock requests'}</h2>
        <div className="filters">
          <SelectField
            label="State"
            value={state}
            onValue={(value) => go({ state: value })}
            options={[
              { id: 'open', title: 'Waiting (review or decision)' },
              { id: 'approved', title: 'Approved and in force' },
              { id: 'declined', title: 'Declined' },
              { id: 'expired', title: 'Approval ended' },
              { id: 'withdrawn', title: 'Withdrawn' },
              { id: 'all', title: 'All' },
            ]}
          />
          <div className="choice">
            <input type="checkbox" id="requests-overdue" checked={overdue} onChange={(e) => go({ overdue: e.target.checked ? 'true' : null })} />
            <label htmlFor="requests-overdue">Overdue only</label>
          </div>
        </div>
        <ErrorMessage error={error} />
        {loading && !data ? <Loading what="requests" /> : null}
        {data && data.items.length === 0 ? <p>No requests to show.</p> : null}
        {data && data.items.length > 0 ? (
          <TableRegion label="Unblock requests">
            <table>
              <caption className="visually-hidden">Unblock requests, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Asked</th>
                  <th scope="col">Address</th>
                  {seesAll ? <th scope="col">Who</th> : null}
                  <th scope="col">Reason</th>
                  <th scope="col">State</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((r) => (
                  <tr key={r.id}>
                    <td className="nowrap">{formatDateTime(r.createdAt)}</td>
                    <td className="break">{r.host}</td>
                    {seesAll ? <td>{whoAsked(r.requester, r.requesterRole, names)}</td> : null}
                    <td className="cell-note">{r.reason || '—'}</td>
                    <td>
                      {UNBLOCK_STATE_WORDS[r.state]}
                      {r.overdue ? (
                        <>
                          {' '}
                          <span className="badge badge-warn">Overdue</span>
                        </>
                      ) : null}
                    </td>
                    <td>
                      <a href={hrefFor('requests', { id: r.id })}>
                        Open<span className="visually-hidden"> the request for {r.host}</span>
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        ) : null}
      </section>
    </>
  );
}

function AskForm({ onAsked }: { onAsked(request: UnblockRequest): void }) {
  const [url, setUrl] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const request = await api.post<UnblockRequest>('/api/requests', { url: url.trim(), reason: reason.trim() });
      setUrl('');
      setReason('');
      onAsked(request);
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="ask-heading">
      <h2 id="ask-heading">Ask for a site to be unblocked</h2>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <TextField label="Address" hint="e.g. https://www.example.org/page" value={url} onValue={setUrl} autoCapitalize="none" spellCheck={false} required problem={problemFor(error?.problems, 'url')} />
        <TextArea label="Why is it needed?" value={reason} onValue={setReason} rows={2} required maxLength={1000} problem={problemFor(error?.problems, 'reason')} />
        <ErrorMessage error={error} title="The request was not sent" />
        <div className="button-row">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Sending…' : 'Send the request'}
          </button>
        </div>
      </form>
    </section>
  );
}

function Facts({ items }: { items: Array<[string, ReactNode]> }) {
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

function RequestDetail({ id, names }: { id: string; names: PolicyNames }) {
  const { data, error, loading, reload } = useApi<UnblockRequest>(`/api/requests/${encodeURIComponent(id)}`);
  const [done, setDone] = useState<string | null>(null);
  const changed = (text: string) => {
    setDone(text);
    reload();
  };
  return (
    <section aria-labelledby="request-heading">
      <p>
        <a href={hrefFor('requests', { view: 'requests' })}>Back to the requests</a>
      </p>
      <h2 id="request-heading">Request to unblock {data?.host ?? ''}</h2>
      {done ? <Success>{done}</Success> : null}
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the request" /> : null}
      {data ? (
        <>
          <Facts
            items={[
              ['State', `${UNBLOCK_STATE_WORDS[data.state]}${data.overdue ? ' (overdue)' : ''}`],
              ['Address', <code key="url" className="break">{data.url}</code>],
              ['Asked by', whoAsked(data.requester, data.requesterRole, names)],
              ['Asked', formatDateTime(data.createdAt)],
              ['Reason', data.reason || '—'],
              ['Categories', data.categories.map((c) => names.title('categories', c)).join(', ') || 'None'],
              ['Blocked under clause', data.clauses.join(', ') || '—'],
              ['Decision due', formatDateTime(data.dueAt)],
              ...(data.recommendation
                ? ([['Recommendation', `${data.recommendation.value === 'approve' ? 'Approve' : 'Decline'}, by ${data.recommendation.by} on ${formatDateTime(data.recommendation.at)}: ${data.recommendation.note}`]] as Array<[string, ReactNode]>)
                : []),
              ...(data.decision
                ? ([['Decision', `${data.decision.value === 'approved' ? 'Approved' : 'Declined'} by ${data.decision.by} on ${formatDateTime(data.decision.at)}${data.decision.note ? `: ${data.decision.note}` : ''}`]] as Array<[string, ReactNode]>)
                : []),
              ...(data.approval
                ? ([
                    ['Open to', scopeWords(data.approval.scope, data.requester, names)],
                    ['Site opened', data.approval.site],
                    ['Until', formatDateTime(data.approval.until)],
                  ] as Array<[string, ReactNode]>)
                : []),
            ]}
          />
          {data.allowed.recommend ? <RecommendForm request={data} onDone={changed} /> : null}
          {data.allowed.decide ? <DecideForms request={data} names={names} onDone={changed} /> : null}
          {data.allowed.withdraw ? <WithdrawForm request={data} onDone={changed} /> : null}
        </>
      ) : null}
    </section>
  );
}

function RecommendForm({ request, onDone }: { request: UnblockRequest; onDone(text: string): void }) {
  const [value, setValue] = useState<'approve' | 'decline'>('approve');
  const [note, setNote] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await api.post(`/api/requests/${encodeURIComponent(request.id)}/recommend`, { recommendation: value, note: note.trim() });
      onDone('Your recommendation was sent to the headteacher.');
    } catch (reason) {
      setError(asApiError(reason));
    }
  };
  return (
    <section className="panel" aria-labelledby="recommend-heading">
      <h3 id="recommend-heading">Recommend a decision (8.4)</h3>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <fieldset className="segmented">
          <legend>Recommendation</legend>
          {(['approve', 'decline'] as const).map((v) => (
            <div className="choice" key={v}>
              <input type="radio" id={`recommend-${v}`} name="recommendation" checked={value === v} onChange={() => setValue(v)} />
              <label htmlFor={`recommend-${v}`}>{v === 'approve' ? 'Approve' : 'Decline'}</label>
            </div>
          ))}
        </fieldset>
        <TextArea label="Note for the decider" value={note} onValue={setNote} rows={2} required maxLength={1000} problem={problemFor(error?.problems, 'note')} />
        <ErrorMessage error={error} title="The recommendation was not recorded" />
        <div className="button-row">
          <button type="submit" className="button-primary">
            Send the recommendation
          </button>
        </div>
      </form>
    </section>
  );
}

function DecideForms({ request, names, onDone }: { request: UnblockRequest; names: PolicyNames; onDone(text: string): void }) {
  const [scopeType, setScopeType] = useState<ApprovalScope['type']>(request.requester ? 'requester' : 'group');
  const [group, setGroup] = useState('');
  const [role, setRole] = useState('');
  const [roleSet, setRoleSet] = useState('staff');
  const [days, setDays] = useState('30');
  const [site, setSite] = useState('');
  const [note, setNote] = useState('');
  const [declineReason, setDeclineReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const chosenGroup = group || names.groups[0]?.id || '';
  const chosenRole = role || names.roles[0]?.id || '';

  const approve = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const scope: ApprovalScope =
      scopeType === 'requester'
        ? { type: 'requester' }
        : scopeType === 'group'
          ? { type: 'group', group: chosenGroup }
          : scopeType === 'role'
            ? { type: 'role', role: chosenRole }
            : { type: 'role-set', roleSet: roleSet.trim() };
    try {
      await api.post(`/api/requests/${encodeURIComponent(request.id)}/approve`, {
        scope,
        duration: `${Number(days)}d`,
        ...(site.trim() ? { site: site.trim() } : {}),
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      // only the first letter: the rest names a class, a role or a person as the policy writes it
      const to = scopeWords(scope, request.requester, names);
      onDone(`Approved: ${site.trim() || request.host} is open now for ${to.charAt(0).toLowerCase()}${to.slice(1)}, for ${days} days.`);
    } catch (reason) {
      setError(asApiError(reason));
    }
  };
  const decline = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await api.post(`/api/requests/${encodeURIComponent(request.id)}/decline`, { reason: declineReason.trim() });
      onDone('Declined. The requester is told your reason.');
    } catch (reason) {
      setError(asApiError(reason));
    }
  };
  return (
    <section className="panel" aria-labelledby="decide-heading">
      <h3 id="decide-heading">Decide (8.5)</h3>
      {!request.recommendation ? <p className="hint">The e-safety team has not recommended yet; you may decide without a recommendation.</p> : null}
      <ErrorMessage error={error} title="The decision was not recorded" />
      <form onSubmit={(e) => void approve(e)} className="grant-form" aria-labelledby="approve-heading">
        <h4 id="approve-heading" className="field-wide">
          Approve
        </h4>
        <div className="grant-step">
          <fieldset className="segmented">
            <legend>Open it to</legend>
            {(
              [
                ['requester', 'The requester'],
                ['group', 'A class or group'],
                ['role', 'A role (all pupils)'],
                ['role-set', 'A role set (all staff)'],
              ] as const
            ).map(([k, label]) => (
              <div className="choice" key={k}>
                <input type="radio" id={`scope-${k}`} name="approve-scope" checked={scopeType === k} disabled={k === 'requester' && !request.requester} onChange={() => setScopeType(k)} />
                <label htmlFor={`scope-${k}`}>{label}</label>
              </div>
            ))}
          </fieldset>
          {scopeType === 'group' ? (
            names.groups.length > 0 ? (
              <SelectField label="Class or group" value={chosenGroup} onValue={setGroup} options={names.groups} problem={problemFor(error?.problems, 'scope')} />
            ) : (
              <TextField label="Class or group" value={group} onValue={setGroup} required problem={problemFor(error?.problems, 'scope')} />
            )
          ) : null}
          {scopeType === 'role' ? (
            names.roles.length > 0 ? (
              <SelectField label="Role" value={chosenRole} onValue={setRole} options={names.roles} problem={problemFor(error?.problems, 'scope')} />
            ) : (
              <TextField label="Role" value={role} onValue={setRole} required problem={problemFor(error?.problems, 'scope')} />
            )
          ) : null}
          {scopeType === 'role-set' ? <TextField label="Role set" hint="e.g. staff" value={roleSet} onValue={setRoleSet} required problem={problemFor(error?.problems, 'scope')} /> : null}
        </div>
        <div className="grant-step">
          <TextField label="For how many days" type="number" min={1} max={365} value={days} onValue={setDays} required problem={problemFor(error?.problems, 'until')} />
          <TextField
            label="Site to open"
            hint={`Leave empty for ${request.host}, or give a domain it is under`}
            value={site}
            onValue={setSite}
            autoCapitalize="none"
            spellCheck={false}
            problem={problemFor(error?.problems, 'site')}
          />
        </div>
        <TextArea label="Note (optional)" value={note} onValue={setNote} rows={2} maxLength={1000} className="field-wide" />
        <div className="button-row field-wide">
          <button type="submit" className="button-primary">
            Approve
          </button>
        </div>
      </form>
      <hr />
      <form onSubmit={(e) => void decline(e)} className="stack" aria-labelledby="decline-heading">
        <h4 id="decline-heading">Decline</h4>
        <TextArea label="Reason, for the requester" value={declineReason} onValue={setDeclineReason} rows={2} required maxLength={1000} problem={problemFor(error?.problems, 'reason')} />
        <div className="button-row">
          <button type="submit" className="button-danger">
            Decline
          </button>
        </div>
      </form>
    </section>
  );
}

function WithdrawForm({ request, onDone }: { request: UnblockRequest; onDone(text: string): void }) {
  const [error, setError] = useState<ApiError | null>(null);
  const withdraw = async () => {
    setError(null);
    try {
      await api.post(`/api/requests/${encodeURIComponent(request.id)}/withdraw`);
      onDone('Your request was withdrawn.');
    } catch (reason) {
      setError(asApiError(reason));
    }
  };
  return (
    <div className="button-row">
      <ErrorMessage error={error} />
      <button type="button" onClick={() => void withdraw()}>
        Withdraw my request
      </button>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Reports

function ReportsView({ route, names }: { route: Route; names: PolicyNames }) {
  const id = route.params.get('report');
  if (id) return <ReportDetail key={id} id={id} names={names} />;
  return <ReportList route={route} names={names} />;
}

function ReportList({ route, names }: { route: Route; names: PolicyNames }) {
  const session = useSession();
  const handles = session.can('reports.handle');
  const state = route.params.get('state') ?? 'active';
  const mine = route.params.get('mine') ?? '';
  const { data, error, loading, reload } = useApi<Page<CaseReport>>(withQuery('/api/case-reports', { state: state === 'all' ? null : state, mine: mine || null }));
  const [done, setDone] = useState<string | null>(null);
  const go = (params: Record<string, string | null>) => navigate('requests', { view: 'reports', state, mine: mine || null, ...params });
  return (
    <>
      {done ? <Success>{done}</Success> : null}
      <ReportForm
        onMade={(report) => {
          setDone(`Your report was sent (${REPORT_KIND_WORDS[report.kind].toLowerCase()}).`);
          reload();
        }}
      />
      <section aria-labelledby="reports-heading">
        <h2 id="reports-heading">{handles ? 'Reports sent to you and your own' : 'Your reports'}</h2>
        <div className="filters">
          <SelectField
            label="State"
            value={state}
            onValue={(value) => go({ state: value })}
            options={[
              { id: 'active', title: 'Open or acknowledged' },
              { id: 'open', title: 'Open' },
              { id: 'closed', title: 'Closed' },
              { id: 'all', title: 'All' },
            ]}
          />
          {handles ? (
            <SelectField
              label="Whose"
              value={mine}
              onValue={(value) => go({ mine: value || null })}
              options={[
                { id: 'routed', title: 'Sent to me' },
                { id: 'made', title: 'Made by me' },
              ]}
              empty="Both"
            />
          ) : null}
        </div>
        <ErrorMessage error={error} />
        {loading && !data ? <Loading what="reports" /> : null}
        {data && data.items.length === 0 ? <p>No reports to show.</p> : null}
        {data && data.items.length > 0 ? (
          <TableRegion label="Reports">
            <table>
              <caption className="visually-hidden">Reports, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Made</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Address</th>
                  <th scope="col">By</th>
                  <th scope="col">Sent to</th>
                  <th scope="col">State</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((r) => (
                  <tr key={r.id}>
                    <td className="nowrap">{formatDateTime(r.createdAt)}</td>
                    <td>{REPORT_KIND_WORDS[r.kind]}</td>
                    <td className="break">{r.host ?? '—'}</td>
                    <td>{whoAsked(r.reporter, r.reporterRole, names)}</td>
                    <td>{routedWords(r, names)}</td>
                    <td>
                      {REPORT_STATE_WORDS[r.state]}
                      {r.overdue ? (
                        <>
                          {' '}
                          <span className="badge badge-warn">Overdue</span>
                        </>
                      ) : null}
                    </td>
                    <td>
                      <a href={hrefFor('requests', { report: r.id })}>
                        Open<span className="visually-hidden"> the {REPORT_KIND_WORDS[r.kind].toLowerCase()} of {formatDateTime(r.createdAt)}</span>
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        ) : null}
      </section>
    </>
  );
}

function ReportForm({ onMade }: { onMade(report: CaseReport): void }) {
  const [kind, setKind] = useState<ReportKind>('site-report');
  const [url, setUrl] = useState('');
  const [message, setMessage] = useState('');
  const [platform, setPlatform] = useState('');
  const [otherParty, setOtherParty] = useState('');
  const [direction, setDirection] = useState<ContactDirection>('pupil-or-parent-to-staff');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const report = await api.post<CaseReport>('/api/case-reports', {
        kind,
        ...(url.trim() ? { url: url.trim() } : {}),
        message: message.trim(),
        ...(kind === 'contact-attempt' ? { contact: { platform: platform.trim(), otherParty: otherParty.trim(), direction } } : {}),
      });
      setUrl('');
      setMessage('');
      setPlatform('');
      setOtherParty('');
      onMade(report);
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="report-heading">
      <h2 id="report-heading">Make a report</h2>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <SelectField
          label="What are you reporting?"
          value={kind}
          onValue={(value) => setKind(value as ReportKind)}
          options={[
            { id: 'site-report', title: 'A site with inappropriate content (6.14, 8.3)' },
            { id: 'contact-attempt', title: 'Contact or a friend request between staff and a pupil or parent (6.4, 6.5, 7.3, 7.4)' },
            { id: 'tell-teacher', title: 'Something that worried me: tell a teacher (7.8)' },
            { id: 'accident', title: 'I reached a site by accident' },
          ]}
        />
        {kind === 'site-report' || kind === 'accident' ? (
          <TextField label="Address" hint="e.g. https://www.example.org/page" value={url} onValue={setUrl} autoCapitalize="none" spellCheck={false} required={kind === 'site-report'} problem={problemFor(error?.problems, 'url')} />
        ) : null}
        {kind === 'contact-attempt' ? (
          <>
            <TextField label="Platform" hint="e.g. Facebook, WhatsApp" value={platform} onValue={setPlatform} required problem={problemFor(error?.problems, 'contact.platform')} />
            <TextField label="Who was on the other side" hint="A name or a description" value={otherParty} onValue={setOtherParty} required problem={problemFor(error?.problems, 'contact.otherParty')} />
            <SelectField
              label="Which way"
              value={direction}
              onValue={(value) => setDirection(value as ContactDirection)}
              options={Object.entries(DIRECTION_WORDS).map(([id, title]) => ({ id, title }))}
            />
          </>
        ) : null}
        <TextArea label="What happened?" value={message} onValue={setMessage} rows={3} required={kind === 'contact-attempt'} maxLength={1000} problem={problemFor(error?.problems, 'message')} />
        <ErrorMessage error={error} title="The report was not sent" />
        <div className="button-row">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Sending…' : 'Send the report'}
          </button>
        </div>
      </form>
    </section>
  );
}

function ReportDetail({ id, names }: { id: string; names: PolicyNames }) {
  const { data, error, loading, reload } = useApi<CaseReport>(`/api/case-reports/${encodeURIComponent(id)}`);
  const [done, setDone] = useState<string | null>(null);
  const changed = (text: string) => {
    setDone(text);
    reload();
  };
  return (
    <section aria-labelledby="case-report-heading">
      <p>
        <a href={hrefFor('requests', { view: 'reports' })}>Back to the reports</a>
      </p>
      <h2 id="case-report-heading">{data ? REPORT_KIND_WORDS[data.kind] : 'Report'}</h2>
      {done ? <Success>{done}</Success> : null}
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the report" /> : null}
      {data ? (
        <>
          <Facts
            items={[
              ['State', `${REPORT_STATE_WORDS[data.state]}${data.overdue ? ' (overdue)' : ''}`],
              ['Made by', whoAsked(data.reporter, data.reporterRole, names)],
              ['Made', formatDateTime(data.createdAt)],
              ...(data.url ? ([['Address', <code key="url" className="break">{data.url}</code>]] as Array<[string, ReactNode]>) : []),
              ...(data.contact
                ? ([
                    ['Platform', data.contact.platform],
                    ['Other party', data.contact.otherParty],
                    ['Which way', DIRECTION_WORDS[data.contact.direction]],
                  ] as Array<[string, ReactNode]>)
                : []),
              ['What happened', data.message || '—'],
              ['Sent to', routedWords(data, names)],
              ['Clauses', data.clauses.join(', ') || '—'],
              ['Answer due', formatDateTime(data.dueAt)],
              ...(data.acknowledged ? ([['Acknowledged', `by ${data.acknowledged.by} on ${formatDateTime(data.acknowledged.at)}`]] as Array<[string, ReactNode]>) : []),
              ...(data.closed
                ? ([['Closed', `${OUTCOME_WORDS[data.closed.outcome]}, by ${data.closed.by} on ${formatDateTime(data.closed.at)}: ${data.closed.note}`]] as Array<[string, ReactNode]>)
                : []),
            ]}
          />
          {data.allowed.acknowledge ? <AcknowledgeForm report={data} onDone={changed} /> : null}
          {data.allowed.close ? <CloseForm report={data} onDone={changed} /> : null}
        </>
      ) : null}
    </section>
  );
}

function AcknowledgeForm({ report, onDone }: { report: CaseReport; onDone(text: string): void }) {
  const [error, setError] = useState<ApiError | null>(null);
  const acknowledge = async () => {
    setError(null);
    try {
      await api.post(`/api/case-reports/${encodeURIComponent(report.id)}/acknowledge`, {});
      onDone('Acknowledged.');
    } catch (reason) {
      setError(asApiError(reason));
    }
  };
  return (
    <div className="button-row">
      <ErrorMessage error={error} />
      <button type="button" className="button-primary" onClick={() => void acknowledge()}>
        Acknowledge
      </button>
    </div>
  );
}

function CloseForm({ report, onDone }: { report: CaseReport; onDone(text: string): void }) {
  const outcomes = (Object.keys(OUTCOME_WORDS) as ReportOutcome[]).filter((o) => o !== 'site-blocked' || (report.kind === 'site-report' && report.host));
  const [outcome, setOutcome] = useState<ReportOutcome>('resolved');
  const [note, setNote] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await api.post(`/api/case-reports/${encodeURIComponent(report.id)}/close`, { outcome, note: note.trim() });
      onDone(outcome === 'site-blocked' ? `Closed. ${report.host} is now on the school's block list for everyone.` : 'Closed.');
    } catch (reason) {
      setError(asApiError(reason));
    }
  };
  return (
    <section className="panel" aria-labelledby="close-heading">
      <h3 id="close-heading">Close the report</h3>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <SelectField label="Outcome" value={outcome} onValue={(value) => setOutcome(value as ReportOutcome)} options={outcomes.map((id) => ({ id, title: OUTCOME_WORDS[id] }))} problem={problemFor(error?.problems, 'outcome')} />
        {outcome === 'site-blocked' ? <p className="hint">This adds {report.host} to the school&apos;s block list at once, for everyone (clause 8.3). The change is recorded.</p> : null}
        <TextArea label="What was done" value={note} onValue={setNote} rows={2} required maxLength={1000} problem={problemFor(error?.problems, 'note')} />
        <ErrorMessage error={error} title="The report was not closed" />
        <div className="button-row">
          <button type="submit" className="button-primary">
            Close the report
          </button>
        </div>
      </form>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Register and overblocking figures

function RegisterView({ names }: { names: PolicyNames }) {
  const [fromDay, setFromDay] = useState('');
  const [toDay, setToDay] = useState('');
  const from = dayStart(fromDay);
  const toStart = dayStart(toDay);
  // the last day is included: up to the midnight after it
  const to = toStart === null ? null : toStart + 24 * 3_600_000;
  const range = { from, to };
  const register = useApi<{ items: RegisterEntry[] }>(withQuery('/api/register', range));
  const figures = useApi<OverblockingFigures>(withQuery('/api/register/figures', range));
  return (
    <>
      <section className="panel" aria-labelledby="register-range-heading">
        <h2 id="register-range-heading">Period</h2>
        <div className="filters">
          <TextField label="From" type="date" value={fromDay} onValue={setFromDay} />
          <TextField label="To (included)" type="date" value={toDay} onValue={setToDay} />
        </div>
        <p>
          <a href={withQuery('/api/register.csv', range)} download="register.csv">
            Download the register as CSV
          </a>
        </p>
      </section>
      <section aria-labelledby="figures-heading">
        <h2 id="figures-heading">Overblocking figures</h2>
        <ErrorMessage error={figures.error} />
        {figures.loading && !figures.data ? <Loading what="the figures" /> : null}
        {figures.data ? <Figures figures={figures.data} names={names} /> : null}
      </section>
      <section aria-labelledby="register-heading">
        <h2 id="register-heading">Register: what is allowed or blocked and why</h2>
        <ErrorMessage error={register.error} />
        {register.loading && !register.data ? <Loading what="the register" /> : null}
        {register.data && register.data.items.length === 0 ? <p>No decisions in this period.</p> : null}
        {register.data && register.data.items.length > 0 ? (
          <TableRegion label="Register">
            <table>
              <caption>Decided unblock requests and closed site reports, oldest decision first</caption>
              <thead>
                <tr>
                  <th scope="col">Decided</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Site</th>
                  <th scope="col">Asked by</th>
                  <th scope="col">Recommended by</th>
                  <th scope="col">Decided by</th>
                  <th scope="col">Decision</th>
                  <th scope="col">For</th>
                  <th scope="col">Until</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {register.data.items.map((e) => (
                  <tr key={e.id}>
                    <td className="nowrap">{formatDateTime(e.decidedAt)}</td>
                    <td>{e.type === 'unblock-request' ? 'Unblock request' : 'Site report'}</td>
                    <td className="break">{e.host}</td>
                    <td>{whoAsked(e.askedBy, e.askedRole, names)}</td>
                    <td>{e.recommendedBy ? `${e.recommendedBy} (${e.recommendation})` : '—'}</td>
                    <td>{e.decidedBy}</td>
                    <td>
                      {e.decision in OUTCOME_WORDS ? OUTCOME_WORDS[e.decision as ReportOutcome] : e.decision === 'approved' ? 'Approved' : 'Declined'}
                      {e.state === 'expired' ? ' (ended)' : ''}
                    </td>
                    <td>{e.scope ?? '—'}</td>
                    <td className="nowrap">{formatDateTime(e.until)}</td>
                    <td className="cell-note">{e.decisionNote || e.reason || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        ) : null}
      </section>
    </>
  );
}

function Figures({ figures, names }: { figures: OverblockingFigures; names: PolicyNames }) {
  return (
    <>
      <Facts
        items={[
          ['Requests', formatNumber(figures.requests)],
          ['Approved', formatNumber(figures.approved)],
          ['Declined', formatNumber(figures.declined)],
          ['Withdrawn', formatNumber(figures.withdrawn)],
          ['Waiting', formatNumber(figures.pending)],
          ['Median time to decision', hours(figures.timeToDecision.medianMs)],
          ['90% decided within', hours(figures.timeToDecision.p90Ms)],
        ]}
      />
      <CountTable caption="Requests and approvals by category" head="Category" rows={figures.byCategory.map((r) => ({ name: r.category ? names.title('categories', r.category) : 'Uncategorised', ...r }))} />
      <CountTable caption="Requests and approvals by group" head="Group" rows={figures.byGroup.map((r) => ({ name: r.group ? names.title('groups', r.group) : 'No group known', ...r }))} />
    </>
  );
}

function CountTable({ caption, head, rows }: { caption: string; head: string; rows: Array<{ name: string; requests: number; approved: number; declined: number }> }) {
  if (rows.length === 0) return null;
  return (
    <TableRegion label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{head}</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Approved
            </th>
            <th scope="col" className="num">
              Declined
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name}>
              <th scope="row">{r.name}</th>
              <td className="num">{formatNumber(r.requests)}</td>
              <td className="num">{formatNumber(r.approved)}</td>
              <td className="num">{formatNumber(r.declined)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
