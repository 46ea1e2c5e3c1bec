// The edits the dashboard makes to the school layer: add or remove sites of a rule, change a
// rule's action, add a rule, delete a rule. Pure: text in, text out. The Document API finds the
// nodes and gives the value the file must have afterwards; the text is changed only where those
// nodes are written, and parsed again to prove the two agree (when they do not, the whole
// document is written by the yaml library instead, which still keeps comments and order).
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { normaliseHost, normaliseTarget } from '../engine/index.ts';
import type { Action } from '../policy/index.ts';
import { PolicyEditError, type EditProblem } from './policy-edit-error.ts';
import { applySplices, blockScalar, columnOf, flowValue, rewriteFlowMap, rewriteScalarSeq, type Splice } from './yaml-text.ts';

/** A rule the school adds. `lock` and `legal` are for higher layers' lists, not for this form. */
export interface NewRule {
  id: string;
  clauses?: string[];
  title?: string;
  who?: { roles?: string[]; groups?: string[]; minAge?: number; maxAge?: number; exceptRoles?: string[] };
  when?: 'always' | string[];
  what: { categories?: string[]; sites?: string[]; fileTypes?: string[]; ipLiteral?: boolean; belowMinimumAge?: boolean; any?: boolean };
  action: Action;
  reason: string;
  circumvention?: boolean;
}

export type PolicyEdit =
  | { kind: 'change'; rule: string; sites?: { add?: readonly string[]; remove?: readonly string[] }; action?: Action }
  | { kind: 'add'; rule: NewRule }
  | { kind: 'delete'; rule: string };

/** A rule of a layer above the edited one, to explain why it cannot be edited here. */
export interface ParentRule {
  id: string;
  layerId: string;
  layerKind: string;
  layerName: string;
  lock: boolean;
  legal: boolean;
}

export interface TextEditResult {
  text: string;
  rule: string;
  /** the rule as the file had it (plain data), null when added */
  before: Record<string, unknown> | null;
  /** the rule as the file has it now, null when deleted */
  after: Record<string, unknown> | null;
  /** a rule of a higher layer that the added rule replaces */
  replaces: ParentRule | null;
  /** false when the text had to be written whole (the yaml library's layout) */
  surgical: boolean;
}

/** A site as a rule lists it: the host alone, lower-case (`https://www.example.org/x` → `www.example.org`). */
export function ruleSite(text: string): string | null {
  const trimmed = text.trim();
  const target = trimmed.includes('/') ? normaliseTarget(trimmed) : normaliseHost(trimmed);
  if (target.error !== '' || target.host === '' || target.ip !== 0) return null;
  return target.host;
}

function ruleItems(doc: Document): YAMLSeq | null {
  const node = doc.get('rules', true);
  return isSeq(node) ? node : null;
}

function findRule(seq: YAMLSeq | null, id: string): { node: YAMLMap; index: number } | null {
  if (!seq) return null;
  for (let i = 0; i < seq.items.length; i++) {
    const item = seq.items[i];
    if (isMap(item) && item.get('id') === id) return { node: item as YAMLMap, index: i };
  }
  return null;
}

function refuseOtherLayer(id: string, parents: readonly ParentRule[], layerName: string): never {
  const owner = [...parents].reverse().find((r) => r.id === id);
  if (!owner) throw new PolicyEditError('HR_POLICY_EDIT_UNKNOWN_RULE', `no rule \`${id}\` in the policy`);
  const locked = owner.legal ? ' It is a legal list, which no school may change.' : owner.lock ? ' It is locked, so no lower layer may replace it.' : ' To change what it does here, add a school rule naming the sites.';
  throw new PolicyEditError(
    'HR_POLICY_EDIT_LAYER',
    `rule \`${id}\` belongs to the ${owner.layerKind} layer \`${owner.layerId}\` (${owner.layerName}), not to ${layerName}; it is changed in that layer's file.${locked}`,
  );
}

function refuseLocked(id: string, rule: YAMLMap): void {
  if (rule.get('legal') === true) throw new PolicyEditError('HR_POLICY_EDIT_LOCKED', `rule \`${id}\` is a legal must-block list; it cannot be changed from the dashboard`);
  if (rule.get('lock') === true) throw new PolicyEditError('HR_POLICY_EDIT_LOCKED', `rule \`${id}\` is locked; change its file by hand after review`);
}

function normaliseSites(list: readonly string[] | undefined, field: string, problems: EditProblem[]): string[] {
  const out: string[] = [];
  (list ?? []).forEach((raw, i) => {
    const host = ruleSite(raw);
    if (host === null) problems.push({ field: `${field}[${i}]`, message: `\`${raw}\` is not a host name (write \`example.org\`; its subdomains are included)` });
    else if (!out.includes(host)) out.push(host);
  });
  return out;
}

/** The rule's fields in the order the reference policy writes them, without empty defaults. */
function ruleData(rule: NewRule): Record<string, unknown> {
  const data: Record<string, unknown> = { id: rule.id };
  if (rule.clauses && rule.clauses.length > 0) data.clauses = rule.clauses;
  if (rule.title !== undefined && rule.title !== '') data.title = rule.title;
  const who = Object.fromEntries(Object.entries(rule.who ?? {}).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  if (Object.keys(who).length > 0) data.who = who;
  if (rule.when !== undefined && rule.when !== 'always' && rule.when.length > 0) data.when = rule.when;
  data.what = Object.fromEntries(Object.entries(rule.what).filter(([, v]) => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0)));
  data.action = rule.action;
  data.reason = rule.reason;
  if (rule.circumvention === true) data.circumvention = true;
  return data;
}

function renderRule(data: Record<string, unknown>, indent: string): string {
  const lines = Object.entries(data).map(([key, value], i) => {
    const prefix = i === 0 ? `${indent}- ` : `${indent}  `;
    const rendered = typeof value === 'string' ? blockScalar(value) : flowValue(value);
    return `${prefix}${key}: ${rendered}`;
  });
  return `${lines.join('\n')}\n`;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end + 1;
}

/**
 * Apply one edit to the text of the layer being edited. `parents` are the rules of the layers
 * above, to explain a refusal; `layerName` names the edited layer in messages.
 */
export function applyPolicyEdit(text: string, edit: PolicyEdit, parents: readonly ParentRule[], layerName: string): TextEditResult {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new PolicyEditError('HR_POLICY_EDIT_WRITE', `the policy file is not valid YAML now: ${doc.errors[0]!.message.split('\n')[0]!.toLowerCase()}`);
  const seq = ruleItems(doc);
  const splices: Splice[] = [];
  let canSplice = true;
  const problems: EditProblem[] = [];

  if (edit.kind === 'change' || edit.kind === 'delete') {
    const found = findRule(seq, edit.rule);
    if (!found) refuseOtherLayer(edit.rule, parents, layerName);
    const { node: rule, index } = found;
    refuseLocked(edit.rule, rule);
    const before = (findRuleValue(doc.toJS({ maxAliasCount: 100 }), edit.rule) ?? null) as Record<string, unknown> | null;

    if (edit.kind === 'delete') {
      const range = rule.range;
      seq!.items.splice(index, 1);
      if (range) {
        let start = lineStart(text, range[0]);
        let end = lineEnd(text, Math.max(range[0], range[2] - 1));
        // the comment lines right above the rule, at its indentation, are the rule's own
        const indent = /^ */.exec(text.slice(start))![0];
        while (start > 0) {
          const above = lineStart(text, start - 1);
          const line = text.slice(above, start - 1);
          if (!line.startsWith(`${indent}#`)) break;
          start = above;
        }
        // keep at most one blank line between the neighbours
        const blankBefore = start >= 2 && text.slice(lineStart(text, start - 1), start).trim() === '';
        const blankAfter = end < text.length && text.slice(end, lineEnd(text, end)).trim() === '';
        if (blankAfter) end = lineEnd(text, end);
        else if (blankBefore && end >= text.length) start = lineStart(text, start - 1);
        splices.push({ start, end, text: '' });
      } else canSplice = false;
      return finish(text, doc, splices, canSplice, edit.rule, before, null, null);
    }

    // change: sites and/or action
    if (edit.sites) {
      const add = normaliseSites(edit.sites.add, 'sites.add', problems);
      const remove = normaliseSites(edit.sites.remove, 'sites.remove', problems);
      const what = rule.get('what', true) as Node | undefined;
      if (!isMap(what)) {
        problems.push({ field: 'sites', message: `rule \`${edit.rule}\` has no \`what\` section to hold sites` });
      } else {
        const sitesNode = what.get('sites', true) as Node | undefined;
        if (sitesNode !== undefined && sitesNode !== null && !isSeq(sitesNode)) {
          throw new PolicyEditError('HR_POLICY_EDIT_INPUT', `the sites of rule \`${edit.rule}\` are not written as a plain list (an alias?); edit the file by hand`, [{ field: 'sites', message: 'not a plain list in the file' }]);
        }
        const current = isSeq(sitesNode) ? sitesNode.items.map((item) => (isScalar(item) ? String(item.value).toLowerCase() : '')) : [];
        // Every condition of a rule must hold, so giving sites to a rule that matches by category
        // (or any other condition) would narrow it to those sites and silently unblock the rest.
        const otherConditions = what.items.filter((pair) => isScalar(pair.key) && String(pair.key.value) !== 'sites').map((pair) => String((pair.key as Scalar).value));
        if (current.length === 0 && add.length > 0 && otherConditions.length > 0) {
          problems.push({
            field: 'sites.add',
            message: `rule \`${edit.rule}\` matches by ${otherConditions.map((c) => `\`${c}\``).join(', ')}; adding sites would narrow it to those sites only. Add a school rule naming the sites instead`,
          });
        }
        remove.forEach((site, i) => {
          if (!current.includes(site)) problems.push({ field: `sites.remove[${i}]`, message: `\`${site}\` is not one of the sites of rule \`${edit.rule}\`` });
        });
        if (problems.length === 0) {
          const next = current.filter((site) => !remove.includes(site));
          for (const site of add) if (!next.includes(site)) next.push(site);
          if (next.length > 0 && isSeq(sitesNode)) {
            const changes = rewriteScalarSeq(text, sitesNode, next);
            if (changes) splices.push(...changes);
            else canSplice = false;
            // change the list in place, keeping the items that stay (and their comments), so
            // the Document keeps the list's style for the fallback
            const keptItems = sitesNode.items.filter((item) => isScalar(item) && !remove.includes(String(item.value).toLowerCase()));
            sitesNode.items = [...keptItems, ...add.filter((site) => !current.includes(site)).map((site) => doc.createNode(site))];
          } else {
            // the `sites` key appears or goes: the `what` map is written again (from the
            // source text, so before the Document changes)
            const rewritten = rewriteFlowMap(text, what, 'sites', next.length > 0 ? next : undefined);
            if (rewritten !== null && what.range) splices.push({ start: what.range[0], end: what.range[1], text: rewritten });
            else canSplice = false;
            if (next.length > 0) what.set('sites', doc.createNode(next, { flow: true }));
            else what.delete('sites');
          }
        }
      }
    }
    if (edit.action !== undefined) {
      const node = rule.get('action', true) as Node | undefined;
      rule.set('action', edit.action);
      if (isScalar(node) && node.range) splices.push({ start: node.range[0], end: node.range[1], text: edit.action });
      else canSplice = false;
    }
    if (problems.length > 0) throw new PolicyEditError('HR_POLICY_EDIT_INPUT', `the edit of rule \`${edit.rule}\` has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
    return finish(text, doc, splices, canSplice, edit.rule, before, edit.rule, null);
  }

  // add
  const data = ruleData(edit.rule);
  if (data.what && typeof data.what === 'object' && Array.isArray((data.what as Record<string, unknown>).sites)) {
    const sites = normaliseSites((data.what as { sites: string[] }).sites, 'rule.what.sites', problems);
    (data.what as Record<string, unknown>).sites = sites;
  }
  if (problems.length > 0) throw new PolicyEditError('HR_POLICY_EDIT_INPUT', `the new rule has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
  if (findRule(seq, edit.rule.id)) throw new PolicyEditError('HR_POLICY_EDIT_CONFLICT', `rule \`${edit.rule.id}\` already exists in ${layerName}; choose another id or edit that rule`);
  const parent = [...parents].reverse().find((r) => r.id === edit.rule.id) ?? null;
  if (parent && (parent.lock || parent.legal)) {
    throw new PolicyEditError('HR_POLICY_EDIT_LOCKED', `rule \`${parent.id}\` of the ${parent.layerKind} layer \`${parent.layerId}\` is ${parent.legal ? 'a legal list' : 'locked'}; a school rule cannot replace it`);
  }
  const node = doc.createNode(data) as YAMLMap;
  for (const key of ['who', 'what']) {
    const inner = node.get(key, true);
    if (isMap(inner)) inner.flow = true;
  }
  const last = seq?.items[seq.items.length - 1] as Node | undefined;
  if (seq && !seq.flow && last?.range && seq.range) {
    const indent = ' '.repeat(columnOf(text, seq.range[0]));
    const end = lineEnd(text, Math.max(last.range[0], last.range[2] - 1));
    const spaced = seq.items.slice(1).some((item) => (item as Node).spaceBefore === true);
    const lead = end > 0 && text[end - 1] !== '\n' ? '\n' : '';
    splices.push({ start: end, end, text: `${lead}${spaced ? '\n' : ''}${renderRule(data, indent)}` });
  } else {
    canSplice = false;
  }
  if (seq) seq.items.push(node);
  else doc.set('rules', doc.createNode([node]));
  return finish(text, doc, splices, canSplice, edit.rule.id, null, edit.rule.id, parent);
}

function finish(
  text: string,
  doc: Document,
  splices: Splice[],
  canSplice: boolean,
  id: string,
  before: Record<string, unknown> | null,
  afterId: string | null,
  replaces: ParentRule | null,
): TextEditResult {
  const expected = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const after = afterId === null ? null : ((findRuleValue(expected, afterId) ?? null) as Record<string, unknown> | null);
  if (canSplice) {
    const spliced = applySplices(text, splices);
    const check = parseDocument(spliced, { uniqueKeys: true });
    if (check.errors.length === 0 && isDeepStrictEqual(check.toJS({ maxAliasCount: 100 }), expected)) {
      return { text: spliced, rule: id, before, after, replaces, surgical: true };
    }
  }
  return { text: doc.toString({ lineWidth: 0 }), rule: id, before, after, replaces, surgical: false };
}

function findRuleValue(value: unknown, id: string): unknown {
  const rules = (value as { rules?: unknown } | null)?.rules;
  return Array.isArray(rules) ? rules.find((r) => (r as { id?: unknown } | null)?.id === id) : undefined;
}
