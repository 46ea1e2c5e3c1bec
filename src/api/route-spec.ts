// The shape every JSON API route is declared in. Routes are plain values so the same list
// mounts them on Fastify, generates the OpenAPI document and drives the permission tests
// (every role against every route).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Action } from '../access/index.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The signed-in account, as every handler sees it. */
export interface SignedIn {
  accountId: string;
  username: string;
  displayName: string;
  /** a role of the policy (`headteacher`, `teacher`, …) */
  role: string;
  /** the account's groups from the people store (a teacher's classes), possibly empty */
  groups: readonly string[];
  sessionId: string;
}

export interface RouteContext<Params = unknown, Query = unknown, Body = unknown> {
  /** null only on `public` routes when nobody is signed in */
  account: SignedIn | null;
  params: Params;
  query: Query;
  body: Body;
  request: FastifyRequest;
  reply: FastifyReply;
  /** may this account do that action (for handlers that widen or narrow what they return) */
  can(action: Action): boolean;
}

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** Fastify path under `/api`, e.g. `/api/overrides/:id` */
  url: string;
  /** the one action a caller needs; `public` needs no sign-in (sign-in itself, health) */
  action: Action | 'public';
  summary: string;
  tags?: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** the success body's schema, for the OpenAPI document */
  response?: z.ZodType;
  /** text/csv and the like; default application/json */
  produces?: string;
  /** the body's content type when it is not JSON (`text/csv` for a roster); default application/json */
  consumes?: string;
  /** the largest body accepted, in bytes; default 64 KiB */
  bodyLimit?: number;
  handler(context: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>): unknown | Promise<unknown>;
}

/** Helps TypeScript infer each route's parameter types while keeping one list type. */
export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}
