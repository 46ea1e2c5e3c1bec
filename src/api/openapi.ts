// The OpenAPI 3.1 document of the mounted routes, built from the same zod schemas that validate
// requests, so the document cannot drift from what the server accepts. Each operation names the
// one action it needs in `x-hedgerow-action`.
import { z } from 'zod';
import { ACTIONS } from '../access/index.ts';
import type { RouteSpec } from './route-spec.ts';

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, unknown>;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  try {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as JsonSchema;
    return rest;
  } catch {
    // a schema JSON Schema cannot express (a cycle, a custom type): say nothing rather than lie
    return {};
  }
}

/** `/api/overrides/:id` → `/api/overrides/{id}` */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function operationId(route: RouteSpec): string {
  const words = route.url
    .replace(/^\/api\//, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return `${route.method.toLowerCase()}${words.join('')}`;
}

function parameters(route: RouteSpec): unknown[] {
  const list: unknown[] = [];
  const pathNames = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const pathSchema = route.params ? jsonSchema(route.params, 'input') : {};
  const pathProps = (pathSchema.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of pathNames) list.push({ name, in: 'path', required: true, schema: pathProps[name] ?? { type: 'string' } });
  if (route.query) {
    const querySchema = jsonSchema(route.query, 'input');
    const required = new Set((querySchema.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((querySchema.properties ?? {}) as Record<string, JsonSchema>)) {
      const { description, ...rest } = schema;
      list.push({ name, in: 'query', required: required.has(name), schema: rest, ...(typeof description === 'string' ? { description } : {}) });
    }
  }
  return list;
}

const errorRef = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

function operation(route: RouteSpec): Record<string, unknown> {
  const stateChanging = route.method !== 'GET';
  const op: Record<string, unknown> = {
    operationId: operationId(route),
    summary: route.summary,
    tags: route.tags ?? [route.url.split('/')[2] ?? 'api'],
    'x-hedgerow-action': route.action,
    description: route.action === 'public' ? 'Needs no sign-in.' : `Needs the action \`${route.action}\`: ${ACTIONS[route.action]}.`,
    security: route.action === 'public' ? [] : stateChanging ? [{ session: [], csrf: [] }] : [{ session: [] }],
  };
  const params = parameters(route);
  if (params.length > 0) op.parameters = params;
  if (route.body) {
    const type = route.consumes ?? 'application/json';
    op.requestBody = { required: !route.body.safeParse(undefined).success, content: { [type]: { schema: jsonSchema(route.body, 'input') } } };
  }
  const produces = route.produces ?? 'application/json';
  const responses: Record<string, unknown> = {
    '200': {
      description: 'done',
      content: { [produces]: { schema: route.response ? jsonSchema(route.response, 'output') : produces.startsWith('text/') ? { type: 'string' } : {} } },
    },
  };
  if (route.params || route.query || route.body) responses['400'] = errorRef('the input does not fit; every problem is named');
  if (route.action !== 'public') {
    responses['401'] = errorRef('not signed in');
    responses['403'] = errorRef(stateChanging ? "the role may not do this, or the CSRF header is missing" : 'the role may not do this');
  }
  responses.default = errorRef('an error in the API error shape (docs/errors.md)');
  op.responses = responses;
  return op;
}

export function openApiDocument(routes: readonly RouteSpec[], info: { title?: string; version?: string } = {}): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'Hedgerow API',
      version: info.version ?? '1',
      description:
        'The JSON API behind the Hedgerow dashboard. Sign in with POST /api/session; send the returned csrfToken as the x-csrf-token header on every POST, PUT, PATCH and DELETE. Errors are { error: { code, message, problems } } with the codes of docs/errors.md.',
    },
    paths,
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'hedgerow_session' },
        csrf: { type: 'apiKey', in: 'header', name: 'x-csrf-token' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', pattern: '^HR_[A-Z_]+$' },
                message: { type: 'string' },
                problems: {
                  type: 'array',
                  items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
    },
  };
}

/** `GET /api/openapi.json` for a list of routes (read when first asked, so it includes itself). */
export function openApiRoute(routes: () => readonly RouteSpec[]): RouteSpec {
  let document: OpenApiDocument | null = null;
  return {
    method: 'GET',
    url: '/api/openapi.json',
    action: 'public',
    summary: 'This API described as OpenAPI 3.1',
    tags: ['meta'],
    handler: () => (document ??= openApiDocument(routes())),
  };
}
