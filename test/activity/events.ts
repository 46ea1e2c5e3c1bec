// Decision events for the activity tests: fictional people, reserved names, a seeded generator so
// every run (and both stores) get the same events. Expected figures are computed from the events
// here, never written down by hand.
import type { DecisionEvent } from '../../src/engine/index.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** a Monday, midnight UTC */
export const T0 = Date.parse('2026-11-23T00:00:00Z');

/** mulberry32: small, seeded, good enough for test data */
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

const PEOPLE: Array<{ person: string | null; role: string; groups: string[] }> = [
  { person: 'ada.pupil', role: 'pupil', groups: ['year-7', '7a'] },
  { person: 'ben.pupil', role: 'pupil', groups: ['year-7', '7b'] },
  { person: 'cara.pupil', role: 'pupil', groups: ['year-8', '8a'] },
  { person: 'dev.pupil', role: 'pupil', groups: ['year-8', '8a', 'chess-club'] },
  { person: '=danger.pupil', role: 'pupil', groups: ['year-8'] },
  { person: 'eve.teacher', role: 'teacher', groups: ['staff', '7a'] },
  { person: 'finn.staff', role: 'staff', groups: ['staff'] },
  { person: null, role: 'guest', groups: [] },
];

const HOSTS: Array<{ host: string; categories: string[]; action: DecisionEvent['action'] }> = [
  { host: 'example.org', categories: [], action: 'allow' },
  { host: 'www.example.org', categories: [], action: 'allow' },
  { host: 'cdn.www.example.org', categories: ['cdn'], action: 'allow' },
  { host: 'badexample.org', categories: [], action: 'allow' },
  { host: 'a_b.example', categories: [], action: 'allow' },
  { host: 'axb.example', categories: [], action: 'allow' },
  { host: 'www.axb.example', categories: [], action: 'allow' },
  { host: 'blocked.example', categories: ['social-networking'], action: 'block' },
  { host: 'games.blocked.example', categories: ['games', 'social-networking'], action: 'block' },
  { host: 'proxy.example', categories: ['proxies'], action: 'block' },
  { host: 'unlisted.example', categories: [], action: 'block' },
  { host: 'video.example', categories: ['video'], action: 'warn' },
  { host: 'news.example', categories: ['news'], action: 'allow' },
];

/** search terms a spreadsheet would run as formulas, or that need quoting in CSV */
export const AWKWARD_TERMS = ['=HYPERLINK("http://blocked.example")', '+1', '-2+3', '@SUM(A1)', 'a,b', 'say "hi"', 'two\r\nlines', 'plain'];

/**
 * `count` events over `days` days from T0 (times on 10-second steps, so some share a time and
 * the id breaks the tie), in time order as the log would store them.
 */
export function generateEvents(count: number, days = 3, seed = 7): DecisionEvent[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const events: DecisionEvent[] = [];
  for (let n = 0; n < count; n++) {
    const who = pick(PEOPLE);
    const site = pick(HOSTS);
    const circumvention = site.host === 'proxy.example' && next() < 0.5;
    const at = T0 + Math.floor(next() * ((days * DAY) / 10_000)) * 10_000;
    const term = next() < 0.1 ? pick(AWKWARD_TERMS) : null;
    events.push({
      v: 1,
      id: `ev-${Math.floor(next() * 0xffffffff).toString(16).padStart(8, '0')}-${String(n).padStart(6, '0')}`,
      at,
      point: next() < 0.7 ? 'proxy' : 'dns',
      person: who.person,
      role: who.role,
      groups: [...who.groups],
      device: null,
      clientIp: '192.0.2.10',
      host: site.host,
      url: next() < 0.3 ? `https://${site.host}/page?q=${n}` : null,
      categories: [...site.categories],
      action: site.action,
      rule: site.action === 'allow' ? (site.categories.includes('news') ? 'news-log' : 'default') : `rule-${site.host.split('.')[0]}`,
      clauses: site.action === 'block' ? ['8.1'] : [],
      circumvention,
      policyRevision: 'rev-1',
      warnReason: site.action === 'warn' ? 'video, think first' : null,
      searchTerm: term,
    });
  }
  return events.sort((a, b) => a.at - b.at);
}

/** newest first, then id descending: the order every store returns */
export function newestFirst(events: readonly DecisionEvent[]): DecisionEvent[] {
  return [...events].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** Parses RFC 4180 CSV (CRLF records, quoted fields with doubled quotes). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) throw new Error('CSV does not end with CRLF');
  return records;
}
