// Turning decisions into answers: the block and warn pages for HTTP, and the text refusals for
// tunnels. Shared by the HTTP and WebSocket paths.
import type { ServerResponse } from 'node:http';
import type { Decision, DecisionQuery, Person } from '../engine/types.ts';
import type { ProxyContext } from './context.ts';
import { graceKey } from './context.ts';
import { continuePath, renderBlockPage, renderWarnPage, type BlockPageInput, type BlockPageTicketer } from './block-page.ts';
import { sendBody, sendError } from './respond.ts';

/** The engine's answer, or null when it failed (the caller refuses: fail closed). */
export function decideSafely(ctx: ProxyContext, query: DecisionQuery): Decision | null {
  try {
    return ctx.decide(query);
  } catch {
    ctx.stats.decideErrors++;
    return null;
  }
}

export function sendDecideFailure(ctx: ProxyContext, res: ServerResponse, target: string, html: boolean): void {
  sendError(
    res,
    {
      status: 503,
      title: 'The filter could not check this page',
      message: 'The web filter could not make a decision about this address, so it was not opened.',
      hint: 'Try again in a moment. If this keeps happening, tell the IT team.',
      target,
      at: ctx.now(),
      timeZone: ctx.timeZone,
    },
    html,
    ['X-Hedgerow-Decision', 'error'],
  );
}

/**
 * What the filter decided, on the proxy's own block and warn pages, so that a client reading the
 * answer (the scheduled filter checks) can tell them from a site's own 403 and see the rule and
 * clauses: `block; rule=pupil-social-media; clauses=8.1,3.1; ref=…` (values URI-encoded).
 */
export function decisionHeader(decision: Decision, reference: string): string[] {
  const clauses = decision.clauses.map(encodeURIComponent).join(',');
  return ['X-Hedgerow-Decision', `${decision.action}; rule=${encodeURIComponent(decision.rule)}; clauses=${clauses}; ref=${encodeURIComponent(reference)}`];
}

export function blockText(decision: Decision, target: string, reference: string): string {
  return (
    `blocked: ${target}\n` +
    `reason: ${decision.reason}\n` +
    `clause: ${decision.clauses.join(', ') || 'none'}\n` +
    `category: ${decision.categories.join(', ') || 'none'}\n` +
    `reference: ${reference}\n`
  );
}

/**
 * The forms' ticket: what this page knew (the person behind the proxy's credentials, the
 * decision), signed by the form service's signer when the proxy was given one
 * (`blockPage.ticket`). Without it, or if signing fails, the forms fall back to the network's
 * identity, so a page is never lost over its ticket.
 */
function ticketFor(ctx: ProxyContext, person: Person, decision: Decision, url: string, host: string, at: number, reference: string): string | undefined {
  const sign = (ctx.options.blockPage as { ticket?: BlockPageTicketer }).ticket;
  if (typeof sign !== 'function') return undefined;
  try {
    return sign({ eventId: reference, person: person.id ?? null, role: person.role, groups: person.groups ?? [], url, host, categories: decision.categories, clauses: decision.clauses, at });
  } catch {
    return undefined;
  }
}

/** What the block and warn pages show about one decision. */
function pageInput(ctx: ProxyContext, person: Person, decision: Decision, url: string, host: string, at: number, reference: string): BlockPageInput {
  const ticket = ticketFor(ctx, person, decision, url, host, at, reference);
  return {
    url,
    host,
    reason: decision.reason,
    clauses: decision.clauses,
    categories: decision.categories,
    at,
    reference,
    pupil: smartFor(ctx, person),
    blockPageBaseUrl: ctx.options.blockPage.baseUrl,
    timeZone: ctx.timeZone,
    ...(ticket !== undefined ? { ticket } : {}),
  };
}

export function sendBlock(ctx: ProxyContext, res: ServerResponse, person: Person, decision: Decision, url: string, host: string, at: number, reference: string, html: boolean): void {
  if (!html) {
    sendBody(res, 403, blockText(decision, url, reference), false, decisionHeader(decision, reference));
    return;
  }
  const page = renderBlockPage(pageInput(ctx, person, decision, url, host, at, reference));
  sendBody(res, 403, page, true, decisionHeader(decision, reference));
}

export function sendWarn(
  ctx: ProxyContext,
  res: ServerResponse,
  person: Person,
  clientIp: string,
  decision: Decision,
  url: string,
  host: string,
  at: number,
  reference: string,
  html: boolean,
  problem?: string,
): void {
  if (!html) {
    sendBody(res, 403, `${blockText(decision, url, reference)}continue: open this address in a web browser and give a reason\n`, false, decisionHeader(decision, reference));
    return;
  }
  const page = renderWarnPage({
    ...pageInput(ctx, person, decision, url, host, at, reference),
    continueAction: continuePath,
    token: ctx.grace.token(graceKey(person, clientIp), host, at),
    ...(problem === undefined ? {} : { problem }),
  });
  sendBody(res, 403, page, true, decisionHeader(decision, reference));
}

function smartFor(ctx: ProxyContext, person: Person): boolean {
  try {
    return ctx.options.blockPage.smartAdviceFor(person);
  } catch {
    return true;
  }
}
