// A decision told as one sentence a teacher can read: what happened, because of which rule or
// override, citing the policy's clauses, with the rule's own reason.
import type { Decision, PolicyEngine } from '../../engine/index.ts';

const VERB: Record<Decision['action'], string> = { allow: 'Allowed', block: 'Blocked', warn: 'Warned' };

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function describeDecision(decision: Decision, engine: PolicyEngine, at: number): string {
  const policy = engine.policy;
  const layerKind = decision.layer ? (policy.layers.find((l) => l.id === decision.layer)?.kind ?? decision.layer) : null;
  let by: string;
  switch (decision.kind) {
    case 'block.invalid':
      by = 'because the address cannot be used';
      break;
    case 'block.sanction':
      by = 'by a supervised-only sanction';
      break;
    case 'allow.grant':
      by = `by the override \`${decision.grant}\``;
      break;
    default:
      by = decision.rule === 'default' ? "by the policy's default" : `by the ${layerKind ? `${layerKind} ` : ''}rule \`${decision.rule}\``;
  }
  const clauses = decision.clauses.length > 0 ? ` (clause${decision.clauses.length === 1 ? '' : 's'} ${list([...decision.clauses])})` : '';
  const categories = decision.categories.length > 0
    ? ` The site is in ${decision.categories.length === 1 ? 'the category' : 'the categories'} ${list(decision.categories.map((c) => policy.categories[c]?.title ?? c))}.`
    : '';
  const when = engine.calendar ? ` Time: ${engine.calendar.describe(at)}.` : '';
  const flagged = decision.circumvention ? ' The attempt is flagged as circumvention.' : '';
  return `${VERB[decision.action]} ${by}${clauses}: ${decision.reason}${categories}${flagged}${when}`;
}
