// Safe search enforced on the way to the search engines: a query parameter for Google, Bing and
// DuckDuckGo, a request header for YouTube. Whatever the client sent to turn it off is removed
// first. Works on plain http:// and on inspected https:// requests (a tunnel cannot be changed).
import type { SafeSearchLevel } from '../engine/index.ts';

export type SearchEngine = 'google' | 'bing' | 'duckduckgo' | 'youtube';

const googleHost = /^(?:www\.|images\.)?google\.(?:com?\.)?[a-z]{2,3}$/;
const bingHost = /^(?:www\.|cn\.)?bing\.com$/;
const duckHost = /^(?:www\.|html\.|lite\.|links\.)?duckduckgo\.com$/;
const youtubeHosts = new Set([
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'youtubei.googleapis.com',
  'youtube.googleapis.com',
  'www.youtube-nocookie.com',
]);

/** Which search engine a (normalised) host belongs to, if any. */
export function searchEngineOf(host: string): SearchEngine | null {
  if (youtubeHosts.has(host)) return 'youtube';
  if (googleHost.test(host)) return 'google';
  if (bingHost.test(host)) return 'bing';
  if (duckHost.test(host)) return 'duckduckgo';
  return null;
}

export interface SafeSearchRewrite {
  /** the origin-form path to send upstream */
  path: string;
  /** `YouTube-Restrict` value to send (any client value is dropped), or null to leave headers alone */
  youtubeRestrict: 'Strict' | 'Moderate' | null;
  /** true when the request was changed */
  changed: boolean;
}

const googlePaths = new Set(['/search', '/images', '/imghp', '/webhp', '/complete/search']);
const bingPaths = new Set(['/search', '/images/search', '/videos/search', '/news/search', '/as/suggestions']);

function paramName(pair: string): string {
  const eq = pair.indexOf('=');
  const raw = eq < 0 ? pair : pair.slice(0, eq);
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

function paramValue(pair: string): string {
  const eq = pair.indexOf('=');
  if (eq < 0) return '';
  try {
    return decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return pair.slice(eq + 1).toLowerCase();
  }
}

/**
 * The path with every `name` parameter removed (whatever its spelling or value, so `safe=off`
 * and `SAFE=images` go too) and `name=value` appended; other parameters keep their bytes.
 * `drop` limits removal to parameters with the values it accepts (value null: append nothing).
 */
function setParam(path: string, name: string, value: string | null, drop: (value: string) => boolean = () => true): string {
  const q = path.indexOf('?');
  const pathname = q < 0 ? path : path.slice(0, q);
  const pairs = q < 0 ? [] : path.slice(q + 1).split('&');
  const kept = pairs.filter((pair) => pair !== '' && !(paramName(pair) === name && drop(paramValue(pair))));
  if (value !== null) kept.push(`${name}=${value}`);
  return kept.length === 0 ? pathname : `${pathname}?${kept.join('&')}`;
}

function hasQuery(path: string): boolean {
  const q = path.indexOf('?');
  return q >= 0 && path.slice(q + 1).split('&').some((pair) => paramName(pair) === 'q');
}

/** What to send upstream for a request to `host` with this path, at the person's level. */
export function applySafeSearch(host: string, path: string, level: SafeSearchLevel): SafeSearchRewrite {
  const unchanged: SafeSearchRewrite = { path, youtubeRestrict: null, changed: false };
  const engine = searchEngineOf(host);
  if (engine === null) return unchanged;
  if (engine === 'youtube') {
    if (level.youtube === 'off') return unchanged;
    return { path, youtubeRestrict: level.youtube === 'strict' ? 'Strict' : 'Moderate', changed: true };
  }
  if (level.engines === 'off') return unchanged;
  const strict = level.engines === 'strict';
  const q = path.indexOf('?');
  const pathname = (q < 0 ? path : path.slice(0, q)).toLowerCase();
  let next = path;
  switch (engine) {
    case 'google':
      if (!googlePaths.has(pathname) && !hasQuery(path)) return unchanged;
      // Google has one filter setting (`active`); moderate leaves its default (explicit images
      // blurred) and only removes an attempt to turn that off
      next = strict ? setParam(path, 'safe', 'active') : setParam(path, 'safe', null, (v) => v === 'off' || v === 'images');
      break;
    case 'bing':
      if (!bingPaths.has(pathname) && !hasQuery(path)) return unchanged;
      next = setParam(path, 'adlt', strict ? 'strict' : 'moderate');
      break;
    case 'duckduckgo':
      if (!hasQuery(path) && pathname !== '/' && pathname !== '/html' && pathname !== '/lite') return unchanged;
      // kp: 1 strict, -1 moderate, -2 off
      next = setParam(path, 'kp', strict ? '1' : '-1');
      break;
  }
  return { path: next, youtubeRestrict: null, changed: next !== path };
}
