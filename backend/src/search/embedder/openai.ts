import { truncateText } from './text.js';
import type { Embedder } from './types.js';
import { normalise } from './vector.js';

export interface OpenAIEmbedderOptions {
  /** e.g. https://api.openai.com/v1; requests go to `${baseUrl}/embeddings`. */
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Sent as `dimensions` (shortened embeddings). Needed for models not in KNOWN_DIMENSIONS. */
  dimensions?: number;
  /** Inputs per request. */
  batchSize?: number;
  /** Per attempt. */
  timeoutMs?: number;
  /** Retries after the first attempt, for 429, 5xx, timeouts and network errors. */
  maxRetries?: number;
  /** First backoff; doubles per retry, with jitter. A Retry-After from the server takes precedence. */
  retryBaseMs?: number;
  /** Upper bound on any single wait, including one asked for by Retry-After. */
  maxRetryDelayMs?: number;
  /** Inputs are cut to this many characters; the API rejects texts over its token limit. */
  maxChars?: number;
}

const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** A failed embeddings request; `status` is absent for network errors and timeouts. */
export class EmbeddingApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryable = false,
  ) {
    super(message);
    this.name = 'EmbeddingApiError';
  }
}

interface EmbeddingResponse {
  data?: { index?: unknown; embedding?: unknown }[];
}

/** Embeds through an OpenAI-compatible `/embeddings` endpoint, one request per batch, batches in sequence. */
export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  readonly #url: string;
  readonly #options: Required<Omit<OpenAIEmbedderOptions, 'dimensions'>> & { dimensions: number | undefined };
  readonly #closing = new AbortController();

  constructor(options: OpenAIEmbedderOptions) {
    const dimensions = options.dimensions ?? KNOWN_DIMENSIONS[options.model];
    if (dimensions === undefined) {
      throw new Error(`openai embedder: unknown dimensions for model "${options.model}"; set dimensions`);
    }
    this.dimensions = dimensions;
    this.model = `openai:${options.model}@${dimensions}`;
    this.#url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
    this.#options = {
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      model: options.model,
      dimensions: options.dimensions,
      batchSize: options.batchSize ?? 96,
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 5,
      retryBaseMs: options.retryBaseMs ?? 500,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 60_000,
      maxChars: options.maxChars ?? 8_000,
    };
    if (!Number.isInteger(this.#options.batchSize) || this.#options.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${this.#options.batchSize}`);
    }
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.#options.batchSize) {
      // The API rejects empty strings.
      const batch = texts.slice(i, i + this.#options.batchSize).map((t) => truncateText(t, this.#options.maxChars) || ' ');
      out.push(...(await this.#requestWithRetries(batch)));
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closing.abort(new Error('openai embedder was closed'));
  }

  async #requestWithRetries(input: string[]): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      this.#closing.signal.throwIfAborted();
      try {
        return await this.#request(input);
      } catch (error) {
        if (!(error instanceof RetryableError) || attempt >= this.#options.maxRetries) {
          throw error instanceof RetryableError ? error.final(attempt + 1) : error;
        }
        const backoff = this.#options.retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
        await sleep(Math.min(error.retryAfterMs ?? backoff, this.#options.maxRetryDelayMs), this.#closing.signal);
      }
    }
  }

  async #request(input: string[]): Promise<Float32Array[]> {
    const body: Record<string, unknown> = { model: this.#options.model, input, encoding_format: 'float' };
    if (this.#options.dimensions !== undefined) body.dimensions = this.#options.dimensions;
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#options.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        // The timeout also covers reading the body, which is where a stalled server is usually noticed.
        signal: AbortSignal.any([this.#closing.signal, AbortSignal.timeout(this.#options.timeoutMs)]),
      });
      if (!response.ok) {
        const message = `embeddings request failed: ${response.status} ${response.statusText}: ${await apiErrorMessage(response)}`;
        if (response.status === 429 || response.status >= 500) {
          throw new RetryableError(message, response.status, retryAfterMs(response.headers));
        }
        throw new EmbeddingApiError(message, response.status);
      }
      return this.#parse((await response.json()) as EmbeddingResponse, input.length);
    } catch (error) {
      if (error instanceof EmbeddingApiError) throw error;
      if (this.#closing.signal.aborted) throw this.#closing.signal.reason;
      if (error instanceof SyntaxError) throw new EmbeddingApiError(`embeddings response is not JSON: ${error.message}`);
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const detail = timedOut ? `timed out after ${this.#options.timeoutMs} ms` : describe(error);
      throw new RetryableError(`embeddings request to ${this.#url} failed: ${detail}`);
    }
  }

  #parse(json: EmbeddingResponse, count: number): Float32Array[] {
    const vectors = new Array<Float32Array | undefined>(count);
    for (const item of json.data ?? []) {
      const { index, embedding } = item;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count || vectors[index]) {
        throw new EmbeddingApiError(`embeddings response has a bad or repeated index: ${String(index)}`);
      }
      if (!Array.isArray(embedding) || embedding.length !== this.dimensions) {
        const got = Array.isArray(embedding) ? `${embedding.length} dimensions` : typeof embedding;
        throw new EmbeddingApiError(`embeddings response item ${index} has ${got}, expected ${this.dimensions} dimensions`);
      }
      vectors[index] = normalise(embedding as number[]);
    }
    const missing = vectors.findIndex((v) => v === undefined);
    if (missing !== -1 || vectors.length !== count) {
      throw new EmbeddingApiError(`embeddings response lacks item ${missing} of ${count}`);
    }
    return vectors as Float32Array[];
  }
}

class RetryableError extends EmbeddingApiError {
  constructor(
    message: string,
    status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message, status, true);
  }

  final(attempts: number): EmbeddingApiError {
    return new EmbeddingApiError(`${this.message} (gave up after ${attempts} attempts)`, this.status, true);
  }
}

async function apiErrorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string };
    const message = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 500) || '(empty body)';
}

/** `retry-after-ms` (OpenAI) or standard `Retry-After` in seconds or as an HTTP date. */
function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
