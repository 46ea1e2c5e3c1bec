// Hash routing (`#/activity?person=…`): the HTTP service serves one index.html at `/dashboard/`,
// and a page's filters live in the address so it can be bookmarked and shared.
import { useEffect, useState } from 'react';

export interface Route {
  /** `overview`, `activity`, … ('' for none) */
  page: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const at = text.indexOf('?');
  const page = (at === -1 ? text : text.slice(0, at)).replace(/\/+$/, '');
  return { page, params: new URLSearchParams(at === -1 ? '' : text.slice(at + 1)) };
}

export function hrefFor(page: string, params: Record<string, string | number | null | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return `#/${page}${text ? `?${text}` : ''}`;
}

export function navigate(page: string, params: Record<string, string | number | null | undefined> = {}, options: { replace?: boolean } = {}): void {
  const href = hrefFor(page, params);
  // Setting location.hash would announce the change a task later, so a control whose state comes
  // from the route (a radio button) would flick back first; change history and announce at once.
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
