// Mounting route specs on Fastify: each request is checked in one fixed order — the session
// cookie (401), the route's action against the policy's access matrix (403), the CSRF header on
// state-changing requests (403), then the parameters, query and body against the route's schemas
// (400, every problem named) — before the handler runs. Errors always come back in the API's one
// JSON shape, never with a stack trace.
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Action } from '../access/index.ts';
import { CSRF_HEADER, csrfMatches, type AuthService, type SessionAccount } from '../auth/index.ts';
import { HedgerowError } from '../errors/index.ts';
import { authOf, type ApiDeps } from './api-deps.ts';
import { ApiError, toApiError, type ApiProblem } from './api-error.ts';
import { parsePart } from './input-problems.ts';
import { openApiRoute } from './openapi.ts';
import type { RouteContext, RouteSpec, SignedIn } from './route-spec.ts';

export const SESSION_COOKIE = 'hedgerow_session';
export const DEFAULT_BODY_LIMIT = 64 * 1024;

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface MountOptions {
  /** where unexpected failures are reported (default: one line on stderr with the stack) */
  logError?: (error: unknown, request: FastifyRequest) => void;
  /** serve `GET /api/openapi.json` for the mounted routes (default true) */
  openApi?: boolean;
}

const sessions = new WeakMap<FastifyRequest, SessionAccount>();

/** The session behind a request the API has checked (with its CSRF token), or null. */
export function sessionOfRequest(request: FastifyRequest): SessionAccount | null {
  return sessions.get(request) ?? null;
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, Secure when the request came over TLS. */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  // no Max-Age: closing the browser drops the cookie; the server ends the session on its own clock
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/', secure: request.protocol === 'https' });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/', secure: request.protocol === 'https' });
}

function isJson(request: FastifyRequest): boolean {
  return /^application\/(.+\+)?json\b/i.test(request.headers['content-type'] ?? '');
}

function sendError(reply: FastifyReply, request: FastifyRequest, error: unknown, options: MountOptions): FastifyReply {
  const answer = toApiError(error);
  if (answer.unexpected) (options.logError ?? defaultLog)(error, request);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  return reply.code(answer.status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(answer.body);
}

function defaultLog(error: unknown, request: FastifyRequest): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`api: ${request.method} ${request.url.split('?')[0]}: ${detail}\n`);
}

async function handle(route: RouteSpec, auth: AuthService, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  reply.header('cache-control', 'no-store');
  const token = request.cookies[SESSION_COOKIE];
  const account = token ? await auth.resolve(token) : null;
  // a cookie naming an ended session is removed, so the browser stops sending it
  if (token && !account) clearSessionCookie(request, reply);
  if (account) sessions.set(request, account);
  const matrix = auth.matrix();
  const stateChanging = STATE_CHANGING.has(request.method);
  if (route.action !== 'public') {
    if (!account) throw new HedgerowError('HR_API_SIGNED_OUT', 'sign in first; the session has ended or there is none');
    if (!matrix.can(account.role, route.action)) {
      throw new HedgerowError('HR_API_FORBIDDEN', `the role \`${account.role}\` may not \`${route.action}\``);
    }
    if (stateChanging && !csrfMatches(account.csrfToken, request.headers[CSRF_HEADER])) {
      throw new HedgerowError('HR_API_CSRF', `the request needs the session's \`${CSRF_HEADER}\` header`);
    }
  } else if (stateChanging && route.body && !isJson(request)) {
    // NOTE: forms on other sites can post urlencoded or text bodies without a CSRF token; the
    // public routes (sign-in, setup) take JSON only, which such a form cannot send.
    throw new HedgerowError('HR_API_MEDIA_TYPE', 'send the body as application/json');
  }
  const problems: ApiProblem[] = [];
  const params = parsePart(route.params, request.params, 'params');
  const query = parsePart(route.query, request.query, 'query');
  const body = parsePart(route.body, request.body, 'body');
  problems.push(...params.problems, ...query.problems, ...body.problems);
  if (problems.length > 0) {
    throw new ApiError('HR_API_INPUT', problems.length === 1 ? `\`${problems[0]!.field}\` ${problems[0]!.message}` : `the request has ${problems.length} problems`, problems);
  }
  const signedIn: SignedIn | null = account
    ? { accountId: account.accountId, username: account.username, displayName: account.displayName, role: account.role, groups: account.groups, sessionId: account.sessionId }
    : null;
  const context: RouteContext = {
    account: signedIn,
    params: params.value,
    query: query.value,
    body: body.value,
    request,
    reply,
    can: (action: Action) => (account ? matrix.can(account.role, action) : false),
  };
  const result = await route.handler(context);
  if (reply.sent) return reply;
  if (result === undefined) return reply.code(reply.statusCode === 200 ? 204 : reply.statusCode).send();
  if (route.produces && !reply.hasHeader('content-type')) reply.type(route.produces);
  return reply.send(result);
}

/**
 * Mounts the routes (and `GET /api/openapi.json` for them) on the app, in their own scope: the
 * session cookie, the CSRF header, the access matrix and input validation apply to every one,
 * and any unknown `/api/…` path answers 404 in the API's error shape.
 */
export async function mountApi(app: FastifyInstance, deps: ApiDeps, routes: readonly RouteSpec[], options: MountOptions = {}): Promise<void> {
  const auth = authOf(deps);
  const all: RouteSpec[] = [...routes];
  if (options.openApi !== false && !all.some((r) => r.method === 'GET' && r.url === '/api/openapi.json')) all.push(openApiRoute(() => all));
  const seen = new Set<string>();
  for (const route of all) {
    const key = `${route.method} ${route.url}`;
    if (seen.has(key)) throw new Error(`the API route \`${key}\` is declared twice`);
    if (!route.url.startsWith('/api/')) throw new Error(`the API route \`${key}\` is not under /api/`);
    seen.add(key);
  }

  await app.register(async (scope) => {
    if (!scope.hasRequestDecorator('cookies')) await scope.register(cookie);
    // bodies that are not JSON (a roster CSV) arrive as text, within each route's own limit
    scope.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, text, done) => done(null, text));
    // Evidence uploads arrive as a stream the route reads itself, so it can refuse a body larger
    // than the policy allows after reading no more than that (a route that expects JSON refuses it).
    scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    scope.setErrorHandler((error, request, reply) => sendError(reply, request, error, options));
    for (const route of all) {
      scope.route({
        method: route.method,
        url: route.url,
        bodyLimit: route.bodyLimit ?? DEFAULT_BODY_LIMIT,
        handler: (request, reply) => handle(route, auth, request, reply),
      });
    }
  });
  await app.register(
    async (scope) => {
      scope.setNotFoundHandler((request, reply) =>
        sendError(reply, request, new HedgerowError('HR_API_NOT_FOUND', `there is no API route \`${request.method} ${request.url.split('?')[0]}\``), options),
      );
    },
    { prefix: '/api' },
  );
}
