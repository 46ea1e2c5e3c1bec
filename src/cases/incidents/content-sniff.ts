// What a file really is, from its own bytes. Evidence is accepted only when the declared type
// and the bytes agree, so a script renamed `.png` is refused at upload rather than trusted at
// download (the download also says `nosniff`, but the stored type must be true in the first place).
import type { EvidenceType } from './incident-model.ts';

/** Every type the sniffer recognises; the policy's `evidence.types` is limited to these. */
export const SNIFFABLE_TYPES: readonly EvidenceType[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = ascii('GIF87a');
const GIF89 = ascii('GIF89a');
const RIFF = ascii('RIFF');
const WEBP = ascii('WEBP');
const PDF = ascii('%PDF-');
const IHDR = [0, 0, 0, 13, ...ascii('IHDR')];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Plain text: valid UTF-8 with no control characters other than tab, line feed, form feed and
 * carriage return. A NUL or an escape byte means a binary file or terminal tricks, not a message.
 */
function isPlainText(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return false;
  }
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) return false;
    if (code === 0x7f) return false;
  }
  return true;
}

/** The type the bytes show, or null when they are none of the types evidence may have. */
export function sniffContentType(bytes: Uint8Array): EvidenceType | null {
  if (bytes.length === 0) return null;
  // the signature alone is not a PNG: its first chunk must be the 13-byte IHDR (else HTML with
  // eight bytes in front would pass for an image)
  if (startsWith(bytes, PNG)) return startsWith(bytes, IHDR, 8) ? 'image/png' : null;
  if (startsWith(bytes, JPEG)) return 'image/jpeg';
  if (startsWith(bytes, GIF87) || startsWith(bytes, GIF89)) return 'image/gif';
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return 'image/webp';
  if (startsWith(bytes, PDF)) return 'application/pdf';
  if (isPlainText(bytes)) return 'text/plain';
  return null;
}

/** `image/PNG; charset=x` → `image/png`; `image/jpg` (a common mislabel) → `image/jpeg`. */
export function normaliseContentType(declared: string): string {
  const base = declared.split(';')[0]!.trim().toLowerCase();
  return base === 'image/jpg' || base === 'image/pjpeg' ? 'image/jpeg' : base;
}

/**
 * An image's pixels as large as this are no screenshot or photo (a phone's is under 50 million):
 * a small file declaring more is a decompression bomb for whoever opens it.
 */
export const MAX_EVIDENCE_PIXELS = 100_000_000;

/** Width and height from an image's header, or null when the header does not say (or is cut short). */
export function imageDimensions(bytes: Uint8Array, type: EvidenceType): { width: number; height: number } | null {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (n: number): boolean => view.length >= n;
  switch (type) {
    case 'image/png':
      return has(24) ? { width: view.readUInt32BE(16), height: view.readUInt32BE(20) } : null;
    case 'image/gif':
      return has(10) ? { width: view.readUInt16LE(6), height: view.readUInt16LE(8) } : null;
    case 'image/webp': {
      if (!has(30)) return null;
      const chunk = view.toString('latin1', 12, 16);
      if (chunk === 'VP8X') return { width: view.readUIntLE(24, 3) + 1, height: view.readUIntLE(27, 3) + 1 };
      if (chunk === 'VP8L') {
        const bits = view.readUInt32LE(21);
        return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
      }
      if (chunk === 'VP8 ') return { width: view.readUInt16LE(26) & 0x3fff, height: view.readUInt16LE(28) & 0x3fff };
      return null;
    }
    case 'image/jpeg': {
      // walk the marker segments up to the start of scan; a frame header (SOFn) holds the size
      let at = 2;
      while (at + 4 <= view.length && view[at] === 0xff) {
        const marker = view[at + 1]!;
        if (marker === 0xff) {
          at++;
          continue;
        }
        if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
          at += 2;
          continue;
        }
        if (marker === 0xd9 || marker === 0xda) return null;
        const length = view.readUInt16BE(at + 2);
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          return at + 9 <= view.length ? { width: view.readUInt16BE(at + 7), height: view.readUInt16BE(at + 5) } : null;
        }
        if (length < 2) return null;
        at += 2 + length;
      }
      return null;
    }
    default:
      return null;
  }
}
