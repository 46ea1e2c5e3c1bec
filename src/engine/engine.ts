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
/** a plan with more category rules than this does not memoise its verdicts (masks stay small integers) */
const MASK_RULES = 30;
/** bounds on memo sizes, so that no sequence of queries can grow them without limit */
const MAX_PLANS_PER_ROLE = 256;
const MAX_VERDICTS = 4096;
const MAX_HOST_LABELS = 128;
const TIER_LOCKED = 1;
const TIER_SITE = 3;
const TIER_CATEGORY = 5;

const RESTRICTIVENESS: Record<Action, number> = { block: 3, warn: 2, log: 1, allow: 0 };

// Decisions share their read-only arrays (see the NOTE on `Decision`): deciding allocates the
// Decision, its match and little else.
const NONE: readonly string[] = Object.freeze([]);
const NO_SUPERSEDED: readonly SupersededRule[] = Object.freeze([]);

interface CompiledRule {
  source: ResolvedRule;
  tier: number;
  action: Action;
  /** bit per role index; 0 = every role */
  roleMask: number;
  groups: ReadonlySet<string> | null;
  minAge: number;
  maxAge: number;
  /** `who` also names groups or ages, so the person must be looked at (a plan only settles role and time) */
  personal: boolean;
  /** bit per window index; -1 = always */
  windowMask: number;
  catLo: number;
  catHi: number;
  hasCategories: boolean;
  /** `what` names categories and nothing else (most rules): matching is one mask test */
  onlyCategories: boolean;
  sites: boolean;
  fileTypes: ReadonlySet<string> | null;
  /** fileTypes holds '' (a path without an extension); saves hashing '' per decision */
  emptyFileType: boolean;
  ipLiteral: boolean;
  belowMinimumAge: boolean;
  any: boolean;
  kindPrefix: 'site' | 'category' | 'legal';
  /** RESTRICTIVENESS of the action, read once here instead of by key per decision */
  rank: number;
  /** the reason kind when this rule decides (unless the tier overrides it) */
  kind: ReasonKind;
  /** the rule's clauses, shared by every decision it makes */
  clauses: readonly string[];
  /** the same without repeats (a category decision lists each clause once) */
  distinctClauses: readonly string[];
  /** how a decision names this rule when it beats it */
  superseded: SupersededRule;
}

/**
 * The rules that one role can meet while one set of calendar windows is open, in precedence
 * order: the rules whose roles and `when` admit them, worked out once per (role, open
 * windows) instead of per rule per decision. Rules whose `who` also names groups or ages keep
 * that part of the check at decision time (`personal`).
 */
interface RulePlan {
  locked: CompiledRule[];
  /** the category tier; bit i of a match mask stands for category[i] */
  category: CompiledRule[];
  /** site entry (see siteEntryRules) → its rules admitted here, nearest layer first */
  siteLists: CompiledRule[][];
  /** match mask → the category tier's answer, filled as masks are met (only when category.length <= MASK_RULES) */
  verdicts: Map<number, CategoryVerdict>;
}

/** What the category tier decides for one set of matching rules: everything but the host. */
interface CategoryVerdict {
  rule: CompiledRule;
  clauses: readonly string[];
  circumvention: boolean;
  supersedes: readonly SupersededRule[];
  reason: string;
}

/** What the catalogue and the policy's site facts say about a host; one per engine, refilled per decision. */
interface HostFacts {
  catLo: number;
  catHi: number;
  minimumAge: number;
  /** the most specific catalogue value id matched; -1 when none */
  value: number;
  /** how many value ids matched (most hosts match one entry or none) */
  valueCount: number;
  /** every value id matched, most specific first; valid up to valueCount */
  values: Int32Array;
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
  /** the reason kind of the policy's default, built once rather than per decision */
  private readonly defaultKind: ReasonKind;

  private readonly roleIndex = new Map<string, number>();
  /** role name → the role it is treated as (guest → pupil) */
  private readonly effectiveRole = new Map<string, string>();
  private readonly rules: CompiledRule[];
  private readonly lockedRules: CompiledRule[];
  private readonly categoryRules: CompiledRule[];
  /** role index → the locked and category rules whose roles include it, in precedence order */
  private readonly lockedByRole: CompiledRule[][] = [];
  private readonly categoryByRole: CompiledRule[][] = [];
  /** person.role as given → index of the role it is treated as */
  private readonly roleOfName = new Map<string, number>();
  private lastRoleName: unknown = undefined;
  private lastRoleIndex = -1;
  private otherRoleName: unknown = undefined;
  private otherRoleIndex = -1;
  /** the rules naming each site, nearest layer first */
  private readonly siteRuleLists: CompiledRule[][];
  /**
   * The policy's sites, those with facts and those that rules name, in one table: one pass over
   * a host's suffixes finds both. Entry → its fact (or null) and its rule list (or -1).
   */
  private readonly siteTable: SuffixTable;
  private readonly siteEntryFacts: Array<{ catLo: number; catHi: number; minimumAge: number } | null>;
  private readonly siteEntryRules: Int32Array;
  /** role index → open windows → plan (see RulePlan) */
  private readonly plans: Array<Map<number, RulePlan>> = [];
  /** the last plan asked for per role, as most queries in a row share the time */
  private readonly lastPlanWindows: number[] = [];
  private readonly lastPlan: Array<RulePlan | null> = [];
  /** catalogue value → its policy category names, for hosts whose categories come from that value alone */
  private readonly valueCategories: Array<readonly string[] | undefined>;
  private readonly valueLo: Int32Array;
  private readonly valueHi: Int32Array;
  private readonly valueMinAge: Int16Array;
  private readonly categoryIndex = new Map<string, number>();
  /** category bits → names (frozen, shared); keyed by the low word when the high word is empty (the usual case) */
  private readonly categoryNameCache = new Map<number, readonly string[]>();
  private readonly categoryNameCacheWide = new Map<string, readonly string[]>();
  /** notes bit set → names (frozen, shared) */
  private readonly noteNameCache = new Map<number, readonly string[]>();
  /** value id → its source category names and its lists (frozen, shared by every decision) */
  private readonly valueSourceNames: Array<readonly string[]>;
  private readonly valueListNames: Array<readonly string[]>;
  private readonly groupAncestors = new Map<string, string[]>();
  private readonly safeSearchRules: Array<{ rule: CompiledRule; level: SafeSearchLevel }>;

  // Scratch buffers reused by every decision (the engine is single-threaded per process).
  private readonly hashes = new HostHashes();
  private readonly matchValues = new Int32Array(MAX_MATCHES);
  private readonly matchIdx = new Int32Array(MAX_MATCHES);
  /** the site entries the last lookupHost matched, most specific first */
  private readonly siteMatches = new Int32Array(MAX_HOST_LABELS);
  private readonly siteMatchIdx = new Int32Array(MAX_HOST_LABELS);
  private siteMatchCount = 0;
  private readonly facts: HostFacts = { catLo: 0, catHi: 0, minimumAge: -1, value: -1, valueCount: 0, values: new Int32Array(MAX_MATCHES), entryIndex: -1 };
  /** the category rules that matched in the last categoryVerdict, in rule order */
  private readonly matched: CompiledRule[] = [];
  private matchedCount = 0;
  /** bit i set when the last categoryVerdict matched plan.category[i] (valid when the plan has at most MASK_RULES) */
  private matchedMask = 0;
  /** the time of the last calendar question and its answer (see windowsAt) */
  private windowsTime = Number.NaN;
  private windowsOpen = 0;

  constructor(options: EngineOptions) {
    const { policy, catalogue } = options;
    this.policy = policy;
    this.catalogue = catalogue;
    this.revision = `${policy.revision}.${catalogue.revision.slice(0, 8)}`;
    this.calendar = policy.calendar ? compileCalendar(policy.calendar) : null;
    this.defaultKind = `${policy.default.action}.default` as ReasonKind;

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
      this.valueSourceNames.push(Object.freeze(catalogue.valueSourceCategories(v).map((i) => sourceNames[i]!)));
      this.valueListNames.push(Object.freeze([...catalogue.valueLists(v)]));
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

    this.valueCategories = new Array(values);
    // The policy's own site facts (minimum ages, extra categories) refine the catalogue.
    const factByHost = new Map<string, { catLo: number; catHi: number; minimumAge: number }>();
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
      // the last fact for a name wins
      factByHost.set(site.toLowerCase(), { catLo: lo, catHi: hi, minimumAge: fact.minimumAge ?? -1 });
    }

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
    // NOTE: the same admission test as appliesTo, so the lists only save the rules' visits
    for (const [name, role] of this.effectiveRole) {
      const index = this.roleIndex.get(role);
      // an unknown target role reads as index 0, as `1 << undefined` did
      this.roleOfName.set(name, index ?? 0);
    }
    this.roleIndex.forEach((index) => {
      const roleBit = 1 << index;
      const admits = (r: CompiledRule) => r.roleMask === 0 || (r.roleMask & roleBit) !== 0;
      this.lockedByRole[index] = this.lockedRules.filter(admits);
      this.categoryByRole[index] = this.categoryRules.filter(admits);
    });
    const siteHosts = [...new Set([...factByHost.keys(), ...siteLists.keys()])];
    const ruleListOf = new Map([...siteLists.keys()].map((host, i) => [host, i]));
    this.siteEntryFacts = siteHosts.map((host) => factByHost.get(host) ?? null);
    this.siteEntryRules = Int32Array.from(siteHosts, (host) => ruleListOf.get(host) ?? -1);
    this.siteTable = SuffixTable.build(siteHosts.map((host, i) => [host, i, false] as const));

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
      personal: rule.who.groups !== undefined || (rule.who.minAge ?? -1) >= 0 || (rule.who.maxAge ?? 1000) < 1000,
      windowMask,
      catLo: cat[0],
      catHi: cat[1],
      hasCategories: rule.what.categories !== undefined,
      onlyCategories: false,
      sites: rule.what.sites !== undefined,
      fileTypes: rule.what.fileTypes ? new Set(rule.what.fileTypes) : null,
      emptyFileType: rule.what.fileTypes?.includes('') === true,
      ipLiteral: rule.what.ipLiteral === true,
      belowMinimumAge: rule.what.belowMinimumAge === true,
      any: rule.what.any === true,
      kindPrefix: rule.legal ? 'legal' : rule.what.sites ? 'site' : 'category',
      rank: RESTRICTIVENESS[rule.action],
      kind: 'allow.default',
      clauses: Object.freeze([...rule.clauses]),
      distinctClauses: Object.freeze([...new Set(rule.clauses)]),
      superseded: Object.freeze({ rule: rule.id, layer: rule.layerKind, action: rule.action }),
    };
    compiled.kind = ruleKind(compiled);
    compiled.onlyCategories = compiled.hasCategories && !compiled.sites && compiled.fileTypes === null && !compiled.ipLiteral && !compiled.belowMinimumAge;
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
    if (rule.onlyCategories) return (rule.catLo & facts.catLo) !== 0 || (rule.catHi & facts.catHi) !== 0;
    if (rule.sites && !siteMatched) return false;
    if (rule.hasCategories && (rule.catLo & facts.catLo) === 0 && (rule.catHi & facts.catHi) === 0) return false;
    if (rule.fileTypes !== null && (target.fileType === '' ? !rule.emptyFileType : !rule.fileTypes.has(target.fileType))) return false;
    if (rule.ipLiteral && target.ip === 0) return false;
    if (rule.belowMinimumAge) {
      // Unknown age counts as below: fail closed for the people the rule names.
      if (facts.minimumAge <= 0) return false;
      if (person.age !== undefined && person.age >= facts.minimumAge) return false;
    }
    return true;
  }

  /**
   * The calendar windows open at `at`; the answer for the last time asked is kept, since queries
   * in a row mostly share their time.
   * NOTE: a method and two fields rather than a closure per decision: under tsx every closure
   * created in a hot path also gets its name set with defineProperty, which cost a quarter of a decision.
   */
  private windowsAt(at: number): number {
    if (at !== this.windowsTime) {
      this.windowsOpen = this.calendar ? this.calendar.windowsAt(at) : 0;
      this.windowsTime = at;
    }
    return this.windowsOpen;
  }

  /** The rules a role can meet while `windows` are open (see RulePlan); built on first use. */
  private planFor(roleIndex: number, windows: number): RulePlan {
    if (this.lastPlanWindows[roleIndex] === windows) {
      const last = this.lastPlan[roleIndex];
      if (last) return last;
    }
    let byWindows = this.plans[roleIndex];
    if (byWindows === undefined) {
      byWindows = new Map();
      this.plans[roleIndex] = byWindows;
    }
    let plan = byWindows.get(windows);
    if (plan === undefined) {
      // a rule is open when it has no `when` or one of its windows is open; lockedByRole and
      // categoryByRole already hold only the rules whose roles admit this one
      const open = (r: CompiledRule) => r.windowMask === -1 || (r.windowMask & windows) !== 0;
      const roleBit = 1 << roleIndex;
      const admits = (r: CompiledRule) => (r.roleMask === 0 || (r.roleMask & roleBit) !== 0) && open(r);
      plan = {
        locked: this.lockedByRole[roleIndex]!.filter(open),
        category: this.categoryByRole[roleIndex]!.filter(open),
        siteLists: Array.from(this.siteEntryRules, (list) => (list < 0 ? [] : this.siteRuleLists[list]!.filter(admits))),
        verdicts: new Map(),
      };
      // a calendar has few distinct sets of open windows; the bound only guards against the unforeseen
      if (byWindows.size < MAX_PLANS_PER_ROLE) byWindows.set(windows, plan);
    }
    this.lastPlanWindows[roleIndex] = windows;
    this.lastPlan[roleIndex] = plan;
    return plan;
  }

  /** hashed: `this.hashes` already holds the host's suffix hashes (normaliseTarget filled them) */
  private lookupHost(target: Target, hashed: boolean): HostFacts {
    const facts = this.facts;
    facts.catLo = 0;
    facts.catHi = 0;
    facts.minimumAge = -1;
    facts.value = -1;
    facts.valueCount = 0;
    facts.entryIndex = -1;
    this.siteMatchCount = 0;
    if (target.host === '') return facts;
    if (target.ip !== 0) {
      const value = this.catalogue.lookupIp(target.host);
      if (value >= 0) this.addValue(facts, value, -1);
    } else {
      if (!hashed) hashHostSuffixes(target.host, this.hashes);
      // normaliseTarget started this lookup (prepare); decideTarget's targets start it here
      const count = this.catalogue.table.lookupPrepared(this.hashes, this.matchValues, this.matchIdx);
      for (let i = 0; i < count; i++) this.addValue(facts, this.matchValues[i]!, this.matchIdx[i]!);
      // the policy names few sites, and the table's filter rules most hosts out without a lookup
      if (this.siteTable.size > 0 && this.siteTable.mayHold(this.hashes)) {
        const n = this.siteTable.lookup(this.hashes, this.siteMatches, this.siteMatchIdx);
        this.siteMatchCount = n;
        // NOTE: at most MAX_MATCHES facts count, as when facts had a table of their own
        let seen = 0;
        for (let i = 0; i < n && seen < MAX_MATCHES; i++) {
          const fact = this.siteEntryFacts[this.siteMatches[i]!];
          if (fact === null || fact === undefined) continue;
          facts.catLo |= fact.catLo;
          facts.catHi |= fact.catHi;
          // The policy's own minimum age replaces the catalogue's for that site.
          if (fact.minimumAge >= 0 && seen === 0) facts.minimumAge = fact.minimumAge;
          else if (fact.minimumAge > facts.minimumAge) facts.minimumAge = fact.minimumAge;
          seen++;
        }
      }
    }
    return facts;
  }

  private addValue(facts: HostFacts, value: number, hashIndex: number): void {
    if (facts.valueCount === 0) {
      facts.value = value;
      facts.entryIndex = hashIndex;
    }
    facts.values[facts.valueCount++] = value;
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
    const target = normaliseTarget(query.url, this.hashes, this.catalogue.table);
    return this.decideWith(query, target, true);
  }

  decideTarget(query: DecisionQuery, target: Target): Decision {
    return this.decideWith(query, target, false);
  }

  private decideWith(query: DecisionQuery, target: Target, hashed: boolean): Decision {
    const person = query.person;
    const roleIndex = this.roleIndexOf(person.role);
    if (roleIndex < 0) return this.invalid(target, `unknown role \`${person.role}\``);
    if (target.error !== '') return this.invalid(target, `the address cannot be understood: ${target.error}`);
    if (!Number.isFinite(query.at)) return this.invalid(target, 'the time of the request is not valid');
    const roleBit = 1 << roleIndex;
    const facts = this.lookupHost(target, hashed);
    const plan = this.planFor(roleIndex, this.windowsAt(query.at));

    // 1. legal and locked rules
    const locked = plan.locked;
    for (let i = 0; i < locked.length; i++) {
      const rule = locked[i]!;
      if (rule.personal && !this.appliesTo(rule, roleBit, person)) continue;
      const siteMatched = rule.sites ? this.hostInSites(target, rule) : false;
      if (this.matchesWhat(rule, target, facts, person, siteMatched)) {
        return this.fromRule(rule, target, facts, rule.source.legal ? 'block.legal' : null, NO_SUPERSEDED, null);
      }
    }

    // 2. sanctions
    if (person.supervisedOnly === true && person.supervised !== true) {
      return this.build(
        target,
        facts,
        'block',
        'block.sanction',
        'sanction.supervised-only',
        null,
        Object.freeze([...this.policy.circumvention.clauses]),
        'Your use of the internet at school is supervised only for now. Ask your teacher to start a supervised session.',
        false,
        null,
        NO_SUPERSEDED,
      );
    }

    // 3. site rules, nearest layer first (lookupHost found the policy's sites the host is under)
    const siteCount = this.siteMatchCount;
    if (siteCount > 0) {
      // Entries arrive most specific first; the first applicable rule of the most specific site wins.
      // NOTE: at most MAX_MATCHES sites with rules count, as when they had a table of their own
      let seen = 0;
      for (let i = 0; i < siteCount && seen < MAX_MATCHES; i++) {
        const entry = this.siteMatches[i]!;
        if (this.siteEntryRules[entry]! < 0) continue;
        seen++;
        const rules = plan.siteLists[entry]!;
        for (let j = 0; j < rules.length; j++) {
          const rule = rules[j]!;
          if (rule.personal && !this.appliesTo(rule, roleBit, person)) continue;
          if (!this.matchesWhat(rule, target, facts, person, true)) continue;
          const supersedes = this.categoryVerdict(plan, roleBit, person, target, facts) ? this.supersededBy(rule.action) : NO_SUPERSEDED;
          return this.fromRule(rule, target, facts, null, supersedes, null);
        }
      }
    }

    // 4. grants
    const grants = query.grants as CompiledGrantSet | undefined;
    if (grants && grants.grants.length > 0) {
      const grant = this.matchGrant(grants, target, facts, person, query.at);
      if (grant) {
        const supersedes = this.categoryVerdict(plan, roleBit, person, target, facts) ? this.supersededBy('allow') : NO_SUPERSEDED;
        return this.build(
          target,
          facts,
          'allow',
          'allow.grant',
          `grant.${grant.id}`,
          null,
          grant.clauses ? Object.freeze([...grant.clauses]) : NONE,
          grant.kind === 'curriculum' ? `Allowed for this lesson: ${grant.reason}` : `Allowed by an approved request: ${grant.reason}`,
          false,
          grant.id,
          supersedes,
        );
      }
    }

    // 5. category and other rules: most restrictive wins
    const winner = this.categoryVerdict(plan, roleBit, person, target, facts);
    if (winner !== null) {
      let verdict: CategoryVerdict | undefined;
      if (plan.category.length <= MASK_RULES) {
        // the same rules matching give the same answer: worked out once per plan and mask
        verdict = plan.verdicts.get(this.matchedMask);
        if (verdict === undefined) {
          verdict = this.categoryAnswer(winner);
          if (plan.verdicts.size < MAX_VERDICTS) plan.verdicts.set(this.matchedMask, verdict);
        }
      } else verdict = this.categoryAnswer(winner);
      const rule = verdict.rule;
      const action = rule.action;
      return this.build(
        target,
        facts,
        action === 'log' ? 'allow' : action,
        rule.kind,
        rule.source.id,
        rule.source.layerId,
        verdict.clauses,
        verdict.reason,
        verdict.circumvention,
        null,
        verdict.supersedes,
      );
    }

    // 6. default
    const fallback = this.policy.default;
    return this.build(
      target,
      facts,
      fallback.action === 'log' ? 'allow' : fallback.action,
      this.defaultKind,
      'default',
      null,
      NONE,
      fallback.reason,
      false,
      null,
      NO_SUPERSEDED,
    );
  }

  /** The category tier's answer from the rules of the last categoryVerdict, whose winner is `winner`. */
  private categoryAnswer(winner: CompiledRule): CategoryVerdict {
    const matched = this.matched;
    const count = this.matchedCount;
    let clauses = winner.distinctClauses;
    let circumvention = false;
    let sameAction = 0;
    for (let i = 0; i < count; i++) {
      const rule = matched[i]!;
      if (rule.action !== winner.action) continue;
      sameAction++;
      if (rule.source.circumvention) circumvention = true;
    }
    if (sameAction > 1) {
      // several rules agree: their clauses together, in rule order
      const merged: string[] = [];
      for (let i = 0; i < count; i++) {
        const rule = matched[i]!;
        if (rule.action !== winner.action) continue;
        for (const clause of rule.clauses) if (!merged.includes(clause)) merged.push(clause);
      }
      clauses = Object.freeze(merged);
    }
    const supersedes = sameAction === count ? NO_SUPERSEDED : Object.freeze(this.supersededBy(winner.action));
    return { rule: winner, clauses, circumvention, supersedes, reason: this.reasonOf(winner, supersedes) };
  }

  /** person.role → role index, -1 when unknown; the last two names asked are kept (most traffic alternates few roles) */
  private roleIndexOf(name: string): number {
    if (name === this.lastRoleName) return this.lastRoleIndex;
    if (name === this.otherRoleName) return this.otherRoleIndex;
    const index = this.roleOfName.get(name);
    if (index === undefined) return -1;
    this.otherRoleName = this.lastRoleName;
    this.otherRoleIndex = this.lastRoleIndex;
    this.lastRoleName = name;
    this.lastRoleIndex = index;
    return index;
  }

  /** the rules of the last categoryVerdict whose action differs from `action`, as a decision names them */
  private supersededBy(action: Action): readonly SupersededRule[] {
    let out: SupersededRule[] | null = null;
    for (let i = 0; i < this.matchedCount; i++) {
      const rule = this.matched[i]!;
      if (rule.action !== action) (out ??= []).push(rule.superseded);
    }
    return out ?? NO_SUPERSEDED;
  }

  private hostInSites(target: Target, rule: CompiledRule): boolean {
    if (target.ip !== 0 || target.host === '') return false;
    for (const site of rule.source.what.sites ?? []) {
      const s = site.toLowerCase();
      if (target.host === s || (target.host.endsWith(s) && target.host.charCodeAt(target.host.length - s.length - 1) === 46)) return true;
    }
    return false;
  }

  /**
   * Every category rule of the plan that covers the person and the target goes into `matched`
   * (in rule order, `matchedCount` of them, and as bits of `matchedMask`); returns the most
   * restrictive one (the first of equals), or null when none matched.
   */
  private categoryVerdict(plan: RulePlan, roleBit: number, person: Person, target: Target, facts: HostFacts): CompiledRule | null {
    let winner: CompiledRule | null = null;
    let count = 0;
    let mask = 0;
    const rules = plan.category;
    const matched = this.matched;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (rule.personal && !this.appliesTo(rule, roleBit, person)) continue;
      if (!this.matchesWhat(rule, target, facts, person, false)) continue;
      matched[count++] = rule;
      mask |= 1 << i;
      if (winner === null || rule.rank > winner.rank) winner = rule;
    }
    this.matchedCount = count;
    this.matchedMask = mask;
    return winner;
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
    supersedes: readonly SupersededRule[],
    clauses: readonly string[] | null,
    circumvention = rule.source.circumvention,
  ): Decision {
    const action = rule.action;
    const kind = kindOverride ?? rule.kind;
    return this.build(
      target,
      facts,
      action === 'log' ? 'allow' : action,
      kind,
      rule.source.id,
      rule.source.layerId,
      clauses ?? rule.clauses,
      this.reasonOf(rule, supersedes),
      circumvention,
      null,
      supersedes,
    );
  }

  /** the rule's sentence, naming the rules it beat */
  private reasonOf(rule: CompiledRule, supersedes: readonly SupersededRule[]): string {
    let reason = rule.source.reason;
    if (supersedes.length > 0) {
      const beaten = supersedes.map((s) => `${s.layer} rule \`${s.rule}\` (${s.action})`).join(', ');
      reason += ` This ${rule.source.layerKind} rule takes precedence over the ${beaten}.`;
    }
    return reason;
  }

  // NOTE: positional parameters rather than a `parts` object, and every field written out in the
  // order a spread once gave (JSON output keeps its key order): V8 copied `...parts` through a slow
  // generic path, several microseconds per decision
  private build(
    target: Target,
    facts: HostFacts,
    action: Decision['action'],
    kind: ReasonKind,
    rule: string,
    layer: string | null,
    clauses: readonly string[],
    reason: string,
    circumvention: boolean,
    grant: string | null,
    supersedes: readonly SupersededRule[],
  ): Decision {
    return {
      action,
      logged: true,
      kind,
      rule,
      layer,
      clauses,
      reason,
      circumvention,
      grant,
      supersedes,
      categories: this.categoriesOf(facts),
      policyRevision: this.revision,
      host: target.host,
      match: this.matchOf(target, facts),
      notes: this.notesOf(target.notes),
    };
  }

  private invalid(target: Target, reason: string): Decision {
    return {
      action: 'block',
      logged: true,
      kind: 'block.invalid',
      rule: 'invalid',
      layer: null,
      clauses: NONE,
      categories: NONE,
      reason,
      circumvention: false,
      policyRevision: this.revision,
      host: target.host,
      match: null,
      grant: null,
      supersedes: NO_SUPERSEDED,
      notes: this.notesOf(target.notes),
    };
  }

  private notesOf(notes: number): readonly string[] {
    if (notes === 0) return NONE;
    let names = this.noteNameCache.get(notes);
    if (names === undefined) {
      names = Object.freeze(noteNames(notes));
      this.noteNameCache.set(notes, names);
    }
    return names;
  }

  private categoriesOf(facts: HostFacts): readonly string[] {
    const lo = facts.catLo;
    const hi = facts.catHi;
    if (lo === 0 && hi === 0) return NONE;
    const value = facts.value;
    if (value >= 0 && lo === this.valueLo[value] && hi === this.valueHi[value]) {
      // the usual case: the categories are those of the one catalogue value matched
      let names = this.valueCategories[value];
      if (names === undefined) {
        names = this.namesOfCategories(lo, hi);
        this.valueCategories[value] = names;
      }
      return names;
    }
    const wide = hi !== 0;
    const key = wide ? `${lo}:${hi}` : '';
    let names = wide ? this.categoryNameCacheWide.get(key) : this.categoryNameCache.get(lo);
    if (!names) {
      names = this.namesOfCategories(lo, hi);
      if (wide) {
        if (this.categoryNameCacheWide.size < 10_000) this.categoryNameCacheWide.set(key, names);
      } else if (this.categoryNameCache.size < 10_000) this.categoryNameCache.set(lo, names);
    }
    return names;
  }

  private namesOfCategories(lo: number, hi: number): readonly string[] {
    const list: string[] = [];
    for (let i = 0; i < this.categoryNames.length; i++) {
      const word = i < 32 ? lo : hi;
      if ((word >>> (i & 31)) & 1) list.push(this.categoryNames[i]!);
    }
    return Object.freeze(list);
  }

  private matchOf(target: Target, facts: HostFacts): Decision['match'] {
    const value = facts.value;
    if (value < 0) return null;
    const entry = facts.entryIndex > 0 ? target.host.slice(this.hashes.starts[facts.entryIndex]) : target.host;
    let sourceCategories: readonly string[];
    let lists: readonly string[];
    if (facts.valueCount === 1) {
      // the usual case: one entry matched, whose names are already distinct
      sourceCategories = this.valueSourceNames[value]!;
      lists = this.valueListNames[value]!;
    } else {
      const names: string[] = [];
      const from: string[] = [];
      for (let i = 0; i < facts.valueCount; i++) {
        const v = facts.values[i]!;
        for (const name of this.valueSourceNames[v]!) if (!names.includes(name)) names.push(name);
        for (const list of this.valueListNames[v]!) if (!from.includes(list)) from.push(list);
      }
      sourceCategories = names;
      lists = from;
    }
    const minimumAge = this.valueMinAge[value]!;
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
