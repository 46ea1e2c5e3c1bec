// An open-addressing table (linear probing) of 64-bit domain hashes → int32 value, laid out as one
// Int32Array of [h1, h2, cell] triples so one probe touches one cache line. The slot count is sized
// to the entries (any count, not a power of two: at 2 million entries a power of two wasted up to
// half the table), and a hash's home slot is `h1 * count / 2^32` (multiply-shift range reduction).
// cell 0 marks an empty slot; otherwise cell = value * 2 + exactOnly + 1.
// In front of it sits a one-bit-per-hash filter (about 8 bits per entry, indexed by the top bits of
// h2, independent of the slot index): most suffixes of a host are not in the table, and the filter
// answers those from cache instead of a memory round trip per suffix.
import { HostHashes, hashWhole } from './host-hashes.ts';

// at most 70% full: a hit probes about 2 slots, and the table takes about 17 bytes per entry
const MAX_LOAD = 0.7;
const TWO_TO_MINUS_32 = 2 ** -32;

/**
 * The home slot of a hash in a table of `count` slots. The product may round above 2^53, but
 * IEEE arithmetic rounds the same way everywhere, and the result stays below `count`.
 */
function homeSlot(a: number, count: number): number {
  return ((a >>> 0) * count * TWO_TO_MINUS_32) | 0;
}

export class SuffixTable {
  /** @internal [h1, h2, cell] per slot */
  readonly slots: Int32Array;
  /** @internal slot count */
  readonly count: number;
  /** @internal filter bits, 2^k of them */
  readonly filter: Int32Array;
  /** @internal 32 - k: h2 >>> filterShift is the filter bit */
  readonly filterShift: number;
  readonly size: number;
  private readonly scratch = new Int32Array(2);
  /** per suffix that passed the filter: its home slot (times 3) and that slot's cell, for lookup */
  private readonly probes = new Int32Array(32);
  private readonly cells = new Int32Array(32);
  /** the hashes (and their stamp) that probes and cells were read for by `prepare`, and its filter answer */
  private preparedFor: HostHashes | null = null;
  private preparedStamp = 0;
  private preparedPassed = 0;

  /** @internal use `build`, or the catalogue's snapshot reader */
  constructor(slots: Int32Array, size: number, filter: Int32Array) {
    const count = slots.length / 3;
    if (!Number.isInteger(count) || count < 2 || count > 0x3fffffff) throw new RangeError('suffix table: slot count out of range');
    const words = filter.length;
    if (words < 1 || (words & (words - 1)) !== 0) throw new RangeError('suffix table: filter size must be a power of two');
    this.slots = slots;
    this.count = count;
    this.size = size;
    this.filter = filter;
    this.filterShift = 32 - (Math.log2(words) + 5);
  }

  static build(entries: Iterable<readonly [domain: string, value: number, exactOnly: boolean]>): SuffixTable {
    // the last entry for a domain wins
    const unique = new Map<string, readonly [string, number, boolean]>();
    for (const entry of entries) unique.set(entry[0], entry);
    const builder = new SuffixTableBuilder(unique.size);
    const h = new Int32Array(2);
    for (const [domain, value, exactOnly] of unique.values()) {
      hashWhole(domain, h);
      builder.insert(h[0]!, h[1]!, value, exactOnly, domain);
    }
    return builder.finish();
  }

  /**
   * The first half of a lookup: reads the filter bit of every suffix of `hashes`, and the home
   * slot of each suffix the filter lets through, and keeps what it read for `lookupPrepared`. Called as soon as a host is hashed, it
   * starts the memory reads (most of a lookup's time) while the caller goes on with other work,
   * such as parsing the rest of the URL.
   */
  prepare(hashes: HostHashes): void {
    const count = hashes.count;
    if (count > 31) {
      this.preparedFor = null;
      return;
    }
    const h1s = hashes.h1;
    const h2s = hashes.h2;
    const filter = this.filter;
    const shift = this.filterShift;
    const slots = this.slots;
    const slotCount = this.count;
    const probes = this.probes;
    const cells = this.cells;
    // NOTE: separate passes instead of one loop, so that the filter words, then the home slots, of
    // all suffixes are loaded without a branch between them: the CPU overlaps those cache misses
    // instead of taking them one after another
    let passed = 0;
    for (let i = 0; i < count; i++) {
      const bit = h2s[i]! >>> shift;
      passed |= ((filter[bit >>> 5]! >>> (bit & 31)) & 1) << i;
    }
    if (passed !== 0) {
      for (let i = 0; i < count; i++) {
        if (((passed >>> i) & 1) === 0) continue;
        const p = homeSlot(h1s[i]!, slotCount) * 3;
        probes[i] = p;
        cells[i] = slots[p + 2]!;
      }
    }
    this.preparedFor = hashes;
    this.preparedStamp = hashes.stamp;
    this.preparedPassed = passed;
  }

  /**
   * False when no suffix of `hashes` can be in the table (the filter alone says so, as it does for
   * most hosts); true when some may be. A cheap test before `lookup` on a small table.
   */
  mayHold(hashes: HostHashes): boolean {
    const count = hashes.count;
    const h2s = hashes.h2;
    const filter = this.filter;
    const shift = this.filterShift;
    for (let i = 0; i < count; i++) {
      const bit = h2s[i]! >>> shift;
      if (((filter[bit >>> 5]! >>> (bit & 31)) & 1) !== 0) return true;
    }
    return false;
  }

  /** `lookup`, finishing what `prepare` started for the same hashes (or doing it all when it did not) */
  lookupPrepared(hashes: HostHashes, outValues: Int32Array, outIdx: Int32Array): number {
    if (this.preparedFor !== hashes || this.preparedStamp !== hashes.stamp) return this.lookup(hashes, outValues, outIdx);
    this.preparedFor = null;
    return this.finish(hashes, this.preparedPassed, outValues, outIdx);
  }

  /** writes values of matching entries (most specific first) into outValues and their HostHashes index into outIdx; returns how many */
  lookup(hashes: HostHashes, outValues: Int32Array, outIdx: Int32Array): number {
    if (hashes.count > 31) return this.lookupEach(hashes, outValues, outIdx);
    this.prepare(hashes);
    this.preparedFor = null;
    return this.finish(hashes, this.preparedPassed, outValues, outIdx);
  }

  /** the probes after `prepare`: `passed` has bit i set for each suffix the filter let through */
  private finish(hashes: HostHashes, passed: number, outValues: Int32Array, outIdx: Int32Array): number {
    if (passed === 0) return 0;
    const count = hashes.count;
    const h1s = hashes.h1;
    const h2s = hashes.h2;
    const slots = this.slots;
    const probes = this.probes;
    const cells = this.cells;
    const room = Math.min(outValues.length, outIdx.length);
    let n = 0;
    for (let i = 0; i < count && n < room; i++) {
      if (((passed >>> i) & 1) === 0 || cells[i] === 0) continue;
      const a = h1s[i]!;
      const b = h2s[i]!;
      let p = probes[i]!;
      for (;;) {
        const cell = slots[p + 2]!;
        if (cell === 0) break;
        if (slots[p] === a && slots[p + 1] === b) {
          const d = cell - 1;
          // exact-only entries (public suffixes) match the whole host only, never as a parent
          if (i === 0 || (d & 1) === 0) {
            outValues[n] = d >>> 1;
            outIdx[n] = i;
            n++;
          }
          break;
        }
        p += 3;
        if (p === slots.length) p = 0;
      }
    }
    return n;
  }

  /** lookup one suffix at a time (hosts of more than 31 labels) */
  private lookupEach(hashes: HostHashes, outValues: Int32Array, outIdx: Int32Array): number {
    const slots = this.slots;
    const h1s = hashes.h1;
    const h2s = hashes.h2;
    const filter = this.filter;
    const shift = this.filterShift;
    const count = hashes.count;
    const room = Math.min(outValues.length, outIdx.length);
    let n = 0;
    for (let i = 0; i < count && n < room; i++) {
      const b = h2s[i]!;
      const bit = b >>> shift;
      if ((filter[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
      const a = h1s[i]!;
      let p = homeSlot(a, this.count) * 3;
      for (;;) {
        const cell = slots[p + 2]!;
        if (cell === 0) break;
        if (slots[p] === a && slots[p + 1] === b) {
          const d = cell - 1;
          if (i === 0 || (d & 1) === 0) {
            outValues[n] = d >>> 1;
            outIdx[n] = i;
            n++;
          }
          break;
        }
        p += 3;
        if (p === slots.length) p = 0;
      }
    }
    return n;
  }

  /** value of the entry for exactly this domain, -1 when absent (for tools, not the hot path) */
  get(domain: string): number {
    const cell = this.cellOf(domain);
    return cell === 0 ? -1 : (cell - 1) >>> 1;
  }

  /** true when the entry for this domain is exact-only; false when absent */
  isExactOnly(domain: string): boolean {
    const cell = this.cellOf(domain);
    return cell !== 0 && ((cell - 1) & 1) === 1;
  }

  /** @internal calls back with every entry's value and exact-only flag (for statistics) */
  forEachCell(fn: (value: number, exactOnly: boolean) => void): void {
    const slots = this.slots;
    for (let p = 2; p < slots.length; p += 3) {
      const cell = slots[p]!;
      if (cell !== 0) fn((cell - 1) >>> 1, ((cell - 1) & 1) === 1);
    }
  }

  private cellOf(domain: string): number {
    const h = this.scratch;
    hashWhole(domain, h);
    const a = h[0]!;
    const b = h[1]!;
    const slots = this.slots;
    let p = homeSlot(a, this.count) * 3;
    for (;;) {
      const cell = slots[p + 2]!;
      if (cell === 0) return 0;
      if (slots[p] === a && slots[p + 1] === b) return cell;
      p += 3;
      if (p >= slots.length) p = 0;
    }
  }
}

/** @internal fills a table from precomputed hashes (the catalogue builder hashes once per domain) */
export class SuffixTableBuilder {
  private readonly slots: Int32Array;
  private readonly count: number;
  private readonly filter: Int32Array;
  private readonly filterShift: number;
  private size = 0;

  constructor(expected: number) {
    // room for every entry at MAX_LOAD, and at least one empty slot for probing to stop on
    const count = Math.max(16, Math.ceil((expected + 1) / MAX_LOAD));
    this.slots = new Int32Array(count * 3);
    this.count = count;
    // about 8 bits per entry: roughly 1 in 9 absent suffixes passes the filter
    let words = 1;
    while (words * 32 < expected * 8) words *= 2;
    this.filter = new Int32Array(words);
    this.filterShift = 32 - (Math.log2(words) + 5);
  }

  insert(a: number, b: number, value: number, exactOnly: boolean, label: string): void {
    if (!(value >= 0 && value < 0x3fffffff)) throw new RangeError(`suffix table: value ${value} out of range`);
    const slots = this.slots;
    let p = homeSlot(a, this.count) * 3;
    for (;;) {
      if (slots[p + 2] === 0) break;
      if (slots[p] === a && slots[p + 1] === b) {
        // two different names with one 64-bit hash (about 1 in 10^13 for a million entries);
        // refusing is safer than letting one name silently take the other's categories
        throw new Error(`suffix table: hash collision on \`${label}\``);
      }
      p += 3;
      if (p >= slots.length) p = 0;
    }
    if (this.size + 1 > this.count * MAX_LOAD) throw new RangeError('suffix table: more entries than announced');
    slots[p] = a;
    slots[p + 1] = b;
    slots[p + 2] = value * 2 + (exactOnly ? 1 : 0) + 1;
    const bit = b >>> this.filterShift;
    this.filter[bit >>> 5] = this.filter[bit >>> 5]! | (1 << (bit & 31));
    this.size++;
  }

  finish(): SuffixTable {
    return new SuffixTable(this.slots, this.size, this.filter);
  }
}
