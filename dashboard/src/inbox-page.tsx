// The inbox: every notification sent to the signed-in person (alerts, decisions on requests,
// reminders), newest first, unread ones marked; opening one follows its link and marks it read.
// The navigation shows the unread count through `useUnreadCount` and `InboxNavLabel` below.
import { Fragment, useEffect, useState } from 'react';
import { api, ApiError, withQuery } from './api-client.ts';
import { formatDateTime } from './format.ts';
import { navigate, type Route } from './hash-route.ts';
import type { InboxItem, InboxList, UnreadCount } from './inbox-types.ts';
import { Pager } from './pager.tsx';
import { ErrorMessage, Loading, Success } from './status.tsx';
import { TableRegion } from './table-region.tsx';
import { useApi } from './use-api.ts';

/** Fired on `window` whenever this page changes what is read, so the navigation's count follows at once. */
export const INBOX_CHANGED = 'hedgerow:inbox-changed';

function announceChange(): void {
  window.dispatchEvent(new Event(INBOX_CHANGED));
}

/**
 * The unread count for the navigation: read at start, every `everyMs` (default a minute) and
 * whenever the inbox page changes something. Null until known or when it cannot be read.
 */
export function useUnreadCount(everyMs = 60_000): number | null {
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    const load = () => {
      api.get<UnreadCount>('/api/inbox/unread').then(
        (value) => {
          if (live) setCount(value.unread);
        },
        () => {
          if (live) setCount(null);
        },
      );
    };
    load();
    const timer = window.setInterval(load, everyMs);
    window.addEventListener(INBOX_CHANGED, load);
    return () => {
      live = false;
      window.clearInterval(timer);
      window.removeEventListener(INBOX_CHANGED, load);
    };
  }, [everyMs]);
  return count;
}

/** `Inbox` with the unread count as a badge that screen readers read as "3 unread". */
export function InboxNavLabel({ label = 'Inbox' }: { label?: string }) {
  const unread = useUnreadCount();
  return (
    <>
      {label}
      {unread ? (
        <>
          {' '}
          <span className="badge" aria-hidden="true">
            {unread > 99 ? '99+' : unread}
          </span>
          <span className="visually-hidden">, {unread} unread</span>
        </>
      ) : null}
    </>
  );
}

const KIND_WORDS: Record<string, string> = {
  'alert.category': 'Safeguarding alert',
  'alert.rule': 'Safeguarding alert',
  'alert.keyword': 'Safeguarding alert',
  'alert.digest': 'Weekly alerts digest',
};

function kindWords(kind: string): string {
  if (KIND_WORDS[kind]) return KIND_WORDS[kind];
  const head = kind.split('.')[0] ?? kind;
  return head.charAt(0).toUpperCase() + head.slice(1).replace(/-/g, ' ');
}

/** The plain text as paragraphs, its line breaks kept. */
function NotificationText({ text }: { text: string }) {
  return (
    <>
      {text
        .trim()
        .split(/\n{2,}/)
        .map((paragraph, i) => (
          <p key={i}>
            {paragraph.split('\n').map((line, j) => (
              <Fragment key={j}>
                {j > 0 ? <br /> : null}
                {line}
              </Fragment>
            ))}
          </p>
        ))}
    </>
  );
}

export function InboxPage({ route }: { route: Route }) {
  const state = route.params.get('state') === 'unread' ? 'unread' : 'all';
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data, error, loading, reload } = useApi<InboxList>(withQuery('/api/inbox', { state, cursor, limit: 25 }));
  const [open, setOpen] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => setCursors([null]), [state]);

  const markRead = async (item: InboxItem) => {
    setActionError(null);
    try {
      await api.post(`/api/inbox/${encodeURIComponent(item.id)}/read`);
      announceChange();
      reload();
    } catch (reason) {
      setActionError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    }
  };

  const markAll = async () => {
    setActionError(null);
    try {
      const result = await api.post<{ marked: number }>('/api/inbox/read-all');
      setDone(result.marked === 1 ? 'One notification was marked read.' : `${result.marked} notifications were marked read.`);
      announceChange();
      reload();
    } catch (reason) {
      setActionError(reason instanceof ApiError ? reason : new ApiError(0, 'HTTP_FAILED', String(reason), []));
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Inbox</h1>
      <p className="lead">What Hedgerow has told you: safeguarding alerts, decisions on requests, reminders. Where your address is known, each is also sent by email.</p>
      {done ? <Success>{done}</Success> : null}
      <ErrorMessage error={actionError} title="That did not work" />
      <section aria-labelledby="inbox-heading">
        <div className="results-bar">
          <h2 id="inbox-heading">
            {state === 'unread' ? 'Unread notifications' : 'All notifications'}
            {data ? <span className="muted"> ({data.unread} unread)</span> : null}
          </h2>
          <fieldset className="segmented">
            <legend>Show</legend>
            {(['all', 'unread'] as const).map((s) => (
              <div className="choice" key={s}>
                <input type="radio" id={`inbox-${s}`} name="inbox-state" checked={state === s} onChange={() => navigate('inbox', s === 'unread' ? { state: 'unread' } : {})} />
                <label htmlFor={`inbox-${s}`}>{s === 'all' ? 'All' : 'Unread only'}</label>
              </div>
            ))}
          </fieldset>
          {data && data.unread > 0 ? (
            <button type="button" onClick={() => void markAll()}>
              Mark all as read
            </button>
          ) : null}
        </div>
        <ErrorMessage error={error} />
        {loading && !data ? <Loading what="your notifications" /> : null}
        {data && data.items.length === 0 ? <p>{state === 'unread' ? 'Nothing unread.' : 'No notifications yet.'}</p> : null}
        {data && data.items.length > 0 ? (
          <TableRegion label="Notifications">
            <table>
              <caption className="visually-hidden">Your notifications, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Notification</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((item) => (
                  <tr key={item.id}>
                    <td className="nowrap">{formatDateTime(item.at)}</td>
                    <td>
                      <span className="cell-note">{kindWords(item.kind)}</span>
                      {item.readAt === null ? <strong>{item.subject}</strong> : item.subject}
                      {open === item.id ? (
                        <div id={`inbox-text-${item.id}`}>
                          <NotificationText text={item.text} />
                        </div>
                      ) : null}
                    </td>
                    <td>{item.readAt === null ? <span className="tag">Unread</span> : <span className="muted">Read {formatDateTime(item.readAt)}</span>}</td>
                    <td>
                      <div className="button-row">
                        <button
                          type="button"
                          className="button-small"
                          aria-expanded={open === item.id}
                          onClick={() => {
                            setOpen(open === item.id ? null : item.id);
                            if (item.readAt === null && open !== item.id) void markRead(item);
                          }}
                        >
                          {open === item.id ? 'Hide' : 'Read'}
                          <span className="visually-hidden"> {item.subject}</span>
                        </button>
                        {item.link ? (
                          <a
                            className="button button-small"
                            href={item.link}
                            onClick={() => {
                              if (item.readAt === null) void markRead(item);
                            }}
                          >
                            Open<span className="visually-hidden"> {item.subject}</span>
                          </a>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        ) : null}
        {data ? <Pager label="Pages of notifications" cursors={cursors} nextCursor={data.nextCursor} onChange={setCursors} /> : null}
      </section>
    </>
  );
}
