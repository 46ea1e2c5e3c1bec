// Merging layers into one policy. A lower layer (school) refines a higher one (council):
// definitions (roles, groups, categories, windows, site facts) are merged by name with the lower
// layer winning; rules are gathered from every layer, a lower layer may replace a rule of the
// same id unless the higher layer locked it. References are checked after the merge so a school
// can use the council's roles and categories.
import type { SourceLocation } from '../errors/index.ts';
import type { LayerChain, LoadedLayer, PolicyProblem } from './load.ts';
import type { Calendar, CategoryDef, ClauseInfo, LayerFile, Rule, SiteFact, Who } from './schema.ts';
import { compileCalendarProblems } from './calendar.ts';
import { resolveAccess, type ResolvedAccess } from './resolve-access.ts';
import { resolveMailPolicy, type ResolvedMailPolicy } from './mail-resolve.ts';
import { resolveWorkflows, type ResolvedWorkflows } from './workflows/index.ts';

export interface ResolvedRule extends Rule {
  /** the layer's id (`telford-council`) and kind (`council`) */
  layerId: string;
  layerKind: LayerFile['layer'];
  /** 0 = the top (council); higher numbers are nearer the school */
  layerDepth: number;
  /** position among all rules of its layer */
  order: number;
  where: SourceLocation;
}

export interface ResolvedPolicy {
  revision: string;
  layers: Array<{ id: string; kind: LayerFile['layer']; name: string; file: string; version?: string; reviewDate?: string; owner?: string }>;
  clauses: Record<string, ClauseInfo & { layer: string }>;
  roles: Record<string, { title?: string; staff: boolean; child: boolean; sameAs?: string; description?: string }>;
  roleSets: Record<string, string[]>;
  unidentifiedRole: string | null;
  groups: Record<string, { title?: string; role?: string; within?: string }>;
  calendar: Calendar | null;
  categories: Record<string, CategoryDef>;
  categoryMap: Record<string, string[]>;
  sites: Record<string, SiteFact>;
  rules: ResolvedRule[];
  default: { action: Rule['action']; reason: string };
  circumvention: { threshold: number; window: string; flagSniMismatch: boolean; clauses: string[] };
  safeSearch: LayerFile['safeSearch'];
  retention: NonNullable<LayerFile['retention']>;
  failMode: Record<string, 'open' | 'closed'>;
  warnGrace: string;
  /** role → the dashboard and API actions it may perform */
  access: ResolvedAccess['access'];
  monitoringPurposes: ResolvedAccess['monitoringPurposes'];
  /** the mail section merged across layers; null when no layer has one */
  mail: ResolvedMailPolicy | null;
  /** the workflow sections merged across layers */
  workflows: ResolvedWorkflows;
}

export interface ResolveResult {
  policy: ResolvedPolicy | null;
  problems: PolicyProblem[];
}

function mergeRecords<T>(layers: LoadedLayer[], pick: (data: LayerFile) => Record<string, T>): Record<string, T> {
  const merged: Record<string, T> = {};
  for (const layer of layers) Object.assign(merged, pick(layer.data));
  return merged;
}

/** The last layer that sets a value wins. */
function lastDefined<T>(layers: LoadedLayer[], pick: (data: LayerFile) => T | undefined): { value: T; layer: LoadedLayer } | null {
  for (let i = layers.length - 1; i >= 0; i--) {
    const value = pick(layers[i]!.data);
    if (value !== undefined) return { value, layer: layers[i]! };
  }
  return null;
}

export function resolvePolicy(chain: LayerChain): ResolveResult {
  const problems: PolicyProblem[] = [...chain.problems];
  const layers = chain.layers;
  if (layers.length === 0 || problems.length > 0) return { policy: null, problems };

  const roles = mergeRecords(layers, (d) => d.roles);
  const roleSets = mergeRecords(layers, (d) => d.roleSets);
  const groups = mergeRecords(layers, (d) => d.groups);
  const categories = mergeRecords(layers, (d) => d.categories);
  const categoryMap = mergeRecords(layers, (d) => d.categoryMap);
  const sites = mergeRecords(layers, (d) => d.sites);
  const failMode = mergeRecords(layers, (d) => d.failMode);
  const clauses: ResolvedPolicy['clauses'] = {};
  for (const layer of layers) {
    for (const [key, info] of Object.entries(layer.data.clauses)) clauses[key] = { ...info, layer: layer.data.id };
  }
  const calendarSource = lastDefined(layers, (d) => d.calendar);
  const unidentified = lastDefined(layers, (d) => d.unidentifiedRole);
  const defaults = lastDefined(layers, (d) => d.default);
  const circumvention = lastDefined(layers, (d) => d.circumvention);
  const retention = lastDefined(layers, (d) => d.retention);
  const warnGrace = lastDefined(layers, (d) => d.warnGrace);
  const safeSearch = layers.flatMap((layer) => layer.data.safeSearch);
  const { access, monitoringPurposes } = resolveAccess(layers, roles, roleSets, problems);

  // Rules: every layer's, a lower layer replacing a same-id rule unless it is locked above.
  const rules: ResolvedRule[] = [];
  const byId = new Map<string, ResolvedRule>();
  layers.forEach((layer, depth) => {
    const seenHere = new Set<string>();
    layer.data.rules.forEach((rule, index) => {
      const where = layer.locate(['rules', index, 'id']);
      if (seenHere.has(rule.id)) {
        problems.push({ code: 'HR_POLICY_DUPLICATE', message: `rule id \`${rule.id}\` is used twice in this layer`, where });
        return;
      }
      seenHere.add(rule.id);
      const resolved: ResolvedRule = { ...rule, layerId: layer.data.id, layerKind: layer.data.layer, layerDepth: depth, order: index, where };
      const inherited = byId.get(rule.id);
      if (inherited) {
        if (inherited.lock || inherited.legal) {
          problems.push({
            code: 'HR_POLICY_LOCKED',
            message: `rule \`${rule.id}\` is locked by the ${inherited.layerKind} layer \`${inherited.layerId}\` and cannot be replaced`,
            where,
          });
          return;
        }
        rules.splice(rules.indexOf(inherited), 1);
      }
      byId.set(rule.id, resolved);
      rules.push(resolved);
    });
  });

  const policy: ResolvedPolicy = {
    revision: chain.revision,
    layers: layers.map((l) => ({
      id: l.data.id,
      kind: l.data.layer,
      name: l.data.name,
      file: l.displayName,
      ...(l.data.version !== undefined ? { version: l.data.version } : {}),
      ...(l.data.reviewDate !== undefined ? { reviewDate: l.data.reviewDate } : {}),
      ...(l.data.owner !== undefined ? { owner: l.data.owner } : {}),
    })),
    clauses,
    roles,
    roleSets,
    unidentifiedRole: unidentified?.value ?? null,
    groups,
    calendar: calendarSource?.value ?? null,
    categories,
    categoryMap,
    sites,
    rules,
    default: defaults ? { action: defaults.value.action, reason: defaults.value.reason } : { action: 'allow', reason: 'No rule applies; the visit is allowed and logged.' },
    circumvention: circumvention?.value ?? { threshold: 5, window: '1h', flagSniMismatch: true, clauses: [] },
    safeSearch,
    retention: retention?.value ?? {},
    failMode,
    warnGrace: warnGrace?.value ?? '30m',
    access,
    monitoringPurposes,
    mail: resolveMailPolicy(layers, clauses, problems),
    workflows: resolveWorkflows(layers, { roles: new Set(Object.keys(roles)), roleSets: new Set(Object.keys(roleSets)), categories: new Set(Object.keys(categories)) }, problems),
  };

  checkReferences(policy, layers, problems, calendarSource?.layer ?? null);
  return { policy: problems.length === 0 ? policy : null, problems };
}

function checkReferences(policy: ResolvedPolicy, layers: LoadedLayer[], problems: PolicyProblem[], calendarLayer: LoadedLayer | null): void {
  const layerById = new Map(layers.map((l) => [l.data.id, l]));
  const roleNames = new Set(Object.keys(policy.roles));
  const unknown = (what: string, name: string) => `unknown ${what} \`${name}\``;

  const checkRole = (name: string, where: SourceLocation, allowSets: boolean) => {
    if (roleNames.has(name)) return;
    if (allowSets && policy.roleSets[name]) return;
    problems.push({ code: 'HR_POLICY_REFERENCE', message: unknown('role', name), where });
  };

  for (const layer of layers) {
    const d = layer.data;
    for (const [name, role] of Object.entries(d.roles)) {
      if (role.sameAs !== undefined) {
        if (!roleNames.has(role.sameAs)) problems.push({ code: 'HR_POLICY_REFERENCE', message: unknown('role', role.sameAs), where: layer.locate(['roles', name, 'sameAs']) });
        else if (policy.roles[role.sameAs]?.sameAs) problems.push({ code: 'HR_POLICY_REFERENCE', message: `role \`${name}\` is the same as \`${role.sameAs}\`, which is itself the same as another role; name the final role`, where: layer.locate(['roles', name, 'sameAs']) });
      }
    }
    for (const [set, members] of Object.entries(d.roleSets)) {
      if (roleNames.has(set)) problems.push({ code: 'HR_POLICY_DUPLICATE', message: `role set \`${set}\` has the name of a role`, where: layer.locate(['roleSets', set]) });
      members.forEach((member, i) => checkRole(member, layer.locate(['roleSets', set, i]), false));
    }
    if (d.unidentifiedRole !== undefined) checkRole(d.unidentifiedRole, layer.locate(['unidentifiedRole']), false);
    for (const [name, group] of Object.entries(d.groups)) {
      if (group.role !== undefined) checkRole(group.role, layer.locate(['groups', name, 'role']), false);
      if (group.within !== undefined && !policy.groups[group.within]) problems.push({ code: 'HR_POLICY_REFERENCE', message: unknown('group', group.within), where: layer.locate(['groups', name, 'within']) });
    }
    for (const [name, category] of Object.entries(d.categories)) {
      category.includes.forEach((inner, i) => {
        if (!policy.categories[inner]) problems.push({ code: 'HR_POLICY_REFERENCE', message: unknown('category', inner), where: layer.locate(['categories', name, 'includes', i]) });
      });
    }
    for (const [source, targets] of Object.entries(d.categoryMap)) {
      targets.forEach((target, i) => {
        if (!policy.categories[target]) problems.push({ code: 'HR_POLICY_REFERENCE', message: unknown('category', target), where: layer.locate(['categoryMap', source, i]) });
      });
    }
    for (const [role] of Object.entries(d.failMode)) checkRole(role, layer.locate(['failMode', role]), false);
    d.safeSearch.forEach((entry, i) => checkWho(entry.who, ['safeSearch', i, 'who'], layer));
  }

  // Category includes must not loop.
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (done.has(name)) return;
    if (visiting.has(name)) {
      const owner = layers.find((l) => l.data.categories[name]) ?? layers[layers.length - 1]!;
      problems.push({ code: 'HR_POLICY_REFERENCE', message: `categories include each other in a cycle: ${[...trail, name].map((n) => `\`${n}\``).join(' → ')}`, where: owner.locate(['categories', name, 'includes']) });
      return;
    }
    visiting.add(name);
    for (const inner of policy.categories[name]?.includes ?? []) if (policy.categories[inner]) visit(inner, [...trail, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of Object.keys(policy.categories)) visit(name, []);

  if (Object.keys(policy.categories).length > 64) {
    const layer = layers[layers.length - 1]!;
    problems.push({ code: 'HR_POLICY_SCHEMA', message: `the policy defines ${Object.keys(policy.categories).length} categories; at most 64 are supported`, where: layer.locate(['categories']) });
  }
  if (Object.keys(policy.roles).length > 31) {
    const layer = layers[layers.length - 1]!;
    problems.push({ code: 'HR_POLICY_SCHEMA', message: `the policy defines ${Object.keys(policy.roles).length} roles; at most 31 are supported`, where: layer.locate(['roles']) });
  }

  const windowNames = new Set(Object.keys(policy.calendar?.windows ?? {}));
  if (policy.calendar && calendarLayer) {
    for (const problem of compileCalendarProblems(policy.calendar)) {
      const path = problem.field.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      const located = calendarLayer.locate(path[0] === 'calendar' ? path : ['calendar', ...path]);
      problems.push({ code: 'HR_POLICY_CALENDAR', message: problem.message, where: { ...located, field: problem.field.startsWith('calendar') ? problem.field : `calendar.${problem.field}` } });
    }
  }

  function checkWho(who: Who, path: (string | number)[], layer: LoadedLayer): void {
    who.roles?.forEach((role, i) => checkRole(role, layer.locate([...path, 'roles', i]), true));
    who.exceptRoles?.forEach((role, i) => checkRole(role, layer.locate([...path, 'exceptRoles', i]), true));
    who.groups?.forEach((group, i) => {
      if (!policy.groups[group]) problems.push({ code: 'HR_POLICY_REFERENCE', message: unknown('group', group), where: layer.locate([...path, 'groups', i]) });
    });
    if (who.minAge !== undefined && who.maxAge !== undefined && who.minAge > who.maxAge) {
      problems.push({ code: 'HR_POLICY_SCHEMA', message: `minAge ${who.minAge} is above maxAge ${who.maxAge}`, where: layer.locate([...path, 'minAge']) });
    }
  }

  for (const rule of policy.rules) {
    const layer = layerById.get(rule.layerId)!;
    const base: (string | number)[] = ['rules', rule.order];
    checkWho(rule.who, [...base, 'who'], layer);
    if (rule.when !== 'always') {
      rule.when.forEach((name, i) => {
        if (!windowNames.has(name)) {
          problems.push({
            code: 'HR_POLICY_REFERENCE',
            message: policy.calendar ? unknown('calendar window', name) : `rule uses calendar window \`${name}\` but no layer defines a calendar`,
            where: layer.locate([...base, 'when', i]),
          });
        }
      });
    }
    rule.what.categories?.forEach((name, i) => {
      if (!policy.categories[name]) problems.push({ code: 'HR_POLICY_REFERENCE', message: unknown('category', name), where: layer.locate([...base, 'what', 'categories', i]) });
    });
    rule.what.sites?.forEach((site, i) => {
      if (!/^[a-z0-9*]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9])?)*$/i.test(site) || site.includes('*')) {
        problems.push({ code: 'HR_POLICY_SCHEMA', message: `\`${site}\` is not a host name (write \`example.com\`; subdomains are included)`, where: layer.locate([...base, 'what', 'sites', i]) });
      }
    });
    const what = rule.what;
    if (!what.categories && !what.sites && !what.fileTypes && !what.ipLiteral && !what.belowMinimumAge && !what.any) {
      problems.push({ code: 'HR_POLICY_SCHEMA', message: 'rule matches nothing: give categories, sites, fileTypes, ipLiteral, belowMinimumAge or any', where: layer.locate([...base, 'what']) });
    }
    rule.clauses.forEach((clause, i) => {
      if (Object.keys(policy.clauses).length > 0 && !policy.clauses[clause]) {
        problems.push({ code: 'HR_POLICY_REFERENCE', message: `unknown clause \`${clause}\` (add it under \`clauses\`)`, where: layer.locate([...base, 'clauses', i]) });
      }
    });
  }
}
