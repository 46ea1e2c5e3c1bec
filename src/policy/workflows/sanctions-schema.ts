// Circumvention sanctions (8.2): who decides, how long a supervised-only sanction lasts by default,
// and who may open a supervised session. The threshold and window are the `circumvention` section's.
import { z } from 'zod';
import { clauseRef, duration, roleId } from './common.ts';

export const sanctionsSchema = z.strictObject({
  /** impose, decline and lift (the headteacher, 8.2); told of every proposal */
  deciders: z.array(roleId).min(1),
  /**
   * may open and close a supervised session for a sanctioned pupil: a role listed here for any
   * pupil; `class-teacher` for the pupils of the account's own classes only. The account also
   * needs the `supervision.open` action.
   */
  supervisors: z.array(z.union([z.literal('class-teacher'), roleId])).min(1),
  defaultDuration: duration.default('14d'),
  /** longest sanction a decider may impose; longer is refused */
  maxDuration: duration.default('90d'),
  /** a supervised session ends by itself after this long */
  sessionLength: duration.default('1h'),
  clauses: z.array(clauseRef).default([]),
});
export type SanctionsSection = z.infer<typeof sanctionsSchema>;
