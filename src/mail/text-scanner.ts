// The content detectors, compiled once per policy and roster: personal data (UK identifiers,
// dates of birth, bank details, payment cards, postcodes, roster names), protective markings
// and the policy's word lists. Each text of a message (subject, body, each attachment) is
// handed to `scan` once; candidates are found by precompiled patterns and confirmed by their
// check rules (identifiers.ts), so a near miss such as a bad check digit is not reported.
import { isValidNhsNumber, isValidNino, isValidUpn, paymentCardScheme, POSTCODE_SOURCE } from './identifiers.ts';
import { addNames, NameMatcher } from './name-matcher.ts';
import { initials, outwardCode, tail } from './redact.ts';
import { foldedWords, WordSequenceIndex } from './word-index.ts';

export interface ScanHit {
  /** the catalogue's signal name */
  signal: string;
  /** the normalised value, to count a value once however often it appears; never shown */
  key: string;
  /** the redacted form shown in decisions (the phrase itself for word lists and markings) */
  match: string;
  start: number;
  end: number;
  language?: string;
}

export interface TextScannerOptions {
  markings: readonly string[];
  wordLists: { offensive: Readonly<Record<string, readonly string[]>>; chain: Readonly<Record<string, readonly string[]>> };
  /** full names from the roster */
  names: readonly string[];
}

export interface ScanOptions {
  /** look for personal data and markings */
  personalData?: boolean;
  /** look for the word lists */
  words?: boolean;
  /** the text is a CSV or TSV file: a date-of-birth column makes its dates dates of birth */
  csv?: boolean;
  /** folded names not to report (the sender's own) */
  excludeNames?: ReadonlySet<string>;
}

// Uppercase as written on forms; lower-case look-alikes are ordinary words and numbers.
const NINO = /(?<![A-Za-z0-9])([A-Z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])(?![A-Za-z0-9])/g;
// 3-3-4 with one kind of separator, or ten digits in a row
const NHS = /(?<![\d+][ -]?)(\d{3})([ -]?)(\d{3})\2(\d{4})(?![ -]?\d)/g;
const NHS_KEYWORD = /\bnhs\b/i;
const UPN = /(?<![A-Za-z0-9])[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z](?![A-Za-z0-9])/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,22}(?![\d])/g;
// NOTE: no two adjacent repeats may match the same characters (mail is hostile input)
const SORT_CODE = /(?<![\d-])(\d{2})([- ])(\d{2})\2(\d{2})(?![\d-])|sort[ \t-]?code[\s:]*(?:(?:no\.?|number)[\s:]*)?(\d{6})(?!\d)/gi;
const ACCOUNT = /(?<![\d-])\d{8}(?![\d-])/g;
const BANK_KEYWORD = /sort|account|\bacc(?:t|\.)?\b|a\/c|\bbank|\bbacs\b/i;
const BANK_DISTANCE = 80;
const POSTCODE = new RegExp(`(?<![A-Za-z0-9])${POSTCODE_SOURCE}(?![A-Za-z0-9])`, 'g');
const DOB_KEYWORD = /(?<![\p{L}])(?:d\.?o\.?b\b\.?|date\s+of\s+birth|birth\s?date|birthday|born(?:\s+on)?)(?![\p{L}])/giu;
const DOB_HEADER = /^\s*["']?\s*(?:d\.?o\.?b\.?|date\s+of\s+birth|birth\s?date|birthday|born)\s*["']?\s*$/i;
const KEYWORD_WINDOW = 40;
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?';
const DATE = new RegExp(
  [
    '(?<!\\d)(\\d{1,2})[/.-](\\d{1,2})[/.-](\\d{4}|\\d{2})(?!\\d)',
    '(?<!\\d)(\\d{4})-(\\d{1,2})-(\\d{1,2})(?!\\d)',
    `(?<!\\d)(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH},?\\s+(\\d{4})(?!\\d)`,
    `${MONTH}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})(?!\\d)`,
  ].join('|'),
  'i',
);
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** A date found in the text: `{ day, month, year }` when it is a real calendar date, else null. */
function readDate(m: RegExpExecArray): { day: number; month: number; year: number } | null {
  let day: number;
  let month: number;
  let year: number;
  if (m[1] !== undefined) [day, month, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if (m[4] !== undefined) [year, month, day] = [Number(m[4]), Number(m[5]), Number(m[6])];
  else if (m[7] !== undefined) [day, month, year] = [Number(m[7]), MONTHS.indexOf(m[8]!.toLowerCase()) + 1, Number(m[9])];
  else [month, day, year] = [MONTHS.indexOf(m[10]!.toLowerCase()) + 1, Number(m[11]), Number(m[12])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  return { day, month, year };
}

/** Cells of one CSV or TSV line with their offsets, quotes respected. */
function csvCells(line: string, offset: number): Array<{ text: string; start: number; end: number }> {
  const cells: Array<{ text: string; start: number; end: number }> = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (i === line.length || (!quoted && (c === ',' || c === ';' || c === '\t'))) {
      cells.push({ text: line.slice(start, i), start: offset + start, end: offset + i });
      start = i + 1;
    }
  }
  return cells;
}

function markingsPattern(markings: readonly string[]): RegExp | null {
  if (markings.length === 0) return null;
  const sources = [...markings]
    .sort((a, b) => b.length - a.length)
    .map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/[\s-]+/g, '[\\s-]+'));
  return new RegExp(`(?<![A-Za-z0-9])(?:${sources.join('|')})(?![A-Za-z0-9])`, 'g');
}

/** What an entry of the word index stands for: a roster name or a word-list phrase. */
type WordPayload =
  | { kind: 'name'; name: string; folded: string }
  | { kind: 'offensive' | 'chain'; language: string; phrase: string };

export class TextScanner {
  /** the roster's names alone, for display names and the like */
  readonly names: NameMatcher;
  /** names and phrases together: one pass over a text's words finds both */
  private readonly words = new WordSequenceIndex<WordPayload>();
  private readonly markings: RegExp | null;

  constructor(options: TextScannerOptions) {
    this.names = new NameMatcher(options.names);
    addNames(this.words, options.names, (p): WordPayload => ({ kind: 'name', name: p.name, folded: p.folded }));
    for (const kind of ['offensive', 'chain'] as const) {
      for (const [language, phrases] of Object.entries(options.wordLists[kind])) {
        for (const phrase of phrases) {
          const words = phrase.trim().split(/\s+/).flatMap((w) => (w === '*' ? ['*'] : foldedWords(w)));
          this.words.add(words, { kind, language, phrase }, 'space');
        }
      }
    }
    this.markings = markingsPattern(options.markings);
  }

  /** Everything the options ask for in one text, in order of the detectors. */
  scan(text: string, options: ScanOptions): ScanHit[] {
    const hits: ScanHit[] = [];
    const personal = options.personalData !== false;
    if (personal) this.personalData(text, options, hits);
    if (personal || options.words) this.wordHits(text, personal, options.words === true, options.excludeNames, hits);
    return hits;
  }

  private personalData(text: string, options: ScanOptions, hits: ScanHit[]): void {
    // Each pattern is a single left-to-right pass; checks run only on candidates.
    for (const m of text.matchAll(NINO)) {
      const value = `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}`;
      if (isValidNino(value)) hits.push({ signal: 'pii.ni-number', key: value, match: tail(value), start: m.index, end: m.index + m[0].length });
    }
    for (const m of text.matchAll(NHS)) {
      const value = `${m[1]}${m[3]}${m[4]}`;
      if (!isValidNhsNumber(value)) continue;
      // NOTE: one ten-digit number in ten passes the check by chance, so a run of ten digits
      // counts only next to the word NHS; the 3-3-4 grouping is the NHS's own way of writing it.
      if (m[2] === '' && !NHS_KEYWORD.test(text.slice(Math.max(0, m.index - KEYWORD_WINDOW), m.index))) continue;
      hits.push({ signal: 'pii.nhs-number', key: value, match: tail(value), start: m.index, end: m.index + m[0].length });
    }
    for (const m of text.matchAll(UPN)) {
      if (isValidUpn(m[0])) hits.push({ signal: 'pii.upn', key: m[0], match: tail(m[0]), start: m.index, end: m.index + m[0].length });
    }
    this.cards(text, hits);
    this.bankDetails(text, hits);
    this.datesOfBirth(text, options.csv === true, hits);
    for (const m of text.matchAll(POSTCODE)) {
      const value = m[0].replace(/\s+/g, '');
      hits.push({ signal: 'pii.postcode', key: value, match: outwardCode(value), start: m.index, end: m.index + m[0].length });
    }
    if (this.markings) {
      for (const m of text.matchAll(this.markings)) {
        const value = m[0].replace(/\s+/g, ' ');
        hits.push({ signal: 'marking.protective', key: value, match: value, start: m.index, end: m.index + m[0].length });
      }
    }
  }

  private cards(text: string, hits: ScanHit[]): void {
    for (const m of text.matchAll(CARD)) {
      // A card number may run into the digits after it (`4111 1111 1111 1111 12/27`): try each
      // run of whole groups from the start, shortest valid length first.
      const groups = m[0].split(/[ -]/);
      let digits = '';
      let length = 0;
      for (const group of groups) {
        digits += group;
        length += group.length + (length === 0 ? 0 : 1);
        if (digits.length > 19) break;
        if (digits.length < 13) continue;
        const scheme = paymentCardScheme(digits);
        if (scheme) {
          hits.push({ signal: 'pii.payment-card', key: digits, match: `${scheme} ${tail(digits)}`, start: m.index, end: m.index + length });
          break;
        }
      }
    }
  }

  private bankDetails(text: string, hits: ScanHit[]): void {
    SORT_CODE.lastIndex = 0;
    const sortCodes: Array<{ value: string; start: number; end: number }> = [];
    for (const m of text.matchAll(SORT_CODE)) {
      const value = m[5] ?? `${m[1]}${m[3]}${m[4]}`;
      const start = m[5] !== undefined ? m.index + m[0].length - 6 : m.index;
      sortCodes.push({ value, start, end: m.index + m[0].length });
    }
    if (sortCodes.length === 0) return;
    const accounts = Array.from(text.matchAll(ACCOUNT), (m) => ({ value: m[0], start: m.index, end: m.index + m[0].length }));
    for (const sort of sortCodes) {
      const account = accounts.find((a) => Math.abs(a.start - sort.start) <= BANK_DISTANCE);
      if (!account) continue;
      const from = Math.min(sort.start, account.start);
      const to = Math.max(sort.end, account.end);
      if (!BANK_KEYWORD.test(text.slice(Math.max(0, from - KEYWORD_WINDOW), to + KEYWORD_WINDOW))) continue;
      hits.push({
        signal: 'pii.bank-account',
        key: `${sort.value}/${account.value}`,
        match: `sort code ${tail(sort.value, 2)}, account ${tail(account.value)}`,
        start: from,
        end: to,
      });
    }
  }

  private datesOfBirth(text: string, csv: boolean, hits: ScanHit[]): void {
    for (const m of text.matchAll(DOB_KEYWORD)) {
      const from = m.index + m[0].length;
      const window = text.slice(from, from + KEYWORD_WINDOW);
      const d = DATE.exec(window);
      if (!d || !readDate(d)) continue;
      const start = from + d.index;
      hits.push({ signal: 'pii.date-of-birth', key: d[0], match: tail(d[0]), start, end: start + d[0].length });
    }
    if (!csv) return;
    const already = new Set(hits.filter((h) => h.signal === 'pii.date-of-birth').map((h) => h.start));
    // A spreadsheet's date-of-birth column: every date in it is a date of birth.
    const firstBreak = text.indexOf('\n');
    const header = csvCells(firstBreak < 0 ? text : text.slice(0, firstBreak).replace(/\r$/, ''), 0);
    const columns = header.flatMap((cell, i) => (DOB_HEADER.test(cell.text) ? [i] : []));
    if (columns.length === 0 || firstBreak < 0) return;
    let offset = firstBreak + 1;
    while (offset < text.length) {
      let next = text.indexOf('\n', offset);
      if (next < 0) next = text.length;
      const cells = csvCells(text.slice(offset, next).replace(/\r$/, ''), offset);
      for (const column of columns) {
        const cell = cells[column];
        if (!cell) continue;
        const value = cell.text.trim().replace(/^"|"$/g, '');
        const d = DATE.exec(value);
        if (!d || d[0] !== value || !readDate(d)) continue;
        const start = cell.start + cell.text.indexOf(value);
        if (!already.has(start)) hits.push({ signal: 'pii.date-of-birth', key: value, match: tail(value), start, end: start + value.length });
      }
      offset = next + 1;
    }
  }

  private wordHits(text: string, names: boolean, phrases: boolean, exclude: ReadonlySet<string> | undefined, hits: ScanHit[]): void {
    const skip = (p: WordPayload) => (p.kind === 'name' ? !names || exclude?.has(p.folded) === true : !phrases);
    const seenNames = new Set<string>();
    for (const hit of this.words.find(text, skip)) {
      const p = hit.payload;
      if (p.kind === 'name') {
        // a two-word name is indexed both ways round; report it once
        if (seenNames.has(p.folded)) continue;
        seenNames.add(p.folded);
        hits.push({ signal: 'pii.full-name', key: p.folded, match: initials(p.name), start: hit.start, end: hit.end });
      } else {
        const matched = text.slice(hit.start, hit.end).replace(/\s+/g, ' ').toLowerCase();
        const signal = p.kind === 'chain' ? 'content.chain-mail' : 'content.offensive';
        hits.push({ signal, key: `${p.language}:${matched}`, match: matched, start: hit.start, end: hit.end, language: p.language });
      }
    }
  }
}
