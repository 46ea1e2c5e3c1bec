// The block and warn pages. Pure functions of their input; every value is escaped. Forms post to
// the block-page service (request access, "I reached this by accident", tell a teacher); the warn
// page's form posts the reason back through the proxy to `continuePath` on the same host.
import { escapeHtml, formatTime, page } from './html.ts';

export interface BlockPageInput {
  /** what was asked for: a URL, or `host:port` for a tunnel */
  url: string;
  host: string;
  /** the decision's sentence a teacher can read */
  reason: string;
  clauses: readonly string[];
  categories: readonly string[];
  /** epoch ms of the decision */
  at: number;
  /** the decision event id, quoted when asking for help */
  reference: string;
  /** child-friendly wording and the SMART advice */
  pupil: boolean;
  /** the block-page service, e.g. `http://127.0.0.1:8080` */
  blockPageBaseUrl: string;
  /** IANA zone for the time shown (default UTC) */
  timeZone?: string;
  /** the signed ticket that tells the form service who saw this page and what was blocked */
  ticket?: string;
}

/** What a block page knew, signed into its forms' ticket by whoever serves the forms. */
export interface BlockPageTicketFields {
  eventId: string;
  /** username; null when only the network's role was known */
  person: string | null;
  role: string;
  groups: readonly string[];
  url: string;
  host: string;
  categories: readonly string[];
  clauses: readonly string[];
  /** epoch ms of the decision */
  at: number;
}

/** Makes a block page's ticket; the proxy is given one beside the block page's address. */
export type BlockPageTicketer = (fields: BlockPageTicketFields) => string;

export interface WarnPageInput extends BlockPageInput {
  /** where the continue form posts (same host, handled by the proxy) */
  continueAction: string;
  /** signed token binding the form to this person and host */
  token: string;
  /** shown when a previous attempt was refused (no reason given) */
  problem?: string;
}

/** The path on any host that the proxy answers itself: the warn page's "continue" form. */
export const continuePath = '/.hedgerow/continue';

const smartAdvice: ReadonlyArray<readonly [string, string]> = [
  ['Safe', 'Keep your personal information safe. Do not share your name, address, school, passwords or photos of yourself with people online.'],
  ['Meeting', 'Never meet up with someone you have only met online. Talk to a grown-up you trust if someone asks you to.'],
  ['Accepting', 'Only open messages, emails, links and friend requests from people you already know.'],
  ['Reliable', 'Not everything online is true. Check with a teacher or another grown-up before you believe it.'],
  ['Tell', 'Tell a teacher, parent or carer if you see anything online that makes you feel worried or uncomfortable.'],
];

function trimBase(base: string): string {
  return base.endsWith('/') ? base.slice(0, -1) : base;
}

function details(input: BlockPageInput): string {
  const tz = input.timeZone ?? 'UTC';
  const clauses = input.clauses.length > 0 ? input.clauses.map(escapeHtml).join(', ') : 'none given';
  const categories = input.categories.length > 0 ? input.categories.map(escapeHtml).join(', ') : 'none';
  return (
    '<dl>' +
    `<dt>Address</dt><dd><code>${escapeHtml(input.url)}</code></dd>` +
    `<dt>Reason</dt><dd>${escapeHtml(input.reason)}</dd>` +
    `<dt>Policy clause</dt><dd>${clauses}</dd>` +
    `<dt>Category</dt><dd>${categories}</dd>` +
    `<dt>Time</dt><dd><time datetime="${escapeHtml(new Date(input.at).toISOString())}">${escapeHtml(formatTime(input.at, tz))}</time></dd>` +
    `<dt>Reference</dt><dd><code>${escapeHtml(input.reference)}</code></dd>` +
    '</dl>'
  );
}

function hiddenFields(input: BlockPageInput): string {
  const field = (name: string, value: string): string => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return (
    field('reference', input.reference) +
    field('url', input.url) +
    field('host', input.host) +
    field('clauses', input.clauses.join(',')) +
    field('categories', input.categories.join(',')) +
    (input.ticket !== undefined ? field('ticket', input.ticket) : '')
  );
}

function smartSection(): string {
  const items = smartAdvice.map(([word, text]) => `<li><strong>${word}</strong>: ${escapeHtml(text)}</li>`).join('');
  return `<section aria-labelledby="smart"><h2 id="smart">Be SMART online</h2><ul class="smart">${items}</ul></section>`;
}

function helpForms(input: BlockPageInput): string {
  const base = escapeHtml(trimBase(input.blockPageBaseUrl));
  const hidden = hiddenFields(input);
  const ask = input.pupil ? 'Ask for this page to be unblocked' : 'Request access to this site';
  const askLabel = input.pupil ? 'Why do you need this page? (you can leave this empty)' : 'Why is access needed? (optional)';
  const tellLabel = input.pupil ? 'What happened? (you can leave this empty)' : 'What happened? (optional)';
  return (
    '<section aria-labelledby="help"><h2 id="help">What you can do</h2>' +
    `<form method="post" action="${base}/request-access">${hidden}` +
    `<label for="why">${askLabel}</label><textarea id="why" name="message" rows="3" maxlength="1000"></textarea>` +
    `<button type="submit">${ask}</button></form>` +
    `<form method="post" action="${base}/accident">${hidden}` +
    `<p class="hint">Did you open this page by mistake? Letting us know helps us understand what happened.</p>` +
    '<button type="submit">I reached this by accident</button></form>' +
    `<form method="post" action="${base}/tell-teacher">${hidden}` +
    `<label for="tell">${tellLabel}</label><textarea id="tell" name="message" rows="3" maxlength="1000"></textarea>` +
    `<p class="hint">${input.pupil ? 'If something online worried or upset you, a teacher will help.' : 'Report content that should be seen by the safeguarding team.'}</p>` +
    '<button type="submit">Tell a teacher</button></form>' +
    '</section>'
  );
}

export function renderBlockPage(input: BlockPageInput): string {
  const title = input.pupil ? 'This page is blocked' : 'Access to this site is blocked';
  const intro = input.pupil
    ? `The school's internet filter stopped <strong>${escapeHtml(input.host)}</strong>. You have not done anything wrong by seeing this page.`
    : `The school's internet filter blocked <strong>${escapeHtml(input.host)}</strong> under the acceptable use policy.`;
  const body =
    `<div class="banner" role="alert"><h1>${title}</h1><p>${intro}</p></div>` +
    details(input) +
    helpForms(input) +
    (input.pupil ? smartSection() : '');
  return page(title, body);
}

export function renderWarnPage(input: WarnPageInput): string {
  const title = 'Think before you continue';
  const problem = input.problem ? `<p class="problem" role="alert" id="problem">${escapeHtml(input.problem)}</p>` : '';
  const describedBy = input.problem ? ' aria-describedby="problem"' : '';
  const body =
    `<div class="banner warn"><h1>${title}</h1>` +
    `<p>The acceptable use policy asks you to think before visiting <strong>${escapeHtml(input.host)}</strong> now. ` +
    'You can continue if you have a reason; the reason is recorded.</p></div>' +
    details(input) +
    `<form method="post" action="${escapeHtml(input.continueAction)}">` +
    `<input type="hidden" name="token" value="${escapeHtml(input.token)}">` +
    `<input type="hidden" name="url" value="${escapeHtml(input.url)}">` +
    problem +
    `<label for="reason">Your reason for continuing (required)</label>` +
    `<textarea id="reason" name="reason" rows="3" maxlength="500" required${describedBy}></textarea>` +
    '<button type="submit">Continue to the site</button></form>' +
    helpForms(input) +
    (input.pupil ? smartSection() : '');
  return page(title, body);
}
