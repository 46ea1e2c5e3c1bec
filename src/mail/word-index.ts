// Finding many word sequences in a text in one pass: roster names, offensive words and
// chain-mail phrases share one index, so a message's text is cut into words once, whatever the
// number of names and phrases. Words are compared folded: lower case, accents removed, a
// possessive 's dropped. An entry matches only whole words that follow each other; `*` in an
// entry stands for any one word. Names may also be split by a spreadsheet's separators
// (`Poppy,Hazelwood`), phrases only by spaces.

export type WordGap = 'space' | 'cell';

export interface WordHit<T> {
  payload: T;
  start: number;
  end: number;
}

// Letters of every script without the Unicode flag (several times faster on message text):
// ASCII letters, and everything above U+00C0 except the general punctuation block.
const LETTER = 'A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u1FFF\\u2070-\\uFFFF';
const TEXT_WORD = new RegExp(`[${LETTER}0-9][${LETTER}0-9'\\u2019-]*`, 'g');
// the separator and the next word, read from a given position
const NEXT_WORD = new RegExp(`([^${LETTER}0-9]{1,6})([${LETTER}0-9][${LETTER}0-9'\\u2019-]*)`, 'y');
const SPACE_GAP = /^[ \t\u00a0]*(?:\r?\n)?[ \t\u00a0]*$/;
// a spreadsheet cell boundary with optional quotes, or spaces
const CELL_GAP = /^(?:[ \t\u00a0]*(?:\r?\n)?[ \t\u00a0]*|\s*["']?\s*[,;\t|]\s*["']?\s*)$/;
const NON_ASCII = /[^\x00-\x7f]/;
const MARKS = /\p{M}+/gu;
const ANY = '*';

/** A word as the index compares it (`Hazelwood’s` → `hazelwood`, `Zoë` → `zoe`). */
export function foldWord(word: string): string {
  let w = word.toLowerCase();
  if (NON_ASCII.test(w)) w = w.normalize('NFD').replace(MARKS, '').replace(/’/g, "'");
  if (w.endsWith("'s")) w = w.slice(0, -2);
  else if (w.endsWith("'")) w = w.slice(0, -1);
  return w;
}

/** The folded words of a text, in order. */
export function foldedWords(text: string): string[] {
  return Array.from(text.matchAll(new RegExp(TEXT_WORD)), (m) => foldWord(m[0]));
}

/**
 * A number for a word's first two letters (ASCII, any case) and length, a possessive `'s` not
 * counted; -1 when the word starts with other characters. Rules most words out before a string
 * is made for them.
 */
function quickKey(word: string): number {
  let length = word.length;
  const last = word.charCodeAt(length - 1);
  const before = word.charCodeAt(length - 2);
  if (length > 2 && (last === 115 || last === 83) && (before === 39 || before === 0x2019)) length -= 2;
  else if (last === 39 || last === 0x2019) length -= 1;
  const a = word.charCodeAt(0);
  const b = length > 1 ? word.charCodeAt(1) : 0;
  if (a > 127 || b > 127) return -1;
  return (((a | 32) << 7) | (b === 0 ? 0 : b | 32)) * 64 + Math.min(length, 63);
}

interface Entry<T> {
  /** the words after the first */
  rest: string[];
  gap: RegExp;
  payload: T;
}

export class WordSequenceIndex<T> {
  private readonly byFirst = new Map<string, Entry<T>[]>();
  private readonly keys = new Set<number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds a sequence of folded words (from `foldedWords`); a leading `*` is not allowed. */
  add(words: readonly string[], payload: T, gap: WordGap): void {
    if (words.length === 0 || words[0] === ANY) return;
    const key = quickKey(words[0]!);
    if (key >= 0) this.keys.add(key);
    const list = this.byFirst.get(words[0]!) ?? [];
    list.push({ rest: words.slice(1), gap: gap === 'cell' ? CELL_GAP : SPACE_GAP, payload });
    this.byFirst.set(words[0]!, list);
    this.count++;
  }

  /**
   * Each entry found in the text, once (its first place), in order of appearance; entries for
   * which `skip` says so are passed over. At most `limit` hits.
   */
  find(text: string, skip?: (payload: T) => boolean, limit = 500): WordHit<T>[] {
    const hits: WordHit<T>[] = [];
    if (this.count === 0) return hits;
    const found = new Set<Entry<T>>();
    const re = new RegExp(TEXT_WORD);
    for (let m = re.exec(text); m && hits.length < limit; m = re.exec(text)) {
      const word = m[0];
      const key = quickKey(word);
      if (key >= 0 && !this.keys.has(key)) continue;
      const entries = this.byFirst.get(foldWord(word));
      if (!entries) continue;
      const start = m.index;
      // the words after this one, read once for all entries that start here
      const following: Array<{ word: string; gap: string; end: number } | null> = [];
      const after = (i: number) => {
        while (following.length <= i) {
          const previous = following.length === 0 ? start + word.length : following[following.length - 1]?.end;
          if (previous === undefined) {
            following.push(null);
            continue;
          }
          NEXT_WORD.lastIndex = previous;
          const n = NEXT_WORD.exec(text);
          following.push(n ? { word: foldWord(n[2]!), gap: n[1]!, end: n.index + n[0].length } : null);
        }
        return following[i];
      };
      for (const entry of entries) {
        if (found.has(entry) || skip?.(entry.payload)) continue;
        let end = start + word.length;
        let ok = true;
        for (let i = 0; i < entry.rest.length; i++) {
          const next = after(i);
          if (!next || !entry.gap.test(next.gap) || (entry.rest[i] !== ANY && entry.rest[i] !== next.word)) {
            ok = false;
            break;
          }
          end = next.end;
        }
        if (ok) {
          found.add(entry);
          hits.push({ payload: entry.payload, start, end });
        }
      }
    }
    return hits;
  }
}
