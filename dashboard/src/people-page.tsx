// People and devices: find a person, import the roster (CSV), sync from the school's directory,
// register and remove devices, and see which networks map to which roles.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, withQuery } from './api-client.ts';
import type { Device, Network, Page, PersonRow, RosterReport } from './api-types.ts';
import { ChoiceField, TextField } from './controls.tsx';
import { navigate, type Route } from './hash-route.ts';
import { usePolicyNames, type PolicyNames } from './policy-names.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { Pager } from './pager.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

function itemsOf<T>(data: Page<T> | T[] | { [key: string]: unknown } | null, key: string): T[] {
  if (!data) return [];
  if (Array.isArray(data)) return data;
  const value = (data as Record<string, unknown>).items ?? (data as Record<string, unknown>)[key];
  return Array.isArray(value) ? (value as T[]) : [];
}

/** What `POST /api/people/directory-sync` answers. */
interface DirectorySyncReport {
  added: number;
  updated: number;
  deactivated: number;
  unchanged: number;
  skipped: Array<{ dn: string; reason: string }>;
}

export function PeoplePage({ route }: { route: Route }) {
  const session = useSession();
  const names = usePolicyNames(session.can('policy.read'));
  // bumped after a sync so the list shows what changed
  const [changes, setChanges] = useState(0);
  return (
    <>
      <h1 tabIndex={-1}>People and devices</h1>
      <PeopleSearch route={route} names={names} changes={changes} />
      {session.can('people.import') ? <RosterImport /> : null}
      {session.can('people.import') ? <DirectorySync onSynced={() => setChanges((n) => n + 1)} /> : null}
      <Devices canEdit={session.can('people.import')} />
      <Networks names={names} />
    </>
  );
}

function PeopleSearch({ route, names, changes }: { route: Route; names: PolicyNames; changes: number }) {
  const q = route.params.get('q') ?? '';
  const group = route.params.get('group') ?? '';
  const role = route.params.get('role') ?? '';
  const [draft, setDraft] = useState({ q, group, role });
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const key = `${q}|${group}|${role}`;
  useEffect(() => {
    setDraft({ q, group, role });
    setCursors([null]);
  }, [key, q, group, role]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data, error, loading, reload } = useApi<Page<PersonRow>>(withQuery('/api/people', { q, group, role, cursor }));
  const people = itemsOf<PersonRow>(data, 'people');
  useEffect(() => {
    if (changes > 0) reload();
  }, [changes, reload]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate('people', draft);
  };

  return (
    <section aria-labelledby="people-heading">
      <h2 id="people-heading">People</h2>
      <form className="filters" onSubmit={submit} aria-label="Find people">
        <TextField label="Name or username" type="search" value={draft.q} onValue={(v) => setDraft((d) => ({ ...d, q: v }))} />
        <ChoiceField label="Group or class" value={draft.group} onValue={(v) => setDraft((d) => ({ ...d, group: v }))} options={names.groups} empty="Any group" />
        <ChoiceField label="Role" value={draft.role} onValue={(v) => setDraft((d) => ({ ...d, role: v }))} options={names.roles} empty="Any role" />
        <div className="filter-actions">
          <button type="submit" className="button-primary">
            Find
          </button>
        </div>
      </form>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="people" /> : null}
      {data && people.length === 0 ? <p>No one matches.</p> : null}
      {people.length > 0 ? (
        <TableRegion label="People">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Groups</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {people.map((person) => (
                <tr key={person.username}>
                  <th scope="row">
                    {person.displayName}
                    {person.active === false ? <span className="cell-note">left (inactive)</span> : null}
                  </th>
                  <td>
                    <code>{person.username}</code>
                  </td>
                  <td>{names.title('roles', person.role)}</td>
                  <td>{person.groups.map((g) => names.title('groups', g)).join(', ') || '—'}</td>
                  <td>{person.source === 'ldap' ? 'Directory' : person.source === 'roster' ? 'Roster' : person.source === 'local' ? 'Added by hand' : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {data ? (
        <Pager label="Pages of people" cursors={cursors} nextCursor={data.nextCursor} onChange={setCursors} />
      ) : null}
    </section>
  );
}

function RosterImport() {
  const file = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [report, setReport] = useState<RosterReport | null>(null);
  const [missing, setMissing] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const chosen = file.current?.files?.[0];
    if (!chosen) {
      setMissing(true);
      return;
    }
    setMissing(false);
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      const text = await chosen.text();
      setReport(await api.post<RosterReport>('/api/people/import', undefined, { raw: { text, contentType: 'text/csv' } }));
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    } finally {
      setBusy(false);
    }
  };

  const problems = report?.problems ?? [];
  return (
    <section className="panel" aria-labelledby="import-heading">
      <h2 id="import-heading">Import the roster</h2>
      <p>
        A CSV file from the school's information system with the columns <code>name</code>, <code>username</code>, <code>role</code>, <code>year group</code>,{' '}
        <code>date of birth</code> and <code>groups</code>. Nothing is imported unless every row is good; people already known are updated, and nobody is deleted.
      </p>
      <form onSubmit={(e) => void submit(e)} className="inline-form">
        <div className="field">
          <label htmlFor="roster-file">Roster file (CSV)</label>
          <input id="roster-file" ref={file} type="file" accept=".csv,text/csv" aria-invalid={missing || undefined} aria-describedby={missing ? 'roster-missing' : undefined} />
          {missing ? (
            <p className="field-problem" id="roster-missing">
              Choose a file first
            </p>
          ) : null}
        </div>
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </form>
      <ErrorMessage error={error} title="The roster was not imported" />
      {report ? (
        <Success>
          <p>
            {report.imported ?? 0} new {report.imported === 1 ? 'person' : 'people'}, {report.updated ?? 0} updated
            {problems.length > 0 ? `, ${problems.length} ${problems.length === 1 ? 'row' : 'rows'} with problems (left out):` : '.'}
          </p>
          {problems.length > 0 ? (
            <ul>
              {problems.slice(0, 50).map((p, i) => (
                <li key={i}>{typeof p === 'string' ? p : `${p.line !== undefined ? `line ${p.line}: ` : ''}${p.field ? `${p.field}: ` : ''}${p.message}`}</li>
              ))}
            </ul>
          ) : null}
        </Success>
      ) : null}
    </section>
  );
}

const SKIPPED_SHOWN = 50;

function DirectorySync({ onSynced }: { onSynced: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [report, setReport] = useState<DirectorySyncReport | null>(null);

  const sync = async () => {
    // aria-disabled rather than disabled: a disabled button would drop the keyboard focus
    if (busy) return;
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await api.post<DirectorySyncReport>('/api/people/directory-sync'));
      onSynced();
    } catch (reason) {
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    } finally {
      setBusy(false);
    }
  };

  const skipped = report?.skipped ?? [];
  return (
    <section className="panel" aria-labelledby="directory-sync-heading">
      <h2 id="directory-sync-heading">Sync from the directory</h2>
      <p id="directory-sync-help">
        Adds and updates everyone the school's directory (LDAP) lists, with the role and year group it gives them. People who came from the directory and are no longer
        in it are made inactive; people from the roster or added by hand are left alone. If the directory cannot be read in full, nothing is changed.
      </p>
      <button type="button" className="button-primary" onClick={() => void sync()} aria-disabled={busy || undefined} aria-describedby="directory-sync-help">
        {busy ? 'Syncing…' : 'Sync from directory'}
      </button>
      {/* always present, so screen readers announce the result when it appears */}
      <div role="status" aria-live="polite" aria-atomic="true">
        {busy ? <p>Reading the directory…</p> : null}
        {report ? (
          <div className="message message-success">
            <p className="message-title">The directory sync finished</p>
            <p>
              {report.added} added, {report.updated} updated, {report.deactivated} made inactive, {report.unchanged} unchanged
              {skipped.length > 0 ? `; ${skipped.length} directory ${skipped.length === 1 ? 'entry was' : 'entries were'} left out:` : '.'}
            </p>
            {skipped.length > 0 ? (
              <ul>
                {skipped.slice(0, SKIPPED_SHOWN).map((s, i) => (
                  <li key={`${i}:${s.dn}`}>
                    <code>{s.dn}</code>: {s.reason}
                  </li>
                ))}
                {skipped.length > SKIPPED_SHOWN ? <li>and {skipped.length - SKIPPED_SHOWN} more</li> : null}
              </ul>
            ) : null}
          </div>
        ) : null}
      </div>
      <ErrorMessage error={error} title="The directory sync did not finish; nothing was changed" />
    </section>
  );
}

function Devices({ canEdit }: { canEdit: boolean }) {
  const { data, error, loading, reload } = useApi<Page<Device> | Device[]>('/api/devices');
  const devices = itemsOf<Device>(data, 'devices');
  const [device, setDevice] = useState('');
  const [username, setUsername] = useState('');
  const [changeError, setChangeError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setChangeError(null);
    try {
      await api.post('/api/devices', { device: device.trim(), username: username.trim() });
      setDone(`${device.trim()} is registered to ${username.trim()}.`);
      setDevice('');
      setUsername('');
      reload();
    } catch (reason) {
      setChangeError(reason instanceof ApiError ? reason : null);
    }
  };
  const remove = async (name: string) => {
    setChangeError(null);
    try {
      await api.delete(`/api/devices/${encodeURIComponent(name)}`);
      setDone(`${name} was removed.`);
      reload();
    } catch (reason) {
      setChangeError(reason instanceof ApiError ? reason : null);
    }
  };

  return (
    <section aria-labelledby="devices-heading">
      <h2 id="devices-heading">Devices</h2>
      <p>A registered device (a school laptop's name or MAC address) identifies its person on the filters without a sign-in.</p>
      {done ? <Success>{done}</Success> : null}
      <ErrorMessage error={error} />
      <ErrorMessage error={changeError} title="The device was not changed" />
      {loading && !data ? <Loading what="devices" /> : null}
      {data && devices.length === 0 ? <p>No devices are registered.</p> : null}
      {devices.length > 0 ? (
        <TableRegion label="Devices">
          <table>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Person</th>
                {canEdit ? <th scope="col">Remove</th> : null}
              </tr>
            </thead>
            <tbody>
              {devices.map((d) => (
                <tr key={d.device}>
                  <th scope="row">
                    <code>{d.device}</code>
                  </th>
                  <td>{d.username}</td>
                  {canEdit ? (
                    <td>
                      <button type="button" className="button-small" onClick={() => void remove(d.device)}>
                        Remove<span className="visually-hidden"> {d.device}</span>
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {canEdit ? (
        <form className="inline-form" onSubmit={(e) => void add(e)} aria-label="Register a device">
          <TextField label="Device name or MAC address" value={device} onValue={setDevice} required autoCapitalize="none" spellCheck={false} />
          <TextField label="Person (username)" value={username} onValue={setUsername} required autoCapitalize="none" spellCheck={false} />
          <button type="submit">Register the device</button>
        </form>
      ) : null}
    </section>
  );
}

function Networks({ names }: { names: PolicyNames }) {
  const { data, error } = useApi<Page<Network> | Network[]>('/api/networks');
  const networks = itemsOf<Network>(data, 'networks');
  return (
    <section aria-labelledby="networks-heading">
      <h2 id="networks-heading">Networks</h2>
      <p>Devices nobody signs in on are treated by the network they are on. Networks are set in Hedgerow's configuration file.</p>
      <ErrorMessage error={error} />
      {data && networks.length === 0 ? <p>No networks are configured: unidentified devices get the policy's unidentified role.</p> : null}
      {networks.length > 0 ? (
        <TableRegion label="Networks">
          <table>
            <thead>
              <tr>
                <th scope="col">Addresses</th>
                <th scope="col">Role</th>
                <th scope="col">Groups</th>
              </tr>
            </thead>
            <tbody>
              {networks.map((n) => (
                <tr key={n.cidr}>
                  <th scope="row">
                    <code>{n.cidr}</code>
                  </th>
                  <td>{names.title('roles', n.role)}</td>
                  <td>{(n.groups ?? []).map((g) => names.title('groups', g)).join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </section>
  );
}
