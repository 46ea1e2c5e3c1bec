// Reading what the client asked for: an absolute-form URL (`GET http://host/path`) or a CONNECT
// authority (`host:443`). The WHATWG URL parser decides the host, so that the engine is asked
// about exactly the host the proxy then connects to.
import { isIP } from 'node:net';
import { unbracket } from './cidr.ts';

export interface HttpTarget {
  /** the URL as the engine and the log see it (WHATWG-serialised) */
  href: string;
  scheme: string;
  /** lower case, no trailing dot, IPv6 without brackets */
  host: string;
  port: number;
  /** the `Host` header value for the origin */
  authority: string;
  /** origin-form request target: path and query, as the client sent them */
  path: string;
  ipLiteral: boolean;
}

export interface ConnectTarget {
  host: string;
  port: number;
  ipLiteral: boolean;
}

export function normaliseHost(host: string): string {
  let h = unbracket(host).toLowerCase();
  while (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** cheap pre-check before `isIP` (whose IPv6 pattern is costly on every request) */
function looksLikeIp(host: string): boolean {
  const c = host.charCodeAt(host.length - 1);
  return host.includes(':') || (c >= 48 && c <= 57);
}

/** null when the URL is not absolute or cannot be read */
export function parseHttpTarget(raw: string): HttpTarget | null {
  const schemeEnd = raw.indexOf('://');
  if (schemeEnd <= 0 || schemeEnd > 10) return null;
  const authorityStart = schemeEnd + 3;
  let authorityEnd = raw.length;
  for (let i = authorityStart; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    // '/', '?', '#'
    if (c === 47 || c === 63 || c === 35) {
      authorityEnd = i;
      break;
    }
    // a backslash or whitespace in the authority is read differently by different parsers
    if (c === 92 || c <= 32) return null;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  const scheme = url.protocol.slice(0, -1);
  if (url.hostname === '') return null;
  const host = normaliseHost(url.hostname);
  const port = url.port === '' ? (scheme === 'https' || scheme === 'wss' ? 443 : 80) : Number(url.port);
  let path = raw.slice(authorityEnd);
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (path === '' || path[0] === '?') path = `/${path}`;
  return { href: url.href, scheme, host, port, authority: url.host, path, ipLiteral: looksLikeIp(host) && isIP(host) !== 0 };
}

/** `host:port` (port required, RFC 9110 §9.3.6); IPv6 in brackets */
export function parseConnectTarget(raw: string): ConnectTarget | null {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(raw) ?? /^([^\s:/\\@[\]?#]+):(\d{1,5})$/.exec(raw);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  let host: string;
  if (raw.startsWith('[')) {
    if (isIP(m[1]!) !== 6) return null;
    host = m[1]!.toLowerCase();
  } else {
    // the same reading the URL parser gives (IDN to punycode, numeric IPv4 forms to dotted)
    try {
      host = normaliseHost(new URL(`http://${m[1]!}`).hostname);
    } catch {
      return null;
    }
    if (host === '') return null;
  }
  return { host, port, ipLiteral: isIP(host) !== 0 };
}
