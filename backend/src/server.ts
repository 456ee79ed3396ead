import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { pino, type Logger } from 'pino';
import { repoRoot, type Config } from './config.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { sharesOneSession } from './db/sql.js';
import { createPrisma, type Db } from './db/prisma.js';
import { createApp } from './http/app.js';
import { problemBody } from './http/problem.js';
import { createSearchService, type SearchService } from './search/service.js';
import { createMetrics } from './http/metrics.js';
import { createMcpEndpoint } from './http/mcp.js';
import { Redis } from 'ioredis';
import { createMemoryRateLimiter, createRedisRateLimiter } from './http/rateLimit.js';
import { UsageCounter } from './domain/prompts/usage.js';
import { onCommitted } from './db/transaction.js';
import { FeedHub } from './feed/hub.js';
import { listenForFeed } from './feed/listener.js';
import { CollabServer } from './collab/server.js';
import { COLLAB_PATH } from './collab/authenticate.js';
import { redisPeers } from './collab/redisPeers.js';
import { AuthorityWatch } from './feed/authority.js';
import { createMemorySlots, createRedisSlots } from './http/connectionSlots.js';
import { createSlackApp, type SlackApp, type SlackAppOptions } from '@rocqet/slack-app';
import { NO_SECRET_KEY } from './secrets/box.js';

export const version = (
  JSON.parse(readFileSync(path.join(repoRoot, 'backend', 'package.json'), 'utf8')) as { version: string }
).version;

export interface Backend {
  url: string;
  /** y-websocket's serverUrl for drafts: ws://host:port/collab (rooms are <promptId>/<branch>). */
  collabUrl: string;
  collab: CollabServer;
  db: Db;
  search: SearchService;
  pool: pg.Pool;
  feed: FeedHub;
  logger: Logger;
  /** The Slack app when SLACK_* is configured. */
  slack: SlackApp | undefined;
  close(): Promise<void>;
}

/**
 * Connects to `databaseUrl`, applies pending migrations and serves the API. Closing stops accepting requests,
 * lets in-flight ones finish, then releases the database.
 */
export interface BackendOptions {
  /** Replaces the search service made from the environment (tests plug in their own embedder). */
  search?: (db: Db) => SearchService;
  /**
   * The database is the embedded PGlite, which serves one session to every connection: it carries no NOTIFY between
   * connections (this single process hears its own commits in-process, so nothing LISTENs), and a statement name
   * prepared on one connection exists on all of them (so the pool prepares no named statements).
   */
  embedded?: boolean;
  /** Options for the embedded Slack app (tests: a quicker feed poll, fewer Web API retries). */
  slack?: Partial<Pick<SlackAppOptions, 'delivery' | 'retries' | 'deliverFeed'>>;
}

export async function startBackend(
  config: Config & { databaseUrl: string },
  logger?: Logger,
  options: BackendOptions = {},
): Promise<Backend> {
  const log = logger ?? pino({ level: config.logLevel, base: { service: 'rocqet' } });
  const metrics = createMetrics();
  const pool = createPool(config.databaseUrl, {
    max: config.poolSize,
    onQueryTime: (s) => metrics.dbDuration.observe(s),
  });
  if (options.embedded) sharesOneSession(pool);
  try {
    await migrate(pool, { log: (m) => log.info(m) });
  } catch (err) {
    await pool.end().catch(() => {});
    throw databaseError(err as NodeJS.ErrnoException, config.databaseUrl);
  }
  const db = createPrisma(pool);
  // Shared state across processes lives in Redis when there is one; a single process needs none.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { commandTimeout: 250, maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true })
    : undefined;
  redis?.on('error', (err: Error) => log.warn({ err: err.message }, 'redis'));
  await redis?.connect().catch((err: unknown) => log.warn({ err }, 'redis is not reachable yet; rate limits count per process until it is'));
  const usage = new UsageCounter(db).start();
  // Search: the embedder (ROCQET_EMBEDDER) and the worker that embeds prompts after their commits.
  const search = options.search ? options.search(db) : createSearchService({ db, logger: log });
  // The change feed: this process's own commits wake it at once, other processes' through NOTIFY.
  const feed = new FeedHub(pool, log, (n) => metrics.feedEvents.inc(n));
  const stopLocalWake = onCommitted(db, (workspaces) => workspaces.forEach((ws) => feed.wake(ws)));
  const listener = options.embedded ? undefined : listenForFeed(config.databaseUrl, feed, log);
  await listener?.ready;
  // Open streams and sockets follow their token's authority now (revocation, roles, expiry), on every process.
  const authority = new AuthorityWatch(pool, feed, log, config.liveRecheckMs);
  const slots = redis
    ? createRedisSlots(redis, {
        leaseMs: config.collab.leaseMs,
        onError: (err) => log.warn({ err }, 'connection limits: redis did not answer; counting in this process'),
      })
    : createMemorySlots();
  const mcp = createMcpEndpoint(config.mcp, log);
  // The Slack app reaches this backend over HTTP through the sdk like any client; its address is known after listen.
  let selfUrl = '';
  const slack = config.slack
    ? createSlackApp({
        config: config.slack,
        pool,
        box: config.secretBox,
        noKeyMessage: NO_SECRET_KEY,
        backendUrl: () => selfUrl,
        log: (level, message, extra) => log[level]({ ...extra, service: 'slack' }, message),
        ...options.slack,
      })
    : undefined;
  const collab = new CollabServer({
    db,
    pool,
    logger: log,
    config: config.collab,
    registry: metrics.registry,
    feed,
    authority,
    slots,
    ...(config.redisUrl ? { peers: redisPeers({ url: config.redisUrl, logger: log, leaseMs: config.collab.leaseMs }) } : {}),
  });
  const app = createApp({
    collab,
    db,
    pool,
    config,
    logger: log,
    metrics,
    rateLimiter: redis
      ? createRedisRateLimiter(redis, {
          ...config.rateLimit,
          onError: (err) => log.warn({ err }, 'rate limit: redis did not answer; counting in this process'),
        })
      : createMemoryRateLimiter(config.rateLimit),
    version,
    usage,
    search,
    feed,
    authority,
    slots,
    mcp,
    ...(slack ? { slack } : {}),
  });
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      // Express 5 hands listen errors (EADDRINUSE, EACCES) to this callback.
      const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
  } catch (err) {
    await slack?.close().catch(() => {});
    await collab.close().catch(() => {});
    authority.close();
    await slots.close();
    feed.close();
    stopLocalWake();
    await listener?.close();
    await usage.stop().catch(() => {});
    await search.close().catch(() => {});
    redis?.disconnect();
    await db.$disconnect();
    await pool.end();
    throw listenError(err as NodeJS.ErrnoException, config);
  }
  server.keepAliveTimeout = 65_000;
  collab.attach(server);
  // Node answers malformed or oversized requests itself, before Express, with an empty body; answer them as problems.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const code = err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'validation_failed';
    const body = JSON.stringify(
      problemBody(code, code === 'headers_too_large' ? 'the request line or headers exceed 16 KB' : 'the request is not valid HTTP'),
    );
    socket.end(
      `HTTP/1.1 ${code === 'headers_too_large' ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  selfUrl = `http://${host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    collabUrl: `ws://${host}:${port}${COLLAB_PATH}`,
    collab,
    db,
    search,
    pool,
    feed,
    logger: log,
    slack,
    close() {
      closing ??= (async () => {
        // The Slack app's feed streams hold requests open on this server: end them first.
        await slack?.close().catch((err: unknown) => log.warn({ err }, 'the Slack app did not close cleanly'));
        // Drafts first: their clients are told to reconnect and every unsaved edit is stored while the pool is up.
        await collab.close().catch((err: unknown) => log.error({ err }, 'collab drafts did not close cleanly'));
        // Open MCP sessions hold SSE streams: end them first, or close() would wait for them.
        await mcp.close().catch((err: unknown) => log.warn({ err }, 'MCP sessions did not close cleanly'));
        // Open feed streams would hold the server open forever: end them first (their clients resume elsewhere).
        authority.close();
        feed.close();
        await slots.close();
        stopLocalWake();
        await listener?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await usage.stop().catch((err: unknown) => log.warn({ err }, 'usage counts not flushed'));
        await search.close().catch((err: unknown) => log.warn({ err }, 'search service did not stop cleanly'));
        redis?.disconnect();
        await db.$disconnect();
        await pool.end();
      })();
      return closing;
    },
  };
}

function listenError(err: NodeJS.ErrnoException, config: { host: string; port: number }): Error {
  const where = `port ${config.port} on ${config.host}`;
  if (err.code === 'EADDRINUSE') return new Error(`${where} is already in use: stop what holds it, or set PORT to another port`);
  if (err.code === 'EACCES') return new Error(`no permission to listen on ${where}: set PORT to a port above 1023`);
  if (err.code === 'EADDRNOTAVAIL') return new Error(`${config.host} is not an address of this machine: set HOST`);
  return err;
}

/** Connection and setup failures, said in terms of DATABASE_URL (never echoing its password). */
function databaseError(err: NodeJS.ErrnoException, databaseUrl: string): Error {
  let where = 'the database';
  try {
    const u = new URL(databaseUrl);
    where = `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    // loadConfig checked it; keep the generic wording
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused: is PostgreSQL running there?',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the host name could not be resolved',
    ETIMEDOUT: 'the connection timed out',
    '28P01': 'the password was refused',
    '28000': 'the server refused this user or host (pg_hba.conf)',
    '3D000': 'the database does not exist: create it (createdb) or fix the name',
  };
  const reason = err.code ? reasons[err.code] : undefined;
  if (reason) return new Error(`cannot use ${where} (DATABASE_URL): ${reason}`);
  if (/extension "(vector|pg_trgm|fuzzystrmatch)"/.test(err.message)) {
    return new Error(`${where} (DATABASE_URL) lacks an extension Rocqet needs (${err.message}); install pgvector, pg_trgm and fuzzystrmatch there`);
  }
  return err;
}
