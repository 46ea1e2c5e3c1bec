// Charts drawn with the PDF's own vector operations. Every bar carries its figure as text beside
// it, so the chart reads the same to someone who cannot see it (and to a text extractor). A hidden
// count draws no bar of its size: "fewer than N" is a short hatched stub, "withheld" draws nothing.
import { contentWidth, ensureSpace, INK, MUTED, pdfText, RULE, type Pdf } from './pdf-layout.ts';
import { formatShown, shownValue, type ShownCount } from './small-numbers.ts';

export const COLOURS = {
  blocked: '#b83227',
  requested: '#3e6fb0',
  approved: '#2f8a4c',
  declined: '#9a6324',
  done: '#2f8a4c',
  outstanding: '#d9e2ec',
  overdue: '#c0392b',
  passed: '#2f8a4c',
  failed: '#c0392b',
  neutral: '#486581',
} as const;

export interface BarSeries {
  name: string;
  colour: string;
}

export interface BarRow {
  label: string;
  values: readonly ShownCount[];
}

function hatch(doc: Pdf, x: number, y: number, width: number, height: number, colour: string): void {
  doc.save();
  doc.rect(x, y, width, height).lineWidth(0.7).strokeColor(colour).stroke();
  doc.rect(x, y, width, height).clip();
  for (let i = -height; i < width; i += 3) doc.moveTo(x + i, y + height).lineTo(x + i + height, y).lineWidth(0.5).strokeColor(colour).stroke();
  doc.restore();
}

function caption(doc: Pdf, text: string): void {
  doc.x = doc.page.margins.left;
  doc.font('Helvetica-Oblique').fontSize(9).fillColor(MUTED).text(pdfText(text), { width: contentWidth(doc) });
  doc.moveDown(0.3);
}

function legend(doc: Pdf, series: readonly BarSeries[]): void {
  if (series.length < 2) return;
  let x = doc.page.margins.left;
  const y = doc.y;
  doc.font('Helvetica').fontSize(8.5);
  for (const s of series) {
    doc.rect(x, y + 1, 8, 8).fill(s.colour);
    doc.fillColor(INK).text(pdfText(s.name), x + 11, y, { lineBreak: false });
    x += 11 + doc.widthOfString(pdfText(s.name)) + 14;
  }
  doc.y = y + 14;
}

/**
 * Horizontal bars, one group of bars per row (one bar per series), scaled to the largest shown
 * value. A row's label sits on the left; each bar's figure on its right.
 */
export function barChart(doc: Pdf, options: { caption: string; series: readonly BarSeries[]; rows: readonly BarRow[]; empty?: string }): void {
  const { series, rows } = options;
  const barHeight = series.length > 1 ? 7 : 11;
  const rowHeight = series.length * (barHeight + 2) + 6;
  ensureSpace(doc, 40 + Math.min(rows.length, 4) * rowHeight);
  caption(doc, options.caption);
  if (rows.length === 0) {
    doc.font('Helvetica').fontSize(10).fillColor(INK).text(pdfText(options.empty ?? 'Nothing was recorded.'), { width: contentWidth(doc) });
    doc.moveDown(0.6);
    return;
  }
  legend(doc, series);
  const left = doc.page.margins.left;
  const width = contentWidth(doc);
  const labelWidth = Math.min(170, width * 0.35);
  const figureWidth = 62;
  const trackWidth = width - labelWidth - figureWidth - 8;
  const max = Math.max(1, ...rows.flatMap((r) => r.values.map((v) => shownValue(v) ?? 0)));
  for (const row of rows) {
    doc.font('Helvetica').fontSize(8.5);
    const labelHeight = doc.heightOfString(pdfText(row.label), { width: labelWidth - 6 });
    const height = Math.max(rowHeight, labelHeight + 4);
    ensureSpace(doc, height);
    const top = doc.y;
    doc.fillColor(INK).text(pdfText(row.label), left, top + 1, { width: labelWidth - 6 });
    row.values.forEach((value, i) => {
      const colour = series[i]?.colour ?? COLOURS.neutral;
      const y = top + i * (barHeight + 2);
      const x = left + labelWidth;
      const n = shownValue(value);
      let end = x;
      if (n !== null) {
        const w = (n / max) * trackWidth;
        if (w > 0) doc.rect(x, y, Math.max(1, w), barHeight).fill(colour);
        end = x + Math.max(0, w);
      } else if (value.kind === 'fewer-than') {
        hatch(doc, x, y, 6, barHeight, colour);
        end = x + 6;
      }
      doc.font('Helvetica').fontSize(7.5).fillColor(INK).text(formatShown(value), end + 3, y + (barHeight - 7.5) / 2, { lineBreak: false });
    });
    doc.moveTo(left + labelWidth, top - 1).lineTo(left + labelWidth, top + height - 3).lineWidth(0.5).strokeColor(RULE).stroke();
    doc.y = top + height;
  }
  doc.x = left;
  doc.font('Helvetica').fontSize(10).fillColor(INK).moveDown(0.6);
}

/** Vertical bars over time (weeks), with a value axis; a column may be shaded (a holiday week). */
export function columnChart(
  doc: Pdf,
  options: { caption: string; columns: ReadonlyArray<{ label: string; value: ShownCount; shaded?: boolean }>; colour: string; shadedNote?: string },
): void {
  const chartHeight = 150;
  ensureSpace(doc, chartHeight + 70);
  caption(doc, options.caption);
  const left = doc.page.margins.left + 34;
  const width = contentWidth(doc) - 34;
  const top = doc.y + 12;
  const base = top + chartHeight;
  const values = options.columns.map((c) => shownValue(c.value) ?? 0);
  const rawMax = Math.max(1, ...values);
  const step = niceStep(rawMax / 4);
  const max = Math.ceil(rawMax / step) * step;
  doc.font('Helvetica').fontSize(7).fillColor(MUTED);
  for (let v = 0; v <= max; v += step) {
    const y = base - (v / max) * chartHeight;
    doc.moveTo(left, y).lineTo(left + width, y).lineWidth(0.4).strokeColor(RULE).stroke();
    doc.fillColor(MUTED).text(v.toLocaleString('en-GB'), left - 34, y - 3.5, { width: 30, align: 'right', lineBreak: false });
  }
  const slot = width / Math.max(1, options.columns.length);
  const barWidth = Math.max(3, slot * 0.62);
  options.columns.forEach((column, i) => {
    const x = left + i * slot + (slot - barWidth) / 2;
    if (column.shaded) doc.rect(left + i * slot, top, slot, chartHeight).fill('#eef2f6');
    const n = shownValue(column.value);
    if (n !== null && n > 0) {
      const h = (n / max) * chartHeight;
      doc.rect(x, base - h, barWidth, h).fill(options.colour);
    } else if (column.value.kind === 'fewer-than') {
      hatch(doc, x, base - 5, barWidth, 5, options.colour);
    }
    const mark = column.value.kind === 'count' ? '' : column.value.kind === 'fewer-than' ? `<${column.value.below}` : 'w';
    if (mark) doc.font('Helvetica').fontSize(6.5).fillColor(INK).text(mark, left + i * slot, base - 16, { width: slot, align: 'center', lineBreak: false });
    doc.save();
    doc.font('Helvetica').fontSize(6.5).fillColor(INK);
    doc.rotate(-45, { origin: [left + i * slot + slot / 2, base + 6] });
    doc.text(pdfText(column.label), left + i * slot + slot / 2 - 36, base + 3, { width: 40, align: 'right', lineBreak: false });
    doc.restore();
  });
  doc.moveTo(left, base).lineTo(left + width, base).lineWidth(0.8).strokeColor(INK).stroke();
  doc.y = base + 40;
  doc.x = doc.page.margins.left;
  const notes = [
    options.shadedNote && options.columns.some((c) => c.shaded) ? options.shadedNote : '',
    options.columns.some((c) => c.value.kind === 'fewer-than') ? `A hatched stub marked <N: fewer than N.` : '',
    options.columns.some((c) => c.value.kind === 'withheld') ? 'w: withheld so that a small count cannot be worked out from the rest.' : '',
  ].filter((n) => n !== '');
  if (notes.length > 0) doc.font('Helvetica').fontSize(8).fillColor(MUTED).text(pdfText(notes.join(' ')), { width: contentWidth(doc) });
  doc.font('Helvetica').fontSize(10).fillColor(INK).moveDown(0.6);
}

/** 1, 2 or 5 times a power of ten, at least `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (m * power >= rough) return Math.max(1, m * power);
  return Math.max(1, 10 * power);
}

/** Stacked bars of completion (done, still due, overdue) out of the number required, with the figures as text. */
export function completionChart(doc: Pdf, options: { caption: string; rows: ReadonlyArray<{ label: string; required: number; done: number; overdue: number }> }): void {
  ensureSpace(doc, 40 + Math.min(options.rows.length, 4) * 22);
  caption(doc, options.caption);
  if (options.rows.length === 0) {
    doc.font('Helvetica').fontSize(10).fillColor(INK).text('The policy asks for no training or acknowledgement.', { width: contentWidth(doc) });
    doc.moveDown(0.6);
    return;
  }
  legend(doc, [
    { name: 'Done', colour: COLOURS.done },
    { name: 'Still due', colour: COLOURS.outstanding },
    { name: 'Overdue', colour: COLOURS.overdue },
  ]);
  const left = doc.page.margins.left;
  const width = contentWidth(doc);
  const labelWidth = Math.min(170, width * 0.35);
  const figureWidth = 120;
  const trackWidth = width - labelWidth - figureWidth - 6;
  for (const row of options.rows) {
    doc.font('Helvetica').fontSize(8.5);
    const height = Math.max(20, doc.heightOfString(pdfText(row.label), { width: labelWidth - 6 }) + 6);
    ensureSpace(doc, height);
    const top = doc.y;
    doc.fillColor(INK).text(pdfText(row.label), left, top + 2, { width: labelWidth - 6 });
    const x = left + labelWidth;
    const required = Math.max(0, row.required);
    const done = Math.min(required, Math.max(0, row.done));
    const overdue = Math.min(required - done, Math.max(0, row.overdue));
    const part = (n: number) => (required === 0 ? 0 : (n / required) * trackWidth);
    doc.rect(x, top + 2, trackWidth, 11).fill(COLOURS.outstanding);
    if (done > 0) doc.rect(x, top + 2, part(done), 11).fill(COLOURS.done);
    if (overdue > 0) doc.rect(x + trackWidth - part(overdue), top + 2, part(overdue), 11).fill(COLOURS.overdue);
    const percent = required === 0 ? 'none required' : `${done} of ${required} done (${Math.round((done / required) * 100)}%), ${overdue} overdue`;
    doc.font('Helvetica').fontSize(7.5).fillColor(INK).text(percent, x + trackWidth + 6, top + 4, { width: figureWidth, lineBreak: false });
    doc.y = top + height;
  }
  doc.x = left;
  doc.font('Helvetica').fontSize(10).fillColor(INK).moveDown(0.6);
}
