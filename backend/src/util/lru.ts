/**
 * A bounded map of values made once per key, least recently used dropped first (Map keeps insertion order, so a hit
 * is re-inserted and the first key is always the oldest). `make` may throw: nothing is stored then.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();

  constructor(readonly max: number) {}

  get(key: K, make: () => V): V {
    if (this.#map.has(key)) {
      const found = this.#map.get(key) as V;
      this.#map.delete(key);
      this.#map.set(key, found);
      return found;
    }
    const made = make();
    this.#map.set(key, made);
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value as K);
    return made;
  }
}
