// Host and URL normalisation: the first thing the engine does with every query, and security code
// (ARCHITECTURE rule 5). A raw URL, a CONNECT authority or a bare host becomes one `Target` whose
// host is what a browser would really connect to, so that rules match the site and not its disguise.
// Disguises (userinfo, encoded IP literals, percent-encoded or Unicode hosts, backslashes) are
// recorded as notes so the engine can treat them as circumvention, not merely let them through.
//
// Two paths: a hand-written scanner for the common clean case (lower-case ASCII host, optional port,
// plain path) that allocates nothing but the result, and the WHATWG `URL` parser for everything
// else. The fast path only accepts input on which both agree (a property test checks it), so the
// choice of path never changes an answer. Nothing here throws on any input.
import { type HostHashes, type SuffixTable, hashCheckedSpan, hashHostSpan, hashHostSuffixes } from '../catalog/index.ts';

/** `http://youtube.com@evil.example/`: the host is `evil.example` */
export const NOTE_USERINFO = 1;
/** an IPv4 literal not written as plain dotted-quad (decimal, hex, octal, short forms) */
export const NOTE_ENCODED_IP = 2;
/** an internationalised host: Unicode converted with UTS-46, or punycode labels */
export const NOTE_IDN = 4;
/** percent-encoded characters in the host (`%77ww.example.com`) */
export const NOTE_PERCENT_HOST = 8;
export const NOTE_TRAILING_DOT = 16;
/** a backslash before the query (`http:\\host`, `http://a.example\@b.example`): browsers read it as `/` */
export const NOTE_BACKSLASH = 32;
/** upper-case letters in the host */
export const NOTE_UPPERCASE = 64;

const NOTE_NAMES: readonly string[] = ['userinfo', 'encoded-ip', 'idn', 'percent-host', 'trailing-dot', 'backslash', 'uppercase'];

export interface Target {
  /** lower-case ASCII (punycode), no trailing dots, no port, no brackets for IPv6; '' when invalid */
  host: string;
  /** explicit, else the scheme's default; 0 when unknown (bare host without port) */
  port: number;
  /** 'http' | 'https' | 'ws' | 'wss', or '' for a bare host or authority */
  scheme: string;
  /** without query and fragment; '/' when a URL has none, '' for a bare host */
  path: string;
  /** without the '?' */
  query: string;
  /** lower-case extension of the last path segment after percent-decoding; '' when none */
  fileType: string;
  /** the host is an IP literal */
  ip: 0 | 4 | 6;
  /** bit set of NOTE_* */
  notes: number;
  /** '' when the input was understood; else a short message, and host is '' */
  error: string;
}

/** URLs longer than this are refused before any work (hostile input, not a real request) */
export const MAX_INPUT_LENGTH = 8192;
const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

// One construction site keeps every Target the same shape for the engine's property reads.
function makeTarget(host: string, port: number, scheme: string, path: string, query: string, fileType: string, ip: 0 | 4 | 6, notes: number, error: string): Target {
  return { host, port, scheme, path, query, fileType, ip, notes, error };
}

function failure(error: string, notes: number): Target {
  return makeTarget('', 0, '', '', '', '', 0, notes, error);
}

export function noteNames(notes: number): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < NOTE_NAMES.length; bit++) {
    if (notes & (1 << bit)) names.push(NOTE_NAMES[bit]!);
  }
  return names;
}

/**
 * A raw URL (`https://…`), a CONNECT authority (`host:443`) or a bare host. With `hashes`, a
 * target whose host is a name (no error, not an IP literal) also leaves its suffix hashes there
 * (as `hashHostSuffixes(target.host, hashes)` would), so the catalogue lookup need not hash again;
 * for any other target what `hashes` holds afterwards is unspecified. With `table` as well, the
 * table's lookup of those hashes is started (`SuffixTable.prepare`) as soon as the host is read,
 * so that its memory reads overlap the parsing of the rest of the URL; the caller finishes it
 * with `lookupPrepared`. Neither changes the Target.
 */
export function normaliseTarget(raw: string, hashes?: HostHashes, table?: SuffixTable): Target {
  if (typeof raw !== 'string') return failure('not a string', 0);
  if (raw.length > MAX_INPUT_LENGTH) return failure('input too long', 0);
  const fast = fastTarget(raw, hashes, table);
  if (fast !== null) return fast;
  const t = normaliseTargetSlow(raw);
  if (hashes !== undefined && t.error === '' && t.ip === 0 && t.host !== '') hashHostSuffixes(t.host, hashes);
  return t;
}

/** A bare host or `host:port` (a CONNECT authority, a DNS question name). */
export function normaliseHost(raw: string): Target {
  if (typeof raw !== 'string') return failure('not a string', 0);
  if (raw.length > MAX_INPUT_LENGTH) return failure('input too long', 0);
  return fastHost(raw, 0, raw.length, undefined, undefined) ?? slowHost(raw);
}

// ---------------------------------------------------------------------------------------------
// Fast path. Each function returns null as soon as it sees anything outside the clean case.

// Results of the scanners are packed into one small integer so the hot path allocates nothing:
// scanPlainHost returns the end index, plus HOST_IS_IP when the host is a plain dotted-quad, plus
// the label count times LABEL_SHIFT; scanPort returns the end index times PORT_SHIFT plus the port.
const HOST_IS_IP = 0x10000;
const INDEX_MASK = 0xffff;
const LABEL_SHIFT = 0x20000;
const PORT_SHIFT = 0x20000;

const HOST_CHAR = new Uint8Array(65536);
for (let c = 0; c < 128; c++) HOST_CHAR[c] = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 ? 1 : 0;

/**
 * Scans a host of `[a-z0-9_-]` labels from `start`; returns the index after it (plus HOST_IS_IP,
 * plus the label count times LABEL_SHIFT), or -1 when the host needs the full parser (other
 * characters, empty or long labels, trailing dot, punycode, anything IP-like that is not plain
 * dotted-quad).
 */
function scanPlainHost(s: string, start: number, n: number): number {
  let i = start;
  let labelStart = start;
  let labels = 1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (HOST_CHAR[c] === 1) {
      // NOTE: punycode labels go to the full parser, which validates them and flags the host as IDN
      if (c === 120 && i === labelStart && s.charCodeAt(i + 1) === 110 && s.charCodeAt(i + 2) === 45 && s.charCodeAt(i + 3) === 45) return -1;
      continue;
    }
    if (c === 46) {
      if (i === labelStart || i - labelStart > MAX_LABEL_LENGTH) return -1;
      labelStart = i + 1;
      labels++;
      continue;
    }
    if (c === 58 || c === 47 || c === 63) break;
    return -1;
  }
  if (i === labelStart || i - labelStart > MAX_LABEL_LENGTH || i - start > MAX_HOST_LENGTH) return -1;
  const first = s.charCodeAt(labelStart);
  if (first >= 48 && first <= 57) {
    // WHATWG: a host whose last label is numeric is an IPv4 literal; only plain dotted-quad stays here
    if (labels !== 4 || !isPlainDottedQuad(s, start, i)) return -1;
    return i + HOST_IS_IP + labels * LABEL_SHIFT;
  }
  return i + labels * LABEL_SHIFT;
}

/**
 * After `hashCheckedSpan` accepted s[start:end) (characters and no empty label): the rest of what
 * scanPlainHost requires of a name, from the label starts the hash recorded: host and labels not
 * too long, no punycode label, and a last label that does not start with a digit (WHATWG reads
 * such a host as an IPv4 literal, which scanPlainHost handles).
 */
function plainLabels(s: string, start: number, end: number, hashes: HostHashes): boolean {
  if (end - start > MAX_HOST_LENGTH) return false;
  const starts = hashes.starts;
  const labels = hashes.count;
  let labelEnd = end;
  // starts[labels - 1] is the last label's start (suffixes are stored most specific first)
  for (let k = labels - 1; k >= 0; k--) {
    const labelStart = start + starts[k]!;
    if (labelEnd - labelStart > MAX_LABEL_LENGTH) return false;
    // NOTE: punycode labels go to the full parser, which validates them and flags the host as IDN
    if (s.charCodeAt(labelStart) === 120 && s.charCodeAt(labelStart + 1) === 110 && s.charCodeAt(labelStart + 2) === 45 && s.charCodeAt(labelStart + 3) === 45) return false;
    labelEnd = labelStart - 1;
  }
  const first = s.charCodeAt(start + starts[labels - 1]!);
  return !(first >= 48 && first <= 57);
}

/** Four decimal parts 0–255 without leading zeros: the only IPv4 spelling that needs no rewriting. */
function isPlainDottedQuad(s: string, start: number, end: number): boolean {
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      value = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return false;
    if (digits === 1 && value === 0) return false;
    value = value * 10 + (c - 48);
    digits++;
  }
  return parts === 4;
}

/** `:digits` at `i`; returns end * PORT_SHIFT + port, or -1 when empty, over-long or out of range. */
function scanPort(s: string, i: number, n: number): number {
  let port = 0;
  let j = i + 1;
  for (; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) break;
    port = port * 10 + (c - 48);
  }
  if (j === i + 1 || j - i > 6 || port > 65535) return -1;
  return j * PORT_SHIFT + port;
}

function fastHost(s: string, start: number, n: number, hashes: HostHashes | undefined, table: SuffixTable | undefined): Target | null {
  const scanned = scanPlainHost(s, start, n);
  if (scanned < 0) return null;
  const end = scanned & INDEX_MASK;
  let port = 0;
  if (end < n) {
    if (s.charCodeAt(end) !== 58) return null;
    const p = scanPort(s, end, n);
    if (p < 0 || p - (p % PORT_SHIFT) !== n * PORT_SHIFT) return null;
    port = p % PORT_SHIFT;
  }
  const ip = scanned & HOST_IS_IP ? 4 : 0;
  if (hashes !== undefined && ip === 0) {
    hashHostSpan(s, start, end, Math.floor(scanned / LABEL_SHIFT), hashes);
    if (table !== undefined) table.prepare(hashes);
  }
  return makeTarget(start === 0 && end === n ? s : s.slice(start, end), port, '', '', '', '', ip, 0, '');
}

// Character classes of the fast path's path and query scanners (ASCII only; the rest is PATH_BAD).
const PATH_PLAIN = 0;
const PATH_SLASH = 1;
const PATH_DOT = 2;
const PATH_QUERY = 3;
const PATH_PERCENT = 4;
const PATH_SEMICOLON = 5;
const PATH_BAD = 6;
const PATH_CHAR = new Uint8Array(65536).fill(PATH_BAD);
const QUERY_BAD = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  // what WHATWG would percent-encode or rewrite (space, `"`, `<`, `>`, `\`, `^`, `` ` ``, `{`, `|`,
  // `}`, controls), and fragments, which the full parser strips
  const rewritten = c <= 32 || c === 127 || c === 34 || c === 35 || c === 60 || c === 62 || c === 92 || c === 94 || c === 96 || c === 123 || c === 124 || c === 125;
  PATH_CHAR[c] = c === 47 ? PATH_SLASH : c === 46 ? PATH_DOT : c === 63 ? PATH_QUERY : c === 37 ? PATH_PERCENT : c === 59 ? PATH_SEMICOLON : rewritten ? PATH_BAD : PATH_PLAIN;
  // special-scheme queries percent-encode `'` as well
  QUERY_BAD[c] = c <= 32 || c === 127 || c === 34 || c === 35 || c === 39 || c === 60 || c === 62 ? 1 : 0;
}

function fastTarget(s: string, hashes: HostHashes | undefined, table: SuffixTable | undefined): Target | null {
  const n = s.length;
  let i: number;
  let scheme: string;
  let port: number;
  const c0 = s.charCodeAt(0);
  if (c0 === 104 && s.charCodeAt(1) === 116 && s.charCodeAt(2) === 116 && s.charCodeAt(3) === 112) {
    const c4 = s.charCodeAt(4);
    if (c4 === 58 && s.charCodeAt(5) === 47 && s.charCodeAt(6) === 47) {
      scheme = 'http';
      port = 80;
      i = 7;
    } else if (c4 === 115 && s.charCodeAt(5) === 58 && s.charCodeAt(6) === 47 && s.charCodeAt(7) === 47) {
      scheme = 'https';
      port = 443;
      i = 8;
    } else {
      return fastHost(s, 0, n, hashes, table);
    }
  } else if (c0 === 119 && s.charCodeAt(1) === 115) {
    const c2 = s.charCodeAt(2);
    if (c2 === 58 && s.charCodeAt(3) === 47 && s.charCodeAt(4) === 47) {
      scheme = 'ws';
      port = 80;
      i = 5;
    } else if (c2 === 115 && s.charCodeAt(3) === 58 && s.charCodeAt(4) === 47 && s.charCodeAt(5) === 47) {
      scheme = 'wss';
      port = 443;
      i = 6;
    } else {
      return fastHost(s, 0, n, hashes, table);
    }
  } else {
    // no scheme: the clean case is an authority (`example.com:443`) or a bare host
    return fastHost(s, 0, n, hashes, table);
  }

  const hostStart = i;
  let hostEnd = -1;
  let ip: 0 | 4 = 0;
  if (hashes !== undefined) {
    // The usual shape, `scheme://host/…` with a plain name: the host is read once, right to left,
    // checked and hashed in the same pass (the hash runs right to left anyway). Anything else
    // (a port, an IP literal, a query or odd character right after the host) takes the scan below.
    const slash = s.indexOf('/', hostStart);
    const end = slash < 0 ? n : slash;
    if (end > hostStart && hashCheckedSpan(s, hostStart, end, HOST_CHAR, hashes) > 0 && plainLabels(s, hostStart, end, hashes)) {
      hostEnd = end;
      i = end;
    }
  }
  if (hostEnd < 0) {
    const scanned = scanPlainHost(s, i, n);
    if (scanned < 0) return null;
    hostEnd = scanned & INDEX_MASK;
    ip = scanned & HOST_IS_IP ? 4 : 0;
    i = hostEnd;
    if (i < n && s.charCodeAt(i) === 58) {
      const p = scanPort(s, i, n);
      if (p < 0) return null;
      port = p % PORT_SHIFT;
      i = (p - port) / PORT_SHIFT;
    }
    if (hashes !== undefined && ip === 0) hashHostSpan(s, hostStart, hostEnd, Math.floor(scanned / LABEL_SHIFT), hashes);
  }
  // the table's memory reads start here and run while the path is parsed; if the path sends the
  // URL to the full parser, that hashes again and the lookup starts over
  if (table !== undefined && hashes !== undefined && ip === 0) table.prepare(hashes);

  // Path: printable ASCII that the WHATWG parser leaves as it is; dot segments (`/.`, `%2e`),
  // backslashes and fragments go to the full parser.
  const pathStart = i;
  let segStart = i + 1;
  let lastDot = -1;
  let segSpecial = false;
  if (i < n && s.charCodeAt(i) === 47) {
    for (i++; i < n; i++) {
      const c = s.charCodeAt(i);
      const kind = PATH_CHAR[c]!;
      if (kind === PATH_PLAIN) continue;
      if (kind === PATH_SLASH) {
        segStart = i + 1;
        lastDot = -1;
        segSpecial = false;
      } else if (kind === PATH_DOT) {
        if (i === segStart) return null;
        lastDot = i;
      } else if (kind === PATH_QUERY) {
        break;
      } else if (kind === PATH_PERCENT) {
        if (s.charCodeAt(i + 1) === 50 && (s.charCodeAt(i + 2) | 32) === 101) return null;
        segSpecial = true;
      } else if (kind === PATH_SEMICOLON) {
        segSpecial = true;
      } else {
        return null;
      }
    }
  } else if (i < n && s.charCodeAt(i) !== 63) {
    return null;
  }
  const pathEnd = i;

  let query = '';
  if (i < n) {
    // here s[i] is '?'; the query ends the input unless a fragment follows
    for (let j = i + 1; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c >= 128 || QUERY_BAD[c] === 1) return null;
    }
    query = s.slice(i + 1);
  }

  let path = '/';
  let fileType = '';
  if (pathEnd > pathStart) {
    path = s.slice(pathStart, pathEnd);
    if (segSpecial) fileType = fileTypeOf(path);
    else if (lastDot > segStart && lastDot < pathEnd - 1) fileType = extension(s, lastDot + 1, pathEnd);
  }
  return makeTarget(s.slice(hostStart, hostEnd), port, scheme, path, query, fileType, ip, 0, '');
}

/** `s[start:end]` lower-cased when it is all letters and digits, else ''. */
function extension(s: string, start: number, end: number): string {
  let upper = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) continue;
    if (c >= 65 && c <= 90) {
      upper = true;
      continue;
    }
    return '';
  }
  const ext = s.slice(start, end);
  return upper ? ext.toLowerCase() : ext;
}

/**
 * The file type of a path, judged by its last segment after percent-decoding (`setup%2EEXE` is
 * an `exe`). Path parameters (`setup.exe;jsessionid=1`) are cut because servers ignore them.
 */
function fileTypeOf(path: string): string {
  let segment = path.slice(path.lastIndexOf('/') + 1);
  if (segment.indexOf('%') >= 0) segment = percentDecodeAscii(segment);
  const semi = segment.indexOf(';');
  if (semi >= 0) segment = segment.slice(0, semi);
  const dot = segment.lastIndexOf('.');
  if (dot <= 0 || dot === segment.length - 1) return '';
  return extension(segment, dot + 1, segment.length);
}

/** Decodes `%XX`; bytes outside ASCII become U+0080 (never part of an extension). Never throws. */
function percentDecodeAscii(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 37 && i + 2 < text.length && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      const byte = parseInt(text.slice(i + 1, i + 3), 16);
      out += byte < 128 ? String.fromCharCode(byte) : '\u0080';
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

// ---------------------------------------------------------------------------------------------
// Full path: the WHATWG parser decides what the host is (as a browser would), and the raw text is
// compared with its answer to see which disguises were used.

const SPECIAL_SCHEMES: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443 };
/** WHATWG strips controls and spaces from both ends of a URL. */
function trimEdges(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 32) start++;
  while (end > start && s.charCodeAt(end - 1) <= 32) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
const CONTROL = /[\x00-\x1f\x7f]/;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
// `host:443`, `host:`, `host:8080/path`: the "scheme" is really a host
const PORT_AFTER_SCHEME = /^(?:\d+(?:[/?#\\]|$)|$)/;
/**
 * Only hex digits, colons and dots, with at least two colons: an IPv6 address without brackets.
 * NOTE: a loop, not the equivalent regex: `/^[0-9a-f:.]*:[0-9a-f:.]*:[0-9a-f:.]*$/i` backtracks
 * cubically, and 8 KB of colons with a stray letter at the end took minutes.
 */
function isBareIpv6(s: string): boolean {
  let colons = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 58) colons++;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46)) return false;
  }
  return colons >= 2;
}

/**
 * The full parser alone, for any input.
 * @internal exported so that tests can check the fast path against it
 */
export function normaliseTargetSlow(raw: string): Target {
  if (typeof raw !== 'string') return failure('not a string', 0);
  if (raw.length > MAX_INPUT_LENGTH) return failure('input too long', 0);
  try {
    return slowTarget(raw);
  } catch {
    return failure('invalid url', 0);
  }
}

function slowTarget(raw: string): Target {
  const s = trimEdges(raw);
  if (s === '') return failure('empty input', 0);
  // WHATWG silently drops tabs and newlines inside a URL (`you\ttube.com` is youtube.com); a real
  // request never carries them, so they are refused rather than guessed at
  if (CONTROL.test(s)) return failure('control character in input', 0);
  if (isBareIpv6(s)) return slowHostTrimmed(s);
  const m = SCHEME.exec(s);
  if (m) {
    const scheme = m[1]!.toLowerCase();
    if (SPECIAL_SCHEMES[scheme] !== undefined) return slowUrl(s, m[0].length, scheme);
    if (!PORT_AFTER_SCHEME.test(s.slice(m[0].length))) return failure('unsupported scheme', 0);
  }
  // no scheme: a host with a path is read as if it were http, but reported without a scheme; a
  // bare path names no host at all
  const c0 = s.charCodeAt(0);
  if (c0 === 47 || c0 === 92) return failure('relative url', 0);
  if (/[/?#\\]/.test(s)) return slowUrl('http://' + s, 7, '');
  return slowHostTrimmed(s);
}

function slowUrl(s: string, afterScheme: number, scheme: string): Target {
  let notes = 0;
  const n = s.length;
  // The authority as the WHATWG parser sees it: any run of slashes and backslashes after the
  // scheme, then up to the next slash, backslash, '?' or '#'.
  let i = afterScheme;
  while (i < n && (s.charCodeAt(i) === 47 || s.charCodeAt(i) === 92)) i++;
  let end = i;
  while (end < n) {
    const c = s.charCodeAt(end);
    if (c === 47 || c === 92 || c === 63 || c === 35) break;
    end++;
  }
  const beforeQuery = s.search(/[?#]/);
  const backslash = s.indexOf('\\');
  if (backslash >= 0 && (beforeQuery < 0 || backslash < beforeQuery)) notes |= NOTE_BACKSLASH;
  let authority = s.slice(i, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    notes |= NOTE_USERINFO;
    authority = authority.slice(at + 1);
  }
  const split = splitAuthority(authority);
  if (typeof split === 'string') return failure(split, notes);
  notes |= rawHostNotes(split.host);

  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return failure(split.host === '' ? 'missing host' : 'invalid host', notes);
  }
  const t = makeTarget('', 0, scheme, url.pathname, url.search.slice(1), '', 0, notes, '');
  if (!finishHost(t, split.host, url.hostname)) return failure(t.error, t.notes);
  if (url.port !== '') t.port = Number(url.port);
  else if (scheme !== '') t.port = SPECIAL_SCHEMES[scheme]!;
  else t.port = split.port;
  t.fileType = fileTypeOf(t.path);
  return t;
}

function slowHost(raw: string): Target {
  try {
    const s = trimEdges(raw);
    if (s === '') return failure('empty input', 0);
    if (CONTROL.test(s)) return failure('control character in input', 0);
    return slowHostTrimmed(s);
  } catch {
    return failure('invalid host', 0);
  }
}

function slowHostTrimmed(text: string): Target {
  let notes = 0;
  let s = text;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    notes |= NOTE_USERINFO;
    s = s.slice(at + 1);
  }
  if (s.indexOf('\\') >= 0) return failure('invalid character in host', notes | NOTE_BACKSLASH);
  if (/[/?#]/.test(s)) return failure('invalid character in host', notes);
  // an IPv6 address written without brackets cannot carry a port
  const split = isBareIpv6(s) ? { host: `[${s}]`, port: 0 } : splitAuthority(s);
  if (typeof split === 'string') return failure(split, notes);
  notes |= rawHostNotes(split.host);
  if (split.host === '') return failure('missing host', notes);
  let url: URL;
  try {
    url = new URL(`http://${split.host}/`);
  } catch {
    return failure('invalid host', notes);
  }
  const t = makeTarget('', split.port, '', '', '', '', 0, notes, '');
  if (!finishHost(t, split.host, url.hostname)) return failure(t.error, t.notes);
  return t;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` → host text and port (0 when absent), or an error. */
function splitAuthority(authority: string): { host: string; port: number } | string {
  let host: string;
  let portText: string;
  if (authority.charCodeAt(0) === 91) {
    const close = authority.indexOf(']');
    if (close < 0) return 'invalid host';
    host = authority.slice(0, close + 1);
    const rest = authority.slice(close + 1);
    if (rest !== '' && rest.charCodeAt(0) !== 58) return 'invalid host';
    portText = rest.slice(1);
  } else {
    const colon = authority.indexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? '' : authority.slice(colon + 1);
  }
  if (portText === '') return { host, port: 0 };
  if (!/^\d+$/.test(portText)) return 'invalid port';
  const port = Number(portText);
  if (port > 65535) return 'port out of range';
  return { host, port };
}

function rawHostNotes(host: string): number {
  let notes = 0;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === 37) {
      notes |= NOTE_PERCENT_HOST;
      i += 2; // the hex digits of an escape are not letters of the host
    } else if (c >= 65 && c <= 90) notes |= NOTE_UPPERCASE;
    else if (c > 127) notes |= NOTE_IDN;
  }
  return notes;
}

const DOTTED_QUAD = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const ENDS_IN_NUMBER = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/;

/**
 * Sets host, ip and notes from the WHATWG host (`parsed`) and the host as written (`raw`);
 * on a host the engine must not match, sets error and returns false.
 */
function finishHost(t: Target, raw: string, parsed: string): boolean {
  if (parsed === '') {
    t.error = 'missing host';
    return false;
  }
  if (parsed.charCodeAt(0) === 91) {
    t.host = parsed.slice(1, -1);
    t.ip = 6;
    return true;
  }
  let host = parsed;
  if (host.endsWith('.')) {
    t.notes |= NOTE_TRAILING_DOT;
    host = host.replace(/\.+$/, '');
    if (host === '') {
      t.error = 'invalid host';
      return false;
    }
    // `1.2.3.4..` is a domain to WHATWG (it drops one trailing dot only) but an IP once stripped
    if (ENDS_IN_NUMBER.test(host)) {
      try {
        host = new URL(`http://${host}/`).hostname;
      } catch {
        t.error = 'invalid host';
        return false;
      }
    }
  }
  if (DOTTED_QUAD.test(host)) {
    t.ip = 4;
    if (raw.toLowerCase().replace(/\.+$/, '') !== host) t.notes |= NOTE_ENCODED_IP;
    t.host = host;
    return true;
  }
  if (host.length > MAX_HOST_LENGTH) {
    t.error = 'host too long';
    return false;
  }
  // one pass over the labels: lengths, characters, punycode
  let labelStart = 0;
  for (let i = 0; i <= host.length; i++) {
    const c = i === host.length ? 46 : host.charCodeAt(i);
    if (c === 46) {
      if (i === labelStart) {
        t.error = 'empty label in host';
        return false;
      }
      if (i - labelStart > MAX_LABEL_LENGTH) {
        t.error = 'host label too long';
        return false;
      }
      if (host.startsWith('xn--', labelStart)) t.notes |= NOTE_IDN;
      labelStart = i + 1;
    } else if (HOST_CHAR[c] !== 1) {
      t.error = 'invalid character in host';
      return false;
    }
  }
  t.host = host;
  return true;
}
