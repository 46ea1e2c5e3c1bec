// Titles for the policy's ids (categories, groups, roles, windows), read once from `/api/policy`
// when the account may read it; pages fall back to the ids themselves otherwise.
import { useEffect, useState } from 'react';
import { api } from './api-client.ts';
import type { PolicyView } from './api-types.ts';
import { humanise, namedList, type Named } from './format.ts';

export interface PolicyNames {
  categories: Named[];
  groups: Named[];
  roles: Named[];
  windows: Named[];
  purposes: Named[];
  title(kind: 'categories' | 'groups' | 'roles' | 'windows', id: string): string;
}

let cached: Promise<PolicyView | null> | null = null;

/** Forget the cached policy (after an edit). */
export function invalidatePolicyNames(): void {
  cached = null;
}

export function loadPolicy(): Promise<PolicyView | null> {
  cached ??= api.get<PolicyView>('/api/policy').catch(() => {
    cached = null;
    return null;
  });
  return cached;
}

export function namesOf(policy: PolicyView | null): PolicyNames {
  const lists = {
    categories: namedList(policy?.categories),
    groups: namedList(policy?.groups),
    roles: namedList(policy?.roles),
    windows: namedList(policy?.windows),
  };
  const maps = {
    categories: new Map(lists.categories.map((n) => [n.id, n.title])),
    groups: new Map(lists.groups.map((n) => [n.id, n.title])),
    roles: new Map(lists.roles.map((n) => [n.id, n.title])),
    windows: new Map(lists.windows.map((n) => [n.id, n.title])),
  };
  return {
    ...lists,
    purposes: namedList(policy?.monitoringPurposes),
    title: (kind, id) => maps[kind].get(id) ?? humanise(id),
  };
}

export function usePolicyNames(enabled: boolean): PolicyNames {
  const [policy, setPolicy] = useState<PolicyView | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    void loadPolicy().then((value) => {
      if (live) setPolicy(value);
    });
    return () => {
      live = false;
    };
  }, [enabled]);
  return namesOf(policy);
}
