// Turning decisions into answers: the block and warn pages for HTTP, and the text refusals for
// tunnels. Shared by the HTTP and WebSocket paths.
import type { ServerResponse } from 'node:http';
import type { Decision, DecisionQuery, Person } from '../engine/types.ts';
import type { ProxyContext } from './context.ts';
import { graceKey } from './context.ts';
import { continuePath, renderBlockPage, renderWarnPage, type BlockPageInput } from './block-page.ts';
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
  );
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

/** What the block and warn pages show about one decision. */
function pageInput(ctx: ProxyContext, person: Person, decision: Decision, url: string, host: string, at: number, reference: string): BlockPageInput {
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
  };
}

export function sendBlock(ctx: ProxyContext, res: ServerResponse, person: Person, decision: Decision, url: string, host: string, at: number, reference: string, html: boolean): void {
  if (!html) {
    sendBody(res, 403, blockText(decision, url, reference), false);
    return;
  }
  const page = renderBlockPage(pageInput(ctx, person, decision, url, host, at, reference));
  sendBody(res, 403, page, true);
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
    sendBody(res, 403, `${blockText(decision, url, reference)}continue: open this address in a web browser and give a reason\n`, false);
    return;
  }
  const page = renderWarnPage({
    ...pageInput(ctx, person, decision, url, host, at, reference),
    continueAction: continuePath,
    token: ctx.grace.token(graceKey(person, clientIp), host, at),
    ...(problem === undefined ? {} : { problem }),
  });
  sendBody(res, 403, page, true);
}

function smartFor(ctx: ProxyContext, person: Person): boolean {
  try {
    return ctx.options.blockPage.smartAdviceFor(person);
  } catch {
    return true;
  }
}
