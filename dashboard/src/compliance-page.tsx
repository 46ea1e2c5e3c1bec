// Compliance records: your own training and online-presence self-checks; for managers the
// training matrix and what is overdue (4.1–4.3), who has not accepted the policy, the policy's
// review date, and the filter check log (DfE filtering standard), with the checks run on demand.
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, withQuery } from './api-client.ts';
import type {
  AcknowledgementOutstanding,
  CheckLogPage,
  CheckResultView,
  CheckRunView,
  DueCell,
  OverdueItem,
  PersonCompliance,
  ReviewStatus,
  TrainingMatrix,
} from './compliance-types.ts';
import { problemFor, SelectField, TextArea, TextField } from './controls.tsx';
import { formatDateTime, formatIsoDate, humanise } from './format.ts';
import { navigate, type Route } from './hash-route.ts';
import { useSession } from './session-context.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi, type Loaded } from './use-api.ts';

type Tab = 'mine' | 'training' | 'acknowledgement' | 'review' | 'checks';

const TAB_TITLES: Record<Tab, string> = {
  mine: 'Your records',
  training: 'Training',
  acknowledgement: 'Policy acceptance',
  review: 'Policy review',
  checks: 'Filter checks',
};

const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

function formatDay(ms: number | null): string {
  return ms === null ? '—' : day.format(ms);
}

/** `YYYY-MM-DD` of today in the browser's zone (the school's, on its machines). */
function today(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function failure(reason: unknown): ApiError {
  return reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []);
}

/** A due cell in words. */
export function describeDue(cell: DueCell): string {
  switch (cell.state) {
    case 'not-required':
      return 'Not required';
    case 'done':
      return cell.dueAt === null ? `Done ${formatDay(cell.lastAt)}` : `Done; next due ${formatDay(cell.dueAt)}`;
    case 'due':
      return `Due ${formatDay(cell.dueAt)}${cell.soon ? ' (within 14 days)' : ''}`;
    case 'overdue':
      return `Overdue since ${formatDay(cell.dueAt)}`;
  }
}

function DueTag({ cell }: { cell: DueCell }) {
  const kind = cell.state === 'overdue' ? 'badge-block' : cell.state === 'due' && cell.soon ? 'badge-warn' : cell.state === 'done' ? 'badge-allow' : '';
  return <span className={kind ? `badge ${kind}` : 'muted'}>{describeDue(cell)}</span>;
}

export function CompliancePage({ route }: { route: Route }) {
  const session = useSession();
  const tabs: Tab[] = [
    ...(session.can('compliance.self') ? (['mine'] as const) : []),
    ...(session.can('compliance.read') ? (['training', 'acknowledgement', 'review', 'checks'] as const) : []),
  ];
  const asked = route.params.get('tab') as Tab | null;
  const tab: Tab | undefined = asked && tabs.includes(asked) ? asked : tabs[0];
  const person = route.params.get('person');
  return (
    <>
      <h1 tabIndex={-1}>Compliance records</h1>
      <p className="lead">Training on the policy, acceptance of the policy, online-presence self-checks, the policy's review date and the filter checks.</p>
      {tabs.length > 1 ? (
        <fieldset className="segmented">
          <legend>Show</legend>
          {tabs.map((t) => (
            <div className="choice" key={t}>
              <input type="radio" id={`compliance-tab-${t}`} name="compliance-tab" checked={tab === t} onChange={() => navigate('compliance', { tab: t })} />
              <label htmlFor={`compliance-tab-${t}`}>{TAB_TITLES[t]}</label>
            </div>
          ))}
        </fieldset>
      ) : null}
      {tab === 'mine' ? <MyRecords /> : null}
      {tab === 'training' && person ? <PersonRecords username={person} /> : null}
      {tab === 'training' && !person ? <TrainingTab canManage={session.can('compliance.manage')} /> : null}
      {tab === 'acknowledgement' ? <AcknowledgementTab /> : null}
      {tab === 'review' ? <ReviewTab canManage={session.can('compliance.manage')} /> : null}
      {tab === 'checks' ? <ChecksTab canRun={session.can('compliance.manage')} /> : null}
    </>
  );
}

// --- your own records ---

function MyRecords() {
  const { data, error, loading, reload } = useApi<PersonCompliance>('/api/compliance/me');
  const [done, setDone] = useState<string | null>(null);
  const changed = (text: string) => {
    setDone(text);
    reload();
  };
  return (
    <section aria-labelledby="mine-heading">
      <h2 id="mine-heading">Your records</h2>
      {done ? <Success>{done}</Success> : null}
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="your records" /> : null}
      {data ? (
        <>
          <RecordsView data={data} own />
          {data.training.length > 0 ? (
            <RecordTrainingForm courses={data.training.map((c) => ({ id: c.course, title: c.title }))} forOthers={false} people={[]} onRecorded={changed} />
          ) : null}
          {data.selfCheck ? <SelfCheckForm status={data.selfCheck} onRecorded={changed} /> : null}
          <RecordsHistory data={data} own />
        </>
      ) : null}
    </section>
  );
}

/** One person's records, for managers (`#/compliance?tab=training&person=…`). */
function PersonRecords({ username }: { username: string }) {
  const { data, error, loading } = useApi<PersonCompliance>(`/api/compliance/people/${encodeURIComponent(username)}`);
  return (
    <section aria-labelledby="person-heading">
      <h2 id="person-heading">{data ? data.member.displayName : username}</h2>
      <p>
        <a href="#/compliance?tab=training">Back to the training matrix</a>
      </p>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="their records" /> : null}
      {data ? (
        <>
          <p>
            {humanise(data.member.role)}; records run from {formatDay(data.member.startAt)}
            {data.member.startSource === 'recorded' ? ' (recorded start date)' : data.member.startSource === 'first-seen' ? ' (when Hedgerow first saw them)' : ''}.
          </p>
          <RecordsView data={data} own={false} />
          {data.selfCheck ? (
            <p>
              Online-presence self-check, every {data.selfCheck.every}: <DueTag cell={data.selfCheck} />
            </p>
          ) : null}
          <RecordsHistory data={data} own={false} />
        </>
      ) : null}
    </section>
  );
}

function RecordsView({ data, own }: { data: PersonCompliance; own: boolean }) {
  const whose = own ? 'Your' : `${data.member.displayName}'s`;
  return (
    <>
      {data.acknowledgement ? (
        <p>
          Policy acceptance (version {data.acknowledgement.version}): <DueTag cell={data.acknowledgement} />{' '}
          {own && data.acknowledgement.lastAt === null ? <a href="#/acknowledge">Read and accept the policy</a> : null}
        </p>
      ) : null}
      {data.training.length > 0 ? (
        <TableRegion label={`${whose} training`}>
          <table>
            <caption>{whose} training</caption>
            <thead>
              <tr>
                <th scope="col">Course</th>
                <th scope="col">Clauses</th>
                <th scope="col">Status</th>
                <th scope="col">Times done</th>
              </tr>
            </thead>
            <tbody>
              {data.training.map((cell) => (
                <tr key={cell.course}>
                  <th scope="row">{cell.title}</th>
                  <td>{cell.clauses.join(', ') || '—'}</td>
                  <td>
                    <DueTag cell={cell} />
                  </td>
                  <td className="num">{cell.completions}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : (
        <p>The policy lists no training courses.</p>
      )}
    </>
  );
}

function RecordsHistory({ data, own }: { data: PersonCompliance; own: boolean }) {
  const { training, selfChecks, acknowledgements } = data.records;
  return (
    <>
      {training.length > 0 ? (
        <TableRegion label="Training records">
          <table>
            <caption>{own ? 'Training you have recorded' : 'Training recorded'}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Course</th>
                <th scope="col">Done on</th>
                <th scope="col">Recorded by</th>
                <th scope="col">Evidence</th>
              </tr>
            </thead>
            <tbody>
              {training.map((record) => (
                <tr key={record.id}>
                  <td>{data.training.find((c) => c.course === record.course)?.title ?? record.course}</td>
                  <td className="nowrap">{formatDay(record.completedAt)}</td>
                  <td>{record.recordedBy}</td>
                  <td className="break">{record.evidence ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {acknowledgements.length > 0 ? (
        <TableRegion label="Acceptances">
          <table>
            <caption>Versions of the policy accepted</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Accepted</th>
                <th scope="col">Clauses shown</th>
              </tr>
            </thead>
            <tbody>
              {acknowledgements.map((ack) => (
                <tr key={ack.id}>
                  <td>{ack.version}</td>
                  <td className="nowrap">{formatDateTime(ack.at)}</td>
                  <td>{ack.clauses.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {selfChecks.length > 0 ? (
        <TableRegion label="Self-checks">
          <table>
            <caption>Online-presence self-checks, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Checked</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {selfChecks.map((check) => (
                <tr key={check.id}>
                  <td className="nowrap">{formatDateTime(check.at)}</td>
                  <td className="break">{check.note ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </>
  );
}

function RecordTrainingForm({
  courses,
  forOthers,
  people,
  onRecorded,
}: {
  courses: Array<{ id: string; title: string }>;
  /** false: your own; true: for a person chosen from `people` */
  forOthers: boolean;
  people: Array<{ id: string; title: string }>;
  onRecorded(text: string): void;
}) {
  const [who, setWho] = useState('');
  const [course, setCourse] = useState('');
  const [completedOn, setCompletedOn] = useState(today());
  const [evidence, setEvidence] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const chosenCourse = course || courses[0]?.id || '';
  const chosenPerson = who || people[0]?.id || '';
  const prefix = forOthers ? 'other' : 'own';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/compliance/training', {
        ...(forOthers ? { person: chosenPerson } : {}),
        course: chosenCourse,
        completedOn,
        evidence: evidence.trim() || null,
      });
      const title = courses.find((c) => c.id === chosenCourse)?.title ?? chosenCourse;
      onRecorded(forOthers ? `${title} was recorded for ${people.find((p) => p.id === chosenPerson)?.title ?? chosenPerson}.` : `${title} was recorded.`);
      setEvidence('');
    } catch (reason) {
      setError(failure(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby={`${prefix}-training-heading`}>
      <h3 id={`${prefix}-training-heading`}>{forOthers ? 'Record training for someone' : 'Record training you have done'}</h3>
      <form onSubmit={(e) => void submit(e)} className="grant-form">
        {forOthers ? <SelectField label="Person" value={chosenPerson} onValue={setWho} options={people} problem={problemFor(error?.problems, 'person')} /> : null}
        <SelectField label="Course" value={chosenCourse} onValue={setCourse} options={courses} problem={problemFor(error?.problems, 'course')} />
        <TextField label="Done on" type="date" value={completedOn} max={today()} onValue={setCompletedOn} required problem={problemFor(error?.problems, 'completedOn')} />
        <TextArea
          label="Evidence"
          hint="e.g. the session, who ran it, or where the certificate is kept"
          value={evidence}
          onValue={setEvidence}
          rows={2}
          maxLength={2000}
          className="field-wide"
          problem={problemFor(error?.problems, 'evidence')}
        />
        <ErrorMessage error={error} title="The training was not recorded" />
        <div className="button-row field-wide">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Recording…' : 'Record the training'}
          </button>
        </div>
      </form>
    </section>
  );
}

function SelfCheckForm({ status, onRecorded }: { status: NonNullable<PersonCompliance['selfCheck']>; onRecorded(text: string): void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/compliance/self-check', { note: note.trim() || null });
      setNote('');
      onRecorded('Your online-presence check was recorded.');
    } catch (reason) {
      setError(failure(reason));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="self-check-heading">
      <h3 id="self-check-heading">Check your own online presence</h3>
      <p>
        The policy asks staff to check regularly, with search engines, what can be found about them online ({status.clauses.join(', ') || '6.13'}). Every{' '}
        {status.every}: <DueTag cell={status} />
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <TextArea
          label="Note (optional)"
          hint="Only you and the people who keep the compliance records see it"
          value={note}
          onValue={setNote}
          rows={2}
          maxLength={2000}
          problem={problemFor(error?.problems, 'note')}
        />
        <ErrorMessage error={error} title="The check was not recorded" />
        <div className="button-row">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Recording…' : 'I have checked my online presence'}
          </button>
        </div>
      </form>
    </section>
  );
}

// --- training matrix and overdue list ---

function TrainingTab({ canManage }: { canManage: boolean }) {
  const { data, error, loading, reload } = useApi<TrainingMatrix>('/api/compliance/training');
  const overdue = useApi<{ items: OverdueItem[] }>('/api/compliance/overdue');
  const [done, setDone] = useState<string | null>(null);
  const changed = (text: string) => {
    setDone(text);
    reload();
    overdue.reload();
  };
  const people = (data?.rows ?? []).map((row) => ({ id: row.username, title: `${row.displayName} (${humanise(row.role)})` }));
  return (
    <>
      <section aria-labelledby="matrix-heading">
        <h2 id="matrix-heading">Training matrix</h2>
        {done ? <Success>{done}</Success> : null}
        <ErrorMessage error={error} />
        {loading && !data ? <Loading what="the training matrix" /> : null}
        {data ? (
          <>
            <p>
              {data.totals.done} done, {data.totals.due} due, {data.totals.overdue} overdue, as of {formatDateTime(data.at)}.
            </p>
            <TableRegion label="Training matrix">
              <table>
                <caption>Training by person and course</caption>
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Role</th>
                    <th scope="col">Started</th>
                    {data.courses.map((course) => (
                      <th scope="col" key={course.id}>
                        {course.title}
                        {course.clauses.length > 0 ? <span className="muted"> ({course.clauses.join(', ')})</span> : null}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((row) => (
                    <tr key={row.username}>
                      <th scope="row">
                        <a href={`#/compliance?tab=training&person=${encodeURIComponent(row.username)}`}>{row.displayName}</a>
                      </th>
                      <td>{humanise(row.role)}</td>
                      <td className="nowrap">
                        {formatDay(row.startAt)}
                        {row.startSource === 'first-seen' ? <span className="muted"> (first seen)</span> : null}
                      </td>
                      {row.cells.map((cell) => (
                        <td key={cell.course}>
                          <DueTag cell={cell} />
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          </>
        ) : null}
      </section>
      <OverdueList loaded={overdue} />
      {canManage && data ? (
        <>
          <RecordTrainingForm courses={data.courses.map((c) => ({ id: c.id, title: c.title }))} forOthers people={people} onRecorded={changed} />
          <StartDateForm people={people} onRecorded={changed} />
        </>
      ) : null}
    </>
  );
}

function OverdueList({ loaded }: { loaded: Loaded<{ items: OverdueItem[] }> }) {
  const items = loaded.data?.items ?? [];
  return (
    <section aria-labelledby="overdue-heading">
      <h2 id="overdue-heading">Overdue</h2>
      <ErrorMessage error={loaded.error} />
      {loaded.loading && !loaded.data ? <Loading what="what is overdue" /> : null}
      {loaded.data && items.length === 0 ? <p>Nothing is overdue.</p> : null}
      {items.length > 0 ? (
        <TableRegion label="Overdue">
          <table>
            <caption>Overdue training, acceptances and self-checks, the longest overdue first</caption>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">What</th>
                <th scope="col">Due</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={`${item.username}-${item.what}-${item.course ?? ''}`}>
                  <th scope="row">
                    <a href={`#/compliance?tab=training&person=${encodeURIComponent(item.username)}`}>{item.displayName}</a>
                  </th>
                  <td>{item.title}</td>
                  <td className="nowrap">{formatDay(item.dueAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </section>
  );
}

function StartDateForm({ people, onRecorded }: { people: Array<{ id: string; title: string }>; onRecorded(text: string): void }) {
  const [who, setWho] = useState('');
  const [startedOn, setStartedOn] = useState(today());
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const chosen = who || people[0]?.id || '';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.put(`/api/compliance/people/${encodeURIComponent(chosen)}/start`, { startedOn, ...(reason.trim() ? { reason: reason.trim() } : {}) });
      onRecorded(`The start date of ${people.find((p) => p.id === chosen)?.title ?? chosen} was recorded.`);
      setReason('');
    } catch (reason) {
      setError(failure(reason));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="start-heading">
      <h3 id="start-heading">Record a start date</h3>
      <p className="hint">Induction and first due dates run from the day someone started; without one, from when Hedgerow first saw them.</p>
      <form onSubmit={(e) => void submit(e)} className="grant-form">
        <SelectField label="Person" value={chosen} onValue={setWho} options={people} />
        <TextField label="Started on" type="date" value={startedOn} onValue={setStartedOn} required problem={problemFor(error?.problems, 'startedOn')} />
        <TextField label="Reason (optional)" value={reason} onValue={setReason} maxLength={1000} className="field-wide" />
        <ErrorMessage error={error} title="The start date was not recorded" />
        <div className="button-row field-wide">
          <button type="submit" className="button-primary" disabled={busy || chosen === ''}>
            {busy ? 'Recording…' : 'Record the start date'}
          </button>
        </div>
      </form>
    </section>
  );
}

// --- who has not accepted the policy ---

function AcknowledgementTab() {
  const { data, error, loading } = useApi<AcknowledgementOutstanding>('/api/compliance/acknowledgement/outstanding');
  return (
    <section aria-labelledby="outstanding-heading">
      <h2 id="outstanding-heading">Policy acceptance</h2>
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="acceptances" /> : null}
      {data ? (
        <>
          <p>
            Version {data.policy.version}, in force here since {formatDay(data.policy.since)}: {data.accepted} of {data.required} accepted.
          </p>
          {data.outstanding.length === 0 ? (
            <p>Everyone asked has accepted this version.</p>
          ) : (
            <TableRegion label="Not yet accepted">
              <table>
                <caption>People who have not accepted this version</caption>
                <thead>
                  <tr>
                    <th scope="col">Person</th>
                    <th scope="col">Role</th>
                    <th scope="col">Due</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {data.outstanding.map((person) => (
                    <tr key={person.username}>
                      <th scope="row">{person.displayName}</th>
                      <td>{humanise(person.role)}</td>
                      <td className="nowrap">{formatDay(person.dueAt)}</td>
                      <td>{person.state === 'overdue' ? <span className="badge badge-block">Overdue</span> : 'Due'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )}
        </>
      ) : null}
    </section>
  );
}

// --- the policy's review date ---

const REVIEW_WORDS: Record<ReviewStatus['state'], string> = {
  none: 'No review date is set.',
  ok: 'The review is not yet due.',
  soon: 'The review is coming up.',
  overdue: 'The review is overdue.',
};

function ReviewTab({ canManage }: { canManage: boolean }) {
  const { data, error, loading, reload } = useApi<ReviewStatus>('/api/compliance/review');
  const [done, setDone] = useState<string | null>(null);
  return (
    <section aria-labelledby="review-heading">
      <h2 id="review-heading">Policy review</h2>
      {done ? <Success>{done}</Success> : null}
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the review date" /> : null}
      {data ? (
        <>
          <dl className="facts">
            <div>
              <dt>Next review</dt>
              <dd>{data.reviewDate ? formatIsoDate(data.reviewDate) : '—'}</dd>
            </div>
            <div>
              <dt>Status</dt>
              <dd>{REVIEW_WORDS[data.state]}</dd>
            </div>
            <div>
              <dt>In the policy file</dt>
              <dd>{data.policyReviewDate ? formatIsoDate(data.policyReviewDate) : 'No review date'}</dd>
            </div>
            <div>
              <dt>Reminders</dt>
              <dd>{data.remindTo.length > 0 ? `${data.remindBefore ?? '30d'} before, to ${data.remindTo.map(humanise).join(', ')}` : 'None set'}</dd>
            </div>
          </dl>
          {canManage ? (
            <MarkReviewedForm
              onDone={(text) => {
                setDone(text);
                reload();
              }}
            />
          ) : null}
          {data.history.length > 0 ? (
            <TableRegion label="Reviews">
              <table>
                <caption>Reviews recorded, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Reviewed</th>
                    <th scope="col">By</th>
                    <th scope="col">Version</th>
                    <th scope="col">Next review</th>
                    <th scope="col">Note</th>
                  </tr>
                </thead>
                <tbody>
                  {data.history.map((review) => (
                    <tr key={review.id}>
                      <td className="nowrap">{formatDateTime(review.reviewedAt)}</td>
                      <td>{review.reviewedBy}</td>
                      <td>{review.policyVersion ?? '—'}</td>
                      <td className="nowrap">{formatIsoDate(review.nextReviewDate)}</td>
                      <td className="break">{review.note ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          ) : (
            <p>No review has been recorded here yet.</p>
          )}
        </>
      ) : null}
    </section>
  );
}

function MarkReviewedForm({ onDone }: { onDone(text: string): void }) {
  const [next, setNext] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/compliance/review', { nextReviewDate: next, note: note.trim() || null });
      onDone(`The review was recorded; the next is due on ${formatIsoDate(next)}.`);
      setNote('');
    } catch (reason) {
      setError(failure(reason));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="mark-reviewed-heading">
      <h3 id="mark-reviewed-heading">Mark the policy reviewed</h3>
      <p className="hint">This records who reviewed it and when, and the next review date. It does not change the policy file; change its review date there too when you next edit it.</p>
      <form onSubmit={(e) => void submit(e)} className="grant-form">
        <TextField label="Next review date" type="date" min={today()} value={next} onValue={setNext} required problem={problemFor(error?.problems, 'nextReviewDate')} />
        <TextArea label="Note (optional)" hint="e.g. who took part and what changed" value={note} onValue={setNote} rows={2} maxLength={2000} className="field-wide" problem={problemFor(error?.problems, 'note')} />
        <ErrorMessage error={error} title="The review was not recorded" />
        <div className="button-row field-wide">
          <button type="submit" className="button-primary" disabled={busy}>
            {busy ? 'Recording…' : 'Mark reviewed'}
          </button>
        </div>
      </form>
    </section>
  );
}

// --- filter check log ---

const SEEN_WORDS: Record<CheckResultView['seen'], string> = {
  allowed: 'Allowed',
  blocked: 'Blocked',
  warned: 'Warned',
  error: 'Error',
  'not-applicable': 'Not applicable',
};

function Outcome({ result }: { result: CheckResultView }): ReactNode {
  if (result.outcome === 'pass') return <span className="badge badge-allow">Pass</span>;
  if (result.outcome === 'fail') return <span className="badge badge-block">Fail</span>;
  return <span className="muted">Not applicable</span>;
}

function ChecksTab({ canRun }: { canRun: boolean }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const { data, error, loading, reload } = useApi<CheckLogPage>(withQuery('/api/compliance/checks', { limit: 10, cursor }));
  const [busy, setBusy] = useState(false);
  const [runError, setRunError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setRunError(null);
    setDone(null);
    try {
      const result = await api.post<CheckRunView>('/api/compliance/checks/run');
      setDone(result.failed === 0 ? `All ${result.passed} checks passed.` : `${result.failed} check${result.failed === 1 ? '' : 's'} failed; ${result.passed} passed.`);
      setCursor(null);
      reload();
    } catch (reason) {
      setRunError(failure(reason));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="checks-heading">
      <h2 id="checks-heading">Filter checks</h2>
      <p>
        Test addresses are opened through the running proxy and looked up through the DNS filter, as the roles the policy names, and what the filter did is recorded.
        {data?.every ? ` They run every ${data.every}` : ''}
        {data?.nextDueAt ? `; next due ${formatDateTime(data.nextDueAt)}.` : data?.every ? '.' : ''}
      </p>
      {canRun ? (
        <div className="button-row">
          <button type="button" className="button-primary" onClick={() => void run()} disabled={busy}>
            {busy ? 'Running the checks…' : 'Run the checks now'}
          </button>
        </div>
      ) : null}
      {done ? <Success>{done}</Success> : null}
      <ErrorMessage error={runError} title="The checks did not run" />
      <ErrorMessage error={error} />
      {loading && !data ? <Loading what="the check log" /> : null}
      {data && data.items.length === 0 ? <p>No checks have run yet.</p> : null}
      {data?.items.map((item) => (
        <CheckRun key={item.id} run={item} />
      ))}
      {data?.nextCursor ? (
        <div className="button-row">
          <button type="button" onClick={() => setCursor(data.nextCursor)}>
            Older runs
          </button>
        </div>
      ) : null}
    </section>
  );
}

function CheckRun({ run }: { run: CheckRunView }) {
  const label = `Checks of ${formatDateTime(run.startedAt)}`;
  return (
    <TableRegion label={label}>
      <table>
        <caption>
          {label} ({run.trigger === 'manual' ? `run by ${run.requestedBy ?? 'someone'}` : 'scheduled'}): {run.passed} passed, {run.failed} failed
          {run.notApplicable > 0 ? `, ${run.notApplicable} not applicable` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Test</th>
            <th scope="col">As</th>
            <th scope="col">Path</th>
            <th scope="col">Expected</th>
            <th scope="col">Seen</th>
            <th scope="col">Result</th>
            <th scope="col">Rule and clauses</th>
            <th scope="col">Time (ms)</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {run.results.map((result, index) => (
            <tr key={index}>
              <th scope="row">
                {result.testId}
                <br />
                <code className="break">{result.url}</code>
              </th>
              <td>
                {humanise(result.role)}
                {result.groups.length > 0 ? ` (${result.groups.join(', ')})` : ''}
              </td>
              <td>{result.path === 'dns' ? 'DNS' : 'Proxy'}</td>
              <td>{SEEN_WORDS[result.expected]}</td>
              <td>{SEEN_WORDS[result.seen]}</td>
              <td>
                <Outcome result={result} />
              </td>
              <td>{result.rule ? `${result.rule}${result.clauses.length > 0 ? ` (${result.clauses.join(', ')})` : ''}` : '—'}</td>
              <td className="num">{result.latencyMs === null ? '—' : result.latencyMs.toFixed(1)}</td>
              <td className="break">{result.detail ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableRegion>
  );
}
