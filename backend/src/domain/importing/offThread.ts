import { setImmediate as nextTurn } from 'node:timers/promises';
import { spawnWorker } from '../../workerThread.js';
import { DomainError } from '../errors.js';
import { readImportRequest, type ReadImport, type ReadRefusal } from './readBody.js';

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
 * Reads an import request body (JSON, contract, the file and every item in it) without holding the event loop: a
 * large body is parsed and checked on a worker thread of its own, which hands the result back in small parts.
 */
export async function readImportOffLoop(bytes: Uint8Array): Promise<ReadImport> {
  if (bytes.byteLength <= INLINE_BYTES) {
    await nextTurn();
    const result = readImportRequest(bytes);
    if (!result.ok) throw refusal(result.refusal);
    return result.value;
  }
  // The worker takes the bytes over (no copy) when they fill their buffer, as a large request body does.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  const worker = spawnWorker(import.meta.url, 'readWorker', { workerData: own, transferList: [own.buffer as ArrayBuffer] });
  return new Promise<ReadImport>((resolve, reject) => {
    let read: ReadImport | undefined;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (m: FromReader) => {
      if (m.kind === 'refused') settle(() => reject(refusal(m.refusal)));
      else if (m.kind === 'start') read = m.head;
      else if (m.kind === 'items') ((read!.read as unknown as Record<string, unknown[]>)[m.key]!).push(...m.items);
      else settle(() => resolve(read!));
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the import reader stopped (exit code ${code})`))));
  });
}
