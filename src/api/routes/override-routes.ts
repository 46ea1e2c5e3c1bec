// Overrides from the dashboard: a teacher grants a site or category to a class for a lesson, a
// manager to any group, role or person; anyone with `overrides.revoke` ends one early. Each takes
// effect on the running engine at once (the store rebuilds its GrantSet) and is audited.
import { z } from 'zod';
import { checkOverrideInput, scopeOutsideOwnClasses, type InputProblem, type OverrideInput } from '../../overrides/index.ts';
import type { ResolvedPolicy } from '../../policy/index.ts';
import { ApiError } from '../api-error.ts';
import type { ApiDeps } from '../api-deps.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';
import { signedIn } from './audience.ts';

const nameList = z.array(z.string().min(1).max(128)).max(200);

const overrideSchema = z.object({
  id: z.string(),
  kind: z.enum(['curriculum', 'unblock']),
  scope: z.object({ groups: z.array(z.string()).optional(), roles: z.array(z.string()).optional(), people: z.array(z.string()).optional() }),
  what: z.object({ sites: z.array(z.string()).optional(), categories: z.array(z.string()).optional() }),
  from: z.number(),
  until: z.number().nullable(),
  reason: z.string(),
  grantedBy: z.string(),
  grantedAt: z.number(),
  revokedAt: z.number().nullable(),
  state: z.enum(['scheduled', 'active', 'expired', 'revoked']),
});

/** Groups, roles and categories the policy does not define, each with its field. */
function unknownNames(input: OverrideInput, policy: ResolvedPolicy): InputProblem[] {
  const problems: InputProblem[] = [];
  input.scope.groups?.forEach((group, i) => {
    if (!policy.groups[group]) problems.push({ field: `scope.groups[${i}]`, message: `unknown group \`${group}\`` });
  });
  input.scope.roles?.forEach((role, i) => {
    if (!policy.roles[role]) problems.push({ field: `scope.roles[${i}]`, message: `unknown role \`${role}\`` });
  });
  input.what.categories?.forEach((category, i) => {
    if (!policy.categories[category]) problems.push({ field: `what.categories[${i}]`, message: `unknown category \`${category}\`` });
  });
  return problems;
}

export function overrideRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/overrides',
      action: 'overrides.read',
      summary: 'Overrides in force and scheduled (`active`, the default) or all, newest first',
      tags: ['overrides'],
      query: z.strictObject({
        state: z.enum(['active', 'all']).optional(),
        cursor: z.string().min(1).max(512).optional(),
        limit: z.coerce.number().int().min(1).max(500).optional(),
      }),
      response: z.object({ items: z.array(overrideSchema), nextCursor: z.string().nullable() }),
      handler(context) {
        const { state = 'active', cursor, limit } = context.query;
        return deps.overrides.list({ state, cursor: cursor ?? null, ...(limit !== undefined ? { limit } : {}) });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/overrides',
      // the narrower grant; `overrides.grant.any` lifts the own-classes limit in the handler
      action: 'overrides.grant.own-classes',
      summary: 'Grant a site or category for a time (until, or minutes) with a reason; teachers only to their own classes',
      tags: ['overrides'],
      body: z.strictObject({
        kind: z.enum(['curriculum', 'unblock']).optional(),
        scope: z.strictObject({ groups: nameList.optional(), roles: nameList.optional(), people: nameList.optional() }),
        what: z.strictObject({ sites: nameList.optional(), categories: nameList.optional() }),
        from: z.number().int().min(0).optional(),
        until: z.number().int().min(0).optional(),
        minutes: z.number().int().min(1).max(527_040).optional(),
        reason: z.string().max(1000),
      }),
      response: overrideSchema,
      async handler(context) {
        const account = signedIn(context.account);
        const policy = deps.engine().policy;
        const input: OverrideInput = context.body;
        const { value, problems } = checkOverrideInput(input, deps.now());
        problems.push(...unknownNames(input, policy));
        if (problems.length > 0) throw new ApiError('HR_OVERRIDES_INPUT', `the override has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
        if (!context.can('overrides.grant.any')) {
          const outside = scopeOutsideOwnClasses(value!.scope, {
            accountGroups: account.groups,
            parents: policy.groups,
            personGroups: (username) => deps.people.get(username)?.groups ?? null,
          });
          if (outside.length > 0) throw new ApiError('HR_API_FORBIDDEN', 'you may grant overrides only to your own classes', outside, { httpStatus: 403 });
        }
        const created = await deps.overrides.create(input, account.username);
        context.reply.code(201);
        return created;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/overrides/:id',
      action: 'overrides.revoke',
      summary: 'Revoke an override with a reason; it stops applying at once',
      tags: ['overrides'],
      params: z.strictObject({ id: z.string().min(1).max(100) }),
      body: z.strictObject({ reason: z.string().trim().min(1, 'say why the override is revoked').max(1000) }),
      response: overrideSchema,
      async handler(context) {
        const account = signedIn(context.account);
        return deps.overrides.revoke(context.params.id, account.username, context.body.reason);
      },
    }),
  ];
}
