// The `workflows` section of a policy layer: what people must do when something happens, as data.
import { z } from 'zod';
import { alertsSchema } from './alerts-schema.ts';
import { complianceSchema } from './compliance-schema.ts';
import { incidentsSchema } from './incidents-schema.ts';
import { reportingSchema } from './reporting-schema.ts';
import { requestsSchema } from './requests-schema.ts';
import { sanctionsSchema } from './sanctions-schema.ts';

export const workflowsSchema = z.strictObject({
  requests: requestsSchema.optional(),
  incidents: incidentsSchema.optional(),
  sanctions: sanctionsSchema.optional(),
  alerts: alertsSchema.optional(),
  compliance: complianceSchema.optional(),
  reporting: reportingSchema.optional(),
});
export type WorkflowsSection = z.infer<typeof workflowsSchema>;
