import { createHash } from 'node:crypto';
import type { Embedder } from '../../../src/search/embedder/index.js';

/**
 * A deterministic stand-in embedder: a hashed bag of lower-cased words (and their 4-letter prefixes), unit
 * normalised, 512 dimensions. Texts sharing words are close, which is enough to test plumbing, not quality.
 * `behaviour` lets a test make calls fail, hang or fail for chosen texts; `calls` records every batch.
 */
export class FakeEmbedder implements Embedder {
  readonly dimensions = 512;
  readonly calls: string[][] = [];
  behaviour: 'ok' | 'fail' | 'hang' = 'ok';
  /** Texts containing this fail (the rest of a batch succeeds when embedded alone). */
  poison: string | null = null;
  /** Runs before each call resolves (e.g. to change data mid-embed). */
  onEmbed: ((texts: string[]) => Promise<void>) | null = null;

  constructor(readonly model = 'fake-bow-512') {}

  async embed(texts: string[]): Promise<Float32Array[]> {
    this.calls.push(texts);
    if (this.onEmbed) await this.onEmbed(texts);
    if (this.behaviour === 'hang') return new Promise(() => {});
    if (this.behaviour === 'fail') throw new Error('embedding service unavailable (503)');
    if (this.poison && texts.some((t) => t.includes(this.poison as string))) throw new Error(`cannot embed a text containing "${this.poison}"`);
    return texts.map((t) => bagOfWords(t, this.dimensions));
  }

  get textsEmbedded(): number {
    return this.calls.reduce((n, c) => n + c.length, 0);
  }

  async close(): Promise<void> {}
}

export function bagOfWords(text: string, dimensions = 512): Float32Array {
  const v = new Float32Array(dimensions);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    for (const token of [word, word.slice(0, 4)]) {
      const h = createHash('sha1').update(token).digest();
      v[h.readUInt32BE(0) % dimensions]! += h[4]! & 1 ? 1 : -1;
    }
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return v.map((x) => x / norm);
}
