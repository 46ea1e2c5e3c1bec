// Finding the full names of people on the roster in text, case-insensitively and on whole words
// (word-index.ts). Two-word names are also found surname first (`Hazelwood, Poppy`), the order
// school systems export. One-word names are never looked for: they match too much.
import { foldWord, foldedWords, WordSequenceIndex, type WordGap } from './word-index.ts';

export interface NameHit {
  /** the roster name as written there */
  name: string;
  start: number;
  end: number;
}

export interface NamePayload {
  name: string;
  /** the folded form, to compare names (`zoe o'brien`) */
  folded: string;
}

/** The folded form used to compare two names (`Zoë  O’Brien` → `zoe o'brien`). */
export function foldName(name: string): string {
  return foldedWords(name).join(' ');
}

export { foldWord };

/** Adds the roster's names to an index (shared with other word lists). */
export function addNames<T>(index: WordSequenceIndex<T>, names: readonly string[], payload: (name: NamePayload) => T, gap: WordGap = 'cell'): number {
  const seen = new Set<string>();
  for (const name of names) {
    const words = foldedWords(name);
    if (words.length < 2) continue;
    const folded = words.join(' ');
    if (seen.has(folded)) continue;
    seen.add(folded);
    index.add(words, payload({ name, folded }), gap);
    if (words.length === 2) index.add([words[1]!, words[0]!], payload({ name, folded }), gap);
  }
  return seen.size;
}

export class NameMatcher {
  private readonly index = new WordSequenceIndex<NamePayload>();
  readonly size: number;

  constructor(names: readonly string[]) {
    this.size = addNames(this.index, names, (p) => p);
  }

  /** Every roster name in the text, once each; names whose folded form is in `exclude` are skipped. */
  find(text: string, exclude?: ReadonlySet<string>): NameHit[] {
    const seen = new Set<string>();
    const hits: NameHit[] = [];
    for (const hit of this.index.find(text, exclude ? (p) => exclude.has(p.folded) : undefined)) {
      if (seen.has(hit.payload.folded)) continue;
      seen.add(hit.payload.folded);
      hits.push({ name: hit.payload.name, start: hit.start, end: hit.end });
    }
    return hits;
  }
}
