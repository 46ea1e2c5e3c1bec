// Mail addresses and domains as the rules compare them: lower case, no trailing dot, a listed
// domain covering its subdomains (`schools.example.org` is inside `example.org`).

/** The domain of an address (`Jane@Example.ORG.` → `example.org`), or '' when there is none. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return '';
  return address
    .slice(at + 1)
    .trim()
    .replace(/^\[|\]$|>$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

export function normaliseAddress(address: string): string {
  return address.trim().replace(/^<|>$/g, '').toLowerCase();
}

/** The listed domain that `domain` is, or is under; null when none. */
export function matchDomain(domain: string, list: readonly string[]): string | null {
  for (const entry of list) {
    if (domain === entry || domain.endsWith(`.${entry}`)) return entry;
  }
  return null;
}
