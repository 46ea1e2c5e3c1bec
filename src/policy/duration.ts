// Durations in the policy file are written `90m`, `8h`, `30d`, `2w`, `1y`.
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 } as const;

export function parseDuration(text: string): number {
  const match = /^(\d+)(m|h|d|w|y)$/.exec(text);
  if (!match) throw new RangeError(`\`${text}\` is not a duration like 90m, 8h or 30d`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
