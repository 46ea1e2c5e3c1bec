// The API of the out-of-office and calendar-subject checks, and of the exceptions the
// Information Asset Owner approves. The checks read the policy in force and the roster's names
// at each call, so a reload or a roster import applies at once.
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../api/index.ts';
import type { AuditLog, StoreDatabase } from '../db/index.ts';
import { HedgerowError } from '../errors/index.ts';
import type { ResolvedMailPolicy, ResolvedPolicy } from '../policy/index.ts';
import { checkOutOfOffice } from './ooo-check.ts';
import { MAX_SUBJECT_CHARS, SubjectChecker } from './subject-check.ts';
import { SubjectExceptions } from './subject-exceptions.ts';

/** What the routes use; the API's dependencies fit it as they are. */
export interface MailCheckDeps {
  db: StoreDatabase;
  audit: AuditLog;
  engine(): { policy: ResolvedPolicy };
  people: { list(): ReadonlyArray<{ displayName: string; active: boolean }> };
  now(): number;
}

const MAX_OOO_CHARS = 20_000;

const findingSchema = z.object({ code: z.string(), text: z.string(), clause: z.string().optional() });
const subjectFindingSchema = findingSchema.extend({ label: z.string(), match: z.string() });
const exceptionSchema = z.object({
  id: z.string(),
  subjectRedacted: z.string(),
  owner: z.string().nullable(),
  reason: z.string(),
  approvedBy: z.string(),
  approvedAt: z.number(),
  until: z.number().nullable(),
});

function mailPolicy(deps: MailCheckDeps): ResolvedMailPolicy {
  const mail = deps.engine().policy.mail;
  if (!mail) throw new HedgerowError('HR_POLICY_REFERENCE', 'the policy has no `mail` section to check against', { where: { field: 'mail' } });
  return mail;
}

export function mailCheckRoutes(deps: MailCheckDeps): RouteSpec[] {
  // Built at the first request: a route list is made before the store is needed (OpenAPI, tests).
  let madeExceptions: SubjectExceptions | null = null;
  const exceptions = () => (madeExceptions ??= new SubjectExceptions(deps.db, deps.audit, () => deps.now()));
  // One checker per policy and roster; rebuilt when either changes.
  let cached: { mail: ResolvedMailPolicy; names: string; checker: SubjectChecker } | null = null;
  const checker = (): SubjectChecker => {
    const mail = mailPolicy(deps);
    const list = deps.people.list().filter((p) => p.active).map((p) => p.displayName);
    const names = list.join('\n');
    if (!cached || cached.mail !== mail || cached.names !== names) cached = { mail, names, checker: new SubjectChecker(mail, list) };
    return cached.checker;
  };

  return [
    defineRoute({
      method: 'POST',
      url: '/api/mail/check-ooo',
      action: 'mail.check',
      summary: "Check an out-of-office message for the policy's Freedom of Information statement",
      tags: ['mail'],
      body: z.strictObject({ text: z.string().max(MAX_OOO_CHARS) }),
      response: z.object({
        compliant: z.boolean(),
        findings: z.array(findingSchema),
        required: z.object({ statement: z.string(), address: z.string() }),
        clauses: z.array(z.string()),
      }),
      handler(context) {
        return checkOutOfOffice(context.body.text, mailPolicy(deps));
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/mail/check-subject',
      action: 'mail.check',
      summary: 'Check a calendar subject for personal data; an approved exception makes it acceptable',
      tags: ['mail'],
      body: z.strictObject({
        subject: z.string().max(MAX_SUBJECT_CHARS),
        /** whose calendar (default: the caller) */
        owner: z.string().min(1).max(256).optional(),
      }),
      response: z.object({
        compliant: z.boolean(),
        findings: z.array(subjectFindingSchema),
        redacted: z.string(),
        clauses: z.array(z.string()),
        exception: exceptionSchema.nullable(),
      }),
      async handler(context) {
        const result = checker().check(context.body.subject);
        const owner = context.body.owner ?? context.account?.username ?? null;
        const exception = result.compliant ? null : await exceptions().find(context.body.subject, owner, deps.now());
        return { ...result, compliant: result.compliant || exception !== null, exception };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/mail/subject-exceptions',
      action: 'mail.exception.approve',
      summary: 'Approve a calendar subject that carries personal data, for one owner or anyone, until a time or for good (audited)',
      tags: ['mail'],
      body: z.strictObject({
        subject: z.string().min(1).max(MAX_SUBJECT_CHARS),
        reason: z.string().trim().min(1).max(1000),
        owner: z.string().min(1).max(256).optional(),
        until: z.number().int().min(0).optional(),
      }),
      response: z.object({ exception: exceptionSchema, findings: z.array(subjectFindingSchema), clauses: z.array(z.string()) }),
      async handler(context) {
        const { subject, reason, owner, until } = context.body;
        if (until !== undefined && until <= deps.now()) {
          throw new HedgerowError('HR_API_INPUT', 'must be a time in the future (epoch milliseconds)', { where: { field: 'until' } });
        }
        const result = checker().check(subject);
        if (result.compliant) {
          throw new HedgerowError('HR_API_CONFLICT', 'the subject carries no personal data, so it needs no exception');
        }
        const exception = await exceptions().approve({
          subject,
          redacted: result.redacted,
          owner: owner ?? null,
          reason,
          until: until ?? null,
          approvedBy: context.account?.username ?? 'unknown',
        });
        context.reply.code(201);
        return { exception, findings: result.findings, clauses: mailPolicy(deps).calendar.exceptionClauses };
      },
    }),
  ];
}
