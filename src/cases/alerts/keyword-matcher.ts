// Safeguarding keyword lists matched against search terms. Both sides are normalised the same
// way (Unicode compatibility forms, accents and case removed, punctuation turned into spaces), and
// each term becomes a pattern that also accepts the usual look-alike spellings:
// - leetspeak: a letter matches its digit or symbol stand-ins (`k1ll`, `$elf h4rm`);
// - stretched letters: a letter may repeat (`kiiill`); a doubled letter may not shrink, since
//   `butt` typed once is the everyday `but`;
// - the words of a phrase may run together (`killmyself`) but not break apart mid-word.
// A term matches whole words only: nothing letter- or digit-like may touch it on either side, so
// `Scunthorpe` never matches a list holding the word inside it. Scripts written without spaces
// (Chinese, Japanese, Thai, …) have no word edges to test, so their terms match anywhere.
// One compiled pattern per list: a search can hit several lists and each is reported.

export interface KeywordList {
  id: string;
  title: string;
  /** BCP 47 language tag → terms */
  terms: Readonly<Record<string, readonly string[]>>;
}

export interface KeywordMatch {
  list: string;
  /** the term of the list that matched, as the policy writes it */
  term: string;
  language: string;
  /** the matched part of the search, normalised (lower case, no accents), as typed otherwise */
  matched: string;
}

// Letters people write with digits or symbols; symbols here survive normalisation.
const LOOKALIKES: Readonly<Record<string, string>> = {
  a: 'a4@',
  b: 'b8',
  e: 'e3',
  g: 'g9',
  i: 'i1!|',
  l: 'l1|',
  o: 'o0',
  s: 's5$',
  t: 't7',
  z: 'z2',
};

// Letters Unicode does not decompose into a base letter and a mark.
const FOLDS: Readonly<Record<string, string>> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h' };

/** Everything but letters, digits and the look-alike symbols: word separators. */
const NOT_WORD = /[^\p{L}\p{N}@$!|]+/gu;
const NO_SPACES_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

const ASCII = /^[\x00-\x7f]*$/;
const NOT_WORD_ASCII = /[^a-z0-9@$!|]+/g;

/** Compatibility-folded, accent-free, lower case, punctuation as single spaces. */
export function normaliseSearchText(text: string): string {
  // most searches are plain ASCII: nothing to decompose or fold
  if (ASCII.test(text)) return text.toLowerCase().replace(NOT_WORD_ASCII, ' ').trim();
  const folded = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ßæœøłđðþıħ]/g, (c) => FOLDS[c] ?? c);
  return folded.replace(NOT_WORD, ' ').trim();
}

function escape(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The pattern source of one term, or null when nothing of it is left after normalisation. */
export function termPattern(term: string): string | null {
  // Symbols in a term are spelling, not look-alikes: `c++` is written as it is.
  const words = normaliseSearchText(term)
    .split(' ')
    .map((w) => w.replace(/[@$!|]/g, ''))
    .filter((w) => w !== '');
  if (words.length === 0) return null;
  const wordPatterns = words.map((word) => {
    let out = '';
    const chars = [...word];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      // a run of one letter (`ll`): at least that many, more allowed
      let run = 1;
      while (chars[i + 1] === c) {
        i++;
        run++;
      }
      const set = LOOKALIKES[c];
      const atom = set ? `[${escape(set)}]` : escape(c);
      if (set || /\p{L}/u.test(c)) out += `${atom}{${run},}`;
      else out += run === 1 ? atom : `${atom}{${run}}`;
    }
    return out;
  });
  const body = wordPatterns.join(' ?');
  if (NO_SPACES_SCRIPT.test(term)) return body;
  // whole words: no letter, digit or look-alike symbol directly before or after
  return `(?<![\\p{L}\\p{N}@$|])${body}(?![\\p{L}\\p{N}@$|])`;
}

interface CompiledList {
  id: string;
  pattern: RegExp;
  /** capture group i + 1 → term i */
  terms: Array<{ term: string; language: string }>;
}

export class KeywordMatcher {
  private readonly lists: CompiledList[];

  constructor(lists: readonly KeywordList[]) {
    this.lists = [];
    for (const list of lists) {
      const terms: CompiledList['terms'] = [];
      const sources: string[] = [];
      for (const [language, words] of Object.entries(list.terms)) {
        for (const term of words) {
          const source = termPattern(term);
          if (source === null) continue;
          terms.push({ term, language });
          sources.push(`(${source})`);
        }
      }
      if (sources.length > 0) this.lists.push({ id: list.id, terms, pattern: new RegExp(sources.join('|'), 'u') });
    }
  }

  /** True when no list has a usable term (nothing to test). */
  get empty(): boolean {
    return this.lists.length === 0;
  }

  /** The first match of each list in the search, in list order. */
  match(search: string): KeywordMatch[] {
    const text = normaliseSearchText(search);
    if (text === '') return [];
    const out: KeywordMatch[] = [];
    for (const list of this.lists) {
      const found = list.pattern.exec(text);
      if (!found) continue;
      const index = found.findIndex((group, i) => i > 0 && group !== undefined);
      const term = list.terms[index - 1];
      if (term) out.push({ list: list.id, term: term.term, language: term.language, matched: found[0] });
    }
    return out;
  }
}
