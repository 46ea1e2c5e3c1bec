// A small Fastify app for exercising route handlers in tests: mounts RouteSpec[] with zod parsing
// of params, query and body, and a signed-in account chosen per request together with the
// actions it holds. Not the production mount (src/api/mount-api.ts): no sessions, cookies or
// CSRF here, so each test states the account and permissions it means.
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { Readable } from 'node:stream';
import type { z } from 'zod';
import type { Action } from '../../src/access/index.ts';
import { toApiError } from '../../src/api/index.ts';
import type { RouteContext, RouteSpec, SignedIn } from '../../src/api/index.ts';

export interface TestAccount {
  username: string;
  role: string;
  groups?: string[];
  displayName?: string;
  /** the actions this account holds */
  can: readonly Action[];
}

export interface HarnessRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** null: not signed in */
  as: TestAccount | null;
  body?: unknown;
  /** raw payload with its content type (a CSV roster) */
  raw?: { payload: string; contentType: string };
}

export interface RouteHarness {
  app: FastifyInstance;
  request(request: HarnessRequest): Promise<LightMyRequestResponse>;
  /** the JSON body of an answer */
  json<T = any>(request: HarnessRequest): Promise<{ status: number; body: T; headers: LightMyRequestResponse['headers'] }>;
  close(): Promise<void>;
}

const ACCOUNT_HEADER = 'x-harness-account';

function problemsOf(part: string, error: z.ZodError): Array<{ field: string; message: string }> {
  return error.issues.map((issue) => ({
    field: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

export async function routeHarness(routes: readonly RouteSpec[]): Promise<RouteHarness> {
  const app = Fastify({ logger: false });
  const accounts = new Map<string, TestAccount>();
  let next = 0;
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, text, done) => done(null, text));
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  app.setErrorHandler((error, _request, reply) => {
    const answer = toApiError(error);
    if (answer.unexpected) process.stderr.write(`route harness: ${error instanceof Error ? error.stack : String(error)}\n`);
    return reply.code(answer.status).send(answer.body);
  });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      bodyLimit: route.bodyLimit ?? 64 * 1024,
      async handler(request, reply) {
        const key = request.headers[ACCOUNT_HEADER];
        const account = typeof key === 'string' ? (accounts.get(key) ?? null) : null;
        if (route.action !== 'public') {
          if (!account) return reply.code(401).send({ error: { code: 'HR_API_SIGNED_OUT', message: 'sign in first' } });
          if (!account.can.includes(route.action)) {
            return reply.code(403).send({ error: { code: 'HR_API_FORBIDDEN', message: `the role \`${account.role}\` may not \`${route.action}\`` } });
          }
        }
        const problems: Array<{ field: string; message: string }> = [];
        const parse = (schema: z.ZodType | undefined, value: unknown, part: string): unknown => {
          if (!schema) return value;
          const result = schema.safeParse(value);
          if (result.success) return result.data;
          problems.push(...problemsOf(part, result.error));
          return undefined;
        };
        const params = parse(route.params, request.params, 'params');
        const query = parse(route.query, request.query, 'query');
        const body = parse(route.body, request.body, 'body');
        if (problems.length > 0) return reply.code(400).send({ error: { code: 'HR_API_INPUT', message: 'the request does not fit the route', problems } });
        const signedIn: SignedIn | null = account
          ? { accountId: `id-${account.username}`, username: account.username, displayName: account.displayName ?? account.username, role: account.role, groups: account.groups ?? [], sessionId: 'test-session' }
          : null;
        const context: RouteContext = {
          account: signedIn,
          params,
          query,
          body,
          request,
          reply,
          can: (action) => account?.can.includes(action) ?? false,
        };
        const result = await route.handler(context);
        if (reply.sent) return reply;
        if (result instanceof Readable) return reply.send(result);
        if (result === undefined) return reply.code(204).send();
        return reply.send(result);
      },
    });
  }
  await app.ready();

  const request = (r: HarnessRequest): Promise<LightMyRequestResponse> => {
    const headers: Record<string, string> = {};
    if (r.as) {
      const key = `a${next++}`;
      accounts.set(key, r.as);
      headers[ACCOUNT_HEADER] = key;
    }
    const options: InjectOptions = { method: r.method, url: r.url, headers };
    if (r.raw) {
      options.payload = r.raw.payload;
      headers['content-type'] = r.raw.contentType;
    } else if (r.body !== undefined) {
      options.payload = r.body as InjectOptions['payload'];
    }
    return app.inject(options);
  };

  return {
    app,
    request,
    async json(r) {
      const response = await request(r);
      // an empty body (204) reads as undefined
      return { status: response.statusCode, body: (response.body === '' ? undefined : response.json()) as never, headers: response.headers };
    },
    close: () => app.close(),
  };
}
