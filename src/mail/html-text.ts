// HTML mail bodies and attachments as plain text for the detectors, and their links for the
// phishing checks. A fast, forgiving pass rather than a DOM: mail HTML is often broken, and the
// detectors only need the words a reader would see (scripts, styles and comments are dropped).

export interface HtmlLink {
  href: string;
  /** the link's visible text, entities decoded, spaces collapsed */
  text: string;
}

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  hellip: '…',
  pound: '£',
  euro: '€',
  copy: '©',
  shy: '',
  zwnj: '',
  zwj: '',
};

const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));?/g;
// NOTE: mail HTML is hostile input. Every pattern stops at the next `<`, and hidden blocks and
// links are cut out by searching forward with indexOf, so no input makes the work quadratic.
const BLOCK_END = /<\/?(?:p|div|br|tr|li|h[1-6]|table|ul|ol|blockquote|section|article|header|footer|hr)\b[^<>]*>/gi;
const CELL = /<\/t[dh]\s*>/gi;
const TAG = /<[^<>]*>/g;
const HREF = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i;
const HIDDEN_OPEN = /<!--|<(script|style|head|title)\b/gi;
const LINK_OPEN = /<a\b([^<>]*)>/gi;
const MAX_LINK_TEXT = 2000;
const CLOSERS: Readonly<Record<string, RegExp>> = {
  comment: /-->/g,
  script: /<\/script\b[^<>]*>/gi,
  style: /<\/style\b[^<>]*>/gi,
  head: /<\/head\b[^<>]*>/gi,
  title: /<\/title\b[^<>]*>/gi,
};
const LINK_CLOSE = /<\/a\b/gi;

/** The HTML without comments, scripts, styles, head and title; an unclosed one hides the rest. */
function withoutHidden(html: string): string {
  let out = '';
  let at = 0;
  HIDDEN_OPEN.lastIndex = 0;
  for (let m = HIDDEN_OPEN.exec(html); m; m = HIDDEN_OPEN.exec(html)) {
    out += `${html.slice(at, m.index)} `;
    const closer = CLOSERS[m[1] ? m[1].toLowerCase() : 'comment']!;
    closer.lastIndex = m.index + m[0].length;
    const end = closer.exec(html);
    if (!end) return out;
    at = end.index + end[0].length;
    HIDDEN_OPEN.lastIndex = at;
  }
  return out + html.slice(at);
}

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (whole, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (dec !== undefined || hex !== undefined) {
      const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    const value = NAMED[name!.toLowerCase()];
    return value ?? whole;
  });
}

export function htmlToText(html: string): string {
  const text = withoutHidden(html).replace(BLOCK_END, '\n').replace(CELL, '\t').replace(TAG, ' ');
  return decodeEntities(text).replace(/[ \t\u00a0]{2,}/g, ' ');
}

/** Links with their visible text, at most `limit`. */
export function htmlLinks(html: string, limit = 500): HtmlLink[] {
  const links: HtmlLink[] = [];
  // the next `</a` at or after a position, found once and reused while it lies ahead
  let close = -2;
  LINK_OPEN.lastIndex = 0;
  for (let m = LINK_OPEN.exec(html); m && links.length < limit; m = LINK_OPEN.exec(html)) {
    const start = m.index + m[0].length;
    if (close < start) {
      LINK_CLOSE.lastIndex = start;
      close = LINK_CLOSE.exec(html)?.index ?? -1;
    }
    if (close < 0) break;
    const h = HREF.exec(m[1]!);
    if (!h) continue;
    const href = decodeEntities(h[1] ?? h[2] ?? h[3] ?? '').trim();
    const inner = html.slice(start, Math.min(close, start + MAX_LINK_TEXT));
    const text = decodeEntities(inner.replace(TAG, ' ')).replace(/\s+/g, ' ').trim();
    links.push({ href, text });
  }
  return links;
}

/** Text that looks like HTML markup rather than plain text. */
export function looksLikeHtml(text: string): boolean {
  return /<(?:html|body|p|div|br|span|table|a)\b[^>]*>/i.test(text);
}
