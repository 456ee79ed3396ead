import type { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './protocol.js';

export interface PoolOptions {
  size: number;
  /** Starts one worker speaking ./protocol.ts; a factory so tests can drive the pool with a stand-in. */
  spawn: () => Worker;
  /** Name used in error messages. */
  label?: string;
}

export interface PoolStats {
  workers: number;
  /** Batches completed, keyed by worker thread id: shows whether work was spread. */
  batchesByThread: Record<number, number>;
  /** Workers that died after loading and were replaced. */
  replaced: number;
}

interface Job {
  texts: string[];
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  threadId: number;
  ready: boolean;
  job: Job | null;
  jobId: number;
  lastError: Error | null;
  readyPromise: Promise<void>;
  markReady: () => void;
  failStartup: (error: Error) => void;
}

/**
 * A fixed-size pool of embedding workers fed from one FIFO queue of batches, so the event loop only ever
 * posts messages. A worker that dies mid-batch fails that batch (retrying could crash the next worker on the
 * same input) and is replaced. When no worker manages to start, everything queued fails with the cause and the
 * next call starts afresh.
 */
export class WorkerPool {
  readonly #options: Required<PoolOptions>;
  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  readonly #batchesByThread: Record<number, number> = {};
  #replaced = 0;
  #nextJobId = 1;
  #closed = false;

  constructor(options: PoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new RangeError(`pool size must be a positive integer, got ${options.size}`);
    this.#options = { label: 'worker pool', ...options };
  }

  get stats(): PoolStats {
    return { workers: this.#slots.size, batchesByThread: { ...this.#batchesByThread }, replaced: this.#replaced };
  }

  /** Starts the workers if needed and resolves once every one of them is ready. */
  async warmup(): Promise<void> {
    this.#assertOpen();
    this.#start();
    await Promise.all([...this.#slots].map((s) => s.readyPromise));
  }

  run(texts: string[]): Promise<Float32Array[]> {
    this.#assertOpen();
    if (texts.length === 0) return Promise.resolve([]);
    this.#start();
    return new Promise((resolve, reject) => {
      this.#queue.push({ texts, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new Error(`${this.#options.label} was closed`);
    const slots = [...this.#slots];
    this.#slots.clear();
    for (const job of this.#queue.splice(0)) job.reject(error);
    for (const slot of slots) {
      slot.job?.reject(error);
      slot.job = null;
      slot.failStartup(error);
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`${this.#options.label} is closed`);
  }

  #start(): void {
    while (this.#slots.size < this.#options.size) this.#spawn();
  }

  #spawn(): void {
    const worker = this.#options.spawn();
    let markReady!: () => void;
    let failStartup!: (error: Error) => void;
    const readyPromise = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStartup = reject;
    });
    // Only warmup() awaits this; a failure is otherwise reported through the queued jobs.
    readyPromise.catch(() => {});
    const slot: Slot = { worker, threadId: worker.threadId, ready: false, job: null, jobId: 0, lastError: null, readyPromise, markReady, failStartup };
    this.#slots.add(slot);
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, message));
    worker.on('error', (error) => {
      slot.lastError = error;
    });
    worker.on('exit', (code) => this.#onExit(slot, code));
    this.#updateRefs();
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (!this.#slots.has(slot)) return;
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        slot.markReady();
        break;
      case 'init-error':
        this.#failStartup(slot, new Error(`${this.#options.label}: worker failed to start: ${message.message}`));
        return;
      case 'result':
      case 'error': {
        const job = slot.job;
        if (!job || message.id !== slot.jobId) return;
        slot.job = null;
        if (message.type === 'error') {
          job.reject(new Error(`${this.#options.label}: embedding failed: ${message.message}`));
        } else if (message.vectors.length !== message.dimensions * job.texts.length) {
          job.reject(new Error(`${this.#options.label}: worker returned ${message.vectors.length} floats for ${job.texts.length} texts of ${message.dimensions} dimensions`));
        } else {
          this.#batchesByThread[slot.threadId] = (this.#batchesByThread[slot.threadId] ?? 0) + 1;
          job.resolve(split(message.vectors, message.dimensions, job.texts.length));
        }
        break;
      }
    }
    this.#dispatch();
  }

  #onExit(slot: Slot, code: number): void {
    if (!this.#slots.delete(slot)) return; // terminated by us
    const reason = slot.lastError?.message ?? `exit code ${code}`;
    if (!slot.ready) {
      this.#failStartup(slot, new Error(`${this.#options.label}: worker died while starting (${reason})`));
      return;
    }
    if (slot.job) {
      slot.job.reject(
        new Error(`${this.#options.label}: worker crashed while embedding a batch of ${slot.job.texts.length} texts (${reason}); the worker was replaced`),
      );
    }
    this.#replaced++;
    if (!this.#closed) this.#spawn();
    this.#dispatch();
  }

  #failStartup(failed: Slot, error: Error): void {
    this.#slots.delete(failed);
    failed.failStartup(error);
    void failed.worker.terminate();
    // With a loaded sibling the cause was likely this worker's own (memory, a kill): carry on with fewer, and
    // let the next run() start a replacement. With none, nothing will serve the queue.
    if ([...this.#slots].some((s) => s.ready)) return;
    for (const job of this.#queue.splice(0)) job.reject(error);
    for (const slot of [...this.#slots]) {
      this.#slots.delete(slot);
      slot.failStartup(error);
      void slot.worker.terminate();
    }
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) break;
      if (!slot.ready || slot.job) continue;
      const job = this.#queue.shift() as Job;
      slot.job = job;
      slot.jobId = this.#nextJobId++;
      const message: ToWorker = { type: 'embed', id: slot.jobId, texts: job.texts };
      slot.worker.postMessage(message);
    }
    this.#updateRefs();
  }

  // Idle workers must not keep the process alive, but start-up and pending work must, or a script awaiting
  // warmup() or embed() could exit half-way.
  #updateRefs(): void {
    const pending = this.#queue.length > 0;
    for (const slot of this.#slots) {
      if (pending || slot.job || !slot.ready) slot.worker.ref();
      else slot.worker.unref();
    }
  }
}

function split(flat: Float32Array, dimensions: number, count: number): Float32Array[] {
  // Copies, so each vector owns its buffer and callers may serialise `.buffer` directly.
  return Array.from({ length: count }, (_, i) => flat.slice(i * dimensions, (i + 1) * dimensions));
}
