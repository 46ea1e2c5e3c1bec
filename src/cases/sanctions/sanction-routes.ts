// The sanctions API (8.2): proposals raised by repeated circumvention attempts, sanctions in force
// and past, impose / decline / lift (deciders), and supervised sessions (supervisors). The route's
// action is checked first; then the policy's `workflows.sanctions` says who among those holding it
// may decide or supervise. A class teacher sees and supervises only the pupils of their classes;
// proposals about adults are shown to deciders only.
import { z } from 'zod';
import { defineRoute, type ApiDeps, type RouteSpec, type SignedIn } from '../../api/index.ts';
import { HedgerowError } from '../../errors/index.ts';
import { parseDuration, type ResolvedPolicy, type SanctionsSection } from '../../policy/index.ts';
import { classBoundReader, inClassesOf, isChildRole, isDecider, maySupervise } from './sanction-access.ts';
import type { ListFilter, SanctionStore } from './sanction-store.ts';
import type { Sanction, SanctionProposal } from './sanction-types.ts';

export interface SanctionRouteDeps {
  sanctions: SanctionStore;
}

const DURATION = /^\d+(m|h|d|w|y)$/;
const idParams = z.strictObject({ id: z.string().min(1).max(64) });
const pageQuery = {
  cursor: z.string().min(1).max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
};
const reasonBody = z.strictObject({ reason: z.string().trim().min(1, 'say why').max(2000) });

const attemptSchema = z.object({ eventId: z.string(), at: z.number(), host: z.string(), kind: z.string(), rule: z.string(), point: z.string() });
const proposalSchema = z.object({
  id: z.string(),
  person: z.string(),
  personName: z.string().nullable(),
  role: z.string(),
  createdAt: z.number(),
  recommendation: z.enum(['supervised-only', 'refer']),
  count: z.number(),
  threshold: z.number(),
  windowMs: z.number(),
  attempts: z.array(attemptSchema),
  status: z.enum(['open', 'imposed', 'declined']),
  decidedAt: z.number().nullable(),
  decidedBy: z.string().nullable(),
  decisionReason: z.string().nullable(),
  sanctionId: z.string().nullable(),
});
const sessionSchema = z.object({
  id: z.string(),
  sanctionId: z.string(),
  person: z.string(),
  openedBy: z.string(),
  openedAt: z.number(),
  endsAt: z.number(),
  closedAt: z.number().nullable(),
  closedBy: z.string().nullable(),
  closeKind: z.enum(['closed', 'timed-out', 'sanction-ended']).nullable(),
  open: z.boolean(),
});
const sanctionSchema = z.object({
  id: z.string(),
  person: z.string(),
  personName: z.string().nullable(),
  role: z.string(),
  proposalId: z.string().nullable(),
  reason: z.string(),
  imposedBy: z.string(),
  imposedAt: z.number(),
  endsAt: z.number(),
  status: z.enum(['active', 'lifted', 'expired']),
  liftedAt: z.number().nullable(),
  liftedBy: z.string().nullable(),
  liftReason: z.string().nullable(),
  expiredAt: z.number().nullable(),
  session: sessionSchema.nullable(),
});

function account(context: { account: SignedIn | null }): SignedIn {
  if (!context.account) throw new HedgerowError('HR_API_SIGNED_OUT', 'sign in first', { httpStatus: 401 });
  return context.account;
}

function forbidden(message: string): HedgerowError {
  return new HedgerowError('HR_API_FORBIDDEN', message, { httpStatus: 403 });
}

function notFound(what: string, id: string): HedgerowError {
  return new HedgerowError('HR_SANCTIONS_NOT_FOUND', `no ${what} \`${id}\``);
}

export function sanctionRoutes(deps: ApiDeps, own: SanctionRouteDeps): RouteSpec[] {
  const store = own.sanctions;
  const policy = (): ResolvedPolicy => deps.engine().policy;
  const section = (): SanctionsSection => store.section();

  const named = <T extends { person: string }>(item: T): T & { personName: string | null } => ({
    ...item,
    personName: deps.people.get(item.person)?.displayName ?? null,
  });

  /** What this reader may list: every pupil's, or (class-bound) their own pupils'; adults' referrals to deciders only. */
  const readScope = (who: SignedIn, can: (action: 'supervision.open') => boolean): Pick<ListFilter, 'people' | 'pupilsOnly'> => {
    const p = policy();
    const s = section();
    const scope: Pick<ListFilter, 'people' | 'pupilsOnly'> = {};
    if (!isDecider(who.role, s, p)) scope.pupilsOnly = true;
    if (classBoundReader(who, s, p, can('supervision.open'))) {
      scope.people = deps.people
        .list()
        .filter((person) => isChildRole(p, person.role) && inClassesOf(person.groups, who.groups, p))
        .map((person) => person.username);
    }
    return scope;
  };

  const mayRead = (item: SanctionProposal | Sanction, scope: Pick<ListFilter, 'people' | 'pupilsOnly'>): boolean => {
    if (scope.pupilsOnly && 'recommendation' in item && item.recommendation === 'refer') return false;
    return scope.people === undefined || scope.people.includes(item.person);
  };

  const requireDecider = (who: SignedIn): void => {
    if (!isDecider(who.role, section(), policy())) throw forbidden(`the role \`${who.role}\` is not one of the policy's sanction deciders`);
  };

  const requireSupervisor = (who: SignedIn, person: string): void => {
    const pupil = deps.people.get(person);
    const answer = maySupervise(who, pupil?.groups ?? [], section(), policy());
    if (!answer.ok) throw forbidden(answer.message);
  };

  return [
    defineRoute({
      method: 'GET',
      url: '/api/sanctions/settings',
      action: 'sanctions.read',
      summary: "The policy's sanction settings (8.2) and what this account may do with them",
      tags: ['sanctions'],
      response: z.object({
        configured: z.boolean(),
        defaultDuration: z.string().nullable(),
        maxDuration: z.string().nullable(),
        sessionLength: z.string().nullable(),
        clauses: z.array(z.string()),
        threshold: z.number(),
        window: z.string(),
        decider: z.boolean(),
        supervisor: z.enum(['any', 'own-classes', 'no']),
      }),
      handler(context) {
        const who = account(context);
        const p = policy();
        const s = p.workflows.sanctions;
        const supervisor = !s || !context.can('supervision.open') ? 'no' : maySupervise({ role: who.role, groups: [] }, [], s, p).ok ? 'any' : s.supervisors.includes('class-teacher') ? 'own-classes' : 'no';
        return {
          configured: s !== null,
          defaultDuration: s?.defaultDuration ?? null,
          maxDuration: s?.maxDuration ?? null,
          sessionLength: s?.sessionLength ?? null,
          clauses: s?.clauses ?? [],
          threshold: p.circumvention.threshold,
          window: p.circumvention.window,
          decider: s !== null && context.can('sanctions.decide') && isDecider(who.role, s, p),
          supervisor,
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/sanctions/proposals',
      action: 'sanctions.read',
      summary: 'Sanction proposals raised by repeated circumvention attempts: open ones (the default) or all, newest first',
      tags: ['sanctions'],
      query: z.strictObject({ status: z.enum(['open', 'all']).optional(), ...pageQuery }),
      response: z.object({ items: z.array(proposalSchema), nextCursor: z.string().nullable() }),
      async handler(context) {
        const who = account(context);
        const scope = readScope(who, context.can);
        const { status = 'open', cursor, limit } = context.query;
        const page = await store.listProposals({ status, cursor: cursor ?? null, ...(limit !== undefined ? { limit } : {}), ...scope });
        return { items: page.items.map(named), nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/sanctions/proposals/:id',
      action: 'sanctions.read',
      summary: 'One sanction proposal with the attempts that raised it',
      tags: ['sanctions'],
      params: idParams,
      response: proposalSchema,
      async handler(context) {
        const who = account(context);
        const proposal = await store.getProposal(context.params.id);
        if (!proposal || !mayRead(proposal, readScope(who, context.can))) throw notFound('sanction proposal', context.params.id);
        return named(proposal);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/sanctions/proposals/:id/decline',
      action: 'sanctions.decide',
      summary: 'Decline a sanction proposal (or close a referral about an adult) with a reason',
      tags: ['sanctions'],
      params: idParams,
      body: reasonBody,
      response: proposalSchema,
      async handler(context) {
        const who = account(context);
        requireDecider(who);
        return named(await store.decline(context.params.id, who.username, context.body.reason));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/sanctions',
      action: 'sanctions.read',
      summary: 'Supervised-only sanctions: in force now (the default) or all, past ones included, newest first',
      tags: ['sanctions'],
      query: z.strictObject({ state: z.enum(['active', 'all']).optional(), ...pageQuery }),
      response: z.object({ items: z.array(sanctionSchema), nextCursor: z.string().nullable() }),
      async handler(context) {
        const who = account(context);
        const scope = readScope(who, context.can);
        const { state = 'active', cursor, limit } = context.query;
        const page = await store.listSanctions({ state, cursor: cursor ?? null, ...(limit !== undefined ? { limit } : {}), ...(scope.people ? { people: scope.people } : {}) });
        return { items: page.items.map(named), nextCursor: page.nextCursor };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/sanctions/:id',
      action: 'sanctions.read',
      summary: 'One sanction with its supervised sessions, newest first',
      tags: ['sanctions'],
      params: idParams,
      response: sanctionSchema.extend({ sessions: z.array(sessionSchema) }),
      async handler(context) {
        const who = account(context);
        const sanction = await store.getSanction(context.params.id);
        if (!sanction || !mayRead(sanction, readScope(who, context.can))) throw notFound('sanction', context.params.id);
        return { ...named(sanction), sessions: await store.sessionsOf(sanction.id) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/sanctions',
      action: 'sanctions.decide',
      summary: 'Impose a supervised-only sanction on a pupil, on a proposal or without one, for a duration (default and maximum from the policy) with a reason',
      tags: ['sanctions'],
      body: z
        .strictObject({
          person: z.string().trim().min(1).max(128).optional(),
          proposal: z.string().min(1).max(64).optional(),
          duration: z.string().regex(DURATION, 'must be a duration like 3d, 2w or 36h').optional(),
          reason: z.string().trim().min(1, 'say why the sanction is imposed').max(2000),
        })
        .refine((b) => b.person !== undefined || b.proposal !== undefined, { message: 'name the pupil or the proposal', path: ['person'] }),
      response: sanctionSchema,
      async handler(context) {
        const who = account(context);
        requireDecider(who);
        const { person, proposal, duration, reason } = context.body;
        const sanction = await store.impose(
          {
            ...(person !== undefined ? { person } : {}),
            ...(proposal !== undefined ? { proposalId: proposal } : {}),
            ...(duration !== undefined ? { durationMs: parseDuration(duration) } : {}),
            reason,
          },
          who.username,
        );
        context.reply.code(201);
        return named(sanction);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/sanctions/:id/lift',
      action: 'sanctions.decide',
      summary: 'Lift a sanction early with a reason; the pupil browses as usual at once',
      tags: ['sanctions'],
      params: idParams,
      body: reasonBody,
      response: sanctionSchema,
      async handler(context) {
        const who = account(context);
        requireDecider(who);
        return named(await store.lift(context.params.id, who.username, context.body.reason));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/sanctions/:id/sessions',
      action: 'supervision.open',
      summary: "Open a supervised session for a sanctioned pupil; it ends after the policy's session length, when closed, or with the sanction",
      tags: ['sanctions'],
      params: idParams,
      response: sessionSchema,
      async handler(context) {
        const who = account(context);
        const sanction = await store.getSanction(context.params.id);
        if (!sanction) throw notFound('sanction', context.params.id);
        requireSupervisor(who, sanction.person);
        const session = await store.openSession(sanction.id, who.username);
        context.reply.code(201);
        return session;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/sanctions/sessions/:id/close',
      action: 'supervision.open',
      summary: 'Close a supervised session; the pupil is blocked again at once',
      tags: ['sanctions'],
      params: idParams,
      response: sessionSchema,
      async handler(context) {
        const who = account(context);
        const session = await store.getSession(context.params.id);
        if (!session) throw notFound('supervised session', context.params.id);
        requireSupervisor(who, session.person);
        return store.closeSession(session.id, who.username);
      },
    }),
  ];
}
