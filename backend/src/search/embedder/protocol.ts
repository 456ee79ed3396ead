// Messages between the worker pool and an embedding worker. Kept apart so a worker imports only types.

export type ToWorker = { type: 'embed'; id: number; texts: string[] };

export type FromWorker =
  | { type: 'ready'; loadMs: number }
  | { type: 'init-error'; message: string }
  /** `vectors` holds `texts.length` unit vectors of `dimensions` floats, back to back. */
  | { type: 'result'; id: number; vectors: Float32Array; dimensions: number }
  | { type: 'error'; id: number; message: string };
