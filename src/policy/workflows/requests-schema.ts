// Unblock requests (8.4, 8.5) and the reports people make (6.14, 8.3, 7.8, 6.4–7.4, council
// internet rules): who reviews, who decides, where each report goes.
import { z } from 'zod';
import { clauseRef, duration, roleId, routeTo } from './common.ts';

const reportRoute = z.strictObject({
  /**
   * roles, role sets or relations of the reporter (`line-manager`, `class-teacher`); when the
   * relations name nobody and no role is listed, the report goes to the unblock deciders
   */
  to: routeTo,
  clauses: z.array(clauseRef).default([]),
  /** acknowledgement expected within this long; later shows as overdue */
  respondWithin: duration.optional(),
});

export const requestsSchema = z.strictObject({
  unblock: z
    .strictObject({
      /** review and recommend (the e-safety team, 8.4) */
      reviewers: z.array(roleId).min(1),
      /** decide (the headteacher, 8.5) */
      deciders: z.array(roleId).min(1),
      /** longest approval a decider may give; longer is refused */
      maxDuration: duration.default('365d'),
      /** decision expected within this long; later shows as overdue */
      respondWithin: duration.optional(),
      clauses: z.array(clauseRef).default([]),
    })
    .optional(),
  siteReport: reportRoute
    .extend({
      /** the school-layer rule a "block it" decision adds the site to; added to the file when missing */
      blockRule: roleId.default('reported-sites'),
    })
    .optional(),
  accident: reportRoute.optional(),
  tellTeacher: reportRoute.optional(),
  contactAttempt: reportRoute.optional(),
});
export type RequestsSection = z.infer<typeof requestsSchema>;
