export interface Embedder {
  /** Stable id of everything that shapes a vector; caches are keyed by (model, content hash). */
  readonly model: string;
  readonly dimensions: number;
  /** Unit-normalised vectors, in the order of `texts`. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Optional: pay start-up costs (e.g. loading a model) before the first request needs them. */
  warmup?(): Promise<void>;
  close(): Promise<void>;
}
