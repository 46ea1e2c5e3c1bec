// The CSRF check for state-changing requests: the `x-csrf-token` header must equal the token of
// the session the cookie names. A page on another site can make the browser send the cookie but
// cannot read the token, so it cannot send the header.
import { timingSafeEqual } from 'node:crypto';

export const CSRF_HEADER = 'x-csrf-token';

export function csrfMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
