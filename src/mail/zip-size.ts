// How much a ZIP file (a DOCX is one) unpacks to, measured before anything opens it. A few
// hundred kilobytes of deflate can unpack to gigabytes (a "zip bomb"), and the DOCX reader holds
// each part whole in memory, so an attachment over the budget is never handed to it. Entries are
// inflated here with the budget as a hard cap, because the sizes a ZIP declares may lie.
import { inflateRawSync } from 'node:zlib';

export type ZipSize = { ok: true; bytes: number; entries: number } | { ok: false; problem: string };

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** DOCX files have tens of parts; thousands of entries are a trick, not a document */
const MAX_ENTRIES = 10_000;

function findEndOfDirectory(bytes: Buffer): number {
  // the record is 22 bytes plus a comment of at most 65,535
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let at = bytes.length - 22; at >= lowest; at--) if (bytes.readUInt32LE(at) === END_OF_DIRECTORY) return at;
  return -1;
}

/** The unpacked size of every entry, or why the file is refused (over `maxBytes`, or not a ZIP it can read). */
export function zipUnpackedSize(data: Uint8Array, maxBytes: number): ZipSize {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const end = bytes.length >= 22 ? findEndOfDirectory(bytes) : -1;
  if (end < 0) return { ok: false, problem: 'not a ZIP file' };
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  if (count === 0xffff || at === 0xffffffff) return { ok: false, problem: 'a ZIP64 file, not opened' };
  if (count > MAX_ENTRIES) return { ok: false, problem: `more than ${MAX_ENTRIES} entries in the ZIP file, not opened` };
  let total = 0;
  for (let index = 0; index < count; index++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== DIRECTORY_ENTRY) return { ok: false, problem: 'a damaged ZIP directory' };
    const method = bytes.readUInt16LE(at + 10);
    const compressed = bytes.readUInt32LE(at + 20);
    const local = bytes.readUInt32LE(at + 42);
    const next = at + 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    if (local + 30 > bytes.length || bytes.readUInt32LE(local) !== LOCAL_HEADER) return { ok: false, problem: 'a damaged ZIP entry' };
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    if (start + compressed > bytes.length) return { ok: false, problem: 'a damaged ZIP entry' };
    const budget = maxBytes - total;
    if (method === 0) {
      total += compressed;
    } else if (method === 8) {
      try {
        total += inflateRawSync(bytes.subarray(start, start + compressed), { maxOutputLength: Math.max(1, budget + 1) }).length;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') return { ok: false, problem: 'a damaged ZIP entry' };
        total = maxBytes + 1;
      }
    } else {
      return { ok: false, problem: `a ZIP entry packed with method ${method}, not opened` };
    }
    if (total > maxBytes) return { ok: false, problem: `unpacks to more than ${Math.round(maxBytes / 1024 / 1024)} MB, not opened` };
    at = next;
  }
  return { ok: true, bytes: total, entries: count };
}
