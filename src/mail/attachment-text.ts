// The readable text of an attachment, for the detectors: plain text, CSV and HTML directly,
// Word documents (DOCX) through mammoth, PDF through unpdf (pdf.js). What is read is capped per
// attachment, so one large file cannot stall the filter; what cannot be read is reported as
// such, not guessed at.
import { htmlToText } from './html-text.ts';
import { pdfUnpackedSize } from './pdf-size.ts';
import { zipUnpackedSize } from './zip-size.ts';

export type AttachmentKind = 'text' | 'csv' | 'html' | 'docx' | 'pdf' | 'message' | 'other';

export interface AttachmentLimits {
  /** characters of text kept per attachment */
  maxTextChars: number;
  /** DOCX and PDF files above this many bytes are not opened */
  maxDocumentBytes: number;
  /** PDF pages read at most */
  maxPdfPages: number;
  /** DOCX files that unpack to more than this many bytes are not opened (zip bombs) */
  maxUnpackedBytes: number;
  /** PDF files whose streams unpack to more than this many bytes are not opened (pdf.js reads about 4 MB a second) */
  maxPdfUnpackedBytes: number;
}

export const DEFAULT_ATTACHMENT_LIMITS: AttachmentLimits = {
  maxTextChars: 256 * 1024,
  maxDocumentBytes: 15 * 1024 * 1024,
  maxPdfPages: 50,
  maxUnpackedBytes: 64 * 1024 * 1024,
  maxPdfUnpackedBytes: 16 * 1024 * 1024,
};

export interface AttachmentText {
  kind: AttachmentKind;
  /** null when the attachment is not text or could not be read */
  text: string | null;
  truncated: boolean;
  /** why the text could not be read */
  problem?: string;
}

const BY_TYPE: Readonly<Record<string, AttachmentKind>> = {
  'text/plain': 'text',
  'text/calendar': 'text',
  'text/markdown': 'text',
  'text/csv': 'csv',
  'application/csv': 'csv',
  'text/tab-separated-values': 'csv',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/pdf': 'pdf',
  'message/rfc822': 'message',
};

const BY_EXTENSION: Readonly<Record<string, AttachmentKind>> = {
  txt: 'text',
  text: 'text',
  ics: 'text',
  md: 'text',
  log: 'text',
  csv: 'csv',
  tsv: 'csv',
  htm: 'html',
  html: 'html',
  docx: 'docx',
  pdf: 'pdf',
  eml: 'message',
};

/** What an attachment is, by its declared type, else by its file name's extension. */
export function attachmentKind(mimeType: string, filename: string | null): AttachmentKind {
  const byType = BY_TYPE[mimeType.toLowerCase()];
  if (byType) return byType;
  const extension = /\.([a-z0-9]{1,5})$/i.exec(filename ?? '')?.[1]?.toLowerCase();
  return (extension && BY_EXTENSION[extension]) || 'other';
}

function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return new TextDecoder('utf-8').decode(bytes);
}

function capped(text: string, limits: AttachmentLimits, kind: AttachmentKind): AttachmentText {
  const truncated = text.length > limits.maxTextChars;
  return { kind, text: truncated ? text.slice(0, limits.maxTextChars) : text, truncated };
}

async function docxText(bytes: Uint8Array): Promise<string> {
  const { default: mammoth } = await import('mammoth');
  const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  return result.value;
}

async function pdfText(bytes: Uint8Array, limits: AttachmentLimits): Promise<{ text: string; truncated: boolean }> {
  // pdf.js is large; it is loaded the first time a PDF arrives, not at start.
  const { getDocumentProxy } = await import('unpdf');
  // pdf.js takes ownership of (detaches) the buffer it is given, so it gets a copy
  // verbosity 0: pdf.js would print a warning to the console for every oddity of a hostile file
  const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  try {
    const pages = Math.min(pdf.numPages, limits.maxPdfPages);
    let text = '';
    for (let n = 1; n <= pages && text.length <= limits.maxTextChars; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      for (const item of content.items) {
        if ('str' in item) text += item.hasEOL ? `${item.str}\n` : `${item.str} `;
      }
      text += '\n';
    }
    return { text, truncated: pdf.numPages > pages };
  } finally {
    await pdf.destroy();
  }
}

/** The text of one attachment; never throws. `message` attachments are left to the caller. */
export async function attachmentText(
  mimeType: string,
  filename: string | null,
  content: Uint8Array,
  limits: AttachmentLimits = DEFAULT_ATTACHMENT_LIMITS,
): Promise<AttachmentText> {
  const kind = attachmentKind(mimeType, filename);
  try {
    switch (kind) {
      case 'text':
      case 'csv':
        return capped(decodeText(content.subarray(0, limits.maxTextChars * 4)), limits, kind);
      case 'html':
        return capped(htmlToText(decodeText(content.subarray(0, limits.maxTextChars * 8))), limits, kind);
      case 'docx':
      case 'pdf': {
        if (content.byteLength > limits.maxDocumentBytes) {
          return { kind, text: null, truncated: false, problem: `larger than ${Math.round(limits.maxDocumentBytes / 1024 / 1024)} MB, not opened` };
        }
        if (kind === 'docx') {
          const unpacked = zipUnpackedSize(content, limits.maxUnpackedBytes);
          if (!unpacked.ok) return { kind, text: null, truncated: false, problem: unpacked.problem };
          return capped(await docxText(content), limits, kind);
        }
        const unpacked = pdfUnpackedSize(content, limits.maxPdfUnpackedBytes);
        if (!unpacked.ok) return { kind, text: null, truncated: false, problem: unpacked.problem };
        const pdf = await pdfText(content, limits);
        const result = capped(pdf.text, limits, kind);
        return { ...result, truncated: result.truncated || pdf.truncated };
      }
      default:
        return { kind, text: null, truncated: false };
    }
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
    return { kind, text: null, truncated: false, problem: `cannot be read: ${reason}` };
  }
}
