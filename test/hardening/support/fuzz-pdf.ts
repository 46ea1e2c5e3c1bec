// One-page PDFs written by hand: a page whose deflated content stream holds `size` bytes of text
// operators, so that a small file can ask pdf.js to read a great deal.
import { createDeflate, deflateSync } from 'node:zlib';

const LINE = Buffer.from('BT /F1 12 Tf 72 712 Td (Ada Fernleigh 05/03/2017) Tj ET\n');

/** `size` bytes of page content, deflated in pieces so that the whole is never in memory. */
async function deflatedContent(size: number): Promise<Buffer> {
  const block = Buffer.alloc(LINE.length * 20_000);
  for (let i = 0; i < block.length; i += LINE.length) LINE.copy(block, i);
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (d: Buffer) => out.push(d));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  for (let left = size; left > 0; left -= block.length) {
    if (!deflate.write(left >= block.length ? block : block.subarray(0, left))) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return Buffer.concat(out);
}

function assemble(packed: Buffer): Buffer {
  const objects: Array<string | Buffer> = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    packed,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n')];
  const offsets: number[] = [];
  let at = parts[0]!.length;
  objects.forEach((object, index) => {
    offsets.push(at);
    const body =
      typeof object === 'string'
        ? Buffer.from(`${index + 1} 0 obj\n${object}\nendobj\n`)
        : Buffer.concat([Buffer.from(`${index + 1} 0 obj\n<< /Length ${object.length} /Filter /FlateDecode >>\nstream\n`), object, Buffer.from('\nendstream\nendobj\n')]);
    parts.push(body);
    at += body.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${at}\n%%EOF\n`));
  return Buffer.concat(parts);
}

/** A PDF showing one line of text. */
export function pdfWithText(text: string): Buffer {
  return assemble(deflateSync(Buffer.from(`BT /F1 12 Tf 72 712 Td (${text.replace(/[()\\]/g, '')}) Tj ET\n`)));
}

/** A PDF of a few hundred kilobytes whose one page holds `size` bytes of content. */
export async function pdfBomb(size: number): Promise<Buffer> {
  return assemble(await deflatedContent(size));
}
