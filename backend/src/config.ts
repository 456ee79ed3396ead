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
  dataDir: string;
  sharedDataDir: string;
  logLevel: string;
  bodyLimit: string;
  poolSize: number;
  rateLimit: { limit: number; windowMs: number };
  /** Check every response against the contract (on in tests; a mismatch is a bug, answered as 500). */
  validateResponses: boolean;
  collab: CollabConfig;
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
    dataDir: path.resolve(env.ROCQET_DATA_DIR ?? path.join(repoRoot, '.rocqet')),
    sharedDataDir: path.resolve(env.ROCQET_SHARED_DATA ?? path.join(repoRoot, '..', 'shared', 'data')),
    logLevel: env.LOG_LEVEL ?? 'info',
    bodyLimit: env.BODY_LIMIT ?? '1mb',
    poolSize: int(env, 'DATABASE_POOL_SIZE', 10),
    rateLimit: { limit: int(env, 'RATE_LIMIT', 600), windowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60_000) },
    validateResponses: env.ROCQET_VALIDATE_RESPONSES === '1',
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
