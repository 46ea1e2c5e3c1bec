// Reports for governors and the annual review: who receives them and how small a count is shown.
import { z } from 'zod';
import { roleId } from './common.ts';

export const reportingSchema = z.strictObject({
  /** counts below this are shown as "fewer than N" so no child can be singled out */
  suppressBelow: z.number().int().min(1).max(20).default(5),
  /** roles the termly report is prepared for */
  audience: z.array(roleId).default([]),
});
export type ReportingSection = z.infer<typeof reportingSchema>;
