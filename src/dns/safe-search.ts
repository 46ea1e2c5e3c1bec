// Safe-search by DNS: the search engines and YouTube each publish a host that serves only their
// restricted mode; answering their public names with a CNAME to it enforces the mode on every
// browser without TLS inspection. The table is data; add a service here, not in the server.
export type SafeSearchLevel = 'strict' | 'moderate' | 'off';

export interface SafeSearchSettings {
  engines: SafeSearchLevel;
  youtube: SafeSearchLevel;
}

export interface SafeSearchRule {
  service: string;
  /** which of the person's settings governs this service */
  setting: keyof SafeSearchSettings;
  /** exact names (lower case, no trailing dot) */
  names?: readonly string[];
  /** names matched by pattern (country domains) */
  pattern?: RegExp;
  /** target per level; services without a moderate mode use their strict host for both */
  targets: { strict: string; moderate: string };
}

export const safeSearchRules: readonly SafeSearchRule[] = [
  {
    service: 'google',
    setting: 'engines',
    // google.com, google.de, google.co.uk, google.com.au, google.cat … with or without www.
    pattern: /^(?:www\.)?google\.(?:com|cat|[a-z]{2}|co\.[a-z]{2}|com\.[a-z]{2})$/,
    targets: { strict: 'forcesafesearch.google.com', moderate: 'forcesafesearch.google.com' },
  },
  {
    service: 'youtube',
    setting: 'youtube',
    names: ['www.youtube.com', 'm.youtube.com', 'youtubei.googleapis.com', 'youtube.googleapis.com', 'www.youtube-nocookie.com'],
    targets: { strict: 'restrict.youtube.com', moderate: 'restrictmoderate.youtube.com' },
  },
  {
    service: 'bing',
    setting: 'engines',
    names: ['www.bing.com'],
    targets: { strict: 'strict.bing.com', moderate: 'strict.bing.com' },
  },
  {
    service: 'duckduckgo',
    setting: 'engines',
    names: ['duckduckgo.com', 'www.duckduckgo.com'],
    targets: { strict: 'safe.duckduckgo.com', moderate: 'safe.duckduckgo.com' },
  },
];

const byName = new Map<string, SafeSearchRule>();
for (const rule of safeSearchRules) for (const name of rule.names ?? []) byName.set(name, rule);
const patterned = safeSearchRules.filter((rule) => rule.pattern);

/** The restricted host to send `name` to, or null when the name is not a governed service or the level is off. */
export function safeSearchTarget(name: string, settings: SafeSearchSettings): string | null {
  let rule = byName.get(name);
  if (!rule) {
    for (const candidate of patterned) {
      if (candidate.pattern!.test(name)) {
        rule = candidate;
        break;
      }
    }
  }
  if (!rule) return null;
  const level = settings[rule.setting];
  if (level === 'off') return null;
  return rule.targets[level];
}

