import type { CompareBody, RunBody, RunStreamEvent } from '../contract/runs.js';
import { problemError, RocqetError } from '../errors.js';
import { createSseParser, textChunks, type SseEvent } from '../feed/sse.js';
import type { z } from 'zod';

export interface StreamTransport {
  baseUrl: string;
  token?: string | undefined;
  fetch: typeof fetch;
  userAgent?: string | undefined;
}

export interface StreamRunInput {
  params: { prompt: string };
  body: Omit<z.input<typeof RunBody>, 'stream'>;
  /** Aborting (or leaving the loop early) closes the stream; the server cancels the provider call and logs it. */
  signal?: AbortSignal;
}

export interface StreamCompareInput {
  params: { prompt: string };
  body: Omit<z.input<typeof CompareBody>, 'stream'>;
  signal?: AbortSignal;
}

function toEvent(e: SseEvent): RunStreamEvent | undefined {
  const data = JSON.parse(e.data) as Record<string, unknown>;
  const side = typeof data.side === 'number' ? { side: data.side } : {};
  switch (e.event) {
    case 'run':
      return { type: 'run', ...side, run: data as never };
    case 'attempt':
      return { type: 'attempt', ...side, attempt: data as never };
    case 'delta':
      return { type: 'delta', ...side, text: String(data.text ?? '') };
    case 'done':
      return { type: 'done', ...side, run: data as never };
    case 'compare':
      return { type: 'compare', result: data as never };
    case 'error':
      throw new RocqetError('internal', 500, String(data.detail ?? 'the run stream failed'));
    default:
      return undefined; // an event a newer server added: skipped, as SSE clients do
  }
}

/** POSTs `body` asking for an event stream and yields its events as they arrive, parsed with the feed's SSE parser. */
export async function* streamEvents(t: StreamTransport, path: string, body: unknown, signal?: AbortSignal): AsyncGenerator<RunStreamEvent> {
  const controller = new AbortController();
  const abort = () => controller.abort(signal?.reason);
  if (signal?.aborted) abort();
  signal?.addEventListener('abort', abort, { once: true });
  const headers: Record<string, string> = { accept: 'text/event-stream', 'content-type': 'application/json' };
  if (t.token) headers.authorization = `Bearer ${t.token}`;
  if (t.userAgent) headers['user-agent'] = t.userAgent;
  try {
    let res: Response;
    try {
      res = await t.fetch(t.baseUrl + path, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal });
    } catch (err) {
      throw new RocqetError('network_error', 0, `cannot reach ${t.baseUrl}: ${(err as Error).message}`);
    }
    if (!res.ok) throw await problemError(res);
    if (!res.body) throw new RocqetError('unexpected_response', res.status, 'the run stream has no body');
    const queue: RunStreamEvent[] = [];
    let failure: unknown;
    const parser = createSseParser({
      onEvent: (e) => {
        try {
          const ev = toEvent(e);
          if (ev) queue.push(ev);
        } catch (err) {
          failure ??= err;
        }
      },
    });
    for await (const text of textChunks(res.body)) {
      parser.push(text);
      while (queue.length) yield queue.shift()!;
      if (failure) throw failure;
    }
    parser.end();
  } finally {
    signal?.removeEventListener('abort', abort);
    // Leaving the loop early closes the connection: the server sees the client go and cancels the run.
    controller.abort();
  }
}

export function runPaths(prompt: string) {
  const base = `/v1/prompts/${encodeURIComponent(prompt)}/runs`;
  return { run: base, compare: `${base}/compare` };
}
