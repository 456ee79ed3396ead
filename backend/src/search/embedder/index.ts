import { LocalEmbedder } from './local.js';
import { OpenAIEmbedder } from './openai.js';
import type { Embedder } from './types.js';

export type { Embedder } from './types.js';
export { LocalEmbedder, LOCAL_MODEL_ID, LOCAL_DIMENSIONS, type LocalEmbedderOptions } from './local.js';
export { OpenAIEmbedder, EmbeddingApiError, type OpenAIEmbedderOptions } from './openai.js';
export { embeddingText, EMBEDDING_TEXT_MAX_CHARS } from './text.js';

export type EmbedderConfig =
  | { kind: 'local'; workers?: number }
  | { kind: 'openai'; baseUrl: string; apiKey: string; model: string; dimensions?: number; batchSize?: number };

export function createEmbedder(config: EmbedderConfig): Embedder {
  switch (config.kind) {
    case 'local':
      return new LocalEmbedder({ workers: config.workers });
    case 'openai':
      return new OpenAIEmbedder(config);
  }
}
