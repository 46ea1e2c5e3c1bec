// Safeguarding alerts (DfE monitoring standard): high-risk categories and search-term keyword
// lists, who is alerted at once, de-duplication, and the weekly digest.
import { z } from 'zod';
import { clauseRef, duration, roleId } from './common.ts';

export const alertsSchema = z.strictObject({
  /** attempts to reach these policy categories alert at once */
  categories: z.array(roleId).default([]),
  /** rules whose blocks alert at once (legal must-block lists) */
  rules: z.array(z.string()).default([]),
  /**
   * which decisions on `categories` and `rules` count as an attempt: blocked and warned by
   * default; add `allow` to hear of visits a rule lets through too. Keyword matches on search
   * terms alert whatever the decision.
   */
  actions: z.array(z.enum(['block', 'warn', 'allow'])).min(1).default(['block', 'warn']),
  /** keyword list id → its title and terms per language (BCP 47 tag → terms) */
  keywords: z
    .record(
      roleId,
      z.strictObject({
        title: z.string(),
        clauses: z.array(clauseRef).default([]),
        terms: z.record(z.string(), z.array(z.string().min(2))),
      }),
    )
    .default({}),
  /** who is alerted at once (the designated safeguarding lead) */
  notify: z.array(roleId).min(1),
  /** the same person, kind and list or category alert once within this window */
  dedupeWindow: duration.default('1h'),
  digest: z
    .strictObject({
      to: z.array(roleId).min(1),
      /** day of the week the digest is sent, in the policy's time zone */
      day: z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']).default('mon'),
      time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time like 07:30').default('07:30'),
    })
    .optional(),
  clauses: z.array(clauseRef).default([]),
});
export type AlertsSection = z.infer<typeof alertsSchema>;
