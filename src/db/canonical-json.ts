// JSON with object keys sorted at every level and no spaces, so the same value always hashes the
// same however it was built.
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  // one round-trip applies toJSON (dates) and drops undefined members as JSON itself would
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value)) as unknown));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}
