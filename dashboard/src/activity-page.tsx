// Searching the decision log: filters in the address, pages by cursor, a CSV export of the same
// search. Reading a named member of staff's browsing needs a lawful purpose, which the API asks
// for and audits; the page asks the reader to choose one.
import { useEffect, useState, type FormEvent } from 'react';
import { withQuery, type ApiError } from './api-client.ts';
import type { DecisionEvent, Page } from './api-types.ts';
import { ActionBadge } from './action-badge.tsx';
import { ChoiceField, SelectField, TextField } from './controls.tsx';
import { formatDateTime, fromLocalInput, namedList, toLocalInput, type Named } from './format.ts';
import { navigate, type Route } from './hash-route.ts';
import { usePolicyNames } from './policy-names.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading } from './status.tsx';
import { Pager } from './pager.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

const FILTERS = ['person', 'group', 'host', 'category', 'action', 'from', 'to'] as const;
type FilterName = (typeof FILTERS)[number];
type Filters = Record<FilterName, string>;
const PAGE_SIZE = 50;

const ACTIONS: Named[] = [
  { id: 'block', title: 'Blocked', extra: {} },
  { id: 'warn', title: 'Warned', extra: {} },
  { id: 'allow', title: 'Allowed', extra: {} },
];

function filtersFrom(params: URLSearchParams): Filters {
  const out = {} as Filters;
  for (const name of FILTERS) out[name] = params.get(name) ?? '';
  return out;
}

/** The API's query for these filters: `from`/`to` in the address are epoch ms. */
function apiQuery(filters: Filters, purpose: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const name of FILTERS) if (filters[name]) query[name] = filters[name];
  if (purpose) query.purpose = purpose;
  return query;
}

/** Does this refusal mean "say why you are reading a member of staff's browsing"? */
export function needsPurpose(error: ApiError | null): boolean {
  if (!error || (error.status !== 400 && error.status !== 403)) return false;
  return /PURPOSE/i.test(error.code) || error.problems.some((p) => p.field === 'purpose');
}

export function ActivityPage({ route }: { route: Route }) {
  const session = useSession();
  const names = usePolicyNames(session.can('policy.read'));
  const applied = filtersFrom(route.params);
  const purpose = route.params.get('purpose') ?? '';
  const searchOthers = session.canAny('activity.read.pupils', 'activity.read.staff');
  const [draft, setDraft] = useState<Filters>(applied);
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const [chosenPurpose, setChosenPurpose] = useState('');
  const appliedKey = JSON.stringify([applied, purpose]);

  // New filters start again at the first page.
  useEffect(() => {
    setDraft(filtersFrom(route.params));
    setCursors([null]);
  }, [appliedKey]);

  const cursor = cursors[cursors.length - 1] ?? null;
  const path = withQuery('/api/activity', { ...apiQuery(applied, purpose), cursor, limit: PAGE_SIZE });
  const { data, error, loading } = useApi<Page<DecisionEvent>>(path);
  const purposeNeeded = needsPurpose(error);
  const purposeOptions = purposeChoices(error, names.purposes);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const next: Record<string, string> = {};
    for (const name of FILTERS) if (draft[name]) next[name] = draft[name];
    // A purpose given for one person does not carry over to another search.
    if (purpose && draft.person === applied.person) next.purpose = purpose;
    navigate('activity', next);
  };
  const set = (name: FilterName) => (value: string) => setDraft((d) => ({ ...d, [name]: value }));
  const setTime = (name: 'from' | 'to') => (value: string) => setDraft((d) => ({ ...d, [name]: value ? String(fromLocalInput(value) ?? '') : '' }));

  return (
    <>
      <h1 tabIndex={-1}>Activity</h1>
      <p className="lead">
        {searchOthers
          ? 'Search what the filter decided. Reading a named member of staff\'s browsing needs a lawful purpose and is recorded in the audit log.'
          : 'What the filter decided for you.'}
      </p>
      <form className="filters" onSubmit={submit} aria-label="Search the activity log">
        {searchOthers ? (
          <>
            <TextField label="Person (username)" value={draft.person} onValue={set('person')} autoCapitalize="none" spellCheck={false} />
            <ChoiceField label="Group or class" value={draft.group} onValue={set('group')} options={names.groups} empty="Any group" />
          </>
        ) : null}
        <TextField label="Site" hint="A site includes its subdomains" value={draft.host} onValue={set('host')} autoCapitalize="none" spellCheck={false} />
        <ChoiceField label="Category" value={draft.category} onValue={set('category')} options={names.categories} empty="Any category" />
        <SelectField label="Decision" value={draft.action} onValue={set('action')} options={ACTIONS} empty="Any decision" />
        <TextField label="From" type="datetime-local" value={draft.from ? toLocalInput(Number(draft.from)) : ''} onValue={setTime('from')} />
        <TextField label="To" type="datetime-local" value={draft.to ? toLocalInput(Number(draft.to)) : ''} onValue={setTime('to')} />
        <div className="filter-actions">
          <button type="submit" className="button-primary">
            Search
          </button>
          <button type="button" onClick={() => navigate('activity', {})}>
            Clear
          </button>
        </div>
      </form>

      {purposeNeeded ? (
        <form
          className="panel purpose"
          onSubmit={(e) => {
            e.preventDefault();
            if (chosenPurpose) navigate('activity', { ...apiQuery(applied, ''), purpose: chosenPurpose });
          }}
        >
          <h2>Why are you reading this member of staff's browsing?</h2>
          <p>
            The council allows reading a named member of staff's internet use only for its lawful business purposes. Your choice is recorded in the audit log with
            this search.
          </p>
          {purposeOptions.length > 0 ? (
            <fieldset>
              <legend>Purpose</legend>
              {purposeOptions.map((option) => (
                <div className="choice" key={option.id}>
                  <input type="radio" id={`purpose-${option.id}`} name="purpose" value={option.id} checked={chosenPurpose === option.id} onChange={() => setChosenPurpose(option.id)} required />
                  <label htmlFor={`purpose-${option.id}`}>{option.title}</label>
                </div>
              ))}
            </fieldset>
          ) : (
            <TextField label="Purpose" value={chosenPurpose} onValue={setChosenPurpose} required />
          )}
          <button type="submit" className="button-primary">
            Continue with this purpose
          </button>
        </form>
      ) : (
        <ErrorMessage error={error} />
      )}

      {loading && !data ? <Loading what="decisions" /> : null}
      {data ? (
        <section aria-labelledby="results-heading" aria-busy={loading}>
          <div className="results-bar">
            <h2 id="results-heading">
              Decisions <span className="muted">(page {cursors.length}, {data.items.length} shown, newest first)</span>
            </h2>
            {session.can('activity.export') ? (
              <a className="button" href={withQuery('/api/activity.csv', apiQuery(applied, purpose))} download>
                Export as CSV
              </a>
            ) : null}
          </div>
          {data.items.length === 0 ? (
            <p>No decisions match this search.</p>
          ) : (
            <TableRegion label="Decisions">
              <table className="activity-table">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    {searchOthers ? <th scope="col">Person</th> : null}
                    <th scope="col">Site</th>
                    <th scope="col">Decision</th>
                    <th scope="col">Categories</th>
                    <th scope="col">Rule and clauses</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((event) => (
                    <tr key={event.id}>
                      <td className="nowrap">{formatDateTime(event.at)}</td>
                      {searchOthers ? (
                        <td>
                          {event.person ?? <span className="muted">unidentified</span>}
                          <span className="cell-note">
                            {names.title('roles', event.role)}
                            {event.groups.length > 0 ? ` · ${event.groups.map((g) => names.title('groups', g)).join(', ')}` : ''}
                          </span>
                        </td>
                      ) : null}
                      <td className="break">
                        <code>{event.host}</code>
                        {event.url && event.url !== `http://${event.host}/` ? <span className="cell-note">{event.url}</span> : null}
                      </td>
                      <td>
                        <ActionBadge action={event.action} />
                        {event.circumvention ? <span className="cell-note flag">Circumvention</span> : null}
                        {event.warnReason ? <span className="cell-note">Reason given: {event.warnReason}</span> : null}
                      </td>
                      <td>{event.categories.length > 0 ? event.categories.map((c) => names.title('categories', c)).join(', ') : <span className="muted">none</span>}</td>
                      <td>
                        <code>{event.rule}</code>
                        {event.clauses.length > 0 ? <span className="cell-note">Clause {event.clauses.join(', ')}</span> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )}
          <Pager label="Pages of decisions" cursors={cursors} nextCursor={data.nextCursor} onChange={setCursors} />
        </section>
      ) : null}
    </>
  );
}

/** The purposes to offer: those the refusal lists, else the policy's. */
function purposeChoices(error: ApiError | null, fromPolicy: Named[]): Named[] {
  if (!error) return fromPolicy;
  const detail = error.detail;
  const listed = detail.purposes ?? detail.monitoringPurposes ?? detail.allowed;
  const named = Array.isArray(listed) || (typeof listed === 'object' && listed !== null) ? namedList(listed as Parameters<typeof namedList>[0]) : [];
  return named.length > 0 ? named : fromPolicy;
}
