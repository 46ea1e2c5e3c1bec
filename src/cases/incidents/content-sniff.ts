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
  if (startsWith(bytes, PNG)) return 'image/png';
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
