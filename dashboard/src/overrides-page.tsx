// Overrides: a teacher opens a site or a category to a class for a lesson, with a reason and an
// end; everyone sees what is in force; the right people revoke with a reason. All of it audited
// by the API and in force on the running filters at once.
import { useState, type FormEvent } from 'react';
import { api, ApiError, withQuery } from './api-client.ts';
import type { Override, Page } from './api-types.ts';
import { problemFor, SelectField, TextArea, TextField } from './controls.tsx';
import { formatDateTime, fromLocalInput, splitList, toLocalInput, type Named } from './format.ts';
import { navigate, type Route } from './hash-route.ts';
import { usePolicyNames, type PolicyNames } from './policy-names.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

function describeScope(o: Override, names: PolicyNames): string {
  const parts = [
    ...(o.scope.groups ?? []).map((g) => names.title('groups', g)),
    ...(o.scope.roles ?? []).map((r) => names.title('roles', r)),
    ...(o.scope.people ?? []),
  ];
  return parts.length > 0 ? parts.join(', ') : 'Everyone';
}

function describeWhat(o: Override, names: PolicyNames): string {
  return [...(o.what.sites ?? []), ...(o.what.categories ?? []).map((c) => names.title('categories', c))].join(', ');
}

const STATE_WORDS: Record<string, string> = { active: 'In force', scheduled: 'Starts later', expired: 'Ended', revoked: 'Revoked' };

/** The API's state when it gives one (its clock is the filters' clock), else judged here. */
function stateOf(o: Override, now: number): string {
  if (o.revokedAt) return 'Revoked';
  if (o.state) return STATE_WORDS[o.state] ?? o.state;
  if (o.until !== null && o.until <= now) return 'Ended';
  if (o.from > now) return 'Starts later';
  return 'In force';
}

function itemsOf(data: Page<Override> | Override[] | null): Override[] {
  if (!data) return [];
  return Array.isArray(data) ? data : data.items;
}

export function OverridesPage({ route }: { route: Route }) {
  const session = useSession();
  const names = usePolicyNames(session.can('policy.read'));
  const state = route.params.get('state') === 'all' ? 'all' : 'active';
  const canRead = session.can('overrides.read');
  const { data, error, loading, reload } = useApi<Page<Override> | Override[]>(canRead ? withQuery('/api/overrides', { state }) : null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const canGrant = session.canAny('overrides.grant.any', 'overrides.grant.own-classes');
  const overrides = itemsOf(data);
  const now = Date.now();

  return (
    <>
      <h1 tabIndex={-1}>Overrides</h1>
      <p className="lead">Open a site or a category to a class for a lesson or a period. Every override has a reason and an end, and can be revoked.</p>
      {done ? <Success>{done}</Success> : null}
      {canGrant ? (
        <GrantForm
          names={names}
          onGranted={(text) => {
            setDone(text);
            reload();
          }}
        />
      ) : null}
      {canRead ? (
        <section aria-labelledby="overrides-heading">
          <div className="results-bar">
            <h2 id="overrides-heading">{state === 'all' ? 'All overrides' : 'Overrides in force or to come'}</h2>
            <fieldset className="segmented">
              <legend>Show</legend>
              {(['active', 'all'] as const).map((s) => (
                <div className="choice" key={s}>
                  <input type="radio" id={`state-${s}`} name="override-state" checked={state === s} onChange={() => navigate('overrides', s === 'all' ? { state: 'all' } : {})} />
                  <label htmlFor={`state-${s}`}>{s === 'all' ? 'All, with past ones' : 'In force'}</label>
                </div>
              ))}
            </fieldset>
          </div>
          <ErrorMessage error={error} />
          {loading && !data ? <Loading what="overrides" /> : null}
          {data && overrides.length === 0 ? <p>{state === 'all' ? 'No overrides have been granted.' : 'No overrides are in force.'}</p> : null}
          {overrides.length > 0 ? (
            <TableRegion label="Overrides">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Who</th>
                    <th scope="col">What</th>
                    <th scope="col">From</th>
                    <th scope="col">Until</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Granted by</th>
                    <th scope="col">State</th>
                    {session.can('overrides.revoke') ? <th scope="col">Revoke</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {overrides.map((o) => {
                    const status = stateOf(o, now);
                    return (
                      <tr key={o.id}>
                        <td>{describeScope(o, names)}</td>
                        <td className="break">{describeWhat(o, names)}</td>
                        <td className="nowrap">{formatDateTime(o.from)}</td>
                        <td className="nowrap">{o.until === null ? 'No end' : formatDateTime(o.until)}</td>
                        <td>{o.reason}</td>
                        <td>{o.grantedBy ?? '—'}</td>
                        <td>{status}</td>
                        {session.can('overrides.revoke') ? (
                          <td>
                            {status === 'Revoked' || status === 'Ended' ? null : revoking === o.id ? (
                              <RevokeForm
                                override={o}
                                label={`${describeWhat(o, names)} for ${describeScope(o, names)}`}
                                onCancel={() => setRevoking(null)}
                                onRevoked={() => {
                                  setRevoking(null);
                                  setDone(`The override of ${describeWhat(o, names)} for ${describeScope(o, names)} was revoked.`);
                                  reload();
                                }}
                              />
                            ) : (
                              <button type="button" className="button-small" onClick={() => setRevoking(o.id)}>
                                Revoke<span className="visually-hidden"> {describeWhat(o, names)} for {describeScope(o, names)}</span>
                              </button>
                            )}
                          </td>
                        ) : null}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableRegion>
          ) : null}
        </section>
      ) : null}
    </>
  );
}

function RevokeForm({ override, label, onRevoked, onCancel }: { override: Override; label: string; onRevoked(): void; onCancel(): void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await api.delete(`/api/overrides/${encodeURIComponent(override.id)}`, { reason: reason.trim() });
      onRevoked();
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    }
  };
  return (
    <form className="revoke-form" onSubmit={(e) => void submit(e)} aria-label={`Revoke ${label}`}>
      <TextField label="Reason for revoking" value={reason} onValue={setReason} required />
      <ErrorMessage error={error} />
      <div className="button-row">
        <button type="submit" className="button-danger">
          Revoke
        </button>
        <button type="button" onClick={onCancel}>
          Keep
        </button>
      </div>
    </form>
  );
}

function GrantForm({ names, onGranted }: { names: PolicyNames; onGranted(text: string): void }) {
  const session = useSession();
  const any = session.can('overrides.grant.any');
  // With own-classes only, the choice is the teacher's own classes.
  const groupChoices: Named[] = any ? names.groups : session.account.groups.map((g) => ({ id: g, title: names.title('groups', g), extra: {} }));
  const [whoKind, setWhoKind] = useState<'groups' | 'roles' | 'people'>('groups');
  const [group, setGroup] = useState('');
  const [role, setRole] = useState('');
  const [people, setPeople] = useState('');
  const [whatKind, setWhatKind] = useState<'sites' | 'categories'>('sites');
  const [site, setSite] = useState('');
  const [category, setCategory] = useState('');
  const [howLong, setHowLong] = useState<'minutes' | 'until'>('minutes');
  const [minutes, setMinutes] = useState('60');
  const [until, setUntil] = useState(() => toLocalInput(Date.now() + 60 * 60_000));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const chosenGroup = group || groupChoices[0]?.id || '';
  const chosenRole = role || names.roles[0]?.id || '';
  const chosenCategory = category || names.categories[0]?.id || '';

  if (!any && groupChoices.length === 0) {
    return (
      <section className="panel" aria-labelledby="grant-heading">
        <h2 id="grant-heading">Grant an override</h2>
        <p>You can grant overrides to your own classes, but the roster lists no classes for you. Ask the network manager to check the roster.</p>
      </section>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const scope =
      whoKind === 'groups' ? { groups: [chosenGroup] } : whoKind === 'roles' ? { roles: [chosenRole] } : { people: splitList(people) };
    const what = whatKind === 'sites' ? { sites: splitList(site) } : { categories: [chosenCategory] };
    const end = howLong === 'minutes' ? { minutes: Number(minutes) } : { until: fromLocalInput(until) };
    try {
      await api.post('/api/overrides', { scope, what, ...end, reason: reason.trim() });
      const whoText = whoKind === 'groups' ? names.title('groups', chosenGroup) : whoKind === 'roles' ? names.title('roles', chosenRole) : people;
      const whatText = whatKind === 'sites' ? splitList(site).join(', ') : names.title('categories', chosenCategory);
      onGranted(`${whatText} is now open to ${whoText} ${howLong === 'minutes' ? `for ${minutes} minutes` : `until ${formatDateTime(fromLocalInput(until))}`}.`);
      setSite('');
      setReason('');
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="grant-heading">
      <h2 id="grant-heading">Grant an override</h2>
      <form onSubmit={(e) => void submit(e)} className="grant-form">
        <div className="grant-step">
          {any ? (
            <fieldset className="segmented">
              <legend>Who</legend>
              {(['groups', 'roles', 'people'] as const).map((k) => (
                <div className="choice" key={k}>
                  <input type="radio" id={`grant-who-${k}`} name="grant-who" checked={whoKind === k} onChange={() => setWhoKind(k)} />
                  <label htmlFor={`grant-who-${k}`}>{k === 'groups' ? 'A class or group' : k === 'roles' ? 'A role' : 'People'}</label>
                </div>
              ))}
            </fieldset>
          ) : null}
          {whoKind === 'groups' ? (
            groupChoices.length > 0 ? (
              <SelectField label="Class or group" value={chosenGroup} onValue={setGroup} options={groupChoices} problem={problemFor(error?.problems, 'scope')} />
            ) : (
              <TextField label="Class or group" value={group} onValue={setGroup} required problem={problemFor(error?.problems, 'scope')} />
            )
          ) : whoKind === 'roles' ? (
            names.roles.length > 0 ? (
              <SelectField label="Role" value={chosenRole} onValue={setRole} options={names.roles} problem={problemFor(error?.problems, 'scope')} />
            ) : (
              <TextField label="Role" value={role} onValue={setRole} required problem={problemFor(error?.problems, 'scope')} />
            )
          ) : (
            <TextField label="Usernames" hint="Separate several with commas" value={people} onValue={setPeople} required problem={problemFor(error?.problems, 'scope')} />
          )}
        </div>
        <div className="grant-step">
          <fieldset className="segmented">
            <legend>What</legend>
            {(['sites', 'categories'] as const).map((k) => (
              <div className="choice" key={k}>
                <input type="radio" id={`grant-what-${k}`} name="grant-what" checked={whatKind === k} onChange={() => setWhatKind(k)} />
                <label htmlFor={`grant-what-${k}`}>{k === 'sites' ? 'A site' : 'A category'}</label>
              </div>
            ))}
          </fieldset>
          {whatKind === 'sites' ? (
            <TextField
              label="Site"
              hint="e.g. www.example.org; includes its subdomains"
              value={site}
              onValue={setSite}
              autoCapitalize="none"
              spellCheck={false}
              required
              problem={problemFor(error?.problems, 'what')}
            />
          ) : names.categories.length > 0 ? (
            <SelectField label="Category" value={chosenCategory} onValue={setCategory} options={names.categories} problem={problemFor(error?.problems, 'what')} />
          ) : (
            <TextField label="Category" value={category} onValue={setCategory} required problem={problemFor(error?.problems, 'what')} />
          )}
        </div>
        <div className="grant-step">
          <fieldset className="segmented">
            <legend>For how long</legend>
            <div className="choice">
              <input type="radio" id="grant-for" name="grant-how-long" checked={howLong === 'minutes'} onChange={() => setHowLong('minutes')} />
              <label htmlFor="grant-for">For a number of minutes</label>
            </div>
            <div className="choice">
              <input type="radio" id="grant-until" name="grant-how-long" checked={howLong === 'until'} onChange={() => setHowLong('until')} />
              <label htmlFor="grant-until">Until a time</label>
            </div>
          </fieldset>
          {howLong === 'minutes' ? (
            <TextField label="Minutes" type="number" min={1} max={60 * 24 * 90} value={minutes} onValue={setMinutes} required problem={problemFor(error?.problems, 'minutes')} />
          ) : (
            <TextField label="Until" type="datetime-local" value={until} onValue={setUntil} required problem={problemFor(error?.problems, 'until')} />
          )}
        </div>
        <TextArea
          label="Reason"
          hint="e.g. the lesson it is for; shown to everyone who can see overrides"
          value={reason}
          onValue={setReason}
          rows={2}
          required
          problem={problemFor(error?.problems, 'reason')}
          className="field-wide"
        />
        <ErrorMessage error={error} title="The override was not granted" />
        <div className="button-row field-wide">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Granting…' : 'Grant the override'}
          </button>
        </div>
      </form>
    </section>
  );
}
