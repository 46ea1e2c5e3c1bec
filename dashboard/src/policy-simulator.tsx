// "What would Year 4 see at 10:15 on Tuesday for this URL?": the same engine the filters use,
// asked through the API, with the rule, clauses and the sentence the person would read.
import { useState, type FormEvent } from 'react';
import { api, ApiError } from './api-client.ts';
import type { SimulateResult } from './api-types.ts';
import { ActionBadge } from './action-badge.tsx';
import { problemFor, SelectField, TextField } from './controls.tsx';
import { toLocalInput, type Named } from './format.ts';
import type { PolicyNames } from './policy-names.ts';
import { ErrorMessage } from './status.tsx';

type WhoKind = 'group' | 'role' | 'person';

/** The next school day (Monday to Friday) at 10:15, as a sensible first question. */
function nextLessonTime(now = new Date()): string {
  const d = new Date(now);
  d.setHours(10, 15, 0, 0);
  if (d.getTime() <= now.getTime()) d.setDate(d.getDate() + 1);
  while (d.getDay() === 0 || d.getDay() === 6) d.setDate(d.getDate() + 1);
  return toLocalInput(d.getTime());
}

/** The role a group belongs to, following `within` (a class within a year group). */
export function roleOfGroup(groups: readonly Named[], id: string): string | null {
  const seen = new Set<string>();
  let current: string | undefined = id;
  while (current && !seen.has(current)) {
    seen.add(current);
    const group = groups.find((g) => g.id === current);
    if (!group) return null;
    if (typeof group.extra.role === 'string') return group.extra.role;
    current = typeof group.extra.within === 'string' ? group.extra.within : undefined;
  }
  return null;
}

const whenFormat = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' });

function describeWhen(local: string): string {
  const ms = new Date(local).getTime();
  return Number.isFinite(ms) ? whenFormat.format(ms) : local;
}

export function PolicySimulator({ names }: { names: PolicyNames }) {
  const [kind, setKind] = useState<WhoKind>('group');
  const [group, setGroup] = useState('');
  const [role, setRole] = useState('');
  const [person, setPerson] = useState('');
  const [when, setWhen] = useState(nextLessonTime);
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [answer, setAnswer] = useState<{ result: SimulateResult; who: string; when: string; url: string } | null>(null);

  const groups: Named[] = names.groups;
  const roles: Named[] = names.roles;
  const chosenGroup = group || groups[0]?.id || '';
  const chosenRole = role || roles[0]?.id || '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { url: url.trim(), at: when };
    let who = '';
    if (kind === 'group') {
      body.groups = [chosenGroup];
      // A group that belongs to a role (Class 4N → Year 4 → pupil) is asked about as that role.
      const groupRole = roleOfGroup(groups, chosenGroup);
      if (groupRole) body.role = groupRole;
      who = names.title('groups', chosenGroup);
    } else if (kind === 'role') {
      body.role = chosenRole;
      who = names.title('roles', chosenRole);
    } else {
      body.person = person.trim();
      who = person.trim();
    }
    try {
      const result = await api.post<SimulateResult>('/api/policy/simulate', body);
      setAnswer({ result, who, when, url: url.trim() });
    } catch (reason) {
      setAnswer(null);
      setError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    } finally {
      setBusy(false);
    }
  };

  const decision = answer?.result.decision;
  return (
    <section className="panel simulator" aria-labelledby="simulator-heading">
      <h2 id="simulator-heading">Try the policy</h2>
      <p>Ask what someone would see for a web address at a given time. The answer comes from the same engine the filters use, including overrides in force.</p>
      <form onSubmit={(e) => void submit(e)} className="simulator-form">
        <fieldset className="who">
          <legend>Who</legend>
          {(['group', 'role', 'person'] as const).map((k) => (
            <div className="choice" key={k}>
              <input type="radio" id={`sim-kind-${k}`} name="sim-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
              <label htmlFor={`sim-kind-${k}`}>{k === 'group' ? 'A class or year group' : k === 'role' ? 'A role' : 'A person'}</label>
            </div>
          ))}
        </fieldset>
        {kind === 'group' ? (
          groups.length > 0 ? (
            <SelectField label="Class or year group" value={chosenGroup} onValue={setGroup} options={groups} />
          ) : (
            <TextField label="Class or year group" value={group} onValue={setGroup} required />
          )
        ) : kind === 'role' ? (
          roles.length > 0 ? (
            <SelectField label="Role" value={chosenRole} onValue={setRole} options={roles} />
          ) : (
            <TextField label="Role" value={role} onValue={setRole} required />
          )
        ) : (
          <TextField label="Person (username)" value={person} onValue={setPerson} autoCapitalize="none" spellCheck={false} required problem={problemFor(error?.problems, 'person')} />
        )}
        <TextField label="Date and time" type="datetime-local" value={when} onValue={setWhen} required problem={problemFor(error?.problems, 'at')} />
        <TextField
          label="Web address"
          hint="A full address or just the site, e.g. www.example.org/page"
          value={url}
          onValue={setUrl}
          autoCapitalize="none"
          spellCheck={false}
          inputMode="url"
          required
          problem={problemFor(error?.problems, 'url')}
        />
        <button type="submit" className="button-primary" disabled={busy}>
          {busy ? 'Asking…' : 'Show the decision'}
        </button>
      </form>
      <ErrorMessage error={error} />
      <div aria-live="polite">
        {answer && decision ? (
          <div className={`decision decision-${decision.action}`}>
            <p className="decision-headline">
              <ActionBadge action={decision.action} large /> <span>{answer.who}</span> on {describeWhen(answer.when)}, for <code>{answer.url}</code>
            </p>
            <p className="decision-reason">{decision.reason}</p>
            <dl className="facts">
              <div>
                <dt>Rule</dt>
                <dd>
                  <code>{decision.rule}</code>
                  {decision.grant ? ` (an override)` : ''}
                </dd>
              </div>
              <div>
                <dt>Clauses</dt>
                <dd>{decision.clauses.length > 0 ? decision.clauses.join(', ') : 'none'}</dd>
              </div>
              {answer.result.time ? (
                <div>
                  <dt>In the school's calendar</dt>
                  <dd>{answer.result.time}</dd>
                </div>
              ) : null}
              <div>
                <dt>Categories of the site</dt>
                <dd>{decision.categories.length > 0 ? decision.categories.map((c) => names.title('categories', c)).join(', ') : 'none'}</dd>
              </div>
            </dl>
          </div>
        ) : null}
      </div>
    </section>
  );
}
