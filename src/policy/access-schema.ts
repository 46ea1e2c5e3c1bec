// The policy's `access` section: which dashboard and API actions each role may perform, and the
// lawful purposes for which a named member of staff's browsing may be read. Who may do what is
// policy, not code, so a council or school changes it in its own layer and the linter checks it.
import { z } from 'zod';
import { ACTION_NAMES } from '../access/index.ts';

const ACTION_SET: ReadonlySet<string> = new Set(ACTION_NAMES);

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, `.`, `_` or `-`');

/** An action name of `src/access/actions.ts`, or `*` for every action. */
export const accessActionSchema = z
  .string()
  .refine((value) => value === '*' || ACTION_SET.has(value), {
    error: (issue) => `unknown action \`${String(issue.input)}\` (docs/access.md lists the actions)`,
  })
  // editors see the list; the check above gives the readable message
  .meta({ enum: [...ACTION_NAMES, '*'], description: 'an action of docs/access.md, or `*` for all' });

export const monitoringPurposeSchema = z.strictObject({
  /** the purpose as the written policy states it */
  title: z.string().min(1),
  /** the clause that lists it */
  clause: z.string().optional(),
});

/** Spread into the layer schema: `access` and `monitoringPurposes`. */
export const accessLayerFields = {
  /**
   * role (or role set) → the actions it may perform; `*` means every action. Layers add to what
   * the layers above granted; no layer takes a grant away.
   */
  access: z.record(name, z.array(accessActionSchema)).default({}),
  /** id → a lawful purpose for reading a named member of staff's browsing; lower layers add or retitle */
  monitoringPurposes: z.record(name, monitoringPurposeSchema).default({}),
};

export type MonitoringPurpose = z.infer<typeof monitoringPurposeSchema>;
