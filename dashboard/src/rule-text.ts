// A rule as a sentence a headteacher can read: who, when, what, and what happens.
import type { PolicyRule } from './api-types.ts';
import type { PolicyNames } from './policy-names.ts';
import { pluralTitle } from './format.ts';

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function describeWho(rule: PolicyRule, names: PolicyNames): string {
  const who = rule.who ?? {};
  const parts: string[] = [];
  if (who.roles?.length) parts.push(list(who.roles.map((r) => pluralTitle(names.title('roles', r)))));
  if (who.groups?.length) parts.push(list(who.groups.map((g) => names.title('groups', g))));
  let text = parts.length > 0 ? parts.join(' in ') : 'Everyone';
  if (who.exceptRoles?.length) text += ` except ${list(who.exceptRoles.map((r) => pluralTitle(names.title('roles', r))))}`;
  if (who.minAge !== undefined && who.maxAge !== undefined) text += ` aged ${who.minAge} to ${who.maxAge}`;
  else if (who.minAge !== undefined) text += ` aged ${who.minAge} or over`;
  else if (who.maxAge !== undefined) text += ` aged ${who.maxAge} or under`;
  return text;
}

export function describeWhen(rule: PolicyRule, names: PolicyNames): string {
  if (!rule.when || rule.when === 'always' || rule.when.length === 0) return 'at any time';
  return `in ${list(rule.when.map((w) => names.title('windows', w)))}`;
}

export function describeWhat(rule: PolicyRule, names: PolicyNames): string {
  const what = rule.what ?? {};
  const parts: string[] = [];
  if (what.any) parts.push('any site');
  if (what.categories?.length) parts.push(list(what.categories.map((c) => names.title('categories', c))));
  if (what.sites?.length) parts.push(what.sites.length === 1 ? `the site ${what.sites[0]}` : `${what.sites.length} listed sites`);
  if (what.fileTypes?.length) parts.push(`downloads of ${list(what.fileTypes.map((t) => `.${t}`))} files`);
  if (what.ipLiteral) parts.push('addresses written as numbers');
  if (what.belowMinimumAge) parts.push("sites whose minimum age is above the person's age");
  return parts.length > 0 ? list(parts) : 'nothing';
}

const verbs: Record<string, string> = { allow: 'allowed', block: 'blocked', warn: 'warned (may continue with a reason)', log: 'allowed and marked for review' };

/** `Pupils, at any time: Social media is blocked.` */
export function describeRule(rule: PolicyRule, names: PolicyNames): string {
  return `${describeWho(rule, names)}, ${describeWhen(rule, names)}: ${describeWhat(rule, names)} — ${verbs[rule.action] ?? rule.action}.`;
}

/** `8.1` < `8.2` < `10` < `council-…`: numbered clauses in order, named ones after. */
export function compareClauseIds(a: string, b: string): number {
  const na = a.split('.').map(Number);
  const nb = b.split('.').map(Number);
  const numericA = na.every(Number.isFinite);
  const numericB = nb.every(Number.isFinite);
  if (numericA && numericB) {
    for (let i = 0; i < Math.max(na.length, nb.length); i++) {
      const d = (na[i] ?? -1) - (nb[i] ?? -1);
      if (d !== 0) return d;
    }
    return 0;
  }
  if (numericA !== numericB) return numericA ? -1 : 1;
  return a.localeCompare(b);
}
