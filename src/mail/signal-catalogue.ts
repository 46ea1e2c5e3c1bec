// The signal catalogue (signals.yaml) merged with the policy's overrides: one table the detectors
// look their weights, descriptions and clauses up in. Read once per process; the file ships with
// the code and is never edited per site.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { HedgerowError } from '../errors/index.ts';
import { MAIL_RULE_IDS, type MailRuleId, type PolicyProblem, type ResolvedMailPolicy } from '../policy/index.ts';

const catalogueSchema = z.strictObject({
  version: z.literal(1),
  signals: z.record(
    z.string().regex(/^[a-z0-9]+(\.[a-z0-9-]+)+$/),
    z.strictObject({
      label: z.string().min(1),
      weight: z.number().min(0),
      description: z.string().min(1),
      feeds: z.enum(MAIL_RULE_IDS).optional(),
      clause: z.string().min(1).optional(),
    }),
  ),
});

export interface SignalInfo {
  name: string;
  /** a short name for reasons (`NHS number`) */
  label: string;
  weight: number;
  description: string;
  /** the mail rule the signal counts towards */
  feeds: MailRuleId | null;
  clause: string | null;
}

export type SignalTable = ReadonlyMap<string, SignalInfo>;

let shipped: z.infer<typeof catalogueSchema> | null = null;

function shippedCatalogue(): z.infer<typeof catalogueSchema> {
  if (shipped) return shipped;
  const file = new URL('./signals.yaml', import.meta.url);
  const parsed = catalogueSchema.safeParse(parse(readFileSync(file, 'utf8')));
  // NOTE: the catalogue ships with the code; a broken one is a build fault, not a site's input.
  if (!parsed.success) throw new Error(`src/mail/signals.yaml is invalid: ${parsed.error.message}`);
  shipped = parsed.data;
  return shipped;
}

/** Every signal name of the shipped catalogue. */
export function signalNames(): string[] {
  return Object.keys(shippedCatalogue().signals);
}

/** Overrides in the policy that name no signal of the catalogue, as lint problems. */
export function mailSignalProblems(policy: ResolvedMailPolicy): PolicyProblem[] {
  const known = shippedCatalogue().signals;
  return Object.entries(policy.signals)
    .filter(([name]) => !(name in known))
    .map(([name, override]) => ({ code: 'HR_POLICY_REFERENCE' as const, message: `unknown mail signal \`${name}\``, where: override.where }));
}

/** The catalogue with the policy's overrides applied; throws on an override of an unknown signal. */
export function buildSignalTable(policy: ResolvedMailPolicy): SignalTable {
  const problem = mailSignalProblems(policy)[0];
  if (problem) throw new HedgerowError(problem.code, problem.message, { where: problem.where });
  const table = new Map<string, SignalInfo>();
  for (const [name, entry] of Object.entries(shippedCatalogue().signals)) {
    const override = policy.signals[name];
    const feeds = entry.feeds ?? null;
    table.set(name, {
      name,
      label: entry.label,
      weight: override?.weight ?? entry.weight,
      description: override?.description ?? entry.description,
      feeds,
      clause: override?.clause ?? entry.clause ?? (feeds ? policy.rules[feeds].clauses[0] ?? null : null),
    });
  }
  return table;
}
