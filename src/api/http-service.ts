// The HTTP service beside the proxy and DNS filter: the block page for names the DNS filter
// answered with this service's address, the forms on the block page, the PAC file, and health.
// The dashboard (`/dashboard/`) and the JSON API (`/api/…`) are mounted on this same server.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ApiDeps } from './api-deps.ts';
import { mountApi, type MountOptions } from './mount-api.ts';
import type { RouteSpec } from './route-spec.ts';
import type { BlockFormKind, BlockFormResult, BlockPageForms } from '../cases/index.ts';
import type { Decision, DecisionSink, Person } from '../engine/index.ts';
import { decisionEvent } from '../engine/index.ts';
import { HedgerowError } from '../errors/index.ts';
import { escapeHtml, renderBlockPage } from '../proxy/index.ts';
import { renderPac } from './pac.ts';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';

export interface HealthReport {
  status: 'ok' | 'degraded';
  policyRevision: string | null;
  policyLoadedAt: number | null;
  lastReloadProblems: string[];
  points: Record<string, { enabled: boolean; listening: string | null; stats?: unknown }>;
  decisionLog: unknown;
  catalogueDomains: number;
}

export interface HttpServiceOptions {
  host: string;
  port: number;
  /** how browsers reach this service */
  publicUrl: () => string;
  pac: () => { proxyHost: string; proxyPort: number; bypass: readonly string[] };
  identify(clientIp: string): Person;
  decide(person: Person, url: string, at: number): Decision;
  isPupil(person: Person): boolean;
  timeZone(): string;
  /** the block page's forms: their signed tickets, and unblock requests and reports from them */
  blockForms: Pick<BlockPageForms, 'ticket' | 'receive'>;
  sink?: DecisionSink;
  health(): HealthReport;
  now?: () => number;
  /** the JSON API: its dependencies and every route (see `allRoutes`) */
  api?: { deps: ApiDeps; routes: readonly RouteSpec[]; options?: MountOptions };
  /** the built dashboard; default `dashboard/dist` of this repository when it exists; null: none */
  dashboardDir?: string | null;
}

/** The dashboard's build folder in this repository. */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
}

const kinds: Record<string, BlockFormKind> = {
  'request-access': 'request-access',
  accident: 'accident',
  'tell-teacher': 'tell-teacher',
};

const thanks: Record<BlockFormKind, { pupil: string; staff: string }> = {
  'request-access': {
    pupil: 'Thank you. Your request has been sent to the e-safety team, and the headteacher will decide.',
    staff: 'Your request has been sent to the e-safety team for review; the headteacher makes the final decision. You will be told the outcome.',
  },
  accident: {
    pupil: 'Thank you for telling us. You have not done anything wrong.',
    staff: 'Thank you. Your report of accidental access has been recorded for your line manager.',
  },
  'tell-teacher': {
    pupil: 'Thank you for telling us. A teacher will talk to you about it.',
    staff: 'Thank you. Your report has been recorded for the safeguarding team.',
  },
};

function simplePage(title: string, body: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>body{font:1.1rem/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}</style>` +
    `</head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`
  );
}

const alreadySent: Record<BlockFormKind, string> = {
  'request-access': 'This request was already sent. You do not need to send it again.',
  accident: 'This was already reported. You do not need to send it again.',
  'tell-teacher': 'This message was already sent. You do not need to send it again.',
};

/** Why a form was refused, in words for the person who sent it (and its HTTP status). */
const refusals: Record<Exclude<BlockFormResult, { ok: true }>['problem'], { status: number; title: string; text: string }> = {
  forged: {
    status: 403,
    title: 'This form could not be checked',
    text: 'The form did not come from a page the school filter showed, or it was changed on the way. Go back to the blocked page, reload it and send the form again.',
  },
  malformed: {
    status: 400,
    title: 'This form could not be checked',
    text: 'The form was damaged on the way. Go back to the blocked page, reload it and send the form again.',
  },
  expired: {
    status: 400,
    title: 'This page is too old',
    text: 'The blocked page was shown too long ago for its forms to be used. Go back, reload the blocked page and send the form again.',
  },
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // no other site's page keeps a handle on these windows, nor embeds these answers
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The proxy's own `Via` token (src/proxy: `1.1 hedgerow`). */
const VIA_PROXY = /(^|,)\s*1\.1 hedgerow\s*(,|$)/i;

/**
 * What may be asked of this service through the school's proxy: only the block page's forms,
 * which a browser set to use the proxy for everything sends that way. The dashboard, the API and
 * the rest are not served to the proxy, which would lend every client its own address.
 */
function allowedThroughProxy(method: string, url: string): boolean {
  const path = url.split('?')[0]!;
  return method === 'POST' && /^\/block\/[a-z-]+$/.test(path);
}

// The dashboard runs its own scripts and calls the API on this origin; nothing else.
const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/** A request node could not parse: a short static answer that still carries the security headers. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
  const body = `${text.toLowerCase()}\n`;
  const headers = Object.entries({ ...SECURITY_HEADERS, 'cache-control': 'no-store' }).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  if (!socket.writable) return void socket.destroy();
  // closed once the answer has left, not before (destroying at once may drop it)
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n${headers}connection: close\r\n\r\n${body}`);
}

export async function startHttpService(options: HttpServiceOptions): Promise<{ app: FastifyInstance; address: { host: string; port: number } }> {
  const now = options.now ?? Date.now;
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    clientErrorHandler: answerClientError,
  });
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  app.addHook('onSend', async (request, reply) => {
    // a route's own stricter policy (evidence downloads are sandboxed) is kept
    const ownPolicy = reply.hasHeader('content-security-policy');
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      if (!(ownPolicy && name === 'content-security-policy')) reply.header(name, value);
    }
    if (request.url.startsWith('/dashboard/')) {
      reply.header('content-security-policy', DASHBOARD_CSP);
    } else if (!reply.hasHeader('cache-control')) {
      // pages name people and what they asked for; only the dashboard's files (which say how they may be kept) are cached
      reply.header('cache-control', 'no-store');
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    const via = request.headers.via;
    if (via === undefined || !VIA_PROXY.test(Array.isArray(via) ? via.join(',') : via) || allowedThroughProxy(request.method, request.url)) return;
    return reply
      .code(403)
      .type('text/html; charset=utf-8')
      .send(simplePage('Open this directly', '<p>This is the school\'s internet filter. Its dashboard and pages are not opened through the filter itself: open the address directly.</p>'));
  });

  const ownHosts = () => {
    const url = new URL(options.publicUrl());
    return new Set([url.host, url.hostname, `${options.host}:${options.port}`, options.host, 'localhost', `localhost:${options.port}`]);
  };
  const isOwnHost = (request: FastifyRequest) => ownHosts().has((request.headers.host ?? '').toLowerCase());

  const pac = () => renderPac(options.pac());
  app.get('/proxy.pac', async (_request, reply) => reply.type('application/x-ns-proxy-autoconfig').send(pac()));
  app.get('/wpad.dat', async (_request, reply) => reply.type('application/x-ns-proxy-autoconfig').send(pac()));
  app.get('/health', async (_request, reply) => {
    const report = options.health();
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });

  app.post('/block/:kind', async (request, reply) => {
    const kind = kinds[(request.params as { kind: string }).kind];
    if (!kind) return reply.code(404).type('text/html').send(simplePage('Not found', '<p>There is no such form.</p>'));
    let result: BlockFormResult;
    try {
      result = await options.blockForms.receive({
        kind,
        fields: request.body,
        clientIp: request.ip,
        network: () => options.identify(request.ip),
        decide: (person, url) => options.decide(person, url, now()),
      });
    } catch (error) {
      if (error instanceof HedgerowError && error.code === 'HR_REQUESTS_INPUT') {
        return reply.code(400).type('text/html').send(simplePage('The form is not complete', `<p>${escapeHtml(`The form could not be used: ${error.message}.`)} Go back to the blocked page and try again.</p>`));
      }
      // the store is down or failing: the person gets a page, the operator a line
      process.stderr.write(`block-page form \`${kind}\` not recorded: ${error instanceof Error ? error.message : String(error)}\n`);
      return reply
        .code(503)
        .type('text/html')
        .send(simplePage('Not sent', '<p>Your form could not be recorded just now. Please try again in a moment, or tell a member of staff.</p>'));
    }
    if (!result.ok) {
      const refusal = refusals[result.problem];
      return reply.code(refusal.status).type('text/html').send(simplePage(refusal.title, `<p>${escapeHtml(refusal.text)}</p>`));
    }
    const pupil = options.isPupil(result.person);
    const text = result.duplicate ? alreadySent[kind] : pupil ? thanks[kind].pupil : thanks[kind].staff;
    return reply.type('text/html').send(simplePage(pupil ? 'Thank you' : 'Recorded', `<p>${escapeHtml(text)}</p>`));
  });

  // A browser sent here by the DNS filter's block answer asks for the blocked name itself.
  app.setNotFoundHandler(async (request, reply) => {
    if (isOwnHost(request)) {
      return reply.code(404).type('text/html').send(simplePage('Hedgerow', '<p>This is the school\'s internet filter. There is nothing here.</p>'));
    }
    const person = options.identify(request.ip);
    const hostHeader = request.headers.host ?? '';
    const url = `http://${hostHeader}${request.url}`;
    const at = now();
    const decision = options.decide(person, url, at);
    const reference = randomUUID();
    options.sink?.(decisionEvent({ point: 'dns', id: reference, at, person, clientIp: request.ip, decision, url }));
    const host = decision.host || hostHeader;
    let ticket: string | undefined;
    try {
      ticket = options.blockForms.ticket({ eventId: reference, person: person.id ?? null, role: person.role, groups: person.groups ?? [], url, host, categories: decision.categories, clauses: decision.clauses, at });
    } catch {
      // without a ticket the forms still work, on the network's identity
      ticket = undefined;
    }
    const html = renderBlockPage({
      url,
      host,
      reason: decision.action === 'allow' ? 'This address was answered by the school filter.' : decision.reason,
      clauses: decision.clauses,
      categories: decision.categories,
      at,
      reference,
      pupil: options.isPupil(person),
      blockPageBaseUrl: `${options.publicUrl()}/block`,
      timeZone: options.timeZone(),
      ...(ticket !== undefined ? { ticket } : {}),
    });
    return reply.code(403).type('text/html; charset=utf-8').send(html);
  });

  if (options.api) await mountApi(app, options.api.deps, options.api.routes, options.api.options);
  const dashboardDir = options.dashboardDir === undefined ? defaultDashboardDir() : options.dashboardDir;
  if (dashboardDir && existsSync(dashboardDir)) {
    await app.register(fastifyStatic, { root: dashboardDir, prefix: '/dashboard/', index: 'index.html', decorateReply: false });
    app.get('/dashboard', async (_request, reply) => reply.redirect('/dashboard/'));
  }

  app.setErrorHandler(async (error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status >= 400 && status < 600 ? status : 500).type('text/html').send(simplePage('Request not accepted', `<p>${escapeHtml(status === 413 ? 'The form was too large.' : 'The request could not be understood.')}</p>`));
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { app, address: { host: options.host, port } };
}
