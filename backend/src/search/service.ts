import { embedderKind } from '../config.js';
import type { Db } from '../db/prisma.js';
import { createEmbedder, type Embedder } from './embedder/index.js';
import { indexStatus, startIndexWorker, type IndexStatus, type IndexWorker, type IndexWorkerOptions } from './jobs.js';
import { QueryVectorCache } from './queryCache.js';
import { search, type FusionWeights, type SearchParams, type SearchResult } from './search.js';

type Logger = NonNullable<IndexWorkerOptions['logger']>;

/** Search for one backend process: the embedder, its index worker and the query-vector cache. */
export interface SearchService {
  readonly embedder: Embedder | null;
  readonly worker: IndexWorker | null;
  search(actor: { workspaceId: string }, params: SearchParams): Promise<SearchResult>;
  status(workspaceId: string): Promise<IndexStatus>;
  close(): Promise<void>;
}

export interface SearchServiceOptions {
  db: Db;
  logger?: Logger;
  /** Null: no semantic search and no worker. Undefined: from the environment (embedderFromEnv). */
  embedder?: Embedder | null;
  /** Start the index worker (default true when there is an embedder). */
  worker?: boolean | Omit<IndexWorkerOptions, 'db' | 'embedder' | 'logger'>;
  weights?: FusionWeights;
}

/**
 * The embedder the environment asks for: ROCQET_EMBEDDER = local (default: USE-lite on CPU, no network) | openai
 * (OPENAI_BASE_URL, OPENAI_API_KEY, ROCQET_EMBEDDING_MODEL, dimensions 512 to fit the column) | off.
 */
export function embedderFromEnv(env: NodeJS.ProcessEnv = process.env): Embedder | null {
  switch (embedderKind(env)) {
    case 'off':
      return null;
    case 'local':
      return createEmbedder({ kind: 'local', ...(env.ROCQET_EMBEDDER_WORKERS ? { workers: Number(env.ROCQET_EMBEDDER_WORKERS) } : {}) });
    case 'openai':
      return createEmbedder({
        kind: 'openai',
        baseUrl: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
        apiKey: env.OPENAI_API_KEY ?? '',
        model: env.ROCQET_EMBEDDING_MODEL ?? 'text-embedding-3-small',
        dimensions: 512,
      });
  }
}

export function createSearchService(options: SearchServiceOptions): SearchService {
  const { db } = options;
  const embedder = options.embedder === undefined ? embedderFromEnv() : options.embedder;
  const workerOptions = typeof options.worker === 'object' ? options.worker : {};
  const worker =
    embedder && options.worker !== false
      ? startIndexWorker({ db, embedder, ...(options.logger ? { logger: options.logger } : {}), ...workerOptions })
      : null;
  const queryCache = new QueryVectorCache(1000);
  let closing: Promise<void> | undefined;
  return {
    embedder,
    worker,
    search: (actor, params) =>
      search(db, actor, params, { embedder, queryCache, ...(options.weights ? { weights: options.weights } : {}) }),
    status: (workspaceId) => indexStatus(db, workspaceId, embedder?.model ?? null),
    close() {
      closing ??= (async () => {
        await worker?.stop();
        await embedder?.close();
      })();
      return closing;
    },
  };
}
