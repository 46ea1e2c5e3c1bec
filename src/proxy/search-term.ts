// The search term of a search engine or video site URL, for the decision log (searches are
// evidence in safeguarding reviews). Only the engines' own search paths count, so a redirect
// parameter (`google.com/url?q=https://…`) is not mistaken for a search.

interface SearchSite {
  /** matches the host (lower case, no trailing dot) */
  host: RegExp;
  /** matches the path */
  path: RegExp;
  param: string;
}

const sites: readonly SearchSite[] = [
  // google.com, google.co.uk, www.google.de, …
  { host: /(^|\.)google\.[a-z]{2,3}(\.[a-z]{2})?$/, path: /^\/(search|webhp)?$/, param: 'q' },
  { host: /(^|\.)bing\.com$/, path: /^\/((images|videos|news|shop)\/)?search$/, param: 'q' },
  { host: /(^|\.)duckduckgo\.com$/, path: /^\/(html\/?|lite\/?)?$/, param: 'q' },
  { host: /(^|\.)youtube\.com$/, path: /^\/results$/, param: 'search_query' },
  { host: /(^|\.)search\.yahoo\.com$/, path: /^\/search(;.*)?$/, param: 'p' },
];

const maxTermLength = 500;

/** The search term, trimmed, or null when the URL is not a search (or cannot be read). */
export function extractSearchTerm(url: string): string | null {
  const q = url.indexOf('?');
  if (q < 0) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  for (const site of sites) {
    if (!site.host.test(host) || !site.path.test(parsed.pathname)) continue;
    const term = parsed.searchParams.get(site.param);
    if (term === null) return null;
    const trimmed = term.trim();
    return trimmed === '' ? null : trimmed.slice(0, maxTermLength);
  }
  return null;
}
