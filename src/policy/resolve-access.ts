// Merging the `access` sections of every layer: grants add up from the council down (a school
// may give its roles more, never less than the council did), a role set stands for each of its
// roles, and `*` stands for every action. Monitoring purposes merge by id, the lower layer
// winning on the title.
import { ACTION_NAMES, type Action } from '../access/index.ts';
import type { LoadedLayer, PolicyProblem } from './load.ts';
import type { MonitoringPurpose } from './access-schema.ts';

export interface ResolvedAccess {
  /** every role of the policy → the actions granted to it, in the order of ACTION_NAMES */
  access: Record<string, Action[]>;
  monitoringPurposes: Record<string, MonitoringPurpose & { layer: string }>;
}

export function resolveAccess(
  layers: readonly LoadedLayer[],
  roles: Readonly<Record<string, unknown>>,
  roleSets: Readonly<Record<string, readonly string[]>>,
  problems: PolicyProblem[],
): ResolvedAccess {
  const granted = new Map<string, Set<Action>>(Object.keys(roles).map((role) => [role, new Set<Action>()]));
  const monitoringPurposes: ResolvedAccess['monitoringPurposes'] = {};
  for (const layer of layers) {
    for (const [name, actions] of Object.entries(layer.data.access)) {
      const members = granted.has(name) ? [name] : roleSets[name]?.filter((role) => granted.has(role));
      if (!members) {
        problems.push({ code: 'HR_POLICY_REFERENCE', message: `access is granted to unknown role \`${name}\``, where: layer.locate(['access', name]) });
        continue;
      }
      const expanded = actions.includes('*') ? ACTION_NAMES : (actions as Action[]);
      for (const role of members) for (const action of expanded) granted.get(role)!.add(action);
    }
    for (const [id, purpose] of Object.entries(layer.data.monitoringPurposes)) monitoringPurposes[id] = { ...purpose, layer: layer.data.id };
  }
  const access: Record<string, Action[]> = {};
  for (const [role, actions] of granted) access[role] = ACTION_NAMES.filter((action) => actions.has(action));
  return { access, monitoringPurposes };
}
