// The audit log: who changed what, when and why, with before and after; and a check that the
// hash chain is unbroken (no entry removed or altered since it was written).
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, withQuery } from './api-client.ts';
import type { AuditEntry, AuditVerify, Page } from './api-types.ts';
import { TextField } from './controls.tsx';
import { formatDateTime, fromLocalInput, toLocalInput } from './format.ts';
import { hrefFor, navigate, type Route } from './hash-route.ts';
import { ErrorMessage, Loading } from './status.tsx';
import { Pager } from './pager.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

export function AuditPage({ route }: { route: Route }) {
  const filters = { actor: route.params.get('actor') ?? '', subject: route.params.get('subject') ?? '', from: route.params.get('from') ?? '', to: route.params.get('to') ?? '' };
  const key = JSON.stringify(filters);
  const [draft, setDraft] = useState(filters);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  useEffect(() => {
    setDraft(JSON.parse(key) as typeof filters);
    setCursors([null]);
  }, [key]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data, error, loading } = useApi<Page<AuditEntry>>(withQuery('/api/audit', { ...filters, cursor, limit: 50 }));
  const [verify, setVerify] = useState<AuditVerify | null>(null);
  const [verifyError, setVerifyError] = useState<ApiError | null>(null);
  const [verifying, setVerifying] = useState(false);

  const check = async () => {
    setVerifying(true);
    setVerifyError(null);
    try {
      setVerify(await api.get<AuditVerify>('/api/audit/verify'));
    } catch (reason) {
      setVerify(null);
      setVerifyError(reason instanceof ApiError ? reason : null);
    } finally {
      setVerifying(false);
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate('audit', draft);
  };

  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <p className="lead">Every change to the policy, overrides, people, accounts and settings, and every reading of a named member of staff's browsing.</p>
      <section className="panel" aria-labelledby="verify-heading">
        <h2 id="verify-heading">Check the log is intact</h2>
        <p>Each entry carries a hash of the one before, so a removed or altered entry breaks the chain.</p>
        <button type="button" onClick={() => void check()} disabled={verifying}>
          {verifying ? 'Checking…' : 'Check the chain'}
        </button>
        <div aria-live="polite">
          {verify ? (
            <p className={`message ${verify.ok ? 'message-success' : 'message-error'}`}>
              {verify.ok
                ? `The chain is intact: every entry follows from the one before${verify.checkedAt ? ` (checked ${formatDateTime(verify.checkedAt)})` : ''}.`
                : `The chain is broken at entry ${verify.brokenAt ?? '?'}: that entry or one before it was changed or removed. Tell the headteacher and keep a copy of the database.`}
            </p>
          ) : null}
        </div>
        <ErrorMessage error={verifyError} />
      </section>
      <form className="filters" onSubmit={submit} aria-label="Filter the audit log">
        <TextField label="Who (username)" value={draft.actor} onValue={(v) => setDraft((d) => ({ ...d, actor: v }))} autoCapitalize="none" />
        <TextField label="What (subject)" hint="exactly as listed, e.g. person:gwendolyn.ash" value={draft.subject} onValue={(v) => setDraft((d) => ({ ...d, subject: v }))} autoCapitalize="none" />
        <TextField label="From" type="datetime-local" value={draft.from ? toLocalInput(Number(draft.from)) : ''} onValue={(v) => setDraft((d) => ({ ...d, from: v ? String(fromLocalInput(v) ?? '') : '' }))} />
        <TextField label="To" type="datetime-local" value={draft.to ? toLocalInput(Number(draft.to)) : ''} onValue={(v) => setDraft((d) => ({ ...d, to: v ? String(fromLocalInput(v) ?? '') : '' }))} />
        <div className="filter-actions">
          <button type="submit" className="button-primary">
            Filter
          </button>
        </div>
      </form>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the audit log" /> : null}
      {data && data.items.length === 0 ? <p>No entries match.</p> : null}
      {data && data.items.length > 0 ? (
        <TableRegion label="Audit log entries">
          <table className="audit-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Subject</th>
                <th scope="col">Why</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((entry) => (
                <tr key={entry.seq}>
                  <td className="num">{entry.seq}</td>
                  <td className="nowrap">{formatDateTime(entry.at)}</td>
                  <td>
                    <a href={hrefFor('audit', { actor: entry.actor })}>{entry.actor}</a>
                  </td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td className="break">
                    <a href={hrefFor('audit', { subject: entry.subject })}>{entry.subject}</a>
                  </td>
                  <td>{entry.reason ?? '—'}</td>
                  <td>
                    {entry.before !== null || entry.after !== null ? (
                      <details>
                        <summary>
                          Before and after<span className="visually-hidden"> of entry {entry.seq}</span>
                        </summary>
                        <div className="diff">
                          <div>
                            <p className="muted">Before</p>
                            <pre>{show(entry.before) || '(nothing)'}</pre>
                          </div>
                          <div>
                            <p className="muted">After</p>
                            <pre>{show(entry.after) || '(nothing)'}</pre>
                          </div>
                        </div>
                      </details>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {data ? (
        <Pager label="Pages of the audit log" cursors={cursors} nextCursor={data.nextCursor} onChange={setCursors} />
      ) : null}
    </>
  );
}
