import type { Client } from '../client.js';
import type { FeedEvent } from '../contract/events.js';
import type { RouteOutput, Routes } from '../contract/index.js';
import type { FeedState, Subscription } from './subscribe.js';

export type CachedPrompt = RouteOutput<Routes['getPrompt']>;

export interface PromptCacheOptions {
  /** Every feed event the cache saw, after it invalidated what the event touched (trees, list_changed, …). */
  onEvent?(event: FeedEvent): void;
  onState?(state: FeedState): void;
  /** The feed could not resume (410): the cache was emptied, and whatever else was derived from the feed must reload. */
  onResync?(): void;
  /** Passed to the subscription (tests shorten them). */
  backoff?: { initialMs?: number; maxMs?: number };
  idleTimeoutMs?: number;
}

export interface PromptCacheStats {
  /** Served from memory. */
  hits: number;
  /** Conditional GETs answered 304. */
  revalidated: number;
  /** Full GETs (a miss, or a 200 to a conditional one). */
  fetched: number;
  invalidations: number;
}

export interface PromptCache {
  /** A prompt (id or path) with the text of a ref (default: its default branch), as `getPrompt` answers it. */
  get(prompt: string, ref?: string): Promise<CachedPrompt>;
  readonly state: FeedState;
  readonly stats: Readonly<PromptCacheStats>;
  close(): void;
}

interface Entry {
  value: CachedPrompt;
  etag: string | null;
  /** Proven current while the feed is open: nothing changed it between its read and now, or the feed would have said. */
  verified: boolean;
}

/** Entries about prompts (prompt.*, branch.*, tag.*) and folders (a move or rename changes paths). */
const FOLLOWED = ['prompt', 'branch', 'tag', 'folder'];

/**
 * Prompt reads served from memory and kept current by the change feed instead of a TTL. An entry is served from
 * memory only while the feed is open and the entry was read while it was open with no event arriving meanwhile;
 * any event about its prompt (any ref: a commit, a branch or tag move, a rename, a folder move) drops it. While the
 * feed is down every read is a conditional GET (`If-None-Match`, answered 304 when unchanged), so a read is never
 * staler than the feed, and never staler than the server when the feed cannot say.
 */
export function createPromptCache(client: Client, options: PromptCacheOptions = {}): PromptCache {
  const entries = new Map<string, Entry>();
  const stats: PromptCacheStats = { hits: 0, revalidated: 0, fetched: 0, invalidations: 0 };
  /** Bumped by every invalidation: a read that overlapped one cannot prove it is newer than the event. */
  let epoch = 0;
  const keyOf = (prompt: string, ref: string | undefined) => `${prompt}\u0000${ref ?? ''}`;

  const unverifyAll = () => {
    epoch++;
    for (const e of entries.values()) e.verified = false;
  };

  const invalidate = (event: FeedEvent) => {
    epoch++;
    stats.invalidations++;
    const { promptId, path } = event.subject;
    if (event.resourceType === 'folder') {
      // Paths below the folder may have changed; entries read by id stay right, but checking costs one 304.
      if (event.action !== 'folder.create') unverifyAll();
    } else if (promptId) {
      for (const [key, e] of entries) {
        if (e.value.id === promptId || (path !== null && key.startsWith(path + '\u0000'))) entries.delete(key);
      }
    }
    options.onEvent?.(event);
  };

  const subscription: Subscription = client.events.subscribe({
    filters: { types: FOLLOWED },
    onEvent: invalidate,
    onResync: () => {
      epoch++;
      entries.clear();
      options.onResync?.();
    },
    onState: (s) => {
      if (s !== 'open') unverifyAll();
      options.onState?.(s);
    },
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
  });

  return {
    async get(prompt, ref) {
      const key = keyOf(prompt, ref);
      const cached = entries.get(key);
      if (cached?.verified && subscription.state === 'open') {
        stats.hits++;
        return cached.value;
      }
      const startEpoch = epoch;
      const openAtStart = subscription.state === 'open';
      let res: Awaited<ReturnType<typeof client.raw<'getPrompt'>>>;
      try {
        res = await client.raw('getPrompt', {
          params: { prompt },
          query: ref === undefined ? {} : { ref },
          ...(cached?.etag ? { headers: { 'if-none-match': cached.etag } } : {}),
        });
      } catch (err) {
        entries.delete(key); // gone, moved or refused: nothing to serve from memory any more
        throw err;
      }
      let entry: Entry;
      if (res.status === 304 && cached) {
        stats.revalidated++;
        entry = { ...cached, verified: false };
      } else {
        stats.fetched++;
        entry = { value: res.data, etag: res.headers.get('etag'), verified: false };
      }
      entry.verified = openAtStart && subscription.state === 'open' && epoch === startEpoch;
      entries.set(key, entry);
      return entry.value;
    },
    get state() {
      return subscription.state;
    },
    stats,
    close() {
      subscription.close();
      entries.clear();
    },
  };
}
