// How each clause of the written policy is carried out: by which rules, workflows and records.
// `hedgerow policy coverage` prints this, so nothing in the written policy is silently dropped.
import type { ResolvedPolicy } from './resolve.ts';

export interface ClauseCoverage {
  clause: string;
  title: string;
  layer: string;
  handling: string[];
  rules: string[];
  by: string[];
  note?: string;
  /** an ENF clause with no rule citing it, or a clause with nothing carrying it */
  gap: string | null;
}

/** Clause keys in reading order: numbered clauses numerically (1.2 < 1.10 < 2.1), then the rest. */
function compareClauses(a: string, b: string): number {
  const na = a.split('.').map(Number);
  const nb = b.split('.').map(Number);
  const aNumeric = na.every((n) => Number.isFinite(n));
  const bNumeric = nb.every((n) => Number.isFinite(n));
  if (aNumeric && bNumeric) {
    for (let i = 0; i < Math.max(na.length, nb.length); i++) {
      const d = (na[i] ?? -1) - (nb[i] ?? -1);
      if (d !== 0) return d;
    }
    return 0;
  }
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return 0;
}

export function policyCoverage(policy: ResolvedPolicy): ClauseCoverage[] {
  const rulesByClause = new Map<string, string[]>();
  for (const rule of policy.rules) {
    for (const clause of rule.clauses) rulesByClause.set(clause, [...(rulesByClause.get(clause) ?? []), rule.id]);
  }
  for (const clause of policy.circumvention.clauses) {
    rulesByClause.set(clause, [...(rulesByClause.get(clause) ?? []), 'circumvention settings']);
  }
  const layerOrder = new Map(policy.layers.map((l, i) => [l.id, i]));
  const entries = Object.entries(policy.clauses).sort(
    ([a, ia], [b, ib]) => (layerOrder.get(ib.layer) ?? 0) - (layerOrder.get(ia.layer) ?? 0) || compareClauses(a, b),
  );
  return entries.map(([clause, info]) => {
    const rules = rulesByClause.get(clause) ?? [];
    let gap: string | null = null;
    if (info.handling.includes('ENF') && rules.length === 0 && info.by.length === 0) gap = 'marked ENF but no rule cites it';
    else if (rules.length === 0 && info.by.length === 0) gap = 'nothing carries it';
    return {
      clause,
      title: info.title,
      layer: info.layer,
      handling: [...info.handling],
      rules,
      by: [...info.by],
      ...(info.note !== undefined ? { note: info.note } : {}),
      gap,
    };
  });
}

export function formatCoverage(rows: ClauseCoverage[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    const how: string[] = [];
    if (row.rules.length > 0) how.push(`rules: ${row.rules.join(', ')}`);
    if (row.by.length > 0) how.push(row.by.join('; '));
    if (row.note) how.push(`(${row.note})`);
    lines.push(`${row.clause.padEnd(34)} ${row.handling.join('+').padEnd(10)} ${row.title}`);
    lines.push(`${''.padEnd(34)} ${''.padEnd(10)} → ${how.join(' · ') || 'NOT HANDLED'}${row.gap ? `  [gap: ${row.gap}]` : ''}`);
  }
  const gaps = rows.filter((r) => r.gap).length;
  lines.push('', `${rows.length} clauses; ${rows.length - gaps} handled${gaps > 0 ? `; ${gaps} with gaps` : ''}`);
  return lines.join('\n');
}
