// How much a PDF's deflated streams unpack to, measured before pdf.js opens it. pdf.js reads a
// page's whole content stream to find its text, at about a quarter of a second per megabyte, on
// the filter's own thread: half a megabyte of deflate holding 200 MB of page content cost 48 s and
// 2 GB of memory. The streams are inflated here with the budget as a hard cap instead.
// NOTE: only FlateDecode streams are measured (nearly every PDF's compression); a stream behind
// LZW or an ASCII filter alone is counted at its packed size.
import { constants, inflateSync } from 'node:zlib';

export type PdfSize = { ok: true; bytes: number; streams: number } | { ok: false; problem: string };

const STREAM = Buffer.from('stream');
const END_STREAM = Buffer.from('endstream');
/** how far back from `stream` its dictionary is looked for */
const DICTIONARY_WINDOW = 4096;

/** The unpacked size of every stream, or why the PDF is not to be opened (over `maxBytes`). */
export function pdfUnpackedSize(data: Uint8Array, maxBytes: number): PdfSize {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let total = 0;
  let streams = 0;
  let from = 0;
  for (;;) {
    const at = bytes.indexOf(STREAM, from);
    if (at < 0) break;
    from = at + STREAM.length;
    // `endstream` contains `stream`; a stream's data starts after the keyword's end of line
    if (at >= 3 && bytes.toString('latin1', at - 3, at) === 'end') continue;
    let start = from;
    if (bytes[start] === 0x0d) start++;
    if (bytes[start] !== 0x0a && start === from) continue;
    if (bytes[start] === 0x0a) start++;
    const endAt = bytes.indexOf(END_STREAM, start);
    const end = endAt < 0 ? bytes.length : endAt;
    streams++;
    const dictionary = bytes.toString('latin1', Math.max(0, at - DICTIONARY_WINDOW), at);
    const own = dictionary.slice(dictionary.lastIndexOf(' obj') + 1);
    // image codecs are never decoded to find text; other streams count at their packed size
    let size = /\/(DCTDecode|JPXDecode|CCITTFaxDecode|JBIG2Decode)\b/.test(own) ? 0 : end - start;
    if (/\/FlateDecode\b/.test(own)) {
      const budget = maxBytes - total;
      try {
        // a stream cut short still counts what it unpacks to, as pdf.js would read it
        size = inflateSync(bytes.subarray(start, end), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, budget + 1) }).length;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') size = budget + 1;
        // damaged data: pdf.js will not get far with it either
      }
    }
    total += size;
    if (total > maxBytes) return { ok: false, problem: `its streams unpack to more than ${Math.round(maxBytes / 1024 / 1024)} MB, not opened` };
    from = Math.max(from, end);
  }
  return { ok: true, bytes: total, streams };
}
