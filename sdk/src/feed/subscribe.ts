import { Problem } from '../contract/common.js';
import { FEED_END_EVENT, FeedEvent } from '../contract/events.js';
import { problemError, RocqetError } from '../errors.js';
import { isProblemCode } from '../problems.js';
import { createSseParser, textChunks } from './sse.js';

export interface FeedFilters {
  /** Only events about this prompt (id or path). */
  prompt?: string;
  /** Only events about this folder, its subfolders and the prompts in them (folder id). */
  folder?: string;
  /** Actions (`prompt.commit`) or prefixes (`prompt`, `tag`). */
  types?: string[];
}

export type FeedState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SubscribeOptions {
  filters?: FeedFilters;
  /** Resume after this event id; without it the feed starts now. */
  after?: string;
  onEvent(event: FeedEvent): void;
  /** The id given was older than the server keeps (410): whatever was derived from the feed must be reloaded. The
   * subscription carries on from now. */
  onResync?(): void;
  /**
   * A failure the subscription does not retry (bad token, no scope, unknown filter target), or the server ending the
   * stream because the token lost the right to it (revoked, expired, its member removed, read scope gone): it is closed.
   */
  onError?(error: RocqetError): void;
  onState?(state: FeedState): void;
  /** Reconnection backoff: the first delay and the cap (milliseconds; defaults 250 and 30 000), with full jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Reconnect when nothing (not even a heartbeat) arrived for this long; default 45 s (three server heartbeats). */
  idleTimeoutMs?: number;
}

export interface Subscription {
  /** The last event id delivered: where a new subscription would resume. */
  readonly lastEventId: string | undefined;
  readonly state: FeedState;
  close(): void;
}

export interface FeedTransport {
  baseUrl: string;
  token: string | undefined;
  fetch: typeof fetch;
  userAgent: string | undefined;
}

/** The problem the server's last event carries (the one a reconnect would be refused with). */
function endedBy(data: string): RocqetError {
  try {
    const problem = Problem.parse(JSON.parse(data));
    if (isProblemCode(problem.code)) return new RocqetError(problem.code, problem.status, problem.detail ?? problem.title, problem);
  } catch {
    // not a problem document
  }
  return new RocqetError('unexpected_response', 0, `the server ended the feed: ${data.slice(0, 200)}`);
}

/** Answers that retrying cannot fix: the subscription stops and says why. */
const FATAL = new Set([400, 401, 403, 404]);

/**
 * Follows the change feed over a streaming fetch (so the token travels in a header). It reconnects after any drop —
 * network error, server restart, silence longer than `idleTimeoutMs` — with exponential backoff and full jitter,
 * resuming with `Last-Event-ID`, so `onEvent` sees every event once, in order.
 */
export function subscribeEvents(transport: FeedTransport, options: SubscribeOptions): Subscription {
  const initialMs = options.backoff?.initialMs ?? 250;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const idleMs = options.idleTimeoutMs ?? 45_000;
  let lastEventId = options.after;
  let state: FeedState = 'connecting';
  let attempt = 0;
  let serverRetryMs = 0;
  let closed = false;
  let resyncPending = false;
  let abort: AbortController | undefined;
  let sleeping: { timer: ReturnType<typeof setTimeout>; resolve(): void } | undefined;

  const setState = (s: FeedState) => {
    if (state === s) return;
    state = s;
    options.onState?.(s);
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      sleeping = { timer: setTimeout(resolve, ms), resolve };
    }).finally(() => (sleeping = undefined));

  const url = () => {
    const u = new URL(transport.baseUrl + '/v1/events');
    const f = options.filters ?? {};
    if (f.prompt) u.searchParams.set('prompt', f.prompt);
    if (f.folder) u.searchParams.set('folder', f.folder);
    if (f.types?.length) u.searchParams.set('types', f.types.join(','));
    return u;
  };

  async function connectOnce(): Promise<void> {
    abort = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (transport.token) headers.authorization = `Bearer ${transport.token}`;
    if (transport.userAgent) headers['user-agent'] = transport.userAgent;
    if (lastEventId) headers['last-event-id'] = lastEventId;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const ctrl = abort;
    const alive = () => {
      clearTimeout(idle);
      idle = setTimeout(() => ctrl.abort(new Error('the feed went silent')), idleMs);
    };
    alive();
    try {
      const res = await transport.fetch(url(), { headers, signal: ctrl.signal });
      if (res.status === 410) {
        // Subscribe afresh at once, and say "resync" only once that stream is open, so that nothing committed
        // between the reload the signal triggers and the new stream can be missed.
        await res.body?.cancel();
        lastEventId = undefined;
        resyncPending = true;
        return;
      }
      if (!res.ok || !res.body) {
        const error = await problemError(res);
        if (FATAL.has(res.status)) throw error;
        return;
      }
      attempt = 0;
      setState('open');
      if (resyncPending) {
        resyncPending = false;
        options.onResync?.();
      }
      let ended: RocqetError | undefined;
      const parser = createSseParser({
        onActivity: alive,
        onRetry: (ms) => (serverRetryMs = ms),
        onEvent: (e) => {
          if (e.event === FEED_END_EVENT) {
            ended = endedBy(e.data);
            ctrl.abort();
            return;
          }
          if (!e.id) return;
          let event: FeedEvent;
          try {
            event = FeedEvent.parse(JSON.parse(e.data));
          } catch {
            return; // not an event of this contract (a newer server's field is fine; garbage is skipped)
          }
          lastEventId = e.id;
          options.onEvent(event);
        },
      });
      try {
        for await (const text of textChunks(res.body)) {
          parser.push(text);
          if (ended) break;
        }
      } catch (err) {
        if (!ended) throw err;
      }
      parser.end();
      if (ended) throw ended;
    } finally {
      clearTimeout(idle);
    }
  }

  void (async () => {
    options.onState?.(state);
    while (!closed) {
      try {
        await connectOnce();
      } catch (err) {
        if (closed) break;
        if (err instanceof RocqetError) {
          closed = true;
          setState('closed');
          options.onError?.(err);
          return;
        }
        // network errors and silences: retried below
      }
      if (closed) break;
      setState('reconnecting');
      if (resyncPending) continue;
      const cap = Math.min(maxMs, initialMs * 2 ** attempt++);
      await sleep(Math.max(serverRetryMs, Math.random() * cap));
    }
    setState('closed');
  })();

  return {
    get lastEventId() {
      return lastEventId;
    },
    get state() {
      return state;
    },
    close() {
      if (closed) return;
      closed = true;
      abort?.abort();
      if (sleeping) {
        clearTimeout(sleeping.timer);
        sleeping.resolve();
      }
    },
  };
}
