import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  /** The MCP endpoint at /mcp: the ref prompts are served at, list page size, and the Host names it answers under. */
  mcp: { defaultRef: string | undefined; pageSize: number; allowedHosts: string[] | undefined };
  collab: CollabConfig;
}

export interface FeedConfig {
  /** How far back `Last-Event-ID` can resume (ROCQET_FEED_REPLAY, default 7d); older cursors get 410. */
  replayMs: number;
  /** Comment lines keep idle streams open through proxies and let clients notice a dead one (ROCQET_FEED_HEARTBEAT_MS). */
  heartbeatMs: number;
  /** Open streams per token (ROCQET_FEED_MAX_PER_TOKEN). */
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
  /** With REDIS_URL: how long a process's lease on a document lasts unrenewed (a dead holder is replaced after it). */
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
    mcp: {
      defaultRef: env.ROCQET_MCP_DEFAULT_REF || undefined,
      pageSize: Math.max(1, Math.min(int(env, 'ROCQET_MCP_PAGE_SIZE', 50), 200)),
      allowedHosts: env.ROCQET_MCP_ALLOWED_HOSTS ? env.ROCQET_MCP_ALLOWED_HOSTS.split(',').map((h) => h.trim()).filter(Boolean) : undefined,
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
  };
}
