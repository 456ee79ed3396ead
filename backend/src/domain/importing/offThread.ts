import { spawnWorker } from '../../workerThread.js';
import { DomainError } from '../errors.js';
import { concatBytes, readImportRequest, type ReadImport, type ReadRefusal } from './readBody.js';

/** What the reader thread is sent: the body's bytes as they arrive, then the end of them. */
export type ToReader = { kind: 'chunk'; bytes: Uint8Array } | { kind: 'end' };

/** What the reader thread sends: the import read in parts small enough to deserialise without stalling the loop. */
export type FromReader =
  | { kind: 'refused'; refusal: ReadRefusal }
  | { kind: 'start'; head: ReadImport }
  | { kind: 'items'; key: string; items: unknown[] }
  | { kind: 'done' };

/** Bodies up to this size are read on the event loop: parsing them takes a few milliseconds. */
const INLINE_BYTES = 1024 * 1024;

function refusal(r: ReadRefusal): DomainError {
  return new DomainError(r.code, r.message, r.extra);
}

/**
 * Reads an import request body (JSON, contract, the file and every item in it) without holding the event loop. A
 * large body is handed to a worker thread of its own chunk by chunk — even gathering 60 MB into one buffer costs the
 * loop hundreds of milliseconds — and the result comes back in small parts.
 */
export async function readImportOffLoop(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<ReadImport> {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for await (const c of chunks) {
    parts.push(c);
    bytes += c.byteLength;
  }
  if (bytes <= INLINE_BYTES) {
    const result = readImportRequest(concatBytes(parts));
    if (!result.ok) throw refusal(result.refusal);
    return result.value;
  }
  // Started once the body is in: a worker booting beside a 60 MB upload competes with it for the same cores.
  const worker = spawnWorker(import.meta.url, 'readWorker');
  try {
    const done = new Promise<ReadImport>((resolve, reject) => {
      let read: ReadImport | undefined;
      worker.on('message', (m: FromReader) => {
        if (m.kind === 'refused') reject(refusal(m.refusal));
        else if (m.kind === 'start') read = m.head;
        else if (m.kind === 'items') (read!.read as unknown as Record<string, unknown[]>)[m.key]!.push(...m.items);
        else resolve(read!);
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the import reader stopped (exit code ${code})`)));
    });
    for (const c of parts.splice(0)) {
      // Handed over without a copy when the chunk owns its buffer; a view on a larger buffer is copied first.
      const own = c.byteOffset === 0 && c.byteLength === c.buffer.byteLength ? c : new Uint8Array(c);
      worker.postMessage({ kind: 'chunk', bytes: own } satisfies ToReader, [own.buffer as ArrayBuffer]);
    }
    worker.postMessage({ kind: 'end' } satisfies ToReader);
    return await done;
  } finally {
    void worker.terminate();
  }
}
