// The API's own routes: signing in and out, the first administrator, dashboard accounts, the
// audit log and the access matrix. Feature modules add their routes beside these.
import { z } from 'zod';
import { ACTION_NAMES, ACTIONS, ALWAYS_GRANTED } from '../access/index.ts';
import { setupNeeded, type AuthService, type SessionAccount } from '../auth/index.ts';
import { authOf, type ApiDeps } from './api-deps.ts';
import { searchAudit, AUDIT_PAGE_MAX } from './audit-search.ts';
import { clearSessionCookie, SESSION_COOKIE, sessionOfRequest, setSessionCookie } from './mount-api.ts';
import { defineRoute, type RouteSpec } from './route-spec.ts';

const actionSchema = z.enum(ACTION_NAMES as [string, ...string[]]);

const sessionAnswerSchema = z.object({
  account: z.object({ id: z.string(), username: z.string(), displayName: z.string(), role: z.string(), groups: z.array(z.string()) }),
  csrfToken: z.string(),
  permissions: z.array(actionSchema),
});

const accountViewSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.string(),
  disabled: z.boolean(),
  signIn: z.enum(['password', 'directory']),
  createdAt: z.number(),
});

const auditEntrySchema = z.object({
  seq: z.number(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  reason: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
});

const username = z.string().trim().min(1).max(128);
const password = z.string().min(1).max(1024);
const displayName = z.string().trim().min(1).max(200);
const reason = z.string().trim().min(1).max(1000);
const epochMs = z.coerce.number().int().min(0);

function sessionAnswer(auth: AuthService, account: SessionAccount): z.infer<typeof sessionAnswerSchema> {
  return {
    account: { id: account.accountId, username: account.username, displayName: account.displayName, role: account.role, groups: [...account.groups] },
    csrfToken: account.csrfToken,
    permissions: auth.matrix().actionsOf(account.role),
  };
}

export function coreRoutes(deps: ApiDeps): RouteSpec[] {
  const auth = () => authOf(deps);
  return [
    defineRoute({
      method: 'POST',
      url: '/api/session',
      action: 'public',
      summary: 'Sign in with a username and password (throttled); sets the session cookie',
      tags: ['session'],
      body: z.strictObject({ username, password }),
      response: sessionAnswerSchema,
      async handler({ body, request, reply }) {
        const result = await auth().signIn({ username: body.username, password: body.password, clientIp: request.ip, replacing: request.cookies[SESSION_COOKIE] ?? null });
        setSessionCookie(request, reply, result.token);
        return sessionAnswer(auth(), result.account);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/session',
      action: 'session.self',
      summary: 'Who is signed in, their CSRF token and what they may do',
      tags: ['session'],
      response: sessionAnswerSchema,
      handler({ request }) {
        return sessionAnswer(auth(), sessionOfRequest(request)!);
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/session',
      action: 'session.self',
      summary: 'Sign out of this browser',
      tags: ['session'],
      async handler({ request, reply }) {
        await auth().signOut(request.cookies[SESSION_COOKIE] ?? '');
        clearSessionCookie(request, reply);
        return undefined;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/sessions',
      action: 'session.self',
      summary: 'Sign out everywhere: end every session of this account, this one included',
      tags: ['session'],
      response: z.object({ ended: z.number() }),
      async handler({ account, request, reply }) {
        const ended = await auth().signOutEverywhere(account!.accountId);
        clearSessionCookie(request, reply);
        return { ended };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/account/password',
      action: 'session.self',
      summary: 'Change your own password; your other sessions end',
      tags: ['session'],
      body: z.strictObject({ current: password, next: password }),
      response: z.object({ endedSessions: z.number() }),
      handler({ body, request }) {
        return auth().changeOwnPassword(sessionOfRequest(request)!, body.current, body.next, request.ip);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/setup',
      action: 'public',
      summary: 'Whether the first administrator is still to be created',
      tags: ['setup'],
      response: z.object({ needed: z.boolean() }),
      async handler() {
        return { needed: await setupNeeded(deps.db) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/setup',
      action: 'public',
      summary: 'Create the first administrator with the one-time setup token printed at start; signs them in',
      tags: ['setup'],
      body: z.strictObject({ token: z.string().min(1).max(128), username, displayName, password, role: z.string().min(1).max(64).optional() }),
      response: sessionAnswerSchema,
      async handler({ body, request, reply }) {
        const result = await auth().setup(
          { token: body.token, username: body.username, displayName: body.displayName, password: body.password, ...(body.role ? { role: body.role } : {}) },
          request.ip,
        );
        setSessionCookie(request, reply, result.token);
        reply.code(201);
        return sessionAnswer(auth(), result.account);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/accounts',
      action: 'accounts.manage',
      summary: 'Every dashboard account',
      tags: ['accounts'],
      response: z.object({ items: z.array(accountViewSchema) }),
      async handler() {
        return { items: await auth().accounts.list() };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/accounts',
      action: 'accounts.manage',
      summary: 'Add a dashboard account (without a password it signs in through the directory only)',
      tags: ['accounts'],
      body: z.strictObject({ username, displayName, role: z.string().min(1).max(64), password: password.optional(), reason }),
      response: accountViewSchema,
      async handler({ account, body, reply }) {
        const view = await auth().accounts.add(
          { username: body.username, displayName: body.displayName, role: body.role, ...(body.password !== undefined ? { password: body.password } : {}) },
          { actor: account!.username, reason: body.reason },
        );
        reply.code(201);
        return view;
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/accounts/:id',
      action: 'accounts.manage',
      summary: "Change an account's name, role, password or whether it is disabled; disabling ends its sessions",
      tags: ['accounts'],
      params: z.object({ id: z.string().min(1).max(64) }),
      body: z
        .strictObject({ displayName: displayName.optional(), role: z.string().min(1).max(64).optional(), disabled: z.boolean().optional(), password: password.optional(), reason })
        .refine((b) => b.displayName !== undefined || b.role !== undefined || b.disabled !== undefined || b.password !== undefined, {
          error: 'give at least one of displayName, role, disabled or password',
        }),
      response: accountViewSchema,
      handler({ account, params, body }) {
        const { reason: why, ...changes } = body;
        return auth().updateAccount(params.id, changes, { actor: account!.username, reason: why });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/audit',
      action: 'audit.read',
      summary: 'The audit log, newest first',
      tags: ['audit'],
      query: z.strictObject({
        from: epochMs.optional(),
        to: epochMs.optional(),
        actor: z.string().max(256).optional(),
        subject: z.string().max(512).optional(),
        cursor: z.string().max(32).optional(),
        limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).optional(),
      }),
      response: z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() }),
      handler({ query }) {
        return searchAudit(deps.db, query);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/audit/verify',
      action: 'audit.read',
      summary: "Check the audit log's hash chain; names the first entry where it breaks",
      tags: ['audit'],
      response: z.object({ ok: z.boolean(), brokenAt: z.number().nullable(), checkedAt: z.number() }),
      async handler() {
        const brokenAt = await deps.audit.verify();
        return { ok: brokenAt === null, brokenAt, checkedAt: deps.now() };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/access',
      action: 'policy.read',
      summary: 'The role × action matrix of the policy in force, and the lawful purposes for reading a named adult’s browsing',
      tags: ['policy'],
      response: z.object({
        roles: z.array(z.object({ role: z.string(), title: z.string(), actions: z.array(actionSchema) })),
        actions: z.array(z.object({ name: actionSchema, description: z.string() })),
        alwaysGranted: z.array(actionSchema),
        monitoringPurposes: z.array(z.object({ id: z.string(), title: z.string(), clause: z.string().nullable() })),
      }),
      handler() {
        const policy = deps.engine().policy;
        const matrix = auth().matrix();
        return {
          roles: matrix.roles().map((role) => ({ role, title: policy.roles[role]?.title ?? role, actions: matrix.actionsOf(role) })),
          actions: ACTION_NAMES.map((name) => ({ name, description: ACTIONS[name] })),
          alwaysGranted: [...ALWAYS_GRANTED],
          monitoringPurposes: Object.entries(policy.monitoringPurposes).map(([id, p]) => ({ id, title: p.title, clause: p.clause ?? null })),
        };
      },
    }),
  ];
}

