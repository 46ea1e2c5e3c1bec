// The compliance API. Staff see and keep their own records (`compliance.self`): their training
// and self-checks, and the policy to accept. Managers see everyone's (`compliance.read`), and
// record for others, record start dates, mark the policy reviewed and run the filter checks
// (`compliance.manage`). Every record is audited by the store.
import { z } from 'zod';
import type { ApiDeps, RouteSpec, SignedIn } from '../api/index.ts';
import { ApiError, defineRoute } from '../api/index.ts';
import { HedgerowError } from '../errors/index.ts';
import type { ComplianceService, Self } from './compliance-service.ts';
import { MAX_NOTE } from './compliance-service.ts';

export interface ComplianceDeps {
  service: ComplianceService;
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-09-02');
const username = z.string().trim().min(1).max(128);
const note = z.string().max(MAX_NOTE).nullable().optional();

const dueCell = z.object({ state: z.enum(['done', 'due', 'overdue', 'not-required']), dueAt: z.number().nullable(), soon: z.boolean(), lastAt: z.number().nullable() });
const member = z.object({ username: z.string(), displayName: z.string(), role: z.string(), startAt: z.number(), startSource: z.enum(['recorded', 'added', 'first-seen']) });
const trainingRecord = z.object({ id: z.string(), person: z.string(), course: z.string(), completedAt: z.number(), recordedBy: z.string(), recordedAt: z.number(), evidence: z.string().nullable() });
const acknowledgement = z.object({ id: z.string(), person: z.string(), versionKey: z.string(), version: z.string(), policyRevision: z.string(), clauses: z.array(z.string()), at: z.number() });
const selfCheck = z.object({ id: z.string(), person: z.string(), at: z.number(), note: z.string().nullable() });
const review = z.object({ id: z.string(), reviewedAt: z.number(), reviewedBy: z.string(), policyVersion: z.string().nullable(), policyRevision: z.string(), nextReviewDate: z.string(), note: z.string().nullable() });
const checkResult = z.object({
  testId: z.string(),
  url: z.string(),
  role: z.string(),
  groups: z.array(z.string()),
  path: z.enum(['proxy', 'dns']),
  expected: z.enum(['allowed', 'blocked', 'warned']),
  seen: z.enum(['allowed', 'blocked', 'warned', 'error', 'not-applicable']),
  outcome: z.enum(['pass', 'fail', 'not-applicable']),
  latencyMs: z.number().nullable(),
  status: z.union([z.number(), z.string()]).nullable(),
  rule: z.string().nullable(),
  clauses: z.array(z.string()),
  expectedClauses: z.array(z.string()),
  detail: z.string().nullable(),
});
const checkRun = z.object({
  id: z.string(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  trigger: z.enum(['schedule', 'manual']),
  requestedBy: z.string().nullable(),
  policyRevision: z.string(),
  passed: z.number(),
  failed: z.number(),
  notApplicable: z.number(),
  results: z.array(checkResult),
});
const policyVersion = z.object({
  key: z.string(),
  version: z.string(),
  policyName: z.string(),
  owner: z.string().nullable(),
  revision: z.string(),
  clauses: z.array(z.object({ id: z.string(), title: z.string() })),
  since: z.number(),
});

function self(account: SignedIn | null): Self {
  if (!account) throw new HedgerowError('HR_API_SIGNED_OUT', 'sign in first', { httpStatus: 401 });
  return { username: account.username, displayName: account.displayName, role: account.role };
}

export function complianceRoutes(_deps: ApiDeps, own: ComplianceDeps): RouteSpec[] {
  const service = own.service;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/compliance/me',
      action: 'compliance.self',
      summary: 'Your own training, policy acknowledgement and online-presence self-checks, with what is due',
      tags: ['compliance'],
      response: z.object({ member, training: z.array(dueCell.extend({ course: z.string(), completions: z.number(), title: z.string(), clauses: z.array(z.string()) })) }).loose(),
      handler: (context) => service.mine(self(context.account)),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/compliance/training',
      action: 'compliance.read',
      summary: 'The training matrix: each person asked for training against each course (4.1–4.3), with due dates',
      tags: ['compliance'],
      response: z.object({ courses: z.array(z.object({ id: z.string(), title: z.string() }).loose()), rows: z.array(member.extend({ cells: z.array(dueCell.loose()) })), at: z.number() }).loose(),
      handler: () => service.trainingMatrix(),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/compliance/overdue',
      action: 'compliance.read',
      summary: 'Everything overdue: training, policy acknowledgements and self-checks, the longest overdue first',
      tags: ['compliance'],
      handler: async () => ({ items: await service.overdue() }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/compliance/people/:username',
      action: 'compliance.read',
      summary: "One person's compliance records and what they owe",
      tags: ['compliance'],
      params: z.strictObject({ username }),
      handler: (context) => service.person(context.params.username),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/compliance/training',
      // the narrower action; recording for someone else needs `compliance.manage`, checked below
      action: 'compliance.self',
      summary: 'Record a training completion: your own, or (with compliance.manage) someone else\'s, with the date and an evidence note',
      tags: ['compliance'],
      body: z.strictObject({
        person: username.optional(),
        course: z.string().min(1).max(128),
        completedOn: isoDate.optional(),
        evidence: note,
      }),
      response: trainingRecord,
      async handler(context) {
        const me = self(context.account);
        const person = context.body.person ?? me.username;
        if (person !== me.username && !context.can('compliance.manage')) {
          throw new ApiError('HR_API_FORBIDDEN', 'you may record only your own training', [{ field: 'person', message: 'recording for someone else needs `compliance.manage`' }], { httpStatus: 403 });
        }
        const record = await service.recordTraining({ person, course: context.body.course, completedOn: context.body.completedOn, evidence: context.body.evidence }, me);
        context.reply.code(201);
        return record;
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/compliance/people/:username/start',
      action: 'compliance.manage',
      summary: 'Record the day a person started, from which induction and first due dates run',
      tags: ['compliance'],
      params: z.strictObject({ username }),
      body: z.strictObject({ startedOn: isoDate, reason: z.string().max(1000).optional() }),
      response: member,
      handler: (context) => service.recordStart(context.params.username, context.body.startedOn, self(context.account), context.body.reason?.trim() || null),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/compliance/acknowledgement',
      action: 'compliance.self',
      summary: 'The policy version to accept, the clauses shown with their titles (6.6–6.10, 6.16), and whether you have accepted it',
      tags: ['compliance'],
      response: z.object({ policy: policyVersion, required: z.boolean(), state: dueCell, accepted: acknowledgement.nullable() }),
      handler: (context) => service.acknowledgementFor(self(context.account)),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/compliance/acknowledgement',
      action: 'compliance.self',
      summary: '"I have read and accept": records your acceptance of the version you were shown, with the time',
      tags: ['compliance'],
      body: z.strictObject({ versionKey: z.string().min(1).max(200), accept: z.literal(true, 'tick "I have read and accept"') }),
      response: acknowledgement,
      async handler(context) {
        const accepted = await service.acknowledge(self(context.account), context.body.versionKey);
        context.reply.code(201);
        return accepted;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/compliance/acknowledgement/outstanding',
      action: 'compliance.read',
      summary: 'Who has not accepted the current version of the policy, with due dates',
      tags: ['compliance'],
      response: z.object({ policy: policyVersion, outstanding: z.array(member.extend({ dueAt: z.number(), state: z.string() })), accepted: z.number(), required: z.number() }),
      handler: () => service.acknowledgementOutstanding(),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/compliance/review',
      action: 'compliance.read',
      summary: "The policy's review date, whether it is coming or passed, and the reviews recorded",
      tags: ['compliance'],
      response: z.object({ reviewDate: z.string().nullable(), state: z.enum(['none', 'ok', 'soon', 'overdue']), lastReview: review.nullable(), history: z.array(review) }).loose(),
      handler: () => service.reviewStatus(),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/compliance/review',
      action: 'compliance.manage',
      summary: 'Mark the policy reviewed, with the next review date (the policy file is not changed)',
      tags: ['compliance'],
      body: z.strictObject({ nextReviewDate: isoDate, note }),
      response: review,
      async handler(context) {
        const done = await service.markReviewed({ nextReviewDate: context.body.nextReviewDate, note: context.body.note }, self(context.account));
        context.reply.code(201);
        return done;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/compliance/self-check',
      action: 'compliance.self',
      summary: 'Record that you have checked your own online presence (6.13), with an optional note',
      tags: ['compliance'],
      body: z.strictObject({ note }),
      response: selfCheck,
      async handler(context) {
        const done = await service.selfCheck(self(context.account), context.body.note);
        context.reply.code(201);
        return done;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/compliance/checks',
      action: 'compliance.read',
      summary: 'The filter check log: each run of the checks through the proxy and the DNS filter, newest first',
      tags: ['compliance'],
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).optional(), cursor: z.string().min(1).max(200).optional() }),
      response: z.object({ items: z.array(checkRun), nextCursor: z.string().nullable(), nextDueAt: z.number().nullable(), every: z.string().nullable() }),
      handler: (context) => service.checkLog({ ...(context.query.limit !== undefined ? { limit: context.query.limit } : {}), cursor: context.query.cursor ?? null }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/compliance/checks/run',
      action: 'compliance.manage',
      summary: 'Run the filter checks now and record the results',
      tags: ['compliance'],
      response: checkRun,
      async handler(context) {
        const run = await service.runChecks('manual', self(context.account).username);
        context.reply.code(201);
        return run;
      },
    }),
  ];
}
