// The compiled catalogue: a suffix table (domain → value id), an IP table, and the value table
// that says which source categories, lists and minimum age each value id stands for. Immutable
// once built; serialises to one versioned, checksummed snapshot that loads as typed-array views.
import { createHash } from 'node:crypto';
import { HedgerowError } from '../errors/index.ts';
import type { HostHashes } from './host-hashes.ts';
import { SuffixTable } from './suffix-table.ts';

const MAGIC = [0x48, 0x52, 0x43, 0x41, 0x54, 0x53, 0x4e, 0x50]; // "HRCATSNP"
// 2: suffix tables of any slot count, home slot by multiply-shift (1: power-of-two, by mask)
export const SNAPSHOT_VERSION = 2;
const BYTE_ORDER = 0x01020304;
const HEADER = 8 + 4 + 4 + 4;
const TRAILER = 32;

/** @internal the raw parts of a catalogue */
export interface CatalogueParts {
  table: SuffixTable;
  ipTable: SuffixTable;
  sourceCategoryNames: readonly string[];
  listNames: readonly string[];
  /** value v's categories are cats[catStart[v] .. catStart[v+1]) */
  catStart: Int32Array;
  cats: Int32Array;
  listStart: Int32Array;
  lists: Int32Array;
  ages: Int32Array;
  domainCount: number;
  ipCount: number;
  exactOnlyCount: number;
  /** free-form facts about where the catalogue came from (the list manifest) */
  meta: Readonly<Record<string, unknown>>;
}

function snapshotError(message: string): HedgerowError {
  return new HedgerowError('HR_CATALOG_SNAPSHOT', `catalogue snapshot: ${message}`);
}

export class Catalogue {
  readonly domainCount: number;
  readonly ipCount: number;
  readonly exactOnlyCount: number;
  readonly sourceCategoryNames: readonly string[];
  readonly listNames: readonly string[];
  readonly valueCount: number;
  /** domain → value id */
  readonly table: SuffixTable;
  /** @internal IP literal → value id */
  readonly ipTable: SuffixTable;
  readonly meta: Readonly<Record<string, unknown>>;
  private readonly parts: CatalogueParts;
  private readonly catCache: Array<readonly number[] | undefined>;
  private readonly listCache: Array<readonly string[] | undefined>;
  private revisionHex: string | null;

  /** @internal use CatalogueBuilder or Catalogue.deserialize */
  constructor(parts: CatalogueParts, revision: string | null = null) {
    this.parts = parts;
    this.table = parts.table;
    this.ipTable = parts.ipTable;
    this.domainCount = parts.domainCount;
    this.ipCount = parts.ipCount;
    this.exactOnlyCount = parts.exactOnlyCount;
    this.sourceCategoryNames = Object.freeze([...parts.sourceCategoryNames]);
    this.listNames = Object.freeze([...parts.listNames]);
    this.valueCount = parts.ages.length;
    this.meta = Object.freeze({ ...parts.meta });
    this.catCache = new Array(this.valueCount);
    this.listCache = new Array(this.valueCount);
    this.revisionHex = revision;
  }

  /** checksum hex of the compiled content, stable for the same content */
  get revision(): string {
    if (this.revisionHex === null) this.revisionHex = createHash('sha256').update(this.serializedBody()).digest('hex');
    return this.revisionHex;
  }

  /** indices into sourceCategoryNames */
  valueSourceCategories(value: number): readonly number[] {
    this.checkValue(value);
    let cached = this.catCache[value];
    if (!cached) {
      const { catStart, cats } = this.parts;
      cached = Object.freeze(Array.from(cats.subarray(catStart[value]!, catStart[value + 1]!)));
      this.catCache[value] = cached;
    }
    return cached;
  }

  valueLists(value: number): readonly string[] {
    this.checkValue(value);
    let cached = this.listCache[value];
    if (!cached) {
      const { listStart, lists } = this.parts;
      cached = Object.freeze(Array.from(lists.subarray(listStart[value]!, listStart[value + 1]!), (i) => this.listNames[i]!));
      this.listCache[value] = cached;
    }
    return cached;
  }

  /** -1 when none */
  valueMinimumAge(value: number): number {
    this.checkValue(value);
    return this.parts.ages[value]!;
  }

  lookupHost(hashes: HostHashes, outValues: Int32Array, outIdx: Int32Array): number {
    return this.table.lookup(hashes, outValues, outIdx);
  }

  /** normalised dotted IPv4 or compressed IPv6; value id or -1 */
  lookupIp(ip: string): number {
    return this.ipTable.get(ip);
  }

  serialize(): Uint8Array {
    const body = this.serializedBody();
    const out = new Uint8Array(body.length + TRAILER);
    out.set(body, 0);
    const digest = createHash('sha256').update(body).digest();
    out.set(digest, body.length);
    this.revisionHex ??= digest.toString('hex');
    return out;
  }

  static deserialize(bytes: Uint8Array): Catalogue {
    if (bytes.length < HEADER + TRAILER) throw snapshotError(`truncated (${bytes.length} bytes)`);
    for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) throw snapshotError('not a catalogue snapshot (bad magic)');
    const head = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = head.getUint32(8, true);
    if (version !== SNAPSHOT_VERSION) throw snapshotError(`version ${version}, expected ${SNAPSHOT_VERSION}`);
    if (head.getUint32(12, true) !== BYTE_ORDER) throw snapshotError('written on a machine of another byte order');
    const jsonLength = head.getUint32(16, true);
    const bodyLength = bytes.length - TRAILER;
    if (HEADER + jsonLength > bodyLength) throw snapshotError('truncated (header)');
    const digest = createHash('sha256').update(bytes.subarray(0, bodyLength)).digest();
    for (let i = 0; i < TRAILER; i++) if (digest[i] !== bytes[bodyLength + i]) throw snapshotError('checksum mismatch (corrupt or truncated)');

    let header: SnapshotHeader;
    try {
      header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + HEADER, jsonLength).toString('utf8')) as SnapshotHeader;
    } catch {
      throw snapshotError('unreadable header');
    }
    // typed-array views need 4-byte alignment; a buffer sliced from a pool may not have it
    let base = bytes;
    if (bytes.byteOffset % 4 !== 0) base = bytes.slice();
    let offset = align4(HEADER + jsonLength);
    const view = new DataView(base.buffer, base.byteOffset, base.byteLength);
    const section = (): Int32Array => {
      if (offset + 4 > bodyLength) throw snapshotError('truncated (sections)');
      const count = view.getUint32(offset, true);
      offset += 4;
      if (offset + count * 4 > bodyLength) throw snapshotError('truncated (sections)');
      const arr = new Int32Array(base.buffer, base.byteOffset + offset, count);
      offset += count * 4;
      return arr;
    };
    const tableSlots = section();
    const tableFilter = section();
    const ipSlots = section();
    const ipFilter = section();
    const catStart = section();
    const cats = section();
    const listStart = section();
    const lists = section();
    const ages = section();
    if (offset !== bodyLength) throw snapshotError('trailing bytes after the sections');
    const names = header.sourceCategoryNames;
    const listNames = header.listNames;
    if (!Array.isArray(names) || !Array.isArray(listNames)) throw snapshotError('header lacks category or list names');
    const valueCount = ages.length;
    if (catStart.length !== valueCount + 1 || listStart.length !== valueCount + 1) throw snapshotError('value table sizes disagree');
    checkRanges(catStart, cats, names.length);
    checkRanges(listStart, lists, listNames.length);
    let table: SuffixTable;
    let ipTable: SuffixTable;
    try {
      table = new SuffixTable(tableSlots, header.domainCount, tableFilter);
      ipTable = new SuffixTable(ipSlots, header.ipCount, ipFilter);
    } catch (cause) {
      throw snapshotError((cause as Error).message);
    }
    // a checksum catches damage, not a crafted file: make sure every value id is in range
    checkCells(table, valueCount);
    checkCells(ipTable, valueCount);
    return new Catalogue(
      {
        table,
        ipTable,
        sourceCategoryNames: names,
        listNames,
        catStart,
        cats,
        listStart,
        lists,
        ages,
        domainCount: header.domainCount,
        ipCount: header.ipCount,
        exactOnlyCount: header.exactOnlyCount,
        meta: header.meta ?? {},
      },
      Buffer.from(digest).toString('hex'),
    );
  }

  private checkValue(value: number): void {
    if (!(Number.isInteger(value) && value >= 0 && value < this.valueCount)) throw new RangeError(`catalogue: no value ${value}`);
  }

  private serializedBody(): Uint8Array {
    const p = this.parts;
    const header: SnapshotHeader = {
      sourceCategoryNames: [...p.sourceCategoryNames],
      listNames: [...p.listNames],
      domainCount: p.domainCount,
      ipCount: p.ipCount,
      exactOnlyCount: p.exactOnlyCount,
      meta: p.meta,
    };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const sections = [p.table.slots, p.table.filter, p.ipTable.slots, p.ipTable.filter, p.catStart, p.cats, p.listStart, p.lists, p.ages];
    let size = align4(HEADER + json.length);
    for (const s of sections) size += 4 + s.byteLength;
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    out.set(MAGIC, 0);
    view.setUint32(8, SNAPSHOT_VERSION, true);
    view.setUint32(12, BYTE_ORDER, true);
    view.setUint32(16, json.length, true);
    out.set(json, HEADER);
    let offset = align4(HEADER + json.length);
    for (const s of sections) {
      view.setUint32(offset, s.length, true);
      offset += 4;
      out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), offset);
      offset += s.byteLength;
    }
    return out;
  }
}

interface SnapshotHeader {
  sourceCategoryNames: string[];
  listNames: string[];
  domainCount: number;
  ipCount: number;
  exactOnlyCount: number;
  meta: Readonly<Record<string, unknown>>;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function checkRanges(starts: Int32Array, items: Int32Array, names: number): void {
  let previous = 0;
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!;
    if (s < previous || s > items.length) throw snapshotError('value table offsets out of range');
    previous = s;
  }
  if (starts.length > 0 && starts[starts.length - 1] !== items.length) throw snapshotError('value table offsets out of range');
  for (let i = 0; i < items.length; i++) {
    const v = items[i]!;
    if (v < 0 || v >= names) throw snapshotError('value table names out of range');
  }
}

function checkCells(table: SuffixTable, valueCount: number): void {
  const { slots, filter, filterShift } = table;
  const expected = table.size;
  let used = 0;
  const limit = valueCount * 2;
  for (let p = 2; p < slots.length; p += 3) {
    const cell = slots[p]!;
    if (cell === 0) continue;
    if (cell < 0 || cell > limit) throw snapshotError('table value out of range');
    // an entry whose filter bit is clear could never be found
    const bit = slots[p - 1]! >>> filterShift;
    if ((filter[bit >>> 5]! & (1 << (bit & 31))) === 0) throw snapshotError('filter disagrees with the table');
    used++;
  }
  // linear probing needs empty slots to stop on
  if (used >= slots.length / 3) throw snapshotError('table has no free slot');
  if (used !== expected) throw snapshotError('table entry count disagrees with the header');
}
