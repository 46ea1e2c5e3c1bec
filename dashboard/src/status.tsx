// How a page says it is loading, that something failed (with every problem the API named), or
// that something worked. Errors and results are announced to screen readers.
import type { ReactNode } from 'react';
import type { ApiError } from './api-client.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ error, title }: { error: ApiError | null; title?: string }) {
  if (!error) return null;
  const heading =
    title ??
    (error.status === 403
      ? 'You do not have permission to do that'
      : error.status === 422
        ? 'The policy check refused this change'
        : error.status === 400
          ? 'Please correct the following'
          : 'Something went wrong');
  return (
    <div className="message message-error" role="alert">
      <p className="message-title">{heading}</p>
      <p>
        {sentence(error.message)} <span className="code">({error.code})</span>
      </p>
      {error.problems.length > 0 && (
        <ul>
          {error.problems.map((problem, i) => (
            <li key={i}>
              {problem.field ? <code>{problem.field}</code> : null}
              {problem.field ? ': ' : null}
              {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Success({ children }: { children: ReactNode }) {
  return (
    <div className="message message-success" role="status">
      {children}
    </div>
  );
}

/** The API's messages are lower-case fragments; the page shows them as sentences. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
