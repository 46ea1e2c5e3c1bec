// The structural checks a message must pass before it is parsed. The parser is forgiving and
// would read almost anything; a message that fails here is refused with 554 5.6.0 and a clear
// sentence, rather than being judged on a guess of what it meant to say.

const MAX_HEADER_BYTES = 1024 * 1024;
const FIELD_LINE = /^[!-9;-~]+[ \t]*:/;

function headerEnd(raw: Uint8Array, limit: number): number {
  // the first empty line: LF LF or CR LF CR LF
  for (let i = 0; i < limit - 1; i++) {
    if (raw[i] !== 0x0a) continue;
    if (raw[i + 1] === 0x0a) return i + 1;
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return i + 1;
  }
  return -1;
}

/** Why the message is malformed, or null when its structure is sound enough to parse. */
export function structuralProblem(raw: Uint8Array): string | null {
  if (raw.byteLength === 0) return 'the message is empty';
  const limit = Math.min(raw.byteLength, MAX_HEADER_BYTES);
  let end = headerEnd(raw, limit);
  if (end < 0) {
    if (raw.byteLength > MAX_HEADER_BYTES) return `the header section is longer than ${MAX_HEADER_BYTES} bytes or never ends`;
    end = raw.byteLength;
  }
  const header = Buffer.from(raw.buffer, raw.byteOffset, end).toString('latin1');
  if (!FIELD_LINE.test(header)) return 'the message does not start with a header field (`Name: value`)';
  if (header.includes('\0')) return 'the header section contains a NUL byte';
  // The top-level Content-Type, unfolded.
  const type = /^content-type[ \t]*:([^\n]*(?:\r?\n[ \t][^\n]*)*)/im.exec(header);
  if (type && /^\s*multipart\//i.test(type[1]!)) {
    const value = type[1]!.replace(/\r?\n[ \t]/g, ' ');
    const boundary = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(value);
    if (!boundary) return 'a multipart message without a boundary parameter';
    const marker = `--${boundary[1] ?? boundary[2]}`;
    if (!Buffer.from(raw.buffer, raw.byteOffset + end, raw.byteLength - end).includes(marker, 0, 'latin1')) {
      return `the multipart boundary \`${(boundary[1] ?? boundary[2])!.slice(0, 70)}\` never appears in the body`;
    }
  }
  return null;
}
