// A policy change that cannot be used is refused and the last good policy stays in force; the
// people who may edit the policy (the roles holding `policy.edit` in the access matrix) are told
// once per refused revision, however often the file is saved or reloaded unchanged.
import { AccessMatrix } from '../access/index.ts';
import type { Notifier, NotifyResult } from '../notify/index.ts';
import type { ResolvedPolicy } from '../policy/index.ts';

/** problems listed in the notification; the rest are counted (the text has a size limit) */
const MAX_PROBLEMS = 40;

export interface ReloadRefusal {
  /** the policy in force (the last good one): its access matrix says who is told */
  policy: Pick<ResolvedPolicy, 'roles' | 'access'>;
  /** revision of the policy in force */
  inForce: string;
  /** digest of the refused files' text: one notification per refused revision */
  refusedRevision: string;
  /** the school layer that was reloaded */
  file: string;
  /** lint lines: `file:line:column: message [code]` */
  problems: readonly string[];
}

/** The roles that may change the policy, in the policy's order. */
export function policyEditorRoles(policy: Pick<ResolvedPolicy, 'roles' | 'access'>): string[] {
  const matrix = AccessMatrix.fromPolicy(policy);
  return matrix.roles().filter((role) => matrix.can(role, 'policy.edit'));
}

/** Notifies the policy's editors of a refused reload; null when no role may edit the policy. */
export async function alertReloadRefused(notifier: Notifier, refusal: ReloadRefusal): Promise<NotifyResult | null> {
  const roles = policyEditorRoles(refusal.policy);
  if (roles.length === 0) return null;
  const shown = refusal.problems.slice(0, MAX_PROBLEMS).map((line) => `- ${line}`);
  if (refusal.problems.length > MAX_PROBLEMS) shown.push(`- and ${refusal.problems.length - MAX_PROBLEMS} more (\`hedgerow policy lint\` lists them all)`);
  return notifier.notify({
    kind: 'policy.reload-refused',
    to: roles.map((role) => ({ role })),
    subject: `Policy change refused: the last good policy (${refusal.inForce}) stays in force`,
    text:
      `The policy \`${refusal.file}\` was changed, but the change cannot be used, so the filters keep enforcing ` +
      `the last good policy (revision ${refusal.inForce}). Correct these problems and save the file again:\n\n${shown.join('\n')}`,
    link: '#/policy',
    once: `policy.reload-refused:${refusal.refusedRevision}`,
  });
}
