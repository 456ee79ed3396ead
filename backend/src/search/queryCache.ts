import type { Embedder } from './embedder/index.js';

/**
 * Query vectors by (model, query text), least recently used first out. People repeat searches (and page through
 * them), and a query embedding costs a few milliseconds locally or a network round trip with a hosted model.
 * Concurrent requests for the same text share one embed call.
 */
export class QueryVectorCache {
  readonly #max: number;
  readonly #map = new Map<string, Promise<Float32Array>>();
  hits = 0;
  misses = 0;

  constructor(max = 1000) {
    this.#max = max;
  }

  get size(): number {
    return this.#map.size;
  }

  get(embedder: Embedder, text: string): Promise<Float32Array> {
    const key = `${embedder.model}\u0000${text}`;
    const known = this.#map.get(key);
    if (known) {
      this.hits++;
      // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
      this.#map.delete(key);
      this.#map.set(key, known);
      return known;
    }
    this.misses++;
    const pending = embedder.embed([text]).then(([v]) => {
      if (!v) throw new Error('the embedder returned no vector');
      return v;
    });
    this.#map.set(key, pending);
    // A failure is not cached: the next request tries again.
    pending.catch(() => {
      if (this.#map.get(key) === pending) this.#map.delete(key);
    });
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
    }
    return pending;
  }
}
