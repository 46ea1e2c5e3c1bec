// Merging the `workflows` sections of the layers, from the council down to the school:
// - objects merge key by key, the nearest layer winning on a single value;
// - a list comes from the nearest layer that sets it (a school names its own reviewers), except
//   what alerts watch for — alert categories, alert rules and keyword terms — which add up, so
//   a school can widen the council's safeguarding alerts but never narrow them.
// Role names are checked against the policy's roles and role sets, alert categories against its
// categories; each problem names the layer's file, line and field.
import type { LoadedLayer, PolicyProblem } from '../load.ts';
import type { AlertsSection } from './alerts-schema.ts';
import type { ComplianceSection } from './compliance-schema.ts';
import type { IncidentsSection } from './incidents-schema.ts';
import type { ReportingSection } from './reporting-schema.ts';
import type { RequestsSection } from './requests-schema.ts';
import type { SanctionsSection } from './sanctions-schema.ts';
import type { WorkflowsSection } from './workflows-schema.ts';

export interface ResolvedWorkflows {
  requests: RequestsSection | null;
  incidents: IncidentsSection | null;
  sanctions: SanctionsSection | null;
  alerts: AlertsSection | null;
  compliance: ComplianceSection | null;
  reporting: ReportingSection;
}

type Path = Array<string | number>;

const UNION_PATHS: ReadonlyArray<RegExp> = [/^alerts\.categories$/, /^alerts\.rules$/, /^alerts\.keywords\.[^.]+\.terms\.[^.]+$/];
/** fields whose entries name roles (or role sets); `line-manager` and `class-teacher` are relations */
const ROLE_FIELDS = new Set(['reviewers', 'deciders', 'to', 'chain', 'supervisors', 'notify', 'roles', 'audience', 'role']);
const RELATIONS = new Set(['line-manager', 'class-teacher']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>, path: string): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const here = path === '' ? key : `${path}.${key}`;
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, here);
    } else if (Array.isArray(value) && Array.isArray(existing) && UNION_PATHS.some((p) => p.test(here))) {
      target[key] = [...new Set([...existing, ...value])];
    } else {
      target[key] = structuredClone(value);
    }
  }
}

export function resolveWorkflows(
  layers: readonly LoadedLayer[],
  names: { roles: ReadonlySet<string>; roleSets: ReadonlySet<string>; categories: ReadonlySet<string> },
  problems: PolicyProblem[],
): ResolvedWorkflows {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    const section = (layer.data as { workflows?: WorkflowsSection }).workflows;
    if (!section) continue;
    mergeInto(merged, section as Record<string, unknown>, '');
    checkNames(section, ['workflows'], layer, names, problems);
  }
  const result = merged as Partial<ResolvedWorkflows>;
  return {
    requests: result.requests ?? null,
    incidents: result.incidents ?? null,
    sanctions: result.sanctions ?? null,
    alerts: result.alerts ?? null,
    compliance: result.compliance ?? null,
    reporting: result.reporting ?? { suppressBelow: 5, audience: [] },
  };
}

function checkNames(
  value: unknown,
  path: Path,
  layer: LoadedLayer,
  names: { roles: ReadonlySet<string>; roleSets: ReadonlySet<string>; categories: ReadonlySet<string> },
  problems: PolicyProblem[],
): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkNames(item, [...path, index], layer, names, problems));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const here = [...path, key];
    const inAlerts = path[1] === 'alerts';
    if (inAlerts && key === 'categories' && path.length === 2 && Array.isArray(child)) {
      child.forEach((name, index) => {
        if (typeof name === 'string' && !names.categories.has(name)) {
          problems.push({ code: 'HR_POLICY_REFERENCE', message: `alerts name unknown category \`${name}\``, where: layer.locate([...here, index]) });
        }
      });
      continue;
    }
    if (ROLE_FIELDS.has(key) && (Array.isArray(child) || typeof child === 'string')) {
      const list = Array.isArray(child) ? child : [child];
      list.forEach((name, index) => {
        if (typeof name !== 'string' || RELATIONS.has(name) || names.roles.has(name) || names.roleSets.has(name)) return;
        problems.push({
          code: 'HR_POLICY_REFERENCE',
          message: `workflow names unknown role \`${name}\``,
          where: layer.locate(Array.isArray(child) ? [...here, index] : here),
        });
      });
      continue;
    }
    checkNames(child, here, layer, names, problems);
  }
}

/** The roles a list names, with role sets expanded (relations are left to the caller). */
export function expandRoles(list: readonly string[], roleSets: Readonly<Record<string, readonly string[]>>): string[] {
  const out = new Set<string>();
  for (const name of list) for (const role of roleSets[name] ?? [name]) out.add(role);
  return [...out];
}
