// Checking what an override asks for before it is stored: who it covers, what it allows and
// for how long. Every problem is collected with its field, so the caller can name them all.
import { normaliseHost, normaliseTarget } from '../engine/index.ts';
import { normaliseUsername } from '../identity/index.ts';

export type OverrideKind = 'curriculum' | 'unblock';

export interface OverrideScope {
  groups?: string[];
  roles?: string[];
  people?: string[];
}

export interface OverrideWhat {
  sites?: string[];
  categories?: string[];
}

export interface OverrideInput {
  /** default `curriculum` (a teacher's grant); `unblock` for an approved request */
  kind?: OverrideKind;
  scope: OverrideScope;
  what: OverrideWhat;
  /** epoch ms; default now */
  from?: number;
  /** epoch ms, exclusive; give this or `minutes` */
  until?: number;
  minutes?: number;
  reason: string;
}

export interface InputProblem {
  field: string;
  message: string;
}

/** A grant longer than this is a policy change, not an override. */
export const MAX_OVERRIDE_MS = 366 * 24 * 60 * 60 * 1000;
const MAX_ENTRIES = 200;
const NAME = /^[a-z0-9][a-z0-9._-]*$/;

export interface CheckedOverride {
  kind: OverrideKind;
  scope: OverrideScope;
  what: OverrideWhat;
  from: number;
  until: number;
  reason: string;
}

/** The host a site entry means (`https://www.example.org/x` → `www.example.org`), or null. */
export function siteHost(text: string): string | null {
  const trimmed = text.trim();
  const target = trimmed.includes('/') ? normaliseTarget(trimmed) : normaliseHost(trimmed);
  if (target.error !== '' || target.host === '' || target.ip !== 0) return null;
  return target.host;
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Normalises the input and lists every problem; `value` is null when there is any. */
export function checkOverrideInput(input: OverrideInput, now: number): { value: CheckedOverride | null; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const scope: OverrideScope = {};
  const what: OverrideWhat = {};

  const names = (list: readonly string[] | undefined, field: string, normalise: (s: string) => string | null, rule: string): string[] | undefined => {
    if (list === undefined || list.length === 0) return undefined;
    if (list.length > MAX_ENTRIES) {
      problems.push({ field, message: `at most ${MAX_ENTRIES} entries` });
      return undefined;
    }
    const out: string[] = [];
    list.forEach((raw, i) => {
      const value = normalise(raw);
      if (value === null) problems.push({ field: `${field}[${i}]`, message: `\`${raw}\` ${rule}` });
      else out.push(value);
    });
    return distinct(out);
  };
  const policyName = (s: string) => (NAME.test(s.trim()) ? s.trim() : null);

  const groups = names(input.scope.groups, 'scope.groups', policyName, 'is not a group name');
  const roles = names(input.scope.roles, 'scope.roles', policyName, 'is not a role name');
  const people = names(input.scope.people, 'scope.people', (s) => normaliseUsername(s), 'is not a username');
  if (groups) scope.groups = groups;
  if (roles) scope.roles = roles;
  if (people) scope.people = people;
  if (!groups && !roles && !people && !problems.some((p) => p.field.startsWith('scope'))) {
    problems.push({ field: 'scope', message: 'name at least one group, role or person the override is for' });
  }

  const sites = names(input.what.sites, 'what.sites', siteHost, 'is not a host name (write `example.org`; its subdomains are included)');
  const categories = names(input.what.categories, 'what.categories', policyName, 'is not a category name');
  if (sites) what.sites = sites;
  if (categories) what.categories = categories;
  if (!sites && !categories && !problems.some((p) => p.field.startsWith('what'))) {
    problems.push({ field: 'what', message: 'name at least one site or category to allow' });
  }

  const reason = input.reason.trim();
  if (reason === '') problems.push({ field: 'reason', message: 'say why the override is needed' });
  else if (reason.length > 1000) problems.push({ field: 'reason', message: 'at most 1000 characters' });

  const from = input.from ?? now;
  let until = Number.NaN;
  if (!Number.isSafeInteger(from) || from < 0) problems.push({ field: 'from', message: 'must be a time in epoch milliseconds' });
  if (input.until !== undefined && input.minutes !== undefined) {
    problems.push({ field: 'until', message: 'give `until` or `minutes`, not both' });
  } else if (input.until !== undefined) {
    until = input.until;
    if (!Number.isSafeInteger(until)) problems.push({ field: 'until', message: 'must be a time in epoch milliseconds' });
  } else if (input.minutes !== undefined) {
    if (!Number.isInteger(input.minutes) || input.minutes < 1) problems.push({ field: 'minutes', message: 'must be a whole number of minutes, at least 1' });
    else until = from + input.minutes * 60_000;
  } else {
    problems.push({ field: 'until', message: 'an override needs an end: give `until` or `minutes`' });
  }
  if (Number.isFinite(until) && Number.isFinite(from)) {
    if (until <= from) problems.push({ field: 'until', message: 'must be after the start' });
    else if (until <= now) problems.push({ field: 'until', message: 'is already past' });
    else if (until - from > MAX_OVERRIDE_MS) problems.push({ field: 'until', message: 'an override lasts at most 366 days; change the policy for longer' });
  }

  if (problems.length > 0) return { value: null, problems };
  return { value: { kind: input.kind ?? 'curriculum', scope, what, from, until, reason }, problems };
}
