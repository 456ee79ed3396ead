import pg from 'pg';
import type { Logger } from 'pino';
import { FEED_CHANNEL } from './append.js';

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

/**
 * One dedicated connection per process LISTENs on the feed channel (a pooled connection would lose its LISTEN when
 * it returns to the pool). When it drops it reconnects with backoff, and then wakes every feed: whatever committed
 * while it was away is read by cursor, so nothing is missed.
 */
export function listenForFeed(
  databaseUrl: string,
  handlers: { wake(workspaceId: string): void; wakeAll(): void },
  logger: Logger,
): { ready: Promise<void>; close(): Promise<void> } {
  let client: pg.Client | undefined;
  let closed = false;
  let backoff = MIN_BACKOFF_MS;
  let timer: NodeJS.Timeout | undefined;
  let first = true;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const connect = async () => {
    timer = undefined;
    const c = new pg.Client({ connectionString: databaseUrl, application_name: 'rocqet-feed' });
    client = c;
    c.on('notification', (msg) => {
      if (msg.channel !== FEED_CHANNEL || !msg.payload) return;
      const ws = msg.payload.split(':', 1)[0];
      if (ws) handlers.wake(ws);
    });
    c.on('error', (err) => {
      logger.warn({ err: err.message }, 'feed: the LISTEN connection failed; reconnecting');
      retry(c);
    });
    c.on('end', () => retry(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${FEED_CHANNEL}`);
      backoff = MIN_BACKOFF_MS;
      if (!first) handlers.wakeAll();
      first = false;
      resolveReady();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'feed: cannot LISTEN yet; retrying');
      retry(c);
    }
  };

  const retry = (c: pg.Client) => {
    if (closed || client !== c || timer) return;
    client = undefined;
    c.end().catch(() => {});
    first = false;
    timer = setTimeout(() => void connect(), backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  };

  void connect();
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      resolveReady();
      await client?.end().catch(() => {});
    },
  };
}
