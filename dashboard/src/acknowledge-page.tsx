// The policy acknowledgement: the clauses staff are asked to read (what they may post online,
// 6.6–6.10, and not leaving devices signed in, 6.16) with their titles from the policy, and
// "I have read and accept", recorded with the time and the version shown.
import { useState, type FormEvent } from 'react';
import { api, ApiError } from './api-client.ts';
import type { AcknowledgementView, MyAcknowledgement } from './compliance-types.ts';
import { formatDateTime } from './format.ts';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { useApi } from './use-api.ts';

export function AcknowledgePage() {
  const { data, error, loading, reload } = useApi<MyAcknowledgement>('/api/compliance/acknowledgement');
  return (
    <>
      <h1 tabIndex={-1}>Policy acknowledgement</h1>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the policy" /> : null}
      {data ? <Acknowledgement info={data} onAccepted={reload} /> : null}
    </>
  );
}

function dueText(info: MyAcknowledgement): string | null {
  const { state } = info;
  if (state.dueAt === null) return null;
  if (state.state === 'overdue') return `This was due on ${formatDateTime(state.dueAt)}.`;
  if (state.state === 'due') return `Please accept it by ${formatDateTime(state.dueAt)}.`;
  return null;
}

function Acknowledgement({ info, onAccepted }: { info: MyAcknowledgement; onAccepted(): void }) {
  const [ticked, setTicked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<AcknowledgementView | null>(null);
  const accepted = done ?? info.accepted;
  const { policy } = info;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setDone(await api.post<AcknowledgementView>('/api/compliance/acknowledgement', { versionKey: policy.key, accept: true }));
      onAccepted();
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p className="lead">
        {policy.policyName || 'The policy'}, version <strong>{policy.version}</strong>
        {policy.owner ? `, owned by ${policy.owner}` : ''}. Read what it asks of you below.
      </p>
      {accepted ? (
        <Success>
          You accepted version {accepted.version} on {formatDateTime(accepted.at)}.
        </Success>
      ) : info.required ? (
        <p>{dueText(info)}</p>
      ) : (
        <p className="muted">Your role is not asked to accept the policy, but you may.</p>
      )}
      <section className="panel" aria-labelledby="ack-clauses-heading">
        <h2 id="ack-clauses-heading">What the policy asks of you</h2>
        {policy.clauses.length === 0 ? (
          <p>The policy lists no clauses to show here.</p>
        ) : (
          <ol className="clauses">
            {policy.clauses.map((clause) => (
              <li key={clause.id} className="clause">
                <span className="code">{clause.id}</span> <span className="clause-text">{clause.title || 'This clause has no title in the policy.'}</span>
              </li>
            ))}
          </ol>
        )}
      </section>
      {accepted ? null : (
        <form onSubmit={(e) => void submit(e)} aria-label="Accept the policy">
          <div className="choice">
            <input id="ack-accept" type="checkbox" checked={ticked} onChange={(e) => setTicked(e.target.checked)} required />
            <label htmlFor="ack-accept">I have read and accept version {policy.version} of the policy</label>
          </div>
          <ErrorMessage error={error} title="Your acceptance was not recorded" />
          <div className="button-row">
            <button type="submit" className="button-primary" disabled={busy}>
              {busy ? 'Recording…' : 'Accept'}
            </button>
          </div>
        </form>
      )}
    </>
  );
}
