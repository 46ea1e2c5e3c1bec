// A month of realistic decision events for the activity benchmark, generated in time order and in
// batches (10 million events do not fit in memory as objects). Seeded: every run makes the same
// events. Bump GENERATOR_VERSION whenever the output changes, so cached databases are rebuilt.
//
// The school: about 1,000 people (pupils in years 7–11 in six forms each, some in clubs; teachers
// who tutor forms; support staff) plus unidentified guests. Traffic follows the school day on
// weekdays with a little in the evening and at weekends; each person's share is skewed (a few
// are heavy users); hosts are drawn from a Zipf distribution, so a few sites take most requests.
// A tenth of decisions are blocks, 2% warnings, some are allowed-and-logged, and about 0.2% are
// circumvention attempts (proxies).
import type { DecisionEvent } from '../src/engine/index.ts';

export const GENERATOR_VERSION = 1;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** the month ends at midnight UTC on a Monday (Europe/London is on UTC in November) */
export const MONTH_END = Date.parse('2026-11-30T00:00:00Z');
export const MONTH_START = MONTH_END - 30 * DAY;

export interface Person {
  person: string | null;
  role: string;
  groups: string[];
  clientIp: string;
  weight: number;
}

export interface Site {
  host: string;
  categories: string[];
}

/** mulberry32 */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks index i with probability weights[i] / total, by binary search over the running sums. */
class Weighted<T> {
  private readonly sums: Float64Array;
  constructor(readonly items: readonly T[], weights: readonly number[]) {
    this.sums = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => (this.sums[i] = sum += w));
  }
  pick(r: number): T {
    const target = r * this.sums[this.sums.length - 1]!;
    let lo = 0;
    let hi = this.sums.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sums[mid]! <= target) lo = mid + 1;
      else hi = mid;
    }
    return this.items[lo]!;
  }
}

const ALLOWED_CATEGORIES = ['search-engines', 'education', 'reference', 'news', 'video', 'cdn', 'shopping', 'sport', 'music', 'government', ''];
const BLOCKED_CATEGORIES = ['social-networking', 'games', 'adult', 'gambling', 'chat', 'malware', 'dating', ''];
const WORDS = ['maths', 'learn', 'news', 'tube', 'cloud', 'play', 'shop', 'pixel', 'story', 'sport', 'chat', 'map', 'quiz', 'code', 'book', 'star', 'snap', 'music'];
const SUBDOMAINS = ['', '', '', 'www.', 'www.', 'cdn.', 'm.', 'api.', 'static.'];
const CLUBS = ['chess-club', 'drama-club', 'coding-club', 'choir'];

export interface World {
  people: Person[];
  pupils: string[];
  staff: string[];
}

export class EventGenerator {
  readonly world: World;
  private readonly next: () => number;
  private readonly people: Weighted<Person>;
  private readonly allowed: Weighted<Site>;
  private readonly blocked: Weighted<Site>;
  private readonly proxies: Site[];
  private readonly hourWeights: number[];
  private readonly perHour: number[];

  constructor(readonly total: number, seed = 2026) {
    this.next = random(seed);
    const r = this.next;
    const people: Person[] = [];
    let n = 0;
    const ip = () => `10.${20 + Math.floor(n / 250)}.${n % 250}.${10 + (n % 200)}`;
    // heavy-tailed activity: exp(normal × 0.9)
    const weight = () => Math.exp((r() + r() + r() - 1.5) * 1.8);
    for (let year = 7; year <= 11; year++) {
      for (const form of 'abcdef') {
        for (let k = 0; k < 29; k++, n++) {
          const groups = [`year-${year}`, `${year}${form}`];
          if (r() < 0.15) groups.push(CLUBS[Math.floor(r() * CLUBS.length)]!);
          people.push({ person: `pupil${String(n).padStart(4, '0')}`, role: 'pupil', groups, clientIp: ip(), weight: weight() });
        }
      }
    }
    for (let k = 0; k < 75; k++, n++) {
      const forms = [`${7 + (k % 5)}${'abcdef'[k % 6]}`];
      people.push({ person: `teacher${String(k).padStart(3, '0')}`, role: 'teacher', groups: ['staff', 'teachers', ...forms], clientIp: ip(), weight: weight() });
    }
    for (let k = 0; k < 55; k++, n++) {
      people.push({ person: `staff${String(k).padStart(3, '0')}`, role: 'staff', groups: ['staff'], clientIp: ip(), weight: weight() });
    }
    // guests: one unidentified client stands for the visitor network
    people.push({ person: null, role: 'guest', groups: [], clientIp: '10.99.0.1', weight: 20 });
    this.people = new Weighted(people, people.map((p) => p.weight));
    this.world = {
      people,
      pupils: people.filter((p) => p.role === 'pupil').map((p) => p.person!),
      staff: people.filter((p) => p.role !== 'pupil' && p.person !== null).map((p) => p.person!),
    };

    const sites = (count: number, categories: readonly string[], tld: string): Site[] =>
      Array.from({ length: count }, (_, i) => {
        const word = WORDS[Math.floor(r() * WORDS.length)]!;
        const category = categories[Math.floor(r() * categories.length)]!;
        const sub = SUBDOMAINS[Math.floor(r() * SUBDOMAINS.length)]!;
        return { host: `${sub}${word}${i}.${tld}`, categories: category === '' ? [] : [category] };
      });
    const zipf = (count: number) => Array.from({ length: count }, (_, i) => 1 / Math.pow(i + 1, 1.1));
    const allowedSites = sites(20_000, ALLOWED_CATEGORIES, 'example');
    const blockedSites = sites(3_000, BLOCKED_CATEGORIES, 'example.net');
    this.allowed = new Weighted(allowedSites, zipf(allowedSites.length));
    this.blocked = new Weighted(blockedSites, zipf(blockedSites.length));
    this.proxies = Array.from({ length: 40 }, (_, i) => ({ host: `unblock${i}.example.com`, categories: ['proxies'] }));

    // school day on weekdays; evenings and weekends light
    this.hourWeights = [];
    for (let h = 0; h < 30 * 24; h++) {
      const at = MONTH_START + h * HOUR;
      const day = new Date(at).getUTCDay();
      const hour = new Date(at).getUTCHours();
      const weekday = day >= 1 && day <= 5;
      let w = hour >= 8 && hour < 16 ? 10 : hour >= 16 && hour < 22 ? 1.5 : 0.15;
      if (hour === 12) w = 14; // lunchtime
      if (!weekday) w *= 0.08;
      this.hourWeights.push(w);
    }
    const sum = this.hourWeights.reduce((a, b) => a + b, 0);
    // events per hour by largest remainder, so they add up to exactly `total`
    const exact = this.hourWeights.map((w) => (w / sum) * total);
    this.perHour = exact.map(Math.floor);
    let left = total - this.perHour.reduce((a, b) => a + b, 0);
    const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
    for (let k = 0; left > 0; k++, left--) this.perHour[order[k % order.length]![1]]!++;
  }

  private uuid(): string {
    const hex = (x: number) => Math.floor(x * 0x100000000).toString(16).padStart(8, '0');
    const a = hex(this.next());
    const b = hex(this.next());
    const c = hex(this.next());
    const d = hex(this.next());
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((parseInt(c[0]!, 16) & 3) | 8).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }

  private event(at: number): DecisionEvent {
    const r = this.next;
    const who = this.people.pick(r());
    const roll = r();
    let site: Site;
    let action: DecisionEvent['action'] = 'allow';
    let rule = 'default';
    let clauses: string[] = [];
    let circumvention = false;
    let warnReason: string | null = null;
    if (roll < 0.002) {
      site = this.proxies[Math.floor(r() * this.proxies.length)]!;
      action = 'block';
      rule = 'circumvention';
      clauses = ['8.4'];
      circumvention = true;
    } else if (roll < 0.1) {
      site = this.blocked.pick(r());
      action = 'block';
      rule = site.categories.length > 0 ? `block-${site.categories[0]}` : 'school-blocklist';
      clauses = ['8.1'];
    } else if (roll < 0.12) {
      site = this.allowed.pick(r());
      action = 'warn';
      rule = 'video-warn';
      clauses = ['8.3'];
      warnReason = 'video sites: think before you watch';
    } else {
      site = this.allowed.pick(r());
      if (who.role !== 'pupil' && roll < 0.15) rule = 'staff-social-log';
      else if (site.categories.length > 0 && r() < 0.5) rule = `allow-${site.categories[0]}`;
    }
    const url = r() < 0.25 ? `https://${site.host}/${Math.floor(r() * 1e6).toString(36)}` : null;
    const searchTerm = url !== null && site.categories[0] === 'search-engines' && r() < 0.5 ? `homework ${Math.floor(r() * 500)}` : null;
    return {
      v: 1,
      id: this.uuid(),
      at,
      point: r() < 0.75 ? 'proxy' : 'dns',
      person: who.person,
      role: who.role,
      groups: who.groups,
      device: null,
      clientIp: who.clientIp,
      host: site.host,
      url,
      categories: site.categories,
      action,
      rule,
      clauses,
      circumvention,
      policyRevision: 'rev-2026-11',
      warnReason,
      searchTerm,
    };
  }

  /** The events in time order, `batch` at a time. */
  *batches(batch: number): Generator<DecisionEvent[]> {
    let out: DecisionEvent[] = [];
    for (let h = 0; h < this.perHour.length; h++) {
      const count = this.perHour[h]!;
      const times = new Float64Array(count);
      for (let k = 0; k < count; k++) times[k] = MONTH_START + h * HOUR + Math.floor(this.next() * HOUR);
      times.sort();
      for (let k = 0; k < count; k++) {
        out.push(this.event(times[k]!));
        if (out.length === batch) {
          yield out;
          out = [];
        }
      }
    }
    if (out.length > 0) yield out;
  }
}
