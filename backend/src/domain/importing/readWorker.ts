import { parentPort } from 'node:worker_threads';
import { concatBytes, readImportRequest } from './readBody.js';
import type { FromReader, ToReader } from './offThread.js';

/** Items per message: each message is deserialised on the event loop, so none may be large. */
const BATCH_ITEMS = 500;
const BATCH_CHARS = 2_000_000;

/** The characters of every string in a value: what its structured clone costs, roughly. */
function charsOf(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + charsOf(v), 0);
  if (value && typeof value === 'object') return Object.values(value).reduce((n: number, v) => n + charsOf(v), 0);
  return 16;
}

const post = (m: FromReader) => parentPort!.postMessage(m);

function answer(bytes: Uint8Array): void {
  const result = readImportRequest(bytes);
  if (!result.ok) post({ kind: 'refused', refusal: result.refusal });
  else {
    const { read, ...head } = result.value;
    const lists = Object.entries(read) as [string, unknown[]][];
    post({ kind: 'start', head: { ...head, read: Object.fromEntries(lists.map(([k]) => [k, []])) } as never });
    for (const [key, list] of lists) {
      let batch: unknown[] = [];
      let chars = 0;
      for (const item of list) {
        batch.push(item);
        chars += charsOf(item);
        if (batch.length >= BATCH_ITEMS || chars >= BATCH_CHARS) {
          post({ kind: 'items', key, items: batch });
          batch = [];
          chars = 0;
        }
      }
      if (batch.length) post({ kind: 'items', key, items: batch });
    }
    post({ kind: 'done' });
  }
}

const chunks: Uint8Array[] = [];
parentPort!.on('message', (m: ToReader) => {
  if (m.kind === 'chunk') chunks.push(m.bytes);
  else answer(concatBytes(chunks.splice(0)));
});
