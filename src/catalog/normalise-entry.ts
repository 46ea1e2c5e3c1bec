// Normalisation of list entries at import time (not the hot path). Lists are messy: IDN, trailing
// dots, wildcards, IP literals, ports and plain junk all turn up.
import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';

export type EntryResult = { kind: 'domain'; value: string } | { kind: 'ip'; value: string } | { kind: 'error'; message: string };

// lenient on purpose: real lists hold underscores and edge hyphens, and resolvers answer for them
const LABELS = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})+$/;

/** Dotted IPv4 without leading zeros, or compressed lower-case IPv6; null when not an IP literal. */
export function normaliseIp(text: string): string | null {
  if (isIPv4(text)) return text;
  let inner = text;
  if (inner.startsWith('[') && inner.endsWith(']')) inner = inner.slice(1, -1);
  // a zone (`fe80::1%lo0`, as in the hosts files of macOS) says which interface, not which address;
  // the URL parser refuses it, so it is dropped
  const zone = inner.indexOf('%');
  if (zone > 0 && isIPv6(inner)) inner = inner.slice(0, zone);
  if (isIPv6(inner)) {
    try {
      return new URL(`http://[${inner}]/`).hostname.slice(1, -1);
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * One list entry (already stripped of list syntax) → a normalised hostname, an IP, or a reason it is
 * rejected. Lower-cases, strips a trailing dot, a leading `*.` or `.`, converts IDN to punycode.
 */
export function normaliseEntry(raw: string): EntryResult {
  let text = raw.trim();
  if (text === '') return { kind: 'error', message: 'empty entry' };
  if (text.includes('/')) return { kind: 'error', message: `\`${text}\` is a URL or range, not a host` };
  const ip = normaliseIp(text);
  if (ip !== null) return { kind: 'ip', value: ip };
  text = text.toLowerCase();
  if (text.startsWith('*.')) text = text.slice(2);
  else if (text.startsWith('.')) text = text.slice(1);
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (text.includes('*')) return { kind: 'error', message: `\`${raw.trim()}\`: wildcards are only understood as a leading \`*.\`` };
  if (/[^\x20-\x7e]/.test(text)) {
    const ascii = domainToASCII(text);
    if (ascii === '') return { kind: 'error', message: `\`${raw.trim()}\` is not a valid international domain name` };
    text = ascii;
  }
  if (text.length > 253) return { kind: 'error', message: `\`${raw.trim()}\` is longer than 253 characters` };
  if (!LABELS.test(text)) {
    if (!text.includes('.') && /^[a-z0-9_-]+$/.test(text)) return { kind: 'error', message: `\`${raw.trim()}\` is a single-label name` };
    return { kind: 'error', message: `\`${raw.trim()}\` is not a valid hostname` };
  }
  const last = text.slice(text.lastIndexOf('.') + 1);
  if (/^[0-9]+$/.test(last)) return { kind: 'error', message: `\`${raw.trim()}\` looks like a malformed IP address` };
  if (text.startsWith('xn--') || text.includes('.xn--')) {
    // punycode labels must decode, or the name can never be asked for
    if (domainToASCII(text) === '') return { kind: 'error', message: `\`${raw.trim()}\` has an invalid punycode label` };
  }
  return { kind: 'domain', value: text };
}

/**
 * True when the name is itself a public suffix in the ICANN section of the Public Suffix List
 * (`ac.uk`, `gov.au`, `gouv.fr`): a rule on it matches exactly, never every site below it.
 * Private-section suffixes (`blogspot.com`, dynamic-DNS zones) keep subdomain matching because
 * lists name them precisely to cover everything below.
 */
export function isPublicSuffix(domain: string): boolean {
  return getDomain(domain, { allowPrivateDomains: false, validateHostname: false, extractHostname: false }) === null;
}
