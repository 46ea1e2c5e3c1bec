// Suffix hashing for the lookup hot path. A host is hashed once, right to left, so the hash of every
// parent suffix (`example.com`, `com`) is ready when the scan reaches the dot before it. Two
// independent 32-bit hashes make a 64-bit key; entry strings are never stored or compared.

const SEED1 = 0x811c9dc5 | 0;
const SEED2 = 0x2f1b7e4d | 0;
const PRIME1 = 0x01000193;
const PRIME2 = 0x5bd1e995 | 0;

/** Reusable scratch for one host's suffix hashes; create once per caller, reuse for every query. */
export class HostHashes {
  count = 0;
  /** changes whenever the hashes are refilled, so a table can tell whether its prepared lookup is still for them */
  stamp = 0;
  readonly h1: Int32Array;
  readonly h2: Int32Array;
  /** index in the host where that suffix starts */
  readonly starts: Int32Array;
  readonly maxLabels: number;

  constructor(maxLabels = 128) {
    // a valid hostname (253 characters) has at most 127 labels; at least 2 slots keep the
    // overflow rule below (whole host always kept) meaningful
    this.maxLabels = Math.max(2, maxLabels | 0);
    this.h1 = new Int32Array(this.maxLabels);
    this.h2 = new Int32Array(this.maxLabels);
    this.starts = new Int32Array(this.maxLabels);
  }
}

/** murmur3's finaliser: FNV-style hashes have weak low bits, and the table indexes by low bits */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * host: already normalised (lower-case ASCII, no trailing dot, no port). Fills hashes of the host and
 * each parent suffix at a dot boundary, most specific first (`a.b.example.com`, `b.example.com`,
 * `example.com`, `com`). One pass over the characters, right to left.
 *
 * NOTE: when a host has more labels than `out.maxLabels`, the whole host (index 0) and the
 * rightmost suffixes are kept and the middle ones dropped; no valid hostname gets there with the
 * default of 128.
 */
export function hashHostSuffixes(host: string, out: HostHashes): void {
  const h1s = out.h1;
  const h2s = out.h2;
  const starts = out.starts;
  const room = out.maxLabels - 1;
  let n = 0;
  let a = SEED1;
  let b = SEED2;
  for (let i = host.length - 1; i >= 0; i--) {
    const c = host.charCodeAt(i);
    if (c === 46 && n < room) {
      h1s[n] = fmix(a);
      h2s[n] = fmix(b);
      starts[n] = i + 1;
      n++;
    }
    a = Math.imul(a ^ c, PRIME1);
    b = Math.imul(b ^ c, PRIME2);
    b ^= b >>> 15;
  }
  h1s[n] = fmix(a);
  h2s[n] = fmix(b);
  starts[n] = 0;
  n++;
  // found right to left; callers want most specific first
  for (let i = 0, j = n - 1; i < j; i++, j--) {
    let t = h1s[i]!;
    h1s[i] = h1s[j]!;
    h1s[j] = t;
    t = h2s[i]!;
    h2s[i] = h2s[j]!;
    h2s[j] = t;
    t = starts[i]!;
    starts[i] = starts[j]!;
    starts[j] = t;
  }
  out.count = n;
  out.stamp = (out.stamp + 1) | 0;
}

/**
 * The same hashes as `hashHostSuffixes(s.slice(start, end), out)`, read straight from `s` (the URL
 * the host sits in) without slicing it out. `labels` is the host's label count (dots + 1), which
 * the caller's own scan of the host already knows: each suffix then lands in its final place, most
 * specific first, with no reversing pass. `starts` are relative to `start`.
 */
export function hashHostSpan(s: string, start: number, end: number, labels: number, out: HostHashes): void {
  if (labels > out.maxLabels || labels < 1) {
    hashHostSuffixes(s.slice(start, end), out);
    return;
  }
  const h1s = out.h1;
  const h2s = out.h2;
  const starts = out.starts;
  let n = labels - 1;
  let a = SEED1;
  let b = SEED2;
  for (let i = end - 1; i >= start; i--) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      h1s[n] = fmix(a);
      h2s[n] = fmix(b);
      starts[n] = i + 1 - start;
      n--;
    }
    a = Math.imul(a ^ c, PRIME1);
    b = Math.imul(b ^ c, PRIME2);
    b ^= b >>> 15;
  }
  h1s[0] = fmix(a);
  h2s[0] = fmix(b);
  starts[0] = 0;
  out.count = labels;
  out.stamp = (out.stamp + 1) | 0;
}

/**
 * `hashHostSpan` for a host the caller has not scanned: reads s[start:end) right to left once,
 * checking each character against `allowed` (1 = a label character) while hashing. Returns the
 * label count, having filled `out` exactly as `hashHostSpan` would; or -1 (and `out` unspecified)
 * at the first character that is neither allowed nor a dot, at an empty label, or when the host has
 * more labels than `out` holds.
 */
export function hashCheckedSpan(s: string, start: number, end: number, allowed: Uint8Array, out: HostHashes): number {
  const h1s = out.h1;
  const h2s = out.h2;
  const starts = out.starts;
  const room = out.maxLabels - 1;
  let n = 0;
  let a = SEED1;
  let b = SEED2;
  let labelEnd = end;
  for (let i = end - 1; i >= start; i--) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (i + 1 === labelEnd || n >= room) return -1;
      h1s[n] = fmix(a);
      h2s[n] = fmix(b);
      starts[n] = i + 1 - start;
      n++;
      labelEnd = i;
    } else if (allowed[c] !== 1) {
      return -1;
    }
    a = Math.imul(a ^ c, PRIME1);
    b = Math.imul(b ^ c, PRIME2);
    b ^= b >>> 15;
  }
  if (labelEnd === start) return -1;
  h1s[n] = fmix(a);
  h2s[n] = fmix(b);
  starts[n] = 0;
  n++;
  // found right to left; callers want most specific first
  for (let i = 0, j = n - 1; i < j; i++, j--) {
    let t = h1s[i]!;
    h1s[i] = h1s[j]!;
    h1s[j] = t;
    t = h2s[i]!;
    h2s[i] = h2s[j]!;
    h2s[j] = t;
    t = starts[i]!;
    starts[i] = starts[j]!;
    starts[j] = t;
  }
  out.count = n;
  out.stamp = (out.stamp + 1) | 0;
  return n;
}

/** The two hashes of a whole string (the same values `hashHostSuffixes` gives at index 0). */
export function hashWhole(text: string, out: Int32Array): void {
  let a = SEED1;
  let b = SEED2;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, PRIME1);
    b = Math.imul(b ^ c, PRIME2);
    b ^= b >>> 15;
  }
  out[0] = fmix(a);
  out[1] = fmix(b);
}
