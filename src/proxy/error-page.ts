// Pages for everything that is not a policy decision: upstream failures, misuse of the proxy,
// refused clients. Same shell as the block page, so they read the same way.
import { escapeHtml, formatTime, page } from './html.ts';

export interface ErrorPageInput {
  status: number;
  title: string;
  /** one or two sentences, plain text */
  message: string;
  /** a short hint on what to try, plain text */
  hint?: string;
  /** what was asked for, plain text */
  target?: string;
  at: number;
  reference?: string;
  timeZone?: string;
}

export function renderErrorPage(input: ErrorPageInput): string {
  const rows =
    (input.target ? `<dt>Address</dt><dd><code>${escapeHtml(input.target)}</code></dd>` : '') +
    `<dt>Error</dt><dd>${input.status}</dd>` +
    `<dt>Time</dt><dd>${escapeHtml(formatTime(input.at, input.timeZone ?? 'UTC'))}</dd>` +
    (input.reference ? `<dt>Reference</dt><dd><code>${escapeHtml(input.reference)}</code></dd>` : '');
  const body =
    `<div class="banner error" role="alert"><h1>${escapeHtml(input.title)}</h1><p>${escapeHtml(input.message)}</p></div>` +
    `<dl>${rows}</dl>` +
    (input.hint ? `<p class="hint">${escapeHtml(input.hint)}</p>` : '');
  return page(input.title, body);
}

/** The same content as plain text, for clients that did not ask for HTML. */
export function renderErrorText(input: ErrorPageInput): string {
  return `${input.title}\n${input.message}\n${input.target ? `address: ${input.target}\n` : ''}${input.hint ? `${input.hint}\n` : ''}`;
}
