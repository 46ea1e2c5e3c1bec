// Reads one message from the DATA stream into memory under the size, header and line limits. A
// message over a limit is still read to its end (the client is mid-DATA and waits for the final
// dot) but not kept, so an oversized message costs no memory.
import type { Readable } from 'node:stream';
import { REPLIES, type SmtpReply } from './smtp-reply.ts';

export interface MessageLimits {
  maxMessageBytes: number;
  maxHeaderBytes: number;
  maxLineBytes: number;
}

export type ReadMessageResult = { ok: true; raw: Buffer } | { ok: false; reply: SmtpReply; bytes: number };

const LF = 0x0a;

export function readMessage(stream: Readable, limits: MessageLimits): Promise<ReadMessageResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let failure: SmtpReply | null = null;
    // bytes of the current line so far (its CR included, its LF not), across chunks
    let lineBytes = 0;
    let lastByte = -1;
    // the header ends at the first empty line; until then its size is limited too
    let inHeader = true;

    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (failure) return;
      if (bytes > limits.maxMessageBytes) {
        failure = REPLIES.tooBig(limits.maxMessageBytes);
        chunks.length = 0;
        return;
      }
      // Line lengths and the header's end in one pass; `indexOf` keeps the long runs between
      // line feeds in native code.
      let from = 0;
      for (;;) {
        const lf = chunk.indexOf(LF, from);
        lineBytes += (lf === -1 ? chunk.length : lf) - from;
        if (lineBytes > limits.maxLineBytes + 1) {
          failure = REPLIES.lineTooLong(limits.maxLineBytes);
          chunks.length = 0;
          return;
        }
        if (lf === -1) break;
        if (inHeader) {
          const before = lf > 0 ? chunk[lf - 1]! : lastByte;
          if (lineBytes === 0 || (lineBytes === 1 && before === 0x0d)) inHeader = false;
        }
        lineBytes = 0;
        from = lf + 1;
      }
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
      if (inHeader && bytes > limits.maxHeaderBytes) {
        failure = REPLIES.headerTooBig(limits.maxHeaderBytes);
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => {
      if (failure) resolve({ ok: false, reply: failure, bytes });
      else resolve({ ok: true, raw: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes) });
    });
    stream.once('error', reject);
  });
}

/**
 * The header section must be header fields (`Name: value`) and their folded continuation lines.
 * Returns why it is not, with the 1-based line, or null. The MIME structure below it is the
 * inspector's to judge; this only refuses what no parser could read as a message.
 */
export function headerProblem(raw: Buffer, maxHeaderBytes: number): string | null {
  const window = raw.subarray(0, Math.min(raw.length, maxHeaderBytes + 4));
  let line = 0;
  let from = 0;
  while (from < window.length) {
    const lf = window.indexOf(LF, from);
    const end = lf === -1 ? window.length : lf;
    const text = window.subarray(from, end > from && window[end - 1] === 0x0d ? end - 1 : end);
    line += 1;
    if (text.length === 0) return null;
    if (text.includes(0)) return `malformed message header at line ${line}: it contains a NUL byte`;
    const first = text[0]!;
    if (first === 0x20 || first === 0x09) {
      if (line === 1) return 'malformed message header at line 1: a continuation line with no field before it';
    } else {
      const colon = text.indexOf(0x3a);
      // RFC 5322 field names: printable ASCII other than the colon, at least one character
      let name = colon > 0;
      for (let i = 0; name && i < colon; i++) {
        const c = text[i]!;
        if (c < 0x21 || c > 0x7e) name = false;
      }
      if (!name) return `malformed message header at line ${line}: \`${preview(text)}\` is not a header field`;
    }
    if (lf === -1) break;
    from = lf + 1;
  }
  return null;
}

function preview(text: Buffer): string {
  const shown = text.subarray(0, 40).toString('latin1').replace(/[^\x20-\x7e]/g, '?').replace(/`/g, "'");
  return text.length > 40 ? `${shown}…` : shown;
}
