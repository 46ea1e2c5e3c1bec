// The decision engine: a policy and a catalogue compiled into flat tables, asked `decide(query)`
// by every enforcement point. Pure: no I/O, the time comes from the query.
//
// Precedence (first tier that produces a decision wins; documented in docs/precedence.md):
//   1. legal and locked rules        — first match, any layer; nothing below can loosen them
//   2. sanctions                     — a supervised-only pupil outside a supervised session
//   3. site rules                    — rules naming sites; nearest layer first (school beats council)
//   4. grants                        — curriculum grants and approved unblock requests in force
//   5. category and other rules      — every matching rule is considered and the most
//                                      restrictive action wins (block > warn > log > allow), so a
//                                      school cannot loosen a council category block except by
//                                      naming the site (tier 3) or granting it (tier 4)
//   6. the policy's default
import { Catalogue, HostHashes, hashHostSuffixes, SuffixTable, defaultCategoryMap } from '../catalog/index.ts';
import type { ResolvedPolicy, ResolvedRule } from '../policy/index.ts';
import { compileCalendar, type CompiledCalendar } from '../policy/index.ts';
import { normaliseTarget, noteNames, type Target } from './normalise.ts';
import type { Action, Decision, DecisionQuery, Grant, GrantSet, Person, ReasonKind, SupersededRule } from './types.ts';

const MAX_MATCHES = 16;
const TIER_LOCKED = 1;
const TIER_SITE = 3;
const TIER_CATEGORY = 5;

const RESTRICTIVENESS: Record<Action, number> = { block: 3, warn: 2, log: 1, allow: 0 };

interface CompiledRule {
  source: ResolvedRule;
  tier: number;
  action: Action;
  /** bit per role index; 0 = every role */
  roleMask: number;
  groups: ReadonlySet<string> | null;
  minAge: number;
  maxAge: number;
  /** bit per window index; -1 = always */
  windowMask: number;
  catLo: number;
  catHi: number;
  hasCategories: boolean;
  sites: boolean;
  fileTypes: ReadonlySet<string> | null;
  ipLiteral: boolean;
  belowMinimumAge: boolean;
  any: boolean;
  kindPrefix: 'site' | 'category' | 'legal';
  /** RESTRICTIVENESS of the action, read once here instead of by key per decision */
  rank: number;
  /** the reason kind when this rule decides (unless the tier overrides it) */
  kind: ReasonKind;
}

interface HostFacts {
  catLo: number;
  catHi: number;
  minimumAge: number;
  /** the most specific catalogue value id matched; -1 when none */
  value: number;
  /** every value id matched, most specific first, only when there is more than one (most hosts match one entry or none) */
  values: number[] | null;
  entryIndex: number;
}

export interface EngineOptions {
  policy: ResolvedPolicy;
  catalogue: Catalogue;
}

export interface SafeSearchLevel {
  engines: 'strict' | 'moderate' | 'off';
  youtube: 'strict' | 'moderate' | 'off';
}

/** Compiled grants: shared by every query until the next change. */
class CompiledGrantSet implements GrantSet {
  readonly grants: readonly Grant[];
  readonly revision: number;
  readonly siteTable: SuffixTable;
  readonly siteGrants: number[][];
  constructor(grants: readonly Grant[], revision: number) {
    this.grants = grants;
    this.revision = revision;
    const lists = new Map<string, number[]>();
    grants.forEach((grant, index) => {
      for (const site of grant.what.sites ?? []) {
        const host = normaliseTarget(site).host || site.toLowerCase();
        const list = lists.get(host) ?? [];
        list.push(index);
        lists.set(host, list);
      }
    });
    this.siteGrants = [...lists.values()];
    this.siteTable = SuffixTable.build([...lists.keys()].map((host, i) => [host, i, false] as const));
  }
}

export function compileGrants(grants: readonly Grant[], revision = 0): GrantSet {
  return new CompiledGrantSet(grants, revision);
}

export class PolicyEngine {
  readonly policy: ResolvedPolicy;
  readonly catalogue: Catalogue;
  readonly calendar: CompiledCalendar | null;
  readonly revision: string;
  readonly categoryNames: readonly string[];

  private readonly roleIndex = new Map<string, number>();
  /** role name → the role it is treated as (guest → pupil) */
  private readonly effectiveRole = new Map<string, string>();
  private readonly rules: CompiledRule[];
  private readonly lockedRules: CompiledRule[];
  private readonly categoryRules: CompiledRule[];
  private readonly siteRuleLists: CompiledRule[][];
  private readonly siteRuleTable: SuffixTable;
  private readonly siteFactTable: SuffixTable;
  private readonly siteFacts: Array<{ catLo: number; catHi: number; minimumAge: number }>;
  private readonly valueLo: Int32Array;
  private readonly valueHi: Int32Array;
  private readonly valueMinAge: Int16Array;
  private readonly categoryIndex = new Map<string, number>();
  /** category bits → names; keyed by the low word when the high word is empty (the usual case) */
  private readonly categoryNameCache = new Map<number, string[]>();
  private readonly categoryNameCacheWide = new Map<string, string[]>();
  /**
   * value id → its source category names and its lists. Plain arrays, copied into each decision:
   * NOTE: `slice()` of a frozen array (the catalogue's caches) takes a slow generic path in V8
   */
  private readonly valueSourceNames: string[][];
  private readonly valueListNames: string[][];
  private readonly groupAncestors = new Map<string, string[]>();
  private readonly safeSearchRules: Array<{ rule: CompiledRule; level: SafeSearchLevel }>;

  // Scratch buffers reused by every decision (the engine is single-threaded per process).
  private readonly hashes = new HostHashes();
  private readonly matchValues = new Int32Array(MAX_MATCHES);
  private readonly matchIdx = new Int32Array(MAX_MATCHES);
  /** the time of the last calendar question and its answer (see isOpen) */
  private windowsTime = Number.NaN;
  private windowsOpen = 0;

  constructor(options: EngineOptions) {
    const { policy, catalogue } = options;
    this.policy = policy;
    this.catalogue = catalogue;
    this.revision = `${policy.revision}.${catalogue.revision.slice(0, 8)}`;
    this.calendar = policy.calendar ? compileCalendar(policy.calendar) : null;

    Object.keys(policy.roles).forEach((name, i) => this.roleIndex.set(name, i));
    for (const [name, role] of Object.entries(policy.roles)) this.effectiveRole.set(name, role.sameAs ?? name);

    for (const [name, group] of Object.entries(policy.groups)) {
      const chain: string[] = [name];
      let parent = group.within;
      while (parent !== undefined && !chain.includes(parent)) {
        chain.push(parent);
        parent = policy.groups[parent]?.within;
      }
      this.groupAncestors.set(name, chain);
    }

    // Categories: composite categories (social-media) light up with any of their parts.
    this.categoryNames = Object.keys(policy.categories);
    this.categoryNames.forEach((name, i) => this.categoryIndex.set(name, i));
    const sourceToMask = this.buildSourceCategoryMasks();
    const values = catalogue.valueCount;
    this.valueLo = new Int32Array(values);
    this.valueHi = new Int32Array(values);
    this.valueMinAge = new Int16Array(values);
    const sourceNames = catalogue.sourceCategoryNames;
    this.valueSourceNames = [];
    this.valueListNames = [];
    for (let v = 0; v < values; v++) {
      this.valueSourceNames.push(catalogue.valueSourceCategories(v).map((i) => sourceNames[i]!));
      this.valueListNames.push([...catalogue.valueLists(v)]);
      let lo = 0;
      let hi = 0;
      for (const sourceIndex of catalogue.valueSourceCategories(v)) {
        const mask = sourceToMask.get(sourceNames[sourceIndex]!);
        if (mask) {
          lo |= mask[0];
          hi |= mask[1];
        }
      }
      this.valueLo[v] = lo;
      this.valueHi[v] = hi;
      this.valueMinAge[v] = catalogue.valueMinimumAge(v);
    }

    // The policy's own site facts (minimum ages, extra categories) refine the catalogue.
    const factEntries: Array<readonly [string, number, boolean]> = [];
    this.siteFacts = [];
    for (const [site, fact] of Object.entries(policy.sites)) {
      let lo = 0;
      let hi = 0;
      for (const name of fact.categories ?? []) {
        const mask = sourceToMask.get(name) ?? this.maskOfPolicyCategory(name);
        if (mask) {
          lo |= mask[0];
          hi |= mask[1];
        }
      }
      factEntries.push([site.toLowerCase(), this.siteFacts.length, false]);
      this.siteFacts.push({ catLo: lo, catHi: hi, minimumAge: fact.minimumAge ?? -1 });
    }
    this.siteFactTable = SuffixTable.build(factEntries);

    this.rules = policy.rules.map((rule) => this.compileRule(rule));
    this.lockedRules = this.rules.filter((r) => r.tier === TIER_LOCKED);
    // Nearest layer first, then file order.
    const byNearest = (a: CompiledRule, b: CompiledRule) => b.source.layerDepth - a.source.layerDepth || a.source.order - b.source.order;
    this.categoryRules = this.rules.filter((r) => r.tier === TIER_CATEGORY).sort(byNearest);
    const siteLists = new Map<string, CompiledRule[]>();
    for (const rule of this.rules.filter((r) => r.tier === TIER_SITE).sort(byNearest)) {
      for (const site of rule.source.what.sites ?? []) {
        const host = site.toLowerCase();
        const list = siteLists.get(host) ?? [];
        list.push(rule);
        siteLists.set(host, list);
      }
    }
    this.siteRuleLists = [...siteLists.values()];
    this.siteRuleTable = SuffixTable.build([...siteLists.keys()].map((host, i) => [host, i, false] as const));

    this.safeSearchRules = policy.safeSearch.map((entry) => ({
      rule: this.compileRule({
        id: 'safe-search',
        clauses: [],
        who: entry.who,
        when: 'always',
        what: { any: true },
        action: 'allow',
        reason: 'safe search',
        circumvention: false,
        lock: false,
        legal: false,
        layerId: '',
        layerKind: 'school',
        layerDepth: 0,
        order: 0,
        where: {},
      }),
      level: { engines: entry.engines, youtube: entry.youtube },
    }));
  }

  private maskOfPolicyCategory(name: string): [number, number] | null {
    const index = this.categoryIndex.get(name);
    if (index === undefined) return null;
    const mask: [number, number] = [0, 0];
    setBit(mask, index);
    return mask;
  }

  /** source category (`ut1/social_networks`) → bit mask of policy categories, includes expanded */
  private buildSourceCategoryMasks(): Map<string, [number, number]> {
    const policy = this.policy;
    const direct = new Map<string, Set<string>>();
    const add = (source: string, category: string) => {
      const set = direct.get(source) ?? new Set<string>();
      set.add(category);
      direct.set(source, set);
    };
    const overridden = new Set(Object.keys(policy.categoryMap));
    for (const [source, standard] of Object.entries(defaultCategoryMap)) {
      if (overridden.has(source)) continue;
      for (const name of standard) if (policy.categories[name]) add(source, name);
    }
    for (const [source, targets] of Object.entries(policy.categoryMap)) for (const target of targets) add(source, target);
    for (const [name, category] of Object.entries(policy.categories)) {
      for (const source of category.from) add(source, name);
      // A catalogue may use Hedgerow's own vocabulary directly, and a list imported with
      // `--category NAME` means the policy's category of that name.
      add(`hedgerow/${name}`, name);
      add(`custom/${name}`, name);
    }
    // Expand composites: a category that includes X is present whenever X is.
    const containers = new Map<string, string[]>();
    for (const [name, category] of Object.entries(policy.categories)) {
      for (const inner of category.includes) containers.set(inner, [...(containers.get(inner) ?? []), name]);
    }
    const closure = (name: string, out: Set<string>) => {
      if (out.has(name)) return;
      out.add(name);
      for (const outer of containers.get(name) ?? []) closure(outer, out);
    };
    const masks = new Map<string, [number, number]>();
    for (const [source, names] of direct) {
      const all = new Set<string>();
      for (const name of names) closure(name, all);
      const mask: [number, number] = [0, 0];
      for (const name of all) setBit(mask, this.categoryIndex.get(name)!);
      masks.set(source, mask);
    }
    return masks;
  }

  private compileRule(rule: ResolvedRule): CompiledRule {
    let roleMask = 0;
    const roleNames = new Set<string>();
    for (const name of rule.who.roles ?? []) for (const role of this.policy.roleSets[name] ?? [name]) roleNames.add(role);
    if (rule.who.exceptRoles) {
      const except = new Set<string>();
      for (const name of rule.who.exceptRoles) for (const role of this.policy.roleSets[name] ?? [name]) except.add(role);
      const base = rule.who.roles ? [...roleNames] : Object.keys(this.policy.roles);
      roleNames.clear();
      for (const role of base) if (!except.has(role)) roleNames.add(role);
      if (roleNames.size === 0) roleMask = 0;
    }
    for (const name of roleNames) {
      const index = this.roleIndex.get(this.effectiveRole.get(name) ?? name);
      if (index !== undefined) roleMask |= 1 << index;
    }
    // A rule whose who lists only roles that do not exist matches nobody, not everybody.
    const restrictsRoles = rule.who.roles !== undefined || rule.who.exceptRoles !== undefined;
    let windowMask = -1;
    if (rule.when !== 'always') {
      windowMask = 0;
      for (const name of rule.when) windowMask |= this.calendar?.windowMask(name) ?? 0;
    }
    const cat: [number, number] = [0, 0];
    for (const name of rule.what.categories ?? []) {
      const index = this.categoryIndex.get(name);
      if (index !== undefined) setBit(cat, index);
    }
    const tier = rule.legal || rule.lock ? TIER_LOCKED : rule.what.sites ? TIER_SITE : TIER_CATEGORY;
    const compiled: CompiledRule = {
      source: rule,
      tier,
      action: rule.action,
      roleMask: restrictsRoles ? roleMask || 0x80000000 : 0,
      groups: rule.who.groups ? new Set(rule.who.groups) : null,
      minAge: rule.who.minAge ?? -1,
      maxAge: rule.who.maxAge ?? 1000,
      windowMask,
      catLo: cat[0],
      catHi: cat[1],
      hasCategories: rule.what.categories !== undefined,
      sites: rule.what.sites !== undefined,
      fileTypes: rule.what.fileTypes ? new Set(rule.what.fileTypes) : null,
      ipLiteral: rule.what.ipLiteral === true,
      belowMinimumAge: rule.what.belowMinimumAge === true,
      any: rule.what.any === true,
      kindPrefix: rule.legal ? 'legal' : rule.what.sites ? 'site' : 'category',
      rank: RESTRICTIVENESS[rule.action],
      kind: 'allow.default',
    };
    compiled.kind = ruleKind(compiled);
    return compiled;
  }

  /** Does the rule's `who` cover this person? */
  private appliesTo(rule: CompiledRule, roleBit: number, person: Person): boolean {
    if (rule.roleMask !== 0 && (rule.roleMask & roleBit) === 0) return false;
    if (rule.groups !== null) {
      const groups = person.groups;
      if (!groups) return false;
      let found = false;
      for (const group of groups) {
        const chain = this.groupAncestors.get(group);
        if (chain) {
          for (const g of chain) if (rule.groups.has(g)) found = true;
        } else if (rule.groups.has(group)) found = true;
        if (found) break;
      }
      if (!found) return false;
    }
    if (rule.minAge >= 0 || rule.maxAge < 1000) {
      const age = person.age;
      if (age === undefined || age < rule.minAge || age > rule.maxAge) return false;
    }
    return true;
  }

  /** Does the rule's `what` cover this target? (every given condition must hold) */
  private matchesWhat(rule: CompiledRule, target: Target, facts: HostFacts, person: Person, siteMatched: boolean): boolean {
    if (rule.sites && !siteMatched) return false;
    if (rule.hasCategories && (rule.catLo & facts.catLo) === 0 && (rule.catHi & facts.catHi) === 0) return false;
    if (rule.fileTypes !== null && !rule.fileTypes.has(target.fileType)) return false;
    if (rule.ipLiteral && target.ip === 0) return false;
    if (rule.belowMinimumAge) {
      // Unknown age counts as below: fail closed for the people the rule names.
      if (facts.minimumAge <= 0) return false;
      if (person.age !== undefined && person.age >= facts.minimumAge) return false;
    }
    return true;
  }

  /**
   * Is the rule's `when` open at this time? The calendar's answer for the last time asked is kept,
   * since a decision asks for one time several times.
   * NOTE: a method and two fields rather than a closure per decision: under tsx every closure
   * created in a hot path also gets its name set with defineProperty, which cost a quarter of a decision.
   */
  private isOpen(rule: CompiledRule, at: number): boolean {
    if (rule.windowMask === -1) return true;
    if (at !== this.windowsTime) {
      this.windowsOpen = this.calendar ? this.calendar.windowsAt(at) : 0;
      this.windowsTime = at;
    }
    return (rule.windowMask & this.windowsOpen) !== 0;
  }

  private lookupHost(target: Target): HostFacts {
    const facts: HostFacts = { catLo: 0, catHi: 0, minimumAge: -1, value: -1, values: null, entryIndex: -1 };
    if (target.host === '') return facts;
    if (target.ip !== 0) {
      const value = this.catalogue.lookupIp(target.host);
      if (value >= 0) this.addValue(facts, value, -1);
    } else {
      hashHostSuffixes(target.host, this.hashes);
      const count = this.catalogue.lookupHost(this.hashes, this.matchValues, this.matchIdx);
      for (let i = 0; i < count; i++) this.addValue(facts, this.matchValues[i]!, this.matchIdx[i]!);
      if (this.siteFactTable.size > 0) {
        const n = this.siteFactTable.lookup(this.hashes, this.matchValues, this.matchIdx);
        for (let i = 0; i < n; i++) {
          const fact = this.siteFacts[this.matchValues[i]!]!;
          facts.catLo |= fact.catLo;
          facts.catHi |= fact.catHi;
          // The policy's own minimum age replaces the catalogue's for that site.
          if (fact.minimumAge >= 0 && i === 0) facts.minimumAge = fact.minimumAge;
          else if (fact.minimumAge > facts.minimumAge) facts.minimumAge = fact.minimumAge;
        }
      }
    }
    return facts;
  }

  private addValue(facts: HostFacts, value: number, hashIndex: number): void {
    if (facts.value < 0) {
      facts.value = value;
      facts.entryIndex = hashIndex;
    } else (facts.values ??= [facts.value]).push(value);
    facts.catLo |= this.valueLo[value]!;
    facts.catHi |= this.valueHi[value]!;
    const age = this.valueMinAge[value]!;
    if (age > facts.minimumAge) facts.minimumAge = age;
  }

  roleOf(person: Person): string | null {
    const role = this.effectiveRole.get(person.role);
    return role ?? null;
  }

  decide(query: DecisionQuery): Decision {
    const target = normaliseTarget(query.url);
    return this.decideTarget(query, target);
  }

  decideTarget(query: DecisionQuery, target: Target): Decision {
    const person = query.person;
    const role = this.effectiveRole.get(person.role);
    if (role === undefined) return this.invalid(target, `unknown role \`${person.role}\``);
    if (target.error !== '') return this.invalid(target, `the address cannot be understood: ${target.error}`);
    if (!Number.isFinite(query.at)) return this.invalid(target, 'the time of the request is not valid');
    const roleBit = 1 << this.roleIndex.get(role)!;
    const facts = this.lookupHost(target);
    const at = query.at;

    // 1. legal and locked rules
    for (const rule of this.lockedRules) {
      if (!this.appliesTo(rule, roleBit, person) || !this.isOpen(rule, at)) continue;
      const siteMatched = rule.sites ? this.hostInSites(target, rule) : false;
      if (this.matchesWhat(rule, target, facts, person, siteMatched)) {
        return this.fromRule(rule, target, facts, rule.source.legal ? 'block.legal' : null, [], null);
      }
    }

    // 2. sanctions
    if (person.supervisedOnly === true && person.supervised !== true) {
      return this.build(target, facts, {
        action: 'block',
        logged: true,
        kind: 'block.sanction',
        rule: 'sanction.supervised-only',
        layer: null,
        clauses: [...this.policy.circumvention.clauses],
        reason: 'Your use of the internet at school is supervised only for now. Ask your teacher to start a supervised session.',
        circumvention: false,
        grant: null,
        supersedes: [],
      });
    }

    // 3. site rules, nearest layer first
    if (this.siteRuleTable.size > 0 && target.ip === 0 && target.host !== '') {
      const n = this.siteRuleTable.lookup(this.hashes, this.matchValues, this.matchIdx);
      // Entries arrive most specific first; the first applicable rule of the most specific site wins.
      for (let i = 0; i < n; i++) {
        for (const rule of this.siteRuleLists[this.matchValues[i]!]!) {
          if (!this.appliesTo(rule, roleBit, person) || !this.isOpen(rule, at)) continue;
          if (!this.matchesWhat(rule, target, facts, person, true)) continue;
          const superseded = this.categoryVerdict(roleBit, person, target, facts, at);
          const supersedes = superseded ? superseded.matched.filter((r) => r.action !== rule.action).map(describeSuperseded) : [];
          return this.fromRule(rule, target, facts, null, supersedes, null);
        }
      }
    }

    // 4. grants
    const grants = query.grants as CompiledGrantSet | undefined;
    if (grants && grants.grants.length > 0) {
      const grant = this.matchGrant(grants, target, facts, person, query.at);
      if (grant) {
        const superseded = this.categoryVerdict(roleBit, person, target, facts, at);
        return this.build(target, facts, {
          action: 'allow',
          logged: true,
          kind: 'allow.grant',
          rule: `grant.${grant.id}`,
          layer: null,
          clauses: grant.clauses ? [...grant.clauses] : [],
          reason: grant.kind === 'curriculum' ? `Allowed for this lesson: ${grant.reason}` : `Allowed by an approved request: ${grant.reason}`,
          circumvention: false,
          grant: grant.id,
          supersedes: superseded ? superseded.matched.filter((r) => r.action !== 'allow').map(describeSuperseded) : [],
        });
      }
    }

    // 5. category and other rules: most restrictive wins
    const verdict = this.categoryVerdict(roleBit, person, target, facts, at);
    if (verdict) {
      const winner = verdict.winner;
      const clauses: string[] = [];
      let circumvention = false;
      for (const rule of verdict.matched) {
        if (rule.action !== winner.action) continue;
        for (const clause of rule.source.clauses) if (!clauses.includes(clause)) clauses.push(clause);
        if (rule.source.circumvention) circumvention = true;
      }
      const supersedes = verdict.matched.filter((r) => r.action !== winner.action).map(describeSuperseded);
      return this.fromRule(winner, target, facts, null, supersedes, clauses, circumvention);
    }

    // 6. default
    const fallback = this.policy.default;
    return this.build(target, facts, {
      action: fallback.action === 'log' ? 'allow' : fallback.action,
      logged: true,
      kind: `${fallback.action}.default` as ReasonKind,
      rule: 'default',
      layer: null,
      clauses: [],
      reason: fallback.reason,
      circumvention: false,
      grant: null,
      supersedes: [],
    });
  }

  private hostInSites(target: Target, rule: CompiledRule): boolean {
    if (target.ip !== 0 || target.host === '') return false;
    for (const site of rule.source.what.sites ?? []) {
      const s = site.toLowerCase();
      if (target.host === s || (target.host.endsWith(s) && target.host.charCodeAt(target.host.length - s.length - 1) === 46)) return true;
    }
    return false;
  }

  private categoryVerdict(
    roleBit: number,
    person: Person,
    target: Target,
    facts: HostFacts,
    at: number,
  ): { winner: CompiledRule; matched: CompiledRule[] } | null {
    let winner: CompiledRule | null = null;
    let matched: CompiledRule[] | null = null;
    for (const rule of this.categoryRules) {
      if (!this.appliesTo(rule, roleBit, person) || !this.isOpen(rule, at)) continue;
      if (!this.matchesWhat(rule, target, facts, person, false)) continue;
      (matched ??= []).push(rule);
      if (winner === null || rule.rank > winner.rank) winner = rule;
    }
    return winner && matched ? { winner, matched } : null;
  }

  private matchGrant(grants: CompiledGrantSet, target: Target, facts: HostFacts, person: Person, at: number): Grant | null {
    const candidates: number[] = [];
    if (target.ip === 0 && target.host !== '' && grants.siteTable.size > 0) {
      const n = grants.siteTable.lookup(this.hashes, this.matchValues, this.matchIdx);
      for (let i = 0; i < n; i++) candidates.push(...grants.siteGrants[this.matchValues[i]!]!);
    }
    grants.grants.forEach((grant, index) => {
      if (grant.what.categories && grant.what.categories.length > 0) {
        for (const name of grant.what.categories) {
          const mask = this.maskOfPolicyCategory(name);
          if (mask && ((mask[0] & facts.catLo) !== 0 || (mask[1] & facts.catHi) !== 0)) {
            candidates.push(index);
            break;
          }
        }
      }
    });
    for (const index of candidates) {
      const grant = grants.grants[index]!;
      if (at < grant.from || at >= grant.until) continue;
      if (grantCovers(grant, person, this.effectiveRole, this.groupAncestors)) return grant;
    }
    return null;
  }

  private fromRule(
    rule: CompiledRule,
    target: Target,
    facts: HostFacts,
    kindOverride: ReasonKind | null,
    supersedes: SupersededRule[],
    clauses: string[] | null,
    circumvention = rule.source.circumvention,
  ): Decision {
    const action = rule.action;
    const kind = kindOverride ?? rule.kind;
    let reason = rule.source.reason;
    if (supersedes.length > 0) {
      const beaten = supersedes.map((s) => `${s.layer} rule \`${s.rule}\` (${s.action})`).join(', ');
      reason += ` This ${rule.source.layerKind} rule takes precedence over the ${beaten}.`;
    }
    return this.build(target, facts, {
      action: action === 'log' ? 'allow' : action,
      logged: true,
      kind,
      rule: rule.source.id,
      layer: rule.source.layerId,
      clauses: clauses ?? [...rule.source.clauses],
      reason,
      circumvention,
      grant: null,
      supersedes,
    });
  }

  private build(
    target: Target,
    facts: HostFacts,
    parts: Pick<Decision, 'action' | 'logged' | 'kind' | 'rule' | 'layer' | 'clauses' | 'reason' | 'circumvention' | 'grant' | 'supersedes'>,
  ): Decision {
    // NOTE: every field written out, in the order a spread gave (JSON output keeps its key order):
    // V8 copied `...parts` through a slow generic path here, several microseconds per decision
    return {
      action: parts.action,
      logged: parts.logged,
      kind: parts.kind,
      rule: parts.rule,
      layer: parts.layer,
      clauses: parts.clauses,
      reason: parts.reason,
      circumvention: parts.circumvention,
      grant: parts.grant,
      supersedes: parts.supersedes,
      categories: this.categoriesOf(facts),
      policyRevision: this.revision,
      host: target.host,
      match: this.matchOf(target, facts),
      notes: target.notes === 0 ? [] : noteNames(target.notes),
    };
  }

  private invalid(target: Target, reason: string): Decision {
    return {
      action: 'block',
      logged: true,
      kind: 'block.invalid',
      rule: 'invalid',
      layer: null,
      clauses: [],
      categories: [],
      reason,
      circumvention: false,
      policyRevision: this.revision,
      host: target.host,
      match: null,
      grant: null,
      supersedes: [],
      notes: target.notes === 0 ? [] : noteNames(target.notes),
    };
  }

  private categoriesOf(facts: HostFacts): string[] {
    const lo = facts.catLo;
    const hi = facts.catHi;
    if (lo === 0 && hi === 0) return [];
    const wide = hi !== 0;
    const key = wide ? `${lo}:${hi}` : '';
    let names = wide ? this.categoryNameCacheWide.get(key) : this.categoryNameCache.get(lo);
    if (!names) {
      names = [];
      for (let i = 0; i < this.categoryNames.length; i++) {
        const word = i < 32 ? lo : hi;
        if ((word >>> (i & 31)) & 1) names.push(this.categoryNames[i]!);
      }
      if (wide) {
        if (this.categoryNameCacheWide.size < 10_000) this.categoryNameCacheWide.set(key, names);
      } else if (this.categoryNameCache.size < 10_000) this.categoryNameCache.set(lo, names);
    }
    return names.slice();
  }

  private matchOf(target: Target, facts: HostFacts): Decision['match'] {
    const value = facts.value;
    if (value < 0) return null;
    const values = facts.values;
    const catalogue = this.catalogue;
    const entry = facts.entryIndex >= 0 ? target.host.slice(this.hashes.starts[facts.entryIndex]) : target.host;
    let sourceCategories: string[];
    let lists: string[];
    if (values === null) {
      // the usual case: one entry matched, whose names are already distinct
      sourceCategories = this.valueSourceNames[value]!.slice();
      lists = this.valueListNames[value]!.slice();
    } else {
      sourceCategories = [];
      lists = [];
      for (const v of values) {
        for (const name of this.valueSourceNames[v]!) if (!sourceCategories.includes(name)) sourceCategories.push(name);
        for (const list of this.valueListNames[v]!) if (!lists.includes(list)) lists.push(list);
      }
    }
    const minimumAge = catalogue.valueMinimumAge(value);
    return minimumAge >= 0 || facts.minimumAge >= 0
      ? { entry, lists, sourceCategories, minimumAge: Math.max(minimumAge, facts.minimumAge) }
      : { entry, lists, sourceCategories };
  }

  /** The safe-search level for a person: the first matching entry of the policy's list. */
  safeSearchFor(person: Person): SafeSearchLevel {
    const role = this.effectiveRole.get(person.role);
    if (role !== undefined) {
      const roleBit = 1 << this.roleIndex.get(role)!;
      for (const entry of this.safeSearchRules) if (this.appliesTo(entry.rule, roleBit, person)) return entry.level;
    }
    return { engines: 'off', youtube: 'off' };
  }

  /** Is this role staff (for warn pages and reports)? */
  isStaff(role: string): boolean {
    const effective = this.effectiveRole.get(role);
    return effective !== undefined && this.policy.roles[role]?.staff === true;
  }
}

function setBit(mask: [number, number], index: number): void {
  if (index < 32) mask[0] |= 1 << index;
  else mask[1] |= 1 << (index - 32);
}

function ruleKind(rule: CompiledRule): ReasonKind {
  const action = rule.action;
  if (action === 'block' && rule.source.circumvention) return 'block.circumvention';
  if (action === 'block' && rule.fileTypes !== null) return 'block.file-type';
  if (action === 'block' && rule.belowMinimumAge) return 'block.minimum-age';
  return `${action}.${rule.kindPrefix === 'legal' ? 'category' : rule.kindPrefix}` as ReasonKind;
}

function describeSuperseded(rule: CompiledRule): SupersededRule {
  return { rule: rule.source.id, layer: rule.source.layerKind, action: rule.action };
}

function grantCovers(grant: Grant, person: Person, effectiveRole: Map<string, string>, ancestors: Map<string, string[]>): boolean {
  const scope = grant.scope;
  if (scope.people && person.id !== undefined && scope.people.includes(person.id)) return true;
  if (scope.roles) {
    const role = effectiveRole.get(person.role) ?? person.role;
    if (scope.roles.includes(person.role) || scope.roles.includes(role)) return true;
  }
  if (scope.groups && person.groups) {
    for (const group of person.groups) {
      for (const g of ancestors.get(group) ?? [group]) if (scope.groups.includes(g)) return true;
    }
  }
  return false;
}
