// Inbound phishing heuristics. Each finding is a signal; their weights add up against the
// policy's quarantine threshold, so one weak hint does not stop mail by itself unless the policy
// weighs it so.
// - display name: mail from outside whose display name is a person on the roster, or an
//   internal address (`"head@school.example" <x@elsewhere.example>`);
// - look-alike domain: a sender or link domain that imitates an internal domain: the same
//   letters after look-alike characters are folded (0→o, 1→l, rn→m, Cyrillic а→a …), one edit
//   away (for names of five letters or more), or the internal domain written inside another
//   (`school.example.evil.example`, `school-example.evil.example`);
// - punycode: a sender or link domain in punycode (`xn--`) or with non-ASCII characters;
// - misleading link: an HTML link whose text is a web address on another site than its target.
import { domainToUnicode } from 'node:url';
import { getDomain, getDomainWithoutSuffix, parse as parseHost } from 'tldts';
import type { Email } from 'postal-mime';
import { htmlLinks } from './html-text.ts';
import { domainOf, matchDomain } from './domains.ts';
import type { NameMatcher } from './name-matcher.ts';
import { initials } from './redact.ts';

export interface PhishingHit {
  signal: 'phish.display-name' | 'phish.lookalike-domain' | 'phish.punycode-domain' | 'phish.link-mismatch';
  where: 'header' | 'body' | 'envelope';
  key: string;
  match: string;
}

// Characters from other scripts, and ASCII digits, that read as Latin letters.
const CONFUSABLE: Readonly<Record<string, string>> = {
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', х: 'x', у: 'y', і: 'i', ј: 'j', ԁ: 'd', ѕ: 's', һ: 'h', ӏ: 'l', ԛ: 'q', ԝ: 'w', ց: 'g',
  α: 'a', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x',
  '0': 'o', '1': 'l', '3': 'e', '5': 's',
};

/** A domain folded to what it looks like: confusables mapped, accents and hyphens removed. */
function skeleton(domain: string): string {
  let s = '';
  for (const ch of domain.normalize('NFD')) {
    if (/\p{M}/u.test(ch)) continue;
    s += CONFUSABLE[ch] ?? ch;
  }
  return s.replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/i/g, 'l').replace(/-/g, '');
}

/** Damerau–Levenshtein distance, stopping early above `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let best = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}

export class PhishingChecks {
  private readonly internal: ReadonlyArray<{ domain: string; skeleton: string; compact: string; label: string }>;

  constructor(
    private readonly internalDomains: readonly string[],
    private readonly names: NameMatcher,
  ) {
    this.internal = internalDomains.map((domain) => ({
      domain,
      skeleton: skeleton(domain),
      compact: domain.replace(/[.-]/g, ''),
      label: getDomainWithoutSuffix(domain) ?? domain,
    }));
  }

  /** The internal domain `host` imitates, or null. */
  lookalikeOf(host: string): string | null {
    const h = host.toLowerCase().replace(/\.$/, '');
    if (matchDomain(h, this.internalDomains)) return null;
    const unicode = h.includes('xn--') ? domainToUnicode(h) || h : h;
    const registrable = getDomain(unicode) ?? unicode;
    const shape = skeleton(registrable);
    for (const entry of this.internal) {
      if (shape === entry.skeleton) return entry.domain;
      if (entry.label.length >= 5 && editDistance(registrable, entry.domain, 1) <= 1) return entry.domain;
      if (entry.compact.length >= 8 && h.replace(/[.-]/g, '').includes(entry.compact)) return entry.domain;
    }
    return null;
  }

  check(email: Email, envelopeFrom: string): PhishingHit[] {
    const hits: PhishingHit[] = [];
    const from = email.from && 'address' in email.from && email.from.address ? email.from : null;
    const fromDomain = from ? domainOf(from.address!) : domainOf(envelopeFrom);
    const external = fromDomain !== '' && !matchDomain(fromDomain, this.internalDomains);

    if (from && external && from.name) {
      const person = this.names.find(from.name)[0];
      const internalAddress = /[^\s<>"@]+@([a-z0-9.-]+)/i.exec(from.name);
      if (person) {
        hits.push({ signal: 'phish.display-name', where: 'header', key: `name:${person.name}`, match: `${initials(person.name)} from \`${fromDomain}\`` });
      } else if (internalAddress && matchDomain(internalAddress[1]!.toLowerCase(), this.internalDomains)) {
        hits.push({ signal: 'phish.display-name', where: 'header', key: `address:${from.name}`, match: `\`${internalAddress[0]}\` from \`${fromDomain}\`` });
      }
    }

    // The domains a reader sees or a click reaches.
    const hosts = new Map<string, 'header' | 'body' | 'envelope'>();
    if (fromDomain) hosts.set(fromDomain, 'header');
    for (const reply of email.replyTo ?? []) if ('address' in reply && reply.address) hosts.set(domainOf(reply.address), 'header');
    const envelopeDomain = domainOf(envelopeFrom);
    if (envelopeDomain && !hosts.has(envelopeDomain)) hosts.set(envelopeDomain, 'envelope');
    const links = email.html ? htmlLinks(email.html) : [];
    for (const link of links) {
      const host = hostOf(link.href);
      if (host && !hosts.has(host)) hosts.set(host, 'body');
    }
    for (const [host, where] of hosts) {
      if (!host) continue;
      const imitated = this.lookalikeOf(host);
      if (imitated) hits.push({ signal: 'phish.lookalike-domain', where, key: host, match: `\`${host}\` imitates \`${imitated}\`` });
      if (/(^|\.)xn--/.test(host) || /[^\x00-\x7f]/.test(host)) {
        const shown = host.includes('xn--') ? `\`${host}\` (${domainToUnicode(host) || host})` : `\`${host}\``;
        hits.push({ signal: 'phish.punycode-domain', where, key: host, match: shown });
      }
    }

    for (const link of links) {
      const target = hostOf(link.href);
      const shown = shownHost(link.text);
      if (!target || !shown) continue;
      const a = getDomain(target) ?? target;
      const b = getDomain(shown) ?? shown;
      if (a !== b) hits.push({ signal: 'phish.link-mismatch', where: 'body', key: `${b}>${a}`, match: `link text \`${shown}\` opens \`${target}\`` });
    }
    return hits;
  }
}

const RESERVED_TLD = /\.(?:example|test|invalid|localhost)$/;

/** The host of an http(s) URL, lower case; null for other schemes or nonsense. */
function hostOf(href: string): string | null {
  const m = /^\s*https?:\/\/(?:[^/?#@]*@)?(\[[^\]]+\]|[^/?#:\s]+)/i.exec(href);
  return m ? m[1]!.toLowerCase().replace(/\.$/, '') : null;
}

/** The host a link's text names, when the text is a web address; null otherwise. */
function shownHost(text: string): string | null {
  if (text.length > 300) return null;
  const m = /^(?:https?:\/\/)?((?:[a-z0-9\u00a1-\uffff-]+\.)+[a-z\u00a1-\uffff]{2,63})(?::\d+)?(?:[/?#]\S*)?$/i.exec(text.trim());
  if (!m) return null;
  const host = m[1]!.toLowerCase();
  // `report.pdf` or `v1.2` are not hosts: the name must end in a real public suffix (or in a
  // top-level name reserved for examples and tests, RFC 2606)
  const parsed = parseHost(host);
  return parsed.isIcann || parsed.isPrivate || RESERVED_TLD.test(host) ? host : null;
}
