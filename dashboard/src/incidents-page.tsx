// Incidents (9.1–9.9, 6.11, 6.12, 6.15, 7.2): staff report cyber-bullying and conduct incidents
// here, with the "do not respond or retaliate" guidance (9.3) in front of the form, and add
// evidence with the time it shows (9.4). The safeguarding roles see every case with its parties,
// next steps (9.5–9.8), chronology and evidence, pass it along the reporting chain (9.2) and close
// it with a rationale. A reporter sees only the cases they reported. The API audits every view.
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, withQuery } from './api-client.ts';
import type { SessionInfo } from './api-types.ts';
import { problemFor, SelectField, TextArea, TextField } from './controls.tsx';
import { formatDateTime, formatNumber, fromLocalInput, toLocalInput } from './format.ts';
import { hrefFor, navigate, type Route } from './hash-route.ts';
import {
  CLOSURE_OUTCOMES,
  PARTY_KIND_TITLES,
  PARTY_ROLE_TITLES,
  REMOVAL_RESULTS,
  STATUS_TITLES,
  type EvidenceCheck,
  type EvidenceItem,
  type IncidentCase,
  type IncidentList,
  type IncidentStep,
  type PartyKind,
  type PartyRole,
  type PoliceCriterion,
  type ReportForm,
  type ReporterView,
} from './incidents-types.ts';
import { usePolicyNames, type PolicyNames } from './policy-names.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

const OTHER_PLATFORM = '__other';

function asApiError(reason: unknown): ApiError {
  return reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []);
}

function typeTitle(form: ReportForm | null, type: string): string {
  return form?.types.find((t) => t.id === type)?.title ?? type;
}

function platformTitle(form: ReportForm | null, platform: string | null): string {
  if (!platform) return '—';
  return form?.platforms.find((p) => p.id === platform)?.title ?? platform;
}

function bytesText(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.ceil(n / 1024)} KB`;
  return `${formatNumber(n)} bytes`;
}

function ownerText(owner: string, names: PolicyNames): string {
  return /\./.test(owner) ? owner : names.title('roles', owner);
}

const EXTENSION_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf', txt: 'text/plain' };

/** The browser's type for a file, or one from its extension when the browser gives none. */
function typeOfFile(file: File): string {
  if (file.type) return file.type;
  const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
  return EXTENSION_TYPES[extension] ?? 'application/octet-stream';
}

/**
 * Sends a file as the request body (the API takes evidence as the file itself). The shared client
 * sends JSON and text only, so this reads the session's CSRF token and posts the file directly.
 */
async function uploadEvidence(caseId: string, file: File, shows: number | null, note: string): Promise<EvidenceItem> {
  const session = await api.get<SessionInfo>('/api/session');
  const url = withQuery(`/api/incidents/${encodeURIComponent(caseId)}/evidence`, { name: file.name, type: typeOfFile(file), shows, note: note.trim() || null });
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/octet-stream', 'x-csrf-token': session.csrfToken },
      body: file,
    });
  } catch {
    throw new ApiError(0, 'HTTP_UNREACHABLE', 'Hedgerow cannot be reached; check the connection and try again', []);
  }
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string; problems?: Array<{ field?: string; message: string }> } } | EvidenceItem | null;
  if (!response.ok) {
    const error = body && 'error' in body ? body.error : undefined;
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `the server answered ${response.status}`, error?.problems ?? []);
  }
  return body as EvidenceItem;
}

export function IncidentsPage({ route }: { route: Route }) {
  const session = useSession();
  const canReport = session.can('incidents.report');
  const manage = session.can('incidents.manage');
  const form = useApi<ReportForm>(canReport ? '/api/incidents/form' : null);
  const names = usePolicyNames(session.can('policy.read'));
  const caseId = route.params.get('case');
  const reporting = route.params.get('report') === '1';

  return (
    <>
      <h1 tabIndex={-1}>Incidents</h1>
      <p className="lead">
        Cyber-bullying and conduct incidents, reported along the school&apos;s anti-bullying chain (clause 9.2), with the evidence saved and the next steps the policy
        sets out (clauses 9.5 to 9.8). {manage ? 'Every time a case or its evidence is opened, it is recorded.' : 'You can see the cases you reported.'}
      </p>
      {!canReport ? <p>You do not have permission to report or see incidents.</p> : null}
      <ErrorMessage error={form.error} />
      {canReport && form.loading && !form.data ? <Loading what="the incident form" /> : null}
      {canReport && form.data ? (
        caseId ? (
          <CaseDetail key={caseId} id={caseId} form={form.data} manage={manage} names={names} justReported={route.params.get('reported') === '1'} />
        ) : reporting ? (
          <ReportSection form={form.data} />
        ) : (
          <CaseList form={form.data} manage={manage} names={names} status={route.params.get('status') ?? 'active'} />
        )
      ) : null}
    </>
  );
}

function Guidance({ form }: { form: ReportForm }) {
  return (
    <section className="message message-info" aria-labelledby="incident-guidance-heading">
      <h2 id="incident-guidance-heading" className="message-title">
        Before you report (clause {form.guidanceClauses.join(', ')})
      </h2>
      <p>{form.guidance}</p>
    </section>
  );
}

function CaseList({ form, manage, names, status }: { form: ReportForm; manage: boolean; names: PolicyNames; status: string }) {
  const query = status === 'all' ? {} : { status };
  const { data, error, loading } = useApi<IncidentList>(withQuery('/api/incidents', query));
  const items = data?.items ?? [];
  const statuses = [
    { id: 'active', title: 'Not closed' },
    { id: 'open', title: 'Open' },
    { id: 'in-progress', title: 'In progress' },
    { id: 'closed', title: 'Closed' },
    { id: 'all', title: 'All' },
  ];
  return (
    <section aria-labelledby="incident-list-heading">
      <div className="button-row">
        <a className="button button-primary" href={hrefFor('incidents', { report: 1 })}>
          Report an incident
        </a>
      </div>
      <div className="results-bar">
        <h2 id="incident-list-heading">{manage ? 'Cases' : 'Cases you reported'}</h2>
        <SelectField label="Show" value={status} onValue={(value) => navigate('incidents', value === 'active' ? {} : { status: value })} options={statuses} />
      </div>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="cases" /> : null}
      {data && items.length === 0 ? <p>No cases to show.</p> : null}
      {items.length > 0 ? (
        <TableRegion label="Incident cases">
          <table>
            <caption className="visually-hidden">{manage ? 'Incident cases, newest first' : 'Incident cases you reported, newest first'}</caption>
            <thead>
              <tr>
                <th scope="col">Reported</th>
                <th scope="col">Type</th>
                <th scope="col">Platform</th>
                <th scope="col">Happened</th>
                <th scope="col">Status</th>
                {manage ? <th scope="col">With</th> : null}
                {manage ? <th scope="col">Required steps open</th> : null}
                {manage ? <th scope="col">Overdue steps</th> : null}
                <th scope="col">Evidence</th>
                <th scope="col">Case</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id}>
                  <td className="nowrap">{formatDateTime(item.reportedAt)}</td>
                  <td>{typeTitle(form, item.type)}</td>
                  <td>{platformTitle(form, item.platform)}</td>
                  <td className="nowrap">{formatDateTime(item.occurredAt)}</td>
                  <td>{STATUS_TITLES[item.status]}</td>
                  {manage ? (
                    <td>
                      {item.ownerRole ? names.title('roles', item.ownerRole) : '—'}
                      {item.ownerPerson ? <span className="cell-note">{item.ownerPerson}</span> : null}
                    </td>
                  ) : null}
                  {manage ? <td className="num">{item.openRequiredSteps ?? 0}</td> : null}
                  {manage ? <td className="num">{item.overdueSteps ?? 0}</td> : null}
                  <td className="num">{item.evidenceCount}</td>
                  <td>
                    <a href={hrefFor('incidents', { case: item.id })}>
                      Open<span className="visually-hidden"> the {typeTitle(form, item.type).toLowerCase()} case reported {formatDateTime(item.reportedAt)}</span>
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </section>
  );
}

interface PartyDraft {
  key: number;
  kind: PartyKind;
  name: string;
  username: string;
  role: PartyRole;
}

function ReportSection({ form }: { form: ReportForm }) {
  const [type, setType] = useState(form.types[0]?.id ?? 'cyber-bullying');
  const [platform, setPlatform] = useState('');
  const [otherPlatform, setOtherPlatform] = useState('');
  const [occurred, setOccurred] = useState(() => toLocalInput(Date.now()));
  const [description, setDescription] = useState('');
  const [parties, setParties] = useState<PartyDraft[]>([]);
  const [criteria, setCriteria] = useState<PoliceCriterion[]>([]);
  const [nextKey, setNextKey] = useState(1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const platformOptions = [{ id: '', title: 'Not on a platform, or not known' }, ...form.platforms.map((p) => ({ id: p.id, title: p.title })), { id: OTHER_PLATFORM, title: 'Another platform (write it in)' }];
  const update = (key: number, change: Partial<PartyDraft>) => setParties((list) => list.map((p) => (p.key === key ? { ...p, ...change } : p)));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const when = fromLocalInput(occurred);
    try {
      const answer = await api.post<{ case: { id: string } }>('/api/incidents', {
        type,
        platform: platform === OTHER_PLATFORM ? otherPlatform.trim() || null : platform || null,
        description: description.trim(),
        occurredAt: when ?? 0,
        parties: parties.map((p) => ({ kind: p.kind, role: p.role, name: p.name.trim() || null, username: p.username.trim() || null })),
        criteria,
      });
      navigate('incidents', { case: answer.case.id, reported: 1 });
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p>
        <a href={hrefFor('incidents')}>Back to the cases</a>
      </p>
      <Guidance form={form} />
      <section className="panel" aria-labelledby="report-heading">
        <h2 id="report-heading">Report an incident</h2>
        <form onSubmit={(e) => void submit(e)} className="stack">
          <SelectField label="What kind of incident" value={type} onValue={(v) => setType(v as typeof type)} options={form.types} problem={problemFor(error?.problems, 'type')} />
          <SelectField label="Where it happened" value={platform} onValue={setPlatform} options={platformOptions} />
          {platform === OTHER_PLATFORM ? <TextField label="Platform or app" value={otherPlatform} onValue={setOtherPlatform} required problem={problemFor(error?.problems, 'platform')} /> : null}
          <TextField
            label="When it happened"
            hint="The time and date of the incident, as near as you know it (clause 9.4)"
            type="datetime-local"
            value={occurred}
            onValue={setOccurred}
            required
            problem={problemFor(error?.problems, 'occurredAt')}
          />
          <TextArea
            label="What happened"
            hint="In your own words. Say what you saw and when; you can add screenshots and files once the case is open."
            value={description}
            onValue={setDescription}
            rows={6}
            required
            problem={problemFor(error?.problems, 'description')}
          />
          <fieldset>
            <legend>The people involved</legend>
            <p className="hint">Give a name, or the username from the school roster. Add the person you believe is responsible as the alleged perpetrator.</p>
            {parties.map((party, index) => (
              <fieldset key={party.key} className="inline-form">
                <legend>Person {index + 1}</legend>
                <SelectField label="Who they are" value={party.kind} onValue={(v) => update(party.key, { kind: v as PartyKind })} options={Object.entries(PARTY_KIND_TITLES).map(([id, title]) => ({ id, title }))} />
                <SelectField label="Part in the incident" value={party.role} onValue={(v) => update(party.key, { role: v as PartyRole })} options={Object.entries(PARTY_ROLE_TITLES).map(([id, title]) => ({ id, title }))} />
                <TextField label="Name" value={party.name} onValue={(v) => update(party.key, { name: v })} problem={problemFor(error?.problems, `parties[${index}].name`)} />
                <TextField
                  label="Roster username"
                  value={party.username}
                  onValue={(v) => update(party.key, { username: v })}
                  autoCapitalize="none"
                  spellCheck={false}
                  problem={problemFor(error?.problems, `parties[${index}].username`)}
                />
                <button type="button" className="button-small" onClick={() => setParties((list) => list.filter((p) => p.key !== party.key))}>
                  Remove<span className="visually-hidden"> person {index + 1}</span>
                </button>
              </fieldset>
            ))}
            <button
              type="button"
              onClick={() => {
                setParties((list) => [...list, { key: nextKey, kind: 'pupil', name: '', username: '', role: list.length === 0 ? 'target' : 'alleged-perpetrator' }]);
                setNextKey((n) => n + 1);
              }}
            >
              Add a person
            </button>
          </fieldset>
          <CriteriaChoices form={form} value={criteria} onValue={setCriteria} idPrefix="report" />
          <ErrorMessage error={error} title="The incident was not reported" />
          <div className="button-row">
            <button type="submit" className="button-primary" disabled={busy}>
              {busy ? 'Reporting…' : 'Report the incident'}
            </button>
          </div>
        </form>
      </section>
    </>
  );
}

function CriteriaChoices({ form, value, onValue, idPrefix }: { form: ReportForm; value: PoliceCriterion[]; onValue(value: PoliceCriterion[]): void; idPrefix: string }) {
  return (
    <fieldset>
      <legend>Is the material any of these? (clause 9.8)</legend>
      <p className="hint">If any is ticked, the school must consider contacting the police and record what it decided.</p>
      {form.criteria.map((c) => (
        <div className="choice" key={c.id}>
          <input
            type="checkbox"
            id={`${idPrefix}-criterion-${c.id}`}
            checked={value.includes(c.id)}
            onChange={(e) => onValue(e.target.checked ? [...value, c.id] : value.filter((v) => v !== c.id))}
          />
          <label htmlFor={`${idPrefix}-criterion-${c.id}`}>{c.title}</label>
        </div>
      ))}
    </fieldset>
  );
}

function CaseDetail({ id, form, manage, names, justReported }: { id: string; form: ReportForm; manage: boolean; names: PolicyNames; justReported: boolean }) {
  const loaded = useApi<IncidentCase | ReporterView>(`/api/incidents/${encodeURIComponent(id)}`);
  const [current, setCurrent] = useState<IncidentCase | ReporterView | null>(null);
  const [done, setDone] = useState<string | null>(justReported ? 'The incident was reported and passed to the first person in the reporting chain.' : null);
  useEffect(() => setCurrent(null), [loaded.data]);
  const found = current ?? loaded.data;
  const changed = (next: IncidentCase, text: string) => {
    setCurrent(next);
    setDone(text);
  };

  return (
    <>
      <p>
        <a href={hrefFor('incidents')}>Back to the cases</a>
      </p>
      <ErrorMessage error={loaded.error} />
      {loaded.loading && !found ? <Loading what="the case" /> : null}
      {done ? <Success>{done}</Success> : null}
      {found ? (
        <>
          <h2>
            {typeTitle(form, found.type)} <span className="muted">({STATUS_TITLES[found.status]})</span>
          </h2>
          {found.limited ? (
            <LimitedCase found={found} form={form} onEvidence={(text) => { setDone(text); loaded.reload(); }} />
          ) : (
            <FullCase found={found} form={form} manage={manage} names={names} onChanged={changed} onEvidence={(text) => { setDone(text); loaded.reload(); }} />
          )}
        </>
      ) : null}
    </>
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

function PlatformLink({ form, platform }: { form: ReportForm; platform: string | null }) {
  const entry = form.platforms.find((p) => p.id === platform);
  if (!entry) return <>{platformTitle(form, platform)}</>;
  return (
    <>
      {entry.title}{' '}
      <a href={entry.reportUrl} target="_blank" rel="noopener noreferrer">
        (reporting page<span className="visually-hidden"> of {entry.title}, opens in a new tab</span>)
      </a>
    </>
  );
}

function LimitedCase({ found, form, onEvidence }: { found: ReporterView; form: ReportForm; onEvidence(text: string): void }) {
  return (
    <>
      <Guidance form={form} />
      <Facts
        items={[
          ['Reported', formatDateTime(found.reportedAt)],
          ['Happened', formatDateTime(found.occurredAt)],
          ['Platform', platformTitle(form, found.platform)],
          ['Status', STATUS_TITLES[found.status]],
          ...(found.closedAt ? ([['Closed', formatDateTime(found.closedAt)]] as Array<[string, ReactNode]>) : []),
        ]}
      />
      <h3>What you reported</h3>
      <p className="facts-wide">{found.description}</p>
      <p className="hint">The safeguarding team handles the case from here. You can add evidence you have; you cannot see the rest of the case.</p>
      <EvidenceSection caseId={found.id} evidence={found.evidence} form={form} closed={found.status === 'closed'} manage={false} onAdded={onEvidence} />
    </>
  );
}

function FullCase({
  found,
  form,
  manage,
  names,
  onChanged,
  onEvidence,
}: {
  found: IncidentCase;
  form: ReportForm;
  manage: boolean;
  names: PolicyNames;
  onChanged(next: IncidentCase, text: string): void;
  onEvidence(text: string): void;
}) {
  const open = found.status !== 'closed';
  const act = manage && open;
  return (
    <>
      <Facts
        items={[
          ['Reported', `${formatDateTime(found.reportedAt)} by ${found.reportedBy}`],
          ['Happened', formatDateTime(found.occurredAt)],
          ['Platform', <PlatformLink key="platform" form={form} platform={found.platform} />],
          ['With', `${names.title('roles', found.owner.role)}${found.owner.person ? ` (${found.owner.person})` : ''}`],
          ['Police criteria (9.8)', found.criteria.length > 0 ? found.criteria.map((c) => form.criteria.find((x) => x.id === c)?.title ?? c).join('; ') : 'None marked'],
        ]}
      />
      <h3>What happened, as reported</h3>
      <p className="facts-wide">{found.description}</p>
      {act ? <CaseActions found={found} onChanged={onChanged} /> : null}
      <PartiesSection found={found} act={act} onChanged={onChanged} />
      {act ? <CriteriaSection found={found} form={form} onChanged={onChanged} /> : null}
      <StepsSection found={found} act={act} names={names} onChanged={onChanged} />
      <EvidenceSection caseId={found.id} evidence={found.evidence} form={form} closed={!open} manage={manage} onAdded={onEvidence} />
      <ChronologySection found={found} act={act} onChanged={onChanged} />
      {found.closure ? (
        <section aria-labelledby="closure-heading">
          <h3 id="closure-heading">Closure</h3>
          <Facts
            items={[
              ['Outcome', CLOSURE_OUTCOMES.find((o) => o.id === found.closure!.outcome)?.title ?? found.closure.outcome],
              ['Closed', `${formatDateTime(found.closure.at)} by ${found.closure.by}`],
              ['Referrals made', found.closure.referrals.length > 0 ? found.closure.referrals.join(', ') : 'None'],
            ]}
          />
          <p className="facts-wide">{found.closure.rationale}</p>
        </section>
      ) : null}
      {act ? <CloseSection found={found} onChanged={onChanged} /> : null}
    </>
  );
}

/** One small form that posts to the case and hands back the updated case. */
function useCaseAction(onChanged: (next: IncidentCase, text: string) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async (call: () => Promise<IncidentCase>, text: string): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await call(), text);
      return true;
    } catch (reason) {
      setError(asApiError(reason));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function caseUrl(found: { id: string }, rest = ''): string {
  return `/api/incidents/${encodeURIComponent(found.id)}${rest}`;
}

function CaseActions({ found, onChanged }: { found: IncidentCase; onChanged(next: IncidentCase, text: string): void }) {
  const take = useCaseAction(onChanged);
  const escalate = useCaseAction(onChanged);
  const [reason, setReason] = useState('');
  return (
    <section className="panel" aria-labelledby="case-actions-heading">
      <h3 id="case-actions-heading">Who has the case</h3>
      <div className="button-row">
        <button type="button" disabled={take.busy} onClick={() => void take.run(() => api.post<IncidentCase>(caseUrl(found, '/take')), 'You have taken the case on.')}>
          Take the case on
        </button>
      </div>
      <ErrorMessage error={take.error} />
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void escalate.run(() => api.post<IncidentCase>(caseUrl(found, '/escalate'), { reason: reason.trim() }), 'The case was passed to the next role in the reporting chain.').then((ok) => ok && setReason(''));
        }}
      >
        <TextField label="Reason to escalate" value={reason} onValue={setReason} required className="field-inline" problem={problemFor(escalate.error?.problems, 'reason')} />
        <button type="submit" disabled={escalate.busy}>
          Escalate along the chain (9.2)
        </button>
      </form>
      <ErrorMessage error={escalate.error} title="The case was not escalated" />
    </section>
  );
}

function PartiesSection({ found, act, onChanged }: { found: IncidentCase; act: boolean; onChanged(next: IncidentCase, text: string): void }) {
  const add = useCaseAction(onChanged);
  const [kind, setKind] = useState<PartyKind>('pupil');
  const [role, setRole] = useState<PartyRole>('alleged-perpetrator');
  const [name, setName] = useState('');
  const [username, setUsername] = useState('');
  const [note, setNote] = useState('');
  return (
    <section aria-labelledby="parties-heading">
      <h3 id="parties-heading">People involved</h3>
      {found.parties.length === 0 ? <p>No one is named yet.</p> : null}
      {found.parties.length > 0 ? (
        <TableRegion label="People involved">
          <table>
            <caption className="visually-hidden">People involved in the case</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Username</th>
                <th scope="col">Who they are</th>
                <th scope="col">Part</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {found.parties.map((p) => (
                <tr key={p.id}>
                  <td>{p.name ?? '—'}</td>
                  <td>{p.username ?? '—'}</td>
                  <td>{PARTY_KIND_TITLES[p.kind]}</td>
                  <td>{PARTY_ROLE_TITLES[p.role]}</td>
                  <td>{p.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {act ? (
        <form
          className="inline-form"
          aria-label="Add a person to the case"
          onSubmit={(e) => {
            e.preventDefault();
            void add
              .run(() => api.post<IncidentCase>(caseUrl(found, '/parties'), { kind, role, name: name.trim() || null, username: username.trim() || null, note: note.trim() || null }), 'The person was added; the next steps were brought up to date.')
              .then((ok) => {
                if (ok) {
                  setName('');
                  setUsername('');
                  setNote('');
                }
              });
          }}
        >
          <SelectField label="Who they are" value={kind} onValue={(v) => setKind(v as PartyKind)} options={Object.entries(PARTY_KIND_TITLES).map(([id, title]) => ({ id, title }))} />
          <SelectField label="Part in the incident" value={role} onValue={(v) => setRole(v as PartyRole)} options={Object.entries(PARTY_ROLE_TITLES).map(([id, title]) => ({ id, title }))} />
          <TextField label="Name" value={name} onValue={setName} problem={problemFor(add.error?.problems, 'name')} />
          <TextField label="Roster username" value={username} onValue={setUsername} autoCapitalize="none" spellCheck={false} problem={problemFor(add.error?.problems, 'username')} />
          <TextField label="Note" value={note} onValue={setNote} />
          <button type="submit" disabled={add.busy}>
            Add the person
          </button>
        </form>
      ) : null}
      <ErrorMessage error={add.error} title="The person was not added" />
    </section>
  );
}

function CriteriaSection({ found, form, onChanged }: { found: IncidentCase; form: ReportForm; onChanged(next: IncidentCase, text: string): void }) {
  const save = useCaseAction(onChanged);
  const [criteria, setCriteria] = useState<PoliceCriterion[]>(found.criteria);
  return (
    <section aria-labelledby="criteria-heading">
      <h3 id="criteria-heading">Police referral criteria</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save.run(() => api.put<IncidentCase>(caseUrl(found, '/criteria'), { criteria }), 'The criteria were saved; the next steps were brought up to date.');
        }}
      >
        <CriteriaChoices form={form} value={criteria} onValue={setCriteria} idPrefix="case" />
        <button type="submit" disabled={save.busy}>
          Save the criteria
        </button>
      </form>
      <ErrorMessage error={save.error} title="The criteria were not saved" />
    </section>
  );
}

function stepStatusText(step: IncidentStep): string {
  if (step.status === 'done') return `Done${step.result ? ` (${REMOVAL_RESULTS.find((r) => r.id === step.result)?.title ?? step.result})` : ''}`;
  if (step.status === 'skipped') return 'Not taken';
  return step.overdue ? 'Overdue' : 'To do';
}

function StepsSection({ found, act, names, onChanged }: { found: IncidentCase; act: boolean; names: PolicyNames; onChanged(next: IncidentCase, text: string): void }) {
  const [editing, setEditing] = useState<{ step: string; mode: 'outcome' | 'skip' } | null>(null);
  const add = useCaseAction(onChanged);
  const [title, setTitle] = useState('');
  const [required, setRequired] = useState(false);
  const [due, setDue] = useState(() => toLocalInput(Date.now() + 7 * 86_400_000));
  const requiredId = useId();
  return (
    <section aria-labelledby="steps-heading">
      <h3 id="steps-heading">Next steps (9.5 to 9.8)</h3>
      {found.steps.length === 0 ? <p>No steps yet: they are proposed from the people involved and the police criteria.</p> : null}
      {found.steps.length > 0 ? (
        <TableRegion label="Next steps">
          <table>
            <caption className="visually-hidden">Next steps of the case, with their owners, due dates and outcomes</caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Required</th>
                <th scope="col">Owner</th>
                <th scope="col">Due</th>
                <th scope="col">Status</th>
                <th scope="col">Outcome</th>
                {act ? <th scope="col">Record</th> : null}
              </tr>
            </thead>
            <tbody>
              {found.steps.map((step) => (
                <tr key={step.id}>
                  <td className="break">
                    {step.title}
                    {step.clauses.length > 0 ? ` (${step.clauses.join(', ')})` : ''}
                    <span className="cell-note">{step.basis}</span>
                    {step.link ? (
                      <span className="cell-note">
                        <a href={step.link} target="_blank" rel="noopener noreferrer">
                          The provider&apos;s reporting page<span className="visually-hidden"> (opens in a new tab)</span>
                        </a>
                      </span>
                    ) : null}
                  </td>
                  <td>{step.required ? 'Yes' : 'No'}</td>
                  <td>{ownerText(step.owner, names)}</td>
                  <td className="nowrap">{formatDateTime(step.dueAt)}</td>
                  <td>{stepStatusText(step)}</td>
                  <td className="break">
                    {step.outcome ?? ''}
                    {step.decidedBy ? <span className="cell-note">{`${step.decidedBy}, ${formatDateTime(step.decidedAt)}`}</span> : null}
                  </td>
                  {act ? (
                    <td>
                      {step.status !== 'open' ? null : editing?.step === step.id ? (
                        <StepForm found={found} step={step} mode={editing.mode} onCancel={() => setEditing(null)} onChanged={(next, text) => { setEditing(null); onChanged(next, text); }} />
                      ) : (
                        <div className="button-row">
                          <button type="button" className="button-small" onClick={() => setEditing({ step: step.id, mode: 'outcome' })}>
                            Outcome<span className="visually-hidden"> of {step.title}</span>
                          </button>
                          <button type="button" className="button-small" onClick={() => setEditing({ step: step.id, mode: 'skip' })}>
                            {step.kind === 'police-referral' ? 'Decide not to refer' : 'Not taking it'}
                            <span className="visually-hidden"> ({step.title})</span>
                          </button>
                        </div>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {act ? (
        <form
          className="inline-form"
          aria-label="Add a step of your own"
          onSubmit={(e) => {
            e.preventDefault();
            void add.run(() => api.post<IncidentCase>(caseUrl(found, '/steps'), { title: title.trim(), required, dueAt: fromLocalInput(due) ?? 0 }), 'The step was added.').then((ok) => ok && setTitle(''));
          }}
        >
          <TextField label="Another step" value={title} onValue={setTitle} required className="field-inline" problem={problemFor(add.error?.problems, 'title')} />
          <TextField label="Due" type="datetime-local" value={due} onValue={setDue} required problem={problemFor(add.error?.problems, 'dueAt')} />
          <div className="choice">
            <input type="checkbox" id={requiredId} checked={required} onChange={(e) => setRequired(e.target.checked)} />
            <label htmlFor={requiredId}>Required before closing</label>
          </div>
          <button type="submit" disabled={add.busy}>
            Add the step
          </button>
        </form>
      ) : null}
      <ErrorMessage error={add.error} title="The step was not added" />
    </section>
  );
}

function StepForm({ found, step, mode, onCancel, onChanged }: { found: IncidentCase; step: IncidentStep; mode: 'outcome' | 'skip'; onCancel(): void; onChanged(next: IncidentCase, text: string): void }) {
  const action = useCaseAction(onChanged);
  const [text, setText] = useState('');
  const [result, setResult] = useState<string>(REMOVAL_RESULTS[0]!.id);
  const base = caseUrl(found, `/steps/${encodeURIComponent(step.id)}`);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (mode === 'skip') void action.run(() => api.post<IncidentCase>(`${base}/skip`, { reason: text.trim() }), `The reason for not taking “${step.title}” was recorded.`);
    else void action.run(() => api.post<IncidentCase>(`${base}/outcome`, { outcome: text.trim(), ...(step.kind === 'removal-request' ? { result } : {}) }), `The outcome of “${step.title}” was recorded.`);
  };
  return (
    <form onSubmit={submit} aria-label={`${mode === 'skip' ? 'Reason for not taking' : 'Outcome of'} ${step.title}`}>
      {mode === 'outcome' && step.kind === 'removal-request' ? <SelectField label="What came of it" value={result} onValue={setResult} options={REMOVAL_RESULTS} /> : null}
      <TextArea
        label={mode === 'skip' ? (step.kind === 'police-referral' ? 'Why the school is not referring to the police' : 'Why the step is not taken') : 'Outcome'}
        value={text}
        onValue={setText}
        rows={3}
        required
        problem={problemFor(action.error?.problems, mode === 'skip' ? 'reason' : 'outcome')}
      />
      <ErrorMessage error={action.error} />
      <div className="button-row">
        <button type="submit" className="button-primary" disabled={action.busy}>
          Record
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function EvidenceSection({ caseId, evidence, form, closed, manage, onAdded }: { caseId: string; evidence: EvidenceItem[]; form: ReportForm; closed: boolean; manage: boolean; onAdded(text: string): void }) {
  const [checks, setChecks] = useState<EvidenceCheck[] | null>(null);
  const [checkError, setCheckError] = useState<ApiError | null>(null);
  const check = async () => {
    setCheckError(null);
    try {
      setChecks(await api.get<EvidenceCheck[]>(`/api/incidents/${encodeURIComponent(caseId)}/evidence-check`));
    } catch (reason) {
      setCheckError(asApiError(reason));
    }
  };
  return (
    <section aria-labelledby="evidence-heading">
      <h3 id="evidence-heading">Evidence (9.4)</h3>
      {evidence.length === 0 ? <p>No evidence has been added.</p> : null}
      {evidence.length > 0 ? (
        <TableRegion label="Evidence">
          <table>
            <caption className="visually-hidden">Evidence, in the order it was added, with its SHA-256 digest</caption>
            <thead>
              <tr>
                <th scope="col">Evidence</th>
                <th scope="col">Type and size</th>
                <th scope="col">Shows the incident at</th>
                <th scope="col">Added</th>
                <th scope="col">SHA-256</th>
                {checks ? <th scope="col">Digest check</th> : null}
              </tr>
            </thead>
            <tbody>
              {evidence.map((item) => {
                const result = checks?.find((c) => c.id === item.id);
                return (
                  <tr key={item.id}>
                    <td className="break">
                      <a href={`/api/incidents/${encodeURIComponent(caseId)}/evidence/${encodeURIComponent(item.id)}/content`} download>
                        {item.name}
                      </a>
                      {item.note ? <span className="cell-note">{item.note}</span> : null}
                    </td>
                    <td>
                      {item.kind === 'url' ? 'Web address' : item.contentType}
                      <span className="cell-note">{bytesText(item.size)}</span>
                    </td>
                    <td className="nowrap">{item.shows ? formatDateTime(item.shows) : '—'}</td>
                    <td>
                      {formatDateTime(item.uploadedAt)}
                      <span className="cell-note">{item.uploadedBy}</span>
                    </td>
                    <td>
                      <code title={item.sha256}>{item.sha256.slice(0, 16)}…</code>
                    </td>
                    {checks ? <td>{result ? (result.ok ? 'Unchanged' : 'Changed since upload') : '—'}</td> : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {manage && evidence.length > 0 ? (
        <div className="button-row">
          <button type="button" className="button-small" onClick={() => void check()}>
            Check every digest
          </button>
        </div>
      ) : null}
      <ErrorMessage error={checkError} />
      {!closed ? <EvidenceForms caseId={caseId} form={form} onAdded={onAdded} /> : null}
    </section>
  );
}

function EvidenceForms({ caseId, form, onAdded }: { caseId: string; form: ReportForm; onAdded(text: string): void }) {
  const [file, setFile] = useState<File | null>(null);
  const [shows, setShows] = useState('');
  const [note, setNote] = useState('');
  const [url, setUrl] = useState('');
  const [urlShows, setUrlShows] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fileKey, setFileKey] = useState(0);
  const fileId = useId();
  const accept = form.evidence.types.join(',');

  const sendFile = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setError(null);
    if (file.size > form.evidence.maxBytes) {
      setError(new ApiError(413, 'HR_INCIDENTS_EVIDENCE_TOO_LARGE', `the file is ${bytesText(file.size)}; the most the school accepts is ${bytesText(form.evidence.maxBytes)}`, []));
      return;
    }
    setBusy(true);
    try {
      const item = await uploadEvidence(caseId, file, fromLocalInput(shows), note);
      setFile(null);
      setFileKey((k) => k + 1);
      setNote('');
      onAdded(`“${item.name}” was saved as evidence.`);
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  const sendUrl = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await api.post(`/api/incidents/${encodeURIComponent(caseId)}/evidence/url`, { url: url.trim(), ...(fromLocalInput(urlShows) ? { shows: fromLocalInput(urlShows) } : {}) });
      setUrl('');
      onAdded('The web address was saved as evidence.');
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="panel">
      <h4>Add evidence</h4>
      <p className="hint">
        Screenshots with the date showing, or files: {form.evidence.types.join(', ')}, up to {bytesText(form.evidence.maxBytes)}. Evidence cannot be changed or removed once saved.
      </p>
      <form onSubmit={(e) => void sendFile(e)} className="inline-form" aria-label="Add a file as evidence">
        <div className="field">
          <label htmlFor={fileId}>File</label>
          <input key={fileKey} id={fileId} type="file" accept={accept} required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <TextField label="Time and date it shows" type="datetime-local" value={shows} onValue={setShows} />
        <TextField label="Note" value={note} onValue={setNote} />
        <button type="submit" className="button-primary" disabled={busy || !file}>
          Save the file
        </button>
      </form>
      <form onSubmit={(e) => void sendUrl(e)} className="inline-form" aria-label="Add a web address as evidence">
        <TextField label="Web address" type="url" value={url} onValue={setUrl} required className="field-inline" autoCapitalize="none" spellCheck={false} problem={problemFor(error?.problems, 'url')} />
        <TextField label="Time and date it shows" type="datetime-local" value={urlShows} onValue={setUrlShows} />
        <button type="submit" disabled={busy}>
          Save the address
        </button>
      </form>
      <ErrorMessage error={error} title="The evidence was not saved" />
    </div>
  );
}

function ChronologySection({ found, act, onChanged }: { found: IncidentCase; act: boolean; onChanged(next: IncidentCase, text: string): void }) {
  const add = useCaseAction(onChanged);
  const [note, setNote] = useState('');
  return (
    <section aria-labelledby="chronology-heading">
      <h3 id="chronology-heading">Chronology</h3>
      <ol className="alert-list">
        {found.chronology.map((entry) => (
          <li key={entry.seq}>
            <span className="alert-time">{formatDateTime(entry.at)}</span> — {entry.actor}: {entry.text}
          </li>
        ))}
      </ol>
      {act ? (
        <form
          className="stack"
          aria-label="Add a note to the chronology"
          onSubmit={(e) => {
            e.preventDefault();
            void add.run(() => api.post<IncidentCase>(caseUrl(found, '/notes'), { text: note.trim() }), 'The note was added to the chronology.').then((ok) => ok && setNote(''));
          }}
        >
          <TextArea label="Add a note" hint="Notes are kept in order and cannot be changed afterwards" value={note} onValue={setNote} rows={3} required problem={problemFor(add.error?.problems, 'text')} />
          <ErrorMessage error={add.error} title="The note was not added" />
          <div className="button-row">
            <button type="submit" disabled={add.busy}>
              Add the note
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

function CloseSection({ found, onChanged }: { found: IncidentCase; onChanged(next: IncidentCase, text: string): void }) {
  const close = useCaseAction(onChanged);
  const [outcome, setOutcome] = useState<string>(CLOSURE_OUTCOMES[0]!.id);
  const [rationale, setRationale] = useState('');
  const open = found.steps.filter((s) => s.required && s.status === 'open');
  return (
    <section className="panel" aria-labelledby="close-heading">
      <h3 id="close-heading">Close the case</h3>
      {open.length > 0 ? (
        <div className="message message-info">
          <p className="message-title">These required steps need an outcome, or a recorded reason not to take them, before the case can close:</p>
          <ul>
            {open.map((s) => (
              <li key={s.id}>{s.title}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void close.run(() => api.post<IncidentCase>(caseUrl(found, '/close'), { outcome, rationale: rationale.trim() }), 'The case was closed.');
        }}
      >
        <SelectField label="Outcome" value={outcome} onValue={setOutcome} options={CLOSURE_OUTCOMES} problem={problemFor(close.error?.problems, 'outcome')} />
        <TextArea
          label="Rationale"
          hint="Why the case is closed this way, including any decision not to refer it to the police or anyone else"
          value={rationale}
          onValue={setRationale}
          rows={4}
          required
          problem={problemFor(close.error?.problems, 'rationale')}
        />
        <ErrorMessage error={close.error} title="The case was not closed" />
        <div className="button-row">
          <button type="submit" className="button-danger" disabled={close.busy}>
            Close the case
          </button>
        </div>
      </form>
    </section>
  );
}
