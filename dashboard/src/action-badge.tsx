// A decision's action as a word with a colour (the word carries the meaning; the colour helps).
import type { DecisionAction } from './api-types.ts';

const words: Record<DecisionAction, string> = { allow: 'Allowed', block: 'Blocked', warn: 'Warned', log: 'Logged' };

export function ActionBadge({ action, large = false }: { action: DecisionAction | string; large?: boolean }) {
  const known = action in words ? (action as DecisionAction) : null;
  return <span className={`badge badge-${known ?? 'other'}${large ? ' badge-large' : ''}`}>{known ? words[known] : action}</span>;
}
