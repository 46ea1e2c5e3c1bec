// The spellings the people store accepts for usernames, device names and year groups, normalised
// to one form so `Ada.Lovelace` and `ada.lovelace` are one person and `AA-BB-…` one device.

/** lower-case letters, digits, `.`, `_`, `-`, `@`; starting with a letter or digit */
const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,127}$/;

/** The stored form of a username, or null when it is not acceptable. */
export function normaliseUsername(text: string): string | null {
  const username = text.trim().toLowerCase();
  return USERNAME.test(username) ? username : null;
}

export const USERNAME_RULE = 'must be 1–128 of a-z, 0-9, `.`, `_`, `-`, `@`, starting with a letter or digit';

const MAC = /^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$/i;
const MAC_DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const DEVICE = /^[a-z0-9][a-z0-9._:-]{0,252}$/;

/**
 * The stored form of a device: a MAC address in any common spelling becomes `aa:bb:cc:dd:ee:ff`;
 * a hostname or device id is lower-cased without a trailing dot. Null when not acceptable.
 */
export function normaliseDevice(text: string): string | null {
  const raw = text.trim();
  const dotted = MAC_DOTTED.exec(raw);
  const mac = MAC.exec(dotted ? dotted.slice(1).join('') : raw);
  if (mac) return mac.slice(1).join(':').toLowerCase();
  const name = raw.toLowerCase().replace(/\.$/, '');
  return DEVICE.test(name) ? name : null;
}

export const DEVICE_RULE = 'must be a MAC address (aa:bb:cc:dd:ee:ff) or a hostname or device id of a-z, 0-9, `.`, `_`, `:`, `-`';

/**
 * A year group or other group as written in a roster or a directory, resolved to the policy's
 * group id. Accepted: the id itself in any case (`year-4`), the id with spaces (`Year 4`,
 * `Class 4N`), a bare year number (`4`), `Y4`, and `R` or `Reception` for `reception` — each
 * only when the policy defines that group. Null when nothing matches.
 */
export function resolveGroupName(text: string, groups: readonly string[]): string | null {
  const known = new Set(groups);
  const slug = text.trim().toLowerCase().replace(/[\s_]+/g, '-');
  if (slug === '') return null;
  const candidates = [slug];
  const year = /^(?:y|yr|year-?)?(\d{1,2})$/.exec(slug);
  if (year) candidates.push(`year-${Number(year[1])}`);
  if (slug === 'r' || slug === 'rec') candidates.push('reception');
  for (const candidate of candidates) if (known.has(candidate)) return candidate;
  return null;
}
