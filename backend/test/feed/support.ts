// A raw SSE reader for the feed tests: real HTTP, the bytes the server wrote, parsed by the sdk's SSE parser (which
// sdk/test/sse.test.ts pins down on its own).
import { createSseParser, type FeedEvent } from '@rocqet/sdk';

export interface ReceivedEvent {
  id: string;
  event: string;
  data: FeedEvent;
}

export interface OpenFeed {
  status: number;
  headers: Headers;
  /** The problem document when the stream was refused. */
  problem: { code?: string; detail?: string } | undefined;
  events: ReceivedEvent[];
  comments: number;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Resolves once `n` events arrived (rejects after `ms`, naming what did arrive). */
  waitFor(n: number, ms?: number): Promise<ReceivedEvent[]>;
  /** Waits `ms` and returns what arrived meanwhile: for asserting that nothing (more) comes. */
  settle(ms: number): Promise<ReceivedEvent[]>;
  close(): void;
}

export async function openFeed(
  baseUrl: string,
  token: string,
  opts: { query?: Record<string, string>; lastEventId?: string } = {},
): Promise<OpenFeed> {
  const url = new URL(baseUrl + '/v1/events');
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const abort = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
  if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
  const res = await fetch(url, { headers, signal: abort.signal });
  const events: ReceivedEvent[] = [];
  let comments = 0;
  const waiters = new Set<() => void>();
  let markEnded!: () => void;
  const ended = new Promise<void>((r) => (markEnded = r));
  const feed: OpenFeed = {
    ended,
    status: res.status,
    headers: res.headers,
    problem: undefined,
    events,
    get comments() {
      return comments;
    },
    waitFor(n, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (events.length < n) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(events.slice(0, n));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${n} events within ${ms} ms, got ${events.length}: ${events.map((e) => e.event).join(', ')}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async settle(ms) {
      await new Promise((r) => setTimeout(r, ms));
      return [...events];
    },
    close: () => abort.abort(),
  };
  if (res.status !== 200 || !res.body) {
    feed.problem = (await res.json().catch(() => undefined)) as OpenFeed['problem'];
    return feed;
  }
  const parser = createSseParser({
    onActivity: () => {},
    onEvent: (e) => {
      events.push({ id: e.id ?? '', event: e.event, data: JSON.parse(e.data) as FeedEvent });
      for (const w of [...waiters]) w();
    },
  });
  const countComments = (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.startsWith(':')) comments++;
  };
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        countComments(text);
        parser.push(text);
      }
    } catch {
      // aborted by close()
    }
    markEnded();
  })();
  return feed;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
