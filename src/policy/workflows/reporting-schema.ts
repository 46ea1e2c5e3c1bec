// Reports for governors and the annual review: who receives them and how small a count is shown.
import { z } from 'zod';
import { roleId } from './common.ts';

export const reportingSchema = z.strictObject({
  /**
   * counts below this are shown as "fewer than N" so no child can be singled out; at least 3,
   * since "fewer than 2" would say 1
   */
  suppressBelow: z.number().int().min(3).max(20).default(5),
  /** roles the termly report is prepared for */
  audience: z.array(roleId).default([]),
  /** how many categories the report's charts name (the rest are summed); absent = 8 */
  categoriesShown: z.number().int().min(2).max(20).optional(),
});
export type ReportingSection = z.infer<typeof reportingSchema>;
