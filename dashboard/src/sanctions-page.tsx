// Sanctions (8.2): proposals raised by repeated attempts to get round the filter, the decision on
// each (impose a supervised-only sanction or decline, with a reason), the sanctions in force with
// their supervised sessions, and lifting one early. The API decides who may do what; this page
// only hides what it would refuse.
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, withQuery } from './api-client.ts';
import { problemFor, TextArea, TextField } from './controls.tsx';
import { formatDateTime } from './format.ts';
import { navigate, type Route } from './hash-route.ts';
import type { SanctionList, Sanction, SanctionProposal, SanctionSettings, SupervisedSession } from './sanctions-types.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

const KIND_WORDS: Record<string, string> = {
  'ip-literal': 'address written as a number',
  doh: 'DNS-over-HTTPS resolver',
  proxy: 'web proxy',
  vpn: 'VPN',
  translator: 'translator used as a proxy',
  'sni-mismatch': 'disguised secure connection',
};

function kindText(kind: string): string {
  return KIND_WORDS[kind] ?? kind;
}

function personText(item: { person: string; personName: string | null }): string {
  return item.personName ? `${item.personName} (${item.person})` : item.person;
}

function windowText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minutes`;
}

function kindsSummary(p: SanctionProposal): string {
  const counts = new Map<string, number>();
  for (const a of p.attempts) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${n} × ${kindText(kind)}`).join(', ');
}

const PROPOSAL_STATUS: Record<SanctionProposal['status'], string> = { open: 'Waiting for a decision', imposed: 'Sanction imposed', declined: 'Declined' };
const SANCTION_STATUS: Record<Sanction['status'], string> = { active: 'In force', lifted: 'Lifted', expired: 'Ended' };

function asApiError(reason: unknown): ApiError {
  return reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []);
}

export function SanctionsPage({ route }: { route: Route }) {
  const session = useSession();
  const canRead = session.can('sanctions.read');
  const settings = useApi<SanctionSettings>(canRead ? '/api/sanctions/settings' : null);
  const [done, setDone] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const changed = (text: string) => {
    setDone(text);
    setGeneration((n) => n + 1);
  };

  return (
    <>
      <h1 tabIndex={-1}>Sanctions</h1>
      <p className="lead">
        Repeated attempts to get round the school&apos;s filter raise a proposal. The headteacher decides: a pupil may be allowed to use the internet at school only in a
        supervised session for a time (clause 8.2). Every decision has a reason and is recorded.
      </p>
      {!canRead ? <p>You do not have permission to see sanctions.</p> : null}
      <ErrorMessage error={settings.error} />
      {settings.loading && !settings.data ? <Loading what="sanction settings" /> : null}
      {settings.data && !settings.data.configured ? <p>The policy does not set up sanctions (its <code>workflows.sanctions</code> section is missing).</p> : null}
      {done ? <Success>{done}</Success> : null}
      {settings.data?.configured ? (
        <>
          <p>
            A proposal is raised after {settings.data.threshold} attempts within {settings.data.window}. Sanctions last {settings.data.defaultDuration} unless the decider
            chooses otherwise, at most {settings.data.maxDuration}; a supervised session lasts {settings.data.sessionLength}.
          </p>
          <ProposalsSection route={route} settings={settings.data} generation={generation} onChanged={changed} />
          <SanctionsSection route={route} settings={settings.data} generation={generation} onChanged={changed} />
          {settings.data.decider ? <ImposeForm settings={settings.data} onImposed={changed} /> : null}
        </>
      ) : null}
    </>
  );
}

interface SectionProps {
  route: Route;
  settings: SanctionSettings;
  generation: number;
  onChanged(text: string): void;
}

function ShowChoice({ name, legend, value, options, onChoose }: { name: string; legend: string; value: string; options: Array<[string, string]>; onChoose(value: string): void }) {
  return (
    <fieldset className="segmented">
      <legend>{legend}</legend>
      {options.map(([id, label]) => (
        <div className="choice" key={id}>
          <input type="radio" id={`${name}-${id}`} name={name} checked={value === id} onChange={() => onChoose(id)} />
          <label htmlFor={`${name}-${id}`}>{label}</label>
        </div>
      ))}
    </fieldset>
  );
}

/** Loads again after a change made elsewhere on the page (a decision moves a proposal into sanctions). */
function useReloadOn(generation: number, reload: () => void): void {
  useEffect(() => {
    if (generation > 0) reload();
  }, [generation, reload]);
}

function routeParams(route: Route, change: Record<string, string | null>): Record<string, string | null> {
  const params: Record<string, string | null> = {};
  route.params.forEach((value, key) => (params[key] = value));
  return { ...params, ...change };
}

function ProposalsSection({ route, settings, generation, onChanged }: SectionProps) {
  const highlighted = route.params.get('proposal');
  const status = route.params.get('proposals') === 'all' || highlighted ? 'all' : 'open';
  const { data, error, loading, reload } = useApi<SanctionList<SanctionProposal>>(withQuery('/api/sanctions/proposals', { status }));
  useReloadOn(generation, reload);
  const [acting, setActing] = useState<{ id: string; kind: 'impose' | 'decline' } | null>(null);
  const items = data?.items ?? [];
  const finish = (text: string) => {
    setActing(null);
    onChanged(text);
    reload();
  };

  return (
    <section aria-labelledby="proposals-heading">
      <div className="results-bar">
        <h2 id="proposals-heading">Proposals</h2>
        <ShowChoice
          name="proposal-status"
          legend="Show"
          value={status}
          options={[
            ['open', 'Waiting for a decision'],
            ['all', 'All, with decided ones'],
          ]}
          onChoose={(v) => navigate('sanctions', routeParams(route, { proposals: v === 'all' ? 'all' : null, proposal: null }))}
        />
      </div>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="proposals" /> : null}
      {data && items.length === 0 ? <p>{status === 'open' ? 'No proposals are waiting for a decision.' : 'No proposals have been raised.'}</p> : null}
      {items.length > 0 ? (
        <TableRegion label="Sanction proposals">
          <table>
            <caption className="visually-hidden">Sanction proposals, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Who</th>
                <th scope="col">Raised</th>
                <th scope="col">Attempts</th>
                <th scope="col">Proposal</th>
                <th scope="col">Status</th>
                {settings.decider ? <th scope="col">Decision</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} className={p.id === highlighted ? 'highlight' : undefined} aria-current={p.id === highlighted ? 'true' : undefined}>
                  <td>{personText(p)}</td>
                  <td className="nowrap">{formatDateTime(p.createdAt)}</td>
                  <td>
                    <details>
                      <summary>
                        {p.count} within {windowText(p.windowMs)}
                        <span className="visually-hidden"> by {personText(p)}</span>
                      </summary>
                      <p>{kindsSummary(p)}</p>
                      <ul>
                        {p.attempts.map((a) => (
                          <li key={a.eventId}>
                            {formatDateTime(a.at)}: <code>{a.host}</code> ({kindText(a.kind)}), reference <code>{a.eventId}</code>
                          </li>
                        ))}
                      </ul>
                    </details>
                  </td>
                  <td>{p.recommendation === 'supervised-only' ? 'Supervised-only use' : 'Adult: refer to the headteacher (nothing enforced)'}</td>
                  <td>
                    {PROPOSAL_STATUS[p.status]}
                    {p.decisionReason ? (
                      <>
                        <br />
                        <span className="hint">
                          {p.decidedBy}: {p.decisionReason}
                        </span>
                      </>
                    ) : null}
                  </td>
                  {settings.decider ? (
                    <td>
                      {p.status !== 'open' ? null : acting?.id === p.id ? (
                        acting.kind === 'impose' ? (
                          <DecideForm
                            label={`Impose a sanction on ${personText(p)}`}
                            settings={settings}
                            withDuration
                            submitText="Impose"
                            onCancel={() => setActing(null)}
                            onSubmit={async (reason, duration) => {
                              await api.post('/api/sanctions', { proposal: p.id, reason, ...(duration ? { duration } : {}) });
                              finish(`${personText(p)} may now use the internet at school only in a supervised session.`);
                            }}
                          />
                        ) : (
                          <DecideForm
                            label={`${p.recommendation === 'refer' ? 'Close the referral about' : 'Decline the proposal for'} ${personText(p)}`}
                            settings={settings}
                            submitText={p.recommendation === 'refer' ? 'Close' : 'Decline'}
                            onCancel={() => setActing(null)}
                            onSubmit={async (reason) => {
                              await api.post(`/api/sanctions/proposals/${encodeURIComponent(p.id)}/decline`, { reason });
                              finish(`The proposal for ${personText(p)} was ${p.recommendation === 'refer' ? 'closed' : 'declined'}.`);
                            }}
                          />
                        )
                      ) : (
                        <div className="button-row">
                          {p.recommendation === 'supervised-only' ? (
                            <button type="button" className="button-small" onClick={() => setActing({ id: p.id, kind: 'impose' })}>
                              Impose<span className="visually-hidden"> a sanction on {personText(p)}</span>
                            </button>
                          ) : null}
                          <button type="button" className="button-small" onClick={() => setActing({ id: p.id, kind: 'decline' })}>
                            {p.recommendation === 'refer' ? 'Close' : 'Decline'}
                            <span className="visually-hidden"> the proposal for {personText(p)}</span>
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
      {data?.nextCursor ? <p className="hint">Showing the newest {items.length}.</p> : null}
    </section>
  );
}

function SanctionsSection({ route, settings, generation, onChanged }: SectionProps) {
  const session = useSession();
  const state = route.params.get('sanctions') === 'all' ? 'all' : 'active';
  const { data, error, loading, reload } = useApi<SanctionList<Sanction>>(withQuery('/api/sanctions', { state }));
  useReloadOn(generation, reload);
  const [lifting, setLifting] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const items = data?.items ?? [];
  const canSupervise = session.can('supervision.open') && settings.supervisor !== 'no';
  const highlighted = route.params.get('sanction');

  const run = async (id: string, work: () => Promise<string>) => {
    setBusy(id);
    setActionError(null);
    try {
      const text = await work();
      onChanged(text);
      reload();
    } catch (reason) {
      setActionError(asApiError(reason));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section aria-labelledby="sanctions-heading">
      <div className="results-bar">
        <h2 id="sanctions-heading">{state === 'all' ? 'All sanctions' : 'Sanctions in force'}</h2>
        <ShowChoice
          name="sanction-state"
          legend="Show"
          value={state}
          options={[
            ['active', 'In force'],
            ['all', 'All, with past ones'],
          ]}
          onChoose={(v) => navigate('sanctions', routeParams(route, { sanctions: v === 'all' ? 'all' : null }))}
        />
      </div>
      {settings.supervisor === 'own-classes' ? <p className="hint">You see, and can supervise, the pupils of your own classes.</p> : null}
      <ErrorMessage error={error} />
      <ErrorMessage error={actionError} title="That did not work" />
      {loading && !data ? <Loading what="sanctions" /> : null}
      {data && items.length === 0 ? <p>{state === 'active' ? 'No sanctions are in force.' : 'No sanctions have been imposed.'}</p> : null}
      {items.length > 0 ? (
        <TableRegion label="Sanctions">
          <table>
            <caption className="visually-hidden">{state === 'all' ? 'All supervised-only sanctions, newest first' : 'Supervised-only sanctions in force, newest first'}</caption>
            <thead>
              <tr>
                <th scope="col">Pupil</th>
                <th scope="col">Reason</th>
                <th scope="col">Imposed</th>
                <th scope="col">Ends</th>
                <th scope="col">Status</th>
                <th scope="col">Supervised session</th>
                {settings.decider ? <th scope="col">Lift</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id} className={s.id === highlighted ? 'highlight' : undefined} aria-current={s.id === highlighted ? 'true' : undefined}>
                  <td>{personText(s)}</td>
                  <td>{s.reason}</td>
                  <td className="nowrap">
                    {formatDateTime(s.imposedAt)}
                    <br />
                    <span className="hint">by {s.imposedBy}</span>
                  </td>
                  <td className="nowrap">{formatDateTime(s.status === 'lifted' ? s.liftedAt : s.endsAt)}</td>
                  <td>
                    {SANCTION_STATUS[s.status]}
                    {s.liftReason ? (
                      <>
                        <br />
                        <span className="hint">
                          {s.liftedBy}: {s.liftReason}
                        </span>
                      </>
                    ) : null}
                  </td>
                  <td>
                    <SessionCell
                      sanction={s}
                      canSupervise={canSupervise}
                      busy={busy === s.id}
                      onOpen={() =>
                        run(s.id, async () => {
                          const opened = await api.post<SupervisedSession>(`/api/sanctions/${encodeURIComponent(s.id)}/sessions`);
                          return `A supervised session for ${personText(s)} is open until ${formatDateTime(opened.endsAt)}.`;
                        })
                      }
                      onClose={(sessionId) =>
                        run(s.id, async () => {
                          await api.post(`/api/sanctions/sessions/${encodeURIComponent(sessionId)}/close`);
                          return `The supervised session for ${personText(s)} has ended; their web access is blocked again.`;
                        })
                      }
                    />
                  </td>
                  {settings.decider ? (
                    <td>
                      {s.status !== 'active' ? null : lifting === s.id ? (
                        <DecideForm
                          label={`Lift the sanction on ${personText(s)}`}
                          settings={settings}
                          submitText="Lift"
                          danger
                          onCancel={() => setLifting(null)}
                          onSubmit={async (reason) => {
                            await api.post(`/api/sanctions/${encodeURIComponent(s.id)}/lift`, { reason });
                            setLifting(null);
                            onChanged(`The sanction on ${personText(s)} was lifted; they use the internet as usual again.`);
                            reload();
                          }}
                        />
                      ) : (
                        <button type="button" className="button-small" onClick={() => setLifting(s.id)}>
                          Lift<span className="visually-hidden"> the sanction on {personText(s)}</span>
                        </button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {data?.nextCursor ? <p className="hint">Showing the newest {items.length}.</p> : null}
    </section>
  );
}

function SessionCell({
  sanction,
  canSupervise,
  busy,
  onOpen,
  onClose,
}: {
  sanction: Sanction;
  canSupervise: boolean;
  busy: boolean;
  onOpen(): void;
  onClose(sessionId: string): void;
}) {
  if (sanction.status !== 'active') return <>—</>;
  const open = sanction.session;
  if (open) {
    return (
      <>
        Open until {formatDateTime(open.endsAt)} ({open.openedBy})
        {canSupervise ? (
          <>
            <br />
            <button type="button" className="button-small" disabled={busy} onClick={() => onClose(open.id)}>
              End the session<span className="visually-hidden"> for {personText(sanction)}</span>
            </button>
          </>
        ) : null}
      </>
    );
  }
  return canSupervise ? (
    <button type="button" className="button-small" disabled={busy} onClick={onOpen}>
      Start a supervised session<span className="visually-hidden"> for {personText(sanction)}</span>
    </button>
  ) : (
    <>None open</>
  );
}

function DecideForm({
  label,
  settings,
  withDuration = false,
  submitText,
  danger = false,
  onSubmit,
  onCancel,
}: {
  label: string;
  settings: SanctionSettings;
  withDuration?: boolean;
  submitText: string;
  danger?: boolean;
  onSubmit(reason: string, duration: string | null): Promise<void>;
  onCancel(): void;
}) {
  const [reason, setReason] = useState('');
  const [duration, setDuration] = useState(settings.defaultDuration ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(reason.trim(), withDuration && duration.trim() !== '' ? duration.trim() : null);
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="revoke-form" onSubmit={(e) => void submit(e)} aria-label={label}>
      {withDuration ? (
        <TextField
          label="For how long"
          hint={`e.g. 3d, 2w; at most ${settings.maxDuration ?? 'the policy maximum'}`}
          value={duration}
          onValue={setDuration}
          autoCapitalize="none"
          spellCheck={false}
          problem={problemFor(error?.problems, 'duration') ?? problemFor(error?.problems, 'body.duration')}
        />
      ) : null}
      <TextField label="Reason" value={reason} onValue={setReason} required problem={problemFor(error?.problems, 'reason') ?? problemFor(error?.problems, 'body.reason')} />
      <ErrorMessage error={error} />
      <div className="button-row">
        <button type="submit" className={danger ? 'button-danger' : 'button-primary'} disabled={busy}>
          {submitText}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ImposeForm({ settings, onImposed }: { settings: SanctionSettings; onImposed(text: string): void }) {
  const [person, setPerson] = useState('');
  const [duration, setDuration] = useState(settings.defaultDuration ?? '');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const imposed = await api.post<Sanction>('/api/sanctions', { person: person.trim(), reason: reason.trim(), ...(duration.trim() ? { duration: duration.trim() } : {}) });
      onImposed(`${personText(imposed)} may now use the internet at school only in a supervised session, until ${formatDateTime(imposed.endsAt)}.`);
      setPerson('');
      setReason('');
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="impose-heading">
      <h2 id="impose-heading">Impose a sanction without a proposal</h2>
      <form onSubmit={(e) => void submit(e)} className="grant-form">
        <TextField
          label="Pupil's username"
          value={person}
          onValue={setPerson}
          autoCapitalize="none"
          spellCheck={false}
          required
          problem={problemFor(error?.problems, 'person') ?? problemFor(error?.problems, 'body.person')}
        />
        <TextField
          label="For how long"
          hint={`e.g. 3d, 2w; at most ${settings.maxDuration ?? 'the policy maximum'}`}
          value={duration}
          onValue={setDuration}
          autoCapitalize="none"
          spellCheck={false}
          problem={problemFor(error?.problems, 'duration') ?? problemFor(error?.problems, 'body.duration')}
        />
        <TextArea
          label="Reason"
          hint="Recorded with the decision and shown to staff who can see sanctions"
          value={reason}
          onValue={setReason}
          rows={2}
          required
          className="field-wide"
          problem={problemFor(error?.problems, 'reason') ?? problemFor(error?.problems, 'body.reason')}
        />
        <ErrorMessage error={error} title="The sanction was not imposed" />
        <div className="button-row field-wide">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Imposing…' : 'Impose the sanction'}
          </button>
        </div>
      </form>
    </section>
  );
}
