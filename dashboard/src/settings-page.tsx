// Settings: the enforcement points and their state, how long each kind of record is kept, and
// who is told about alerts (editable by the roles allowed to).
import { useState, type FormEvent } from 'react';
import { api, ApiError } from './api-client.ts';
import type { AlertKind, AlertRecipient, SettingsView } from './api-types.ts';
import { problemFor, TextField } from './controls.tsx';
import { humanise } from './format.ts';
import { pointTitle } from './overview-page.tsx';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

interface PointRow {
  name: string;
  enabled: boolean;
  listening: string | null;
  healthy: boolean | null;
  failMode: string | null;
}

/** Points arrive as a list or as a map of name → state (as `/health` has them). */
export function pointRows(points: unknown): PointRow[] {
  const entries: Array<[string, unknown]> = Array.isArray(points)
    ? points.map((p, i) => [typeof (p as { name?: unknown }).name === 'string' ? (p as { name: string }).name : `point ${i + 1}`, p])
    : typeof points === 'object' && points !== null
      ? Object.entries(points)
      : [];
  return entries.map(([name, value]) => {
    const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    return {
      name,
      enabled: v.enabled !== false,
      listening: typeof v.listening === 'string' ? v.listening : null,
      healthy: typeof v.healthy === 'boolean' ? v.healthy : null,
      failMode: typeof v.failMode === 'string' ? v.failMode : null,
    };
  });
}

const retentionWords: Record<string, string> = { decisions: 'Decision log', quarantine: 'Stopped mail', incidents: 'Incidents and evidence', audit: 'Audit log' };

function durationText(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  const match = /^(\d+)\s*([dwmyh])$/.exec(value.trim());
  if (!match) return value;
  const n = Number(match[1]);
  const unit = { h: 'hour', d: 'day', w: 'week', m: 'month', y: 'year' }[match[2] as 'h' | 'd' | 'w' | 'm' | 'y'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

export function SettingsPage() {
  const session = useSession();
  const { data, error, loading, reload } = useApi<SettingsView>('/api/settings');
  const points = pointRows(data?.points);
  return (
    <>
      <h1 tabIndex={-1}>Settings</h1>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="settings" /> : null}
      {data ? (
        <>
          <section aria-labelledby="points-heading">
            <h2 id="points-heading">Enforcement points</h2>
            <p>Where the policy is enforced. Addresses and ports are set in Hedgerow's configuration file.</p>
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
                  {points.map((p) => (
                    <tr key={p.name}>
                      <th scope="row">{pointTitle(p.name)}</th>
                      <td>
                        <span className={`health ${!p.enabled ? 'health-off' : p.healthy === false ? 'health-bad' : 'health-ok'}`}>
                          {!p.enabled ? 'Off' : p.healthy === false ? 'Not working' : p.listening ? 'Working' : 'On'}
                        </span>
                      </td>
                      <td>{p.listening ? <code>{p.listening}</code> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          </section>
          <section aria-labelledby="retention-heading">
            <h2 id="retention-heading">How long records are kept</h2>
            <p>Set in the policy; older records are deleted automatically.</p>
            <dl className="facts facts-wide">
              {Object.entries(data.retention ?? {}).map(([key, value]) => (
                <div key={key}>
                  <dt>{retentionWords[key] ?? humanise(key)}</dt>
                  <dd>{durationText(value)}</dd>
                </div>
              ))}
            </dl>
          </section>
          <AlertRecipients recipients={data.alertRecipients ?? []} canEdit={session.can('settings.edit')} onSaved={reload} />
        </>
      ) : null}
    </>
  );
}

const ALERT_KINDS: ReadonlyArray<{ id: AlertKind; title: string }> = [
  { id: 'circumvention', title: 'Attempts to get round the filter' },
  { id: 'unblock-request', title: 'Requests to unblock a site' },
  { id: 'enforcement-health', title: 'An enforcement point stops working' },
  { id: 'legal-block', title: 'A site on a legal list is requested' },
];

interface DraftRecipient {
  key: number;
  address: string;
  name: string;
  alerts: ReadonlySet<AlertKind>;
}

let nextKey = 1;
function draftOf(r: AlertRecipient): DraftRecipient {
  return { key: nextKey++, address: r.address, name: r.name ?? '', alerts: new Set(r.alerts) };
}

function AlertRecipients({ recipients, canEdit, onSaved }: { recipients: AlertRecipient[]; canEdit: boolean; onSaved(): void }) {
  const [editing, setEditing] = useState(false);
  const [rows, setRows] = useState<DraftRecipient[]>([]);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);

  const update = (key: number, change: Partial<DraftRecipient>) => setRows((list) => list.map((r) => (r.key === key ? { ...r, ...change } : r)));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const body = rows
      .filter((r) => r.address.trim() !== '')
      .map((r) => ({ address: r.address.trim(), ...(r.name.trim() ? { name: r.name.trim() } : {}), alerts: ALERT_KINDS.map((k) => k.id).filter((k) => r.alerts.has(k)) }));
    try {
      await api.put('/api/settings/alerts', { recipients: body, ...(reason.trim() ? { reason: reason.trim() } : {}) });
      setEditing(false);
      setSaved(true);
      onSaved();
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    }
  };

  return (
    <section aria-labelledby="recipients-heading">
      <h2 id="recipients-heading">Alert recipients</h2>
      <p>Who is emailed, and about what.</p>
      {saved ? <Success>The alert recipients were saved.</Success> : null}
      {editing ? (
        <form onSubmit={(e) => void submit(e)} className="stack">
          {rows.map((row, i) => (
            <fieldset key={row.key} className="panel recipient">
              <legend>Recipient {i + 1}</legend>
              <div className="recipient-fields">
                <TextField label="Email address" type="email" value={row.address} onValue={(v) => update(row.key, { address: v })} required autoCapitalize="none" spellCheck={false} problem={problemFor(error?.problems, `recipients[${i}].address`)} />
                <TextField label="Name (optional)" value={row.name} onValue={(v) => update(row.key, { name: v })} />
              </div>
              <fieldset>
                <legend>Tell them about</legend>
                {ALERT_KINDS.map((kind) => (
                  <div className="choice" key={kind.id}>
                    <input
                      type="checkbox"
                      id={`recipient-${row.key}-${kind.id}`}
                      checked={row.alerts.has(kind.id)}
                      onChange={(e) => {
                        const next = new Set(row.alerts);
                        if (e.target.checked) next.add(kind.id);
                        else next.delete(kind.id);
                        update(row.key, { alerts: next });
                      }}
                    />
                    <label htmlFor={`recipient-${row.key}-${kind.id}`}>{kind.title}</label>
                  </div>
                ))}
                {problemFor(error?.problems, `recipients[${i}].alerts`) ? <p className="field-problem">Choose at least one kind of alert</p> : null}
              </fieldset>
              <button type="button" className="button-small" onClick={() => setRows((list) => list.filter((r) => r.key !== row.key))}>
                Remove<span className="visually-hidden"> recipient {i + 1}</span>
              </button>
            </fieldset>
          ))}
          <div>
            <button type="button" onClick={() => setRows((list) => [...list, { key: nextKey++, address: '', name: '', alerts: new Set(ALERT_KINDS.map((k) => k.id)) }])}>
              Add a recipient
            </button>
          </div>
          <TextField label="Reason for the change (optional)" value={reason} onValue={setReason} className="narrow" />
          <ErrorMessage error={error} title="The recipients were not saved" />
          <div className="button-row">
            <button type="submit" className="button-primary">
              Save
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          {recipients.length === 0 ? (
            <p>Nobody is set to receive alerts.</p>
          ) : (
            <TableRegion label="Alert recipients">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Recipient</th>
                    <th scope="col">Told about</th>
                  </tr>
                </thead>
                <tbody>
                  {recipients.map((r) => (
                    <tr key={r.address}>
                      <th scope="row">
                        {r.name ? `${r.name} ` : ''}
                        <span className={r.name ? 'cell-note' : ''}>{r.address}</span>
                      </th>
                      <td>{r.alerts.map((a) => ALERT_KINDS.find((k) => k.id === a)?.title ?? a).join('; ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )}
          {canEdit ? (
            <button
              type="button"
              onClick={() => {
                setRows(recipients.map(draftOf));
                setReason('');
                setSaved(false);
                setEditing(true);
              }}
            >
              Change the recipients
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}
