// Compliance records (4.1–4.3, 6.13, the policy's review date, the DfE filtering standards'
// checks): training per role with due dates, policy acknowledgement, reminders and the filter check log.
import { z } from 'zod';
import { clauseRef, duration, isoDate, roleId } from './common.ts';

export const complianceSchema = z.strictObject({
  training: z
    .record(
      roleId,
      z.strictObject({
        title: z.string(),
        clauses: z.array(clauseRef).default([]),
        /** roles (or role sets) that must complete it */
        roles: z.array(roleId).min(1),
        /** due this long after the person is added (induction) */
        dueWithin: duration.default('30d'),
        /** repeat this often; absent = once */
        every: duration.optional(),
      }),
    )
    .default({}),
  acknowledgement: z
    .strictObject({
      roles: z.array(roleId).min(1),
      dueWithin: duration.default('14d'),
      clauses: z.array(clauseRef).default([]),
    })
    .optional(),
  /** remind the policy owner this long before `reviewDate` */
  reviewReminder: z.strictObject({ before: duration.default('30d'), to: z.array(roleId).min(1) }).optional(),
  /** staff check their own online presence (6.13) */
  selfCheck: z.strictObject({ roles: z.array(roleId).min(1), every: duration.default('90d'), clauses: z.array(clauseRef).default([]) }).optional(),
  /** scheduled self-tests through the real proxy and DNS paths */
  filterChecks: z
    .strictObject({
      every: duration.default('1d'),
      notify: z.array(roleId).default([]),
      tests: z
        .array(
          z.strictObject({
            id: roleId,
            /** an http:// address: the proxy answers it with its decision (a tunnel would not say why) */
            url: z.string().regex(/^http:\/\/[^/?#\s]+/i, 'must be an http:// address like http://blocked.example/'),
            /** a role (and groups) the test browses as */
            as: z.strictObject({ role: roleId, groups: z.array(roleId).default([]) }),
            /** what the filter should do; `warn` is the staff warn page (continue with a reason) */
            expect: z.enum(['allow', 'block', 'warn']),
            /** the clauses the decision should cite; checked when given */
            clauses: z.array(clauseRef).default([]),
          }),
        )
        .default([]),
    })
    .optional(),
  /** the first day of the school year, for termly and annual figures */
  yearStarts: isoDate.optional(),
});
export type ComplianceSection = z.infer<typeof complianceSchema>;
