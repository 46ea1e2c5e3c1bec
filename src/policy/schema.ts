// The policy file's one schema. Everything a school's written policy says that a machine can act
// on is expressed here as data; the engine compiles it, the lint reports against it, and
// `hedgerow policy schema` exports it as JSON Schema for editors.
import { z } from 'zod';
import { accessLayerFields } from './access-schema.ts';
import { mailSchema } from './mail-schema.ts';
import { workflowsSchema } from './workflows/workflows-schema.ts';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, `.`, `_` or `-`');
const clause = z.string().min(1);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-09-02');
const timeRange = z
  .string()
  .regex(/^([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'must be a time range like 08:50-10:30');
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const duration = z
  .string()
  .regex(/^\d+(m|h|d|w|y)$/, 'must be a duration like 90m, 8h, 30d, 1y');

/** A role of the policy's role model (pupil, teacher, …). */
export const roleSchema = z.strictObject({
  title: z.string().optional(),
  /** staff roles are adults employed or volunteering at the school */
  staff: z.boolean().default(false),
  /** children see child-friendly block pages with the Be SMART advice */
  child: z.boolean().default(false),
  /** treated exactly like another role for filtering (guest → pupil) */
  sameAs: id.optional(),
  description: z.string().optional(),
});

export const groupSchema = z.strictObject({
  title: z.string().optional(),
  role: id.optional(),
  /** a parent group (a class inside a year group) */
  within: id.optional(),
});

export const windowSchema = z.union([
  z.strictObject({
    title: z.string().optional(),
    /** school-days: term days outside half terms and holidays, on the school's weekdays */
    on: z.enum(['school-days', 'every-day', 'weekdays', 'weekends', 'non-school-days']).default('school-days'),
    times: z.array(timeRange).min(1),
  }),
  z.strictObject({
    title: z.string().optional(),
    /** the complement of another window: everything that is not in it */
    complementOf: id,
  }),
]);

export const termSchema = z.strictObject({
  name: z.string(),
  start: isoDate,
  end: isoDate,
  halfTerms: z.array(z.strictObject({ start: isoDate, end: isoDate })).default([]),
});

export const calendarSchema = z.strictObject({
  timeZone: z.string(),
  schoolDays: z.array(weekday).default(['mon', 'tue', 'wed', 'thu', 'fri']),
  terms: z.array(termSchema).default([]),
  /** closures inside term (bank holidays, training days) */
  closures: z.array(z.strictObject({ date: isoDate, end: isoDate.optional(), name: z.string().optional() })).default([]),
  windows: z.record(id, windowSchema).default({}),
});

export const categorySchema = z.strictObject({
  title: z.string().optional(),
  description: z.string().optional(),
  /** catalogue source categories that mean this category (`ut1/social_networks`, `hedgerow/chat`) */
  from: z.array(z.string()).default([]),
  /** a category made of other categories (social-media = forums + social-networking + …) */
  includes: z.array(id).default([]),
  /** private categories (banking, health) are never TLS-inspected */
  private: z.boolean().default(false),
});

export const whoSchema = z.strictObject({
  roles: z.array(id).optional(),
  groups: z.array(id).optional(),
  /** ages in whole years, inclusive */
  minAge: z.number().int().min(0).max(120).optional(),
  maxAge: z.number().int().min(0).max(120).optional(),
  /** every role except these */
  exceptRoles: z.array(id).optional(),
});

export const whatSchema = z.strictObject({
  categories: z.array(id).optional(),
  /** a site matches itself and every subdomain */
  sites: z.array(z.string()).optional(),
  /** file extensions judged by the URL path, without the dot */
  fileTypes: z.array(z.string().regex(/^[a-z0-9]+$/, 'must be an extension without the dot, like exe')).optional(),
  /** hosts written as IP addresses (dotted, decimal, hex or octal) */
  ipLiteral: z.boolean().optional(),
  /** the site's minimum age (from the catalogue) is above the person's age */
  belowMinimumAge: z.boolean().optional(),
  /** matches everything: a default for the rule's people */
  any: z.boolean().optional(),
});

export const actionSchema = z.enum(['allow', 'block', 'warn', 'log']);
export type Action = z.infer<typeof actionSchema>;

export const ruleSchema = z.strictObject({
  id,
  clauses: z.array(clause).default([]),
  title: z.string().optional(),
  who: whoSchema.default({}),
  /** named calendar windows; omitted or `always` means at any time */
  when: z.union([z.literal('always'), z.array(id)]).default('always'),
  what: whatSchema,
  action: actionSchema,
  /** the sentence shown to the person */
  reason: z.string().min(1),
  /** flag the attempt as circumvention (8.2) */
  circumvention: z.boolean().default(false),
  /** lower layers cannot override or add exceptions to a locked rule (legal must-block lists) */
  lock: z.boolean().default(false),
  /** a legal must-block list (IWF/CTIRU style): highest precedence of all */
  legal: z.boolean().default(false),
});

export const safeSearchSchema = z.strictObject({
  who: whoSchema,
  engines: z.enum(['strict', 'moderate', 'off']).default('strict'),
  youtube: z.enum(['strict', 'moderate', 'off']).default('strict'),
});

export const siteFactSchema = z.strictObject({
  minimumAge: z.number().int().min(0).max(21).optional(),
  categories: z.array(z.string()).optional(),
  source: z.string().optional(),
});

export const clauseInfoSchema = z.strictObject({
  title: z.string(),
  /** how Hedgerow handles the clause: ENF, FLOW, TRACK, SHOW, ROLE */
  handling: z.array(z.enum(['ENF', 'FLOW', 'TRACK', 'SHOW', 'ROLE'])).min(1),
  /** workflows, records or texts that carry the clause where no rule does */
  by: z.array(z.string()).default([]),
  note: z.string().optional(),
});

export const layerSchema = z.strictObject({
  hedgerow: z.literal(1),
  layer: z.enum(['council', 'trust', 'federation', 'school']),
  id,
  name: z.string(),
  /** the parent layer's file, relative to this one */
  extends: z.string().optional(),
  version: z.string().optional(),
  reviewDate: isoDate.optional(),
  owner: z.string().optional(),
  clauses: z.record(z.string(), clauseInfoSchema).default({}),
  roles: z.record(id, roleSchema).default({}),
  /** named sets of roles used in `who.roles` (staff = teacher, support-staff, …) */
  roleSets: z.record(id, z.array(id)).default({}),
  unidentifiedRole: id.optional(),
  groups: z.record(id, groupSchema).default({}),
  calendar: calendarSchema.optional(),
  categories: z.record(id, categorySchema).default({}),
  /** catalogue source category → policy categories, overriding the default mapping */
  categoryMap: z.record(z.string(), z.array(id)).default({}),
  sites: z.record(z.string(), siteFactSchema).default({}),
  rules: z.array(ruleSchema).default([]),
  /** the action when no rule matches */
  default: z
    .strictObject({ action: actionSchema.default('allow'), reason: z.string().default('No rule applies; the visit is allowed and logged.') })
    .optional(),
  circumvention: z
    .strictObject({
      /** attempts within the window that raise a sanction proposal (8.2) */
      threshold: z.number().int().min(1).default(5),
      window: duration.default('1h'),
      /** the CONNECT authority and the TLS SNI disagree */
      flagSniMismatch: z.boolean().default(true),
      clauses: z.array(clause).default([]),
    })
    .optional(),
  safeSearch: z.array(safeSearchSchema).default([]),
  retention: z
    .strictObject({ decisions: duration.optional(), quarantine: duration.optional(), incidents: duration.optional() })
    .optional(),
  /** what each role gets when the engine cannot decide (no snapshot) */
  failMode: z.record(id, z.enum(['open', 'closed'])).default({}),
  /** staff who are told continue-with-reason is honoured for this long */
  warnGrace: duration.optional(),
  ...accessLayerFields,
  /** the mail filter's rules and the out-of-office and calendar checks */
  mail: mailSchema.optional(),
  /** the workflows the policy names: requests, reports, incidents, sanctions, alerts, compliance */
  workflows: workflowsSchema.optional(),
});

export type LayerFile = z.infer<typeof layerSchema>;
export type LayerInput = z.input<typeof layerSchema>;
export type Rule = z.infer<typeof ruleSchema>;
export type Who = z.infer<typeof whoSchema>;
export type What = z.infer<typeof whatSchema>;
export type Calendar = z.infer<typeof calendarSchema>;
export type WindowDef = z.infer<typeof windowSchema>;
export type CategoryDef = z.infer<typeof categorySchema>;
export type ClauseInfo = z.infer<typeof clauseInfoSchema>;
export type SiteFact = z.infer<typeof siteFactSchema>;

export function policyJsonSchema(): unknown {
  return z.toJSONSchema(layerSchema, { io: 'input', unrepresentable: 'any' });
}
