/**
 * Misspelt queries made from titles, deterministically: one typo (deletion, transposition, substitution or
 * insertion, at a random place) in one word or in every word of at least 4 letters (shorter words cannot carry one:
 * search corrects none, as Typesense does not).
 */
export type TypoKind = 'deletion' | 'transposition' | 'substitution' | 'insertion';
export const TYPO_KINDS: TypoKind[] = ['deletion', 'transposition', 'substitution', 'insertion'];

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** One typo of the given kind; the result always differs from the word. */
export function misspell(word: string, kind: TypoKind, random: () => number): string {
  const c = [...word];
  const at = (n: number) => Math.floor(random() * n);
  const letter = (not?: string) => {
    for (;;) {
      const l = LETTERS[at(LETTERS.length)] as string;
      if (l !== not?.toLowerCase()) return l;
    }
  };
  switch (kind) {
    case 'deletion': {
      const i = at(c.length);
      c.splice(i, 1);
      break;
    }
    case 'insertion': {
      const i = at(c.length + 1);
      c.splice(i, 0, letter());
      break;
    }
    case 'substitution': {
      const i = at(c.length);
      c[i] = letter(c[i]);
      break;
    }
    case 'transposition': {
      const pairs = c.slice(0, -1).map((_, i) => i).filter((i) => c[i]?.toLowerCase() !== c[i + 1]?.toLowerCase());
      if (pairs.length === 0) return misspell(word, 'substitution', random);
      const i = pairs[at(pairs.length)] as number;
      [c[i], c[i + 1]] = [c[i + 1] as string, c[i] as string];
      break;
    }
  }
  const out = c.join('');
  return out.toLowerCase() === word.toLowerCase() ? misspell(word, kind, random) : out;
}

const WORD = /[\p{L}\p{M}]+/gu;
const typoable = (w: string) => [...w].length >= 4;

export interface MisspeltQuery {
  title: string;
  q: string;
  kinds: TypoKind[];
}

/**
 * `n` distinct titles (drawn with the seed) that have a word of at least 4 letters, each misspelt in one such word
 * (`every` false) or in all of them.
 */
export function misspeltQueries(titles: string[], n: number, seed: number, every: boolean): MisspeltQuery[] {
  const random = prng(seed);
  const pool = [...new Set(titles)].filter((t) => (t.match(WORD) ?? []).some(typoable)).sort();
  const out: MisspeltQuery[] = [];
  const used = new Set<number>();
  while (out.length < Math.min(n, pool.length)) {
    const i = Math.floor(random() * pool.length);
    if (used.has(i)) continue;
    used.add(i);
    const title = pool[i] as string;
    const words = [...title.matchAll(WORD)].filter((m) => typoable(m[0]));
    const chosen = every ? words : [words[Math.floor(random() * words.length)] as RegExpMatchArray];
    let q = '';
    let last = 0;
    const kinds: TypoKind[] = [];
    for (const m of chosen) {
      const kind = TYPO_KINDS[Math.floor(random() * TYPO_KINDS.length)] as TypoKind;
      kinds.push(kind);
      q += title.slice(last, m.index) + misspell(m[0], kind, random);
      last = (m.index as number) + m[0].length;
    }
    out.push({ title, q: q + title.slice(last), kinds });
  }
  return out;
}
