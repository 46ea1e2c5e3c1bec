// The page furniture every report PDF shares: A4, the standard PDF fonts (Helvetica), title and
// language in the document's metadata (screen readers announce the title, not the file name),
// headings, paragraphs, tables that carry on over pages, and "Page n of m" on every page.
import PDFDocument from 'pdfkit';

export type Pdf = PDFKit.PDFDocument;

export const PAGE_MARGIN = 56;
export const INK = '#1f2933';
export const MUTED = '#52606d';
export const RULE = '#cbd2d9';

export interface ReportDocumentOptions {
  title: string;
  subject: string;
  keywords: string;
  /** the creation date written into the file (the time the report was produced) */
  producedAt: number;
}

// The standard fonts encode text as WinAnsi; a character outside it would print as nonsense, so
// text loses its accents (Ŵ → W) and anything else unprintable becomes `?`.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

export function pdfText(text: string): string {
  let out = '';
  for (const char of text.normalize('NFC')) {
    const code = char.codePointAt(0)!;
    if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(char)) {
      out += char;
      continue;
    }
    if (char === '\n') {
      out += char;
      continue;
    }
    const plain = char.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
    out += /^[\x20-\x7e]+$/.test(plain) ? plain : '?';
  }
  return out;
}

export function createReportDocument(options: ReportDocumentOptions): Pdf {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: PAGE_MARGIN, bottom: PAGE_MARGIN + 14, left: PAGE_MARGIN, right: PAGE_MARGIN },
    bufferPages: true,
    autoFirstPage: true,
    lang: 'en-GB',
    displayTitle: true,
    info: {
      Title: pdfText(options.title),
      Subject: pdfText(options.subject),
      Keywords: pdfText(options.keywords),
      Author: 'Hedgerow',
      Creator: 'Hedgerow',
      CreationDate: new Date(options.producedAt),
    },
  });
  doc.font('Helvetica').fontSize(10).fillColor(INK);
  return doc;
}

/** The usable width between the margins. */
export function contentWidth(doc: Pdf): number {
  return doc.page.width - doc.page.margins.left - doc.page.margins.right;
}

function bottomLimit(doc: Pdf): number {
  return doc.page.height - doc.page.margins.bottom;
}

/** Starts a new page unless `height` points still fit on this one. */
export function ensureSpace(doc: Pdf, height: number): void {
  if (doc.y + height > bottomLimit(doc)) doc.addPage();
}

/** A new section: on a new page unless most of this one is still free. */
export function startSection(doc: Pdf): void {
  if (doc.y > doc.page.height * 0.45) doc.addPage();
  else doc.moveDown(1.5);
}

export function heading(doc: Pdf, text: string, level: 1 | 2 | 3): void {
  const size = level === 1 ? 18 : level === 2 ? 14 : 11.5;
  ensureSpace(doc, size * 4);
  if (doc.y > doc.page.margins.top + 1) doc.moveDown(level === 1 ? 1 : 0.7);
  doc.x = doc.page.margins.left;
  doc.font('Helvetica-Bold').fontSize(size).fillColor(INK).text(pdfText(text), { width: contentWidth(doc) });
  doc.moveDown(0.3);
  doc.font('Helvetica').fontSize(10);
}

export function paragraph(doc: Pdf, text: string, options: { muted?: boolean; size?: number } = {}): void {
  const size = options.size ?? 10;
  doc.font('Helvetica').fontSize(size);
  ensureSpace(doc, doc.heightOfString(pdfText(text), { width: contentWidth(doc) }) + 4);
  doc.x = doc.page.margins.left;
  doc.fillColor(options.muted ? MUTED : INK).text(pdfText(text), { width: contentWidth(doc) });
  doc.fillColor(INK).moveDown(0.4);
}

/** `label: value` lines, the label in bold. */
export function facts(doc: Pdf, rows: ReadonlyArray<[string, string]>): void {
  const width = contentWidth(doc);
  for (const [label, value] of rows) {
    ensureSpace(doc, 16);
    doc.x = doc.page.margins.left;
    doc.font('Helvetica-Bold').fontSize(10.5).fillColor(INK).text(`${pdfText(label)}: `, { continued: true, width });
    doc.font('Helvetica').text(pdfText(value), { width });
    doc.moveDown(0.2);
  }
}

export interface TableColumn {
  header: string;
  /** share of the width (weights add up to anything) */
  weight: number;
  align?: 'left' | 'right';
}

/** A table with a caption and a header row that repeats on every page it runs over. */
export function table(doc: Pdf, caption: string, columns: readonly TableColumn[], rows: ReadonlyArray<readonly string[]>, options: { size?: number } = {}): void {
  const size = options.size ?? 8.5;
  const width = contentWidth(doc);
  const left = doc.page.margins.left;
  const totalWeight = columns.reduce((sum, c) => sum + c.weight, 0);
  const widths = columns.map((c) => (c.weight / totalWeight) * width);
  const pad = 3;
  const rowHeight = (cells: readonly string[], bold: boolean): number => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size);
    return Math.max(...cells.map((cell, i) => doc.heightOfString(pdfText(cell), { width: widths[i]! - 2 * pad }))) + 2 * pad;
  };
  const drawRow = (cells: readonly string[], bold: boolean, shade: boolean): void => {
    const height = rowHeight(cells, bold);
    const top = doc.y;
    if (shade) doc.rect(left, top, width, height).fill('#f0f4f8');
    let x = left;
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size).fillColor(INK);
    cells.forEach((cell, i) => {
      doc.text(pdfText(cell), x + pad, top + pad, { width: widths[i]! - 2 * pad, align: columns[i]!.align ?? 'left' });
      x += widths[i]!;
    });
    doc.moveTo(left, top + height).lineTo(left + width, top + height).lineWidth(0.5).strokeColor(RULE).stroke();
    doc.y = top + height;
  };
  const header = columns.map((c) => c.header);
  ensureSpace(doc, 30 + rowHeight(header, true) + (rows[0] ? rowHeight(rows[0], false) : 0));
  doc.x = left;
  doc.font('Helvetica-Oblique').fontSize(9).fillColor(MUTED).text(pdfText(caption), { width });
  doc.moveDown(0.2);
  drawRow(header, true, true);
  for (const row of rows) {
    if (doc.y + rowHeight(row, false) > bottomLimit(doc)) {
      doc.addPage();
      drawRow(header, true, true);
    }
    drawRow(row, false, false);
  }
  doc.x = left;
  doc.font('Helvetica').fontSize(10).fillColor(INK).moveDown(0.6);
}

/** The text cut with `…` to fit one line of the width, in the current font. */
function fitLine(doc: Pdf, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text;
  let cut = text;
  while (cut.length > 1 && doc.widthOfString(`${cut}…`) > width) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/** Writes "Page n of m" and a footer line on every page, then ends the document and returns its bytes. */
export function finishDocument(doc: Pdf, footer: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolveBytes, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolveBytes(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // writing inside the bottom margin would start a new page; lift the margin while stamping
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const y = doc.page.height - PAGE_MARGIN + 8;
    const width = contentWidth(doc);
    doc.font('Helvetica').fontSize(8).fillColor(MUTED);
    doc.text(fitLine(doc, pdfText(footer), width * 0.75), doc.page.margins.left, y, { lineBreak: false });
    doc.text(`Page ${i - range.start + 1} of ${range.count}`, doc.page.margins.left, y, { width, align: 'right', lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;
}
