// Mounts routes whose body is a file (application/octet-stream) the way the API is to mount them:
// the request stream handed to the handler unread, so the handler applies its own size limit.
// The shared route harness parses JSON and CSV only; this one adds the pass-through parser and
// otherwise gates and parses like it (account and actions per request, zod on params and query).
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import type { Readable } from 'node:stream';
import { toApiError, type RouteContext, type RouteSpec, type SignedIn } from '../../src/api/index.ts';
import type { TestAccount } from '../support/route-harness.ts';

export interface UploadHarness {
  app: FastifyInstance;
  upload(request: { url: string; as: TestAccount; payload: Buffer | Readable; contentType?: string; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function uploadHarness(routes: readonly RouteSpec[]): Promise<UploadHarness> {
  const app = Fastify({ logger: false });
  const accounts = new Map<string, TestAccount>();
  let next = 0;
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  app.setErrorHandler((error, _request, reply) => {
    const answer = toApiError(error);
    return reply.code(answer.status).send(answer.body);
  });
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      bodyLimit: route.bodyLimit ?? 64 * 1024,
      async handler(request, reply) {
        const account = accounts.get(String(request.headers['x-harness-account'])) ?? null;
        if (!account) return reply.code(401).send({ error: { code: 'HR_API_SIGNED_OUT', message: 'sign in first' } });
        if (route.action !== 'public' && !account.can.includes(route.action)) {
          return reply.code(403).send({ error: { code: 'HR_API_FORBIDDEN', message: `the role \`${account.role}\` may not \`${route.action}\`` } });
        }
        const params = route.params ? route.params.safeParse(request.params) : { success: true as const, data: request.params };
        const query = route.query ? route.query.safeParse(request.query) : { success: true as const, data: request.query };
        if (!params.success || !query.success) return reply.code(400).send({ error: { code: 'HR_API_INPUT', message: 'the request does not fit the route' } });
        const signedIn: SignedIn = { accountId: `id-${account.username}`, username: account.username, displayName: account.username, role: account.role, groups: [], sessionId: 'test' };
        const context: RouteContext = { account: signedIn, params: params.data, query: query.data, body: request.body, request, reply, can: (action) => account.can.includes(action) };
        const result = await route.handler(context);
        return reply.send(result);
      },
    });
  }
  await app.ready();
  return {
    app,
    upload({ url, as, payload, contentType = 'application/octet-stream', headers = {} }) {
      const key = `a${next++}`;
      accounts.set(key, as);
      return app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType, 'x-harness-account': key, ...headers } });
    },
    close: () => app.close(),
  };
}
