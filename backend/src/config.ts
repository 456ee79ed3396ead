import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSlackConfig, type SlackConfig } from '@rocqet/slack-app';
import { loadPrices, type PriceTable } from './domain/runs/prices.js';
import { secretBoxFromEnv, type SecretBox } from './secrets/box.js';

/** The repository root (two levels above backend/src or backend/dist). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Config {
  host: string;
  port: number;
  /** Unset: run the embedded PostgreSQL under dataDir. */
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /**
   * Where clients reach the API (ROCQET_PUBLIC_URL), without a trailing slash. Documents name this, never the
   * request's Host; unset, they name the server relatively ("/").
   */
  publicUrl: string | undefined;
  dataDir: string;
  sharedDataDir: string;
  logLevel: string;
  bodyLimit: string;
  poolSize: number;
  rateLimit: { limit: number; windowMs: number };
  /** Check every response against the contract (on in tests; a mismatch is a bug, answered as 500). */
  validateResponses: boolean;
  feed: FeedConfig;
  /**
   * How often open feed streams and collab sockets re-check their token's authority (ROCQET_LIVE_RECHECK, default 60s),
   * beside reacting at once to token and member changes and to expiry: the bound for anything that leaves no audit entry.
   */
  liveRecheckMs: number;
  /** The MCP endpoint at /mcp: the ref prompts are served at, list page size, and the Host names it answers under. */
  mcp: { defaultRef: string | undefined; pageSize: number; allowedHosts: string[] | undefined; cache: boolean };
  collab: CollabConfig;
  /** The Slack app, served at /slack/* when SLACK_SIGNING_SECRET and a bot token or OAuth credentials are set. */
  slack: SlackConfig | undefined;
  /** ROCQET_SECRET_KEY's box (provider keys, the Slack app's tokens); undefined: storing secrets is refused (NO_SECRET_KEY). */
  secretBox: SecretBox | undefined;
  runs: RunsConfig;
}

/** Running prompts on providers (domain/runs). */
export interface RunsConfig {
  /** Anthropic requires max_tokens: what a run without one sends (ROCQET_RUNS_DEFAULT_MAX_TOKENS). */
  defaultMaxTokens: number;
  /** Tries of the same provider after a rate limit before failing over (ROCQET_RUNS_MAX_RETRIES). */
  maxRetries: number;
  /** A retry-after longer than this fails over instead of waiting (ROCQET_RUNS_MAX_RETRY_WAIT_MS). */
  maxRetryWaitMs: number;
  /** The wait before a retry when the provider names none. */
  retryBackoffMs: number;
  /** One provider request's time limit; past it the run fails over (ROCQET_RUNS_TIMEOUT_MS). */
  timeoutMs: number;
  /** Provider faults in a row that open a provider's circuit, and how long it stays open. */
  breakerFailures: number;
  breakerCooldownMs: number;
  prices: PriceTable;
}

export interface FeedConfig {
  /** How far back `Last-Event-ID` can resume (ROCQET_FEED_REPLAY, default 7d); older cursors get 410. */
  replayMs: number;
  /** Comment lines keep idle streams open through proxies and let clients notice a dead one (ROCQET_FEED_HEARTBEAT_MS). */
  heartbeatMs: number;
  /** Open streams per token (ROCQET_FEED_MAX_PER_TOKEN), across processes with REDIS_URL. */
  maxPerToken: number;
}

/** Collaborative drafts (collab/): persistence and the limits each connection is held to. */
export interface CollabConfig {
  /** A changed draft is stored at most this long after its first unsaved edit. */
  persistMs: number;
  /** A connection that sends nothing this long is closed (a live y-websocket client renews awareness every 15 s). */
  idleMs: number;
  maxMessageBytes: number;
  maxDocumentBytes: number;
  maxConnectionsPerToken: number;
  maxConnectionsPerDocument: number;
  /**
   * With REDIS_URL: how long a process's leases last unrenewed — on a document (a dead holder is replaced after it) and
   * on the per-token connection slots it holds (feed streams and collab sockets of a dead process are freed after it).
   */
  leaseMs: number;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `12h`, `7d`, or plain milliseconds. */
function duration(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m || Number(m[1]) === 0) throw new Error(`${name} must be a duration such as 90s, 30m, 12h or 7d, got "${raw}"`);
  return Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return n;
}

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[], example: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  // An empty host is allowed: postgres:///db?host=/var/run/postgresql is a Unix socket.
  if (!parsed || !protocols.includes(parsed.protocol)) {
    throw new Error(`${name} must be a ${protocols.map((p) => p + '//').join(' or ')} URL such as ${example}`);
  }
  return raw;
}

/** ROCQET_PUBLIC_URL: an http(s) origin with an optional path prefix; nothing that could smuggle state or secrets. */
function publicUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = url(env, 'ROCQET_PUBLIC_URL', ['http:', 'https:'], 'https://rocqet.example.com');
  if (raw === undefined) return undefined;
  const u = new URL(raw);
  if (u.search || u.hash || u.username || u.password || raw.includes('#') || raw.includes('?')) {
    throw new Error(`ROCQET_PUBLIC_URL must not carry a query, a fragment or credentials, got "${raw}"`);
  }
  return u.href.replace(/\/+$/, '');
}

export const EMBEDDER_KINDS = ['local', 'openai', 'off'] as const;
export type EmbedderKind = (typeof EMBEDDER_KINDS)[number];

/** ROCQET_EMBEDDER: local (the default), openai, or off ("none" is accepted for off). */
export function embedderKind(env: NodeJS.ProcessEnv = process.env): EmbedderKind {
  const raw = (env.ROCQET_EMBEDDER || 'local').toLowerCase();
  const kind = raw === 'none' ? 'off' : raw;
  if (!(EMBEDDER_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`ROCQET_EMBEDDER must be local, openai or off, got "${env.ROCQET_EMBEDDER}"`);
  }
  return kind as EmbedderKind;
}

/** Reads and checks the environment; a bad value fails here, before anything starts. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  embedderKind(env);
  // A malformed ROCQET_SECRET_KEY fails the start, not the first stored secret.
  const secretBox = secretBoxFromEnv(env);
  if (int(env, 'ROCQET_EMBEDDER_WORKERS', 2) < 1) throw new Error('ROCQET_EMBEDDER_WORKERS must be at least 1');
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int(env, 'PORT', 4300),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], 'postgres://user:password@localhost:5432/rocqet'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:'], 'redis://localhost:6379'),
    publicUrl: publicUrl(env),
    dataDir: path.resolve(env.ROCQET_DATA_DIR ?? path.join(repoRoot, '.rocqet')),
    sharedDataDir: path.resolve(env.ROCQET_SHARED_DATA ?? path.join(repoRoot, '..', 'shared', 'data')),
    logLevel: env.LOG_LEVEL ?? 'info',
    bodyLimit: env.BODY_LIMIT ?? '1mb',
    poolSize: int(env, 'DATABASE_POOL_SIZE', 10),
    rateLimit: { limit: int(env, 'RATE_LIMIT', 600), windowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60_000) },
    validateResponses: env.ROCQET_VALIDATE_RESPONSES === '1',
    feed: {
      replayMs: duration(env, 'ROCQET_FEED_REPLAY', 7 * 86_400_000),
      heartbeatMs: duration(env, 'ROCQET_FEED_HEARTBEAT_MS', 15_000),
      maxPerToken: int(env, 'ROCQET_FEED_MAX_PER_TOKEN', 10),
    },
    liveRecheckMs: duration(env, 'ROCQET_LIVE_RECHECK', 60_000),
    mcp: {
      defaultRef: env.ROCQET_MCP_DEFAULT_REF || undefined,
      pageSize: Math.max(1, Math.min(int(env, 'ROCQET_MCP_PAGE_SIZE', 50), 200)),
      allowedHosts: env.ROCQET_MCP_ALLOWED_HOSTS ? env.ROCQET_MCP_ALLOWED_HOSTS.split(',').map((h) => h.trim()).filter(Boolean) : undefined,
      cache: env.ROCQET_MCP_CACHE !== 'off',
    },
    collab: {
      persistMs: int(env, 'ROCQET_COLLAB_PERSIST_MS', 2_000),
      idleMs: int(env, 'ROCQET_COLLAB_IDLE_MS', 300_000),
      maxMessageBytes: int(env, 'ROCQET_COLLAB_MAX_MESSAGE_BYTES', 1_048_576),
      maxDocumentBytes: int(env, 'ROCQET_COLLAB_MAX_DOCUMENT_BYTES', 4_194_304),
      maxConnectionsPerToken: int(env, 'ROCQET_COLLAB_MAX_CONNECTIONS_PER_TOKEN', 50),
      maxConnectionsPerDocument: int(env, 'ROCQET_COLLAB_MAX_CONNECTIONS_PER_DOCUMENT', 200),
      leaseMs: int(env, 'ROCQET_COLLAB_LEASE_MS', 3_000),
    },
    slack: loadSlackConfig(env),
    secretBox,
    runs: {
      defaultMaxTokens: Math.max(1, int(env, 'ROCQET_RUNS_DEFAULT_MAX_TOKENS', 4_096)),
      maxRetries: int(env, 'ROCQET_RUNS_MAX_RETRIES', 1),
      maxRetryWaitMs: int(env, 'ROCQET_RUNS_MAX_RETRY_WAIT_MS', 10_000),
      retryBackoffMs: int(env, 'ROCQET_RUNS_RETRY_BACKOFF_MS', 1_000),
      timeoutMs: duration(env, 'ROCQET_RUNS_TIMEOUT_MS', 120_000),
      breakerFailures: Math.max(1, int(env, 'ROCQET_RUNS_BREAKER_FAILURES', 3)),
      breakerCooldownMs: int(env, 'ROCQET_RUNS_BREAKER_COOLDOWN_MS', 30_000),
      prices: loadPrices(env.ROCQET_RUN_PRICES || undefined),
    },
  };
}
