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
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int(env, 'PORT', 4300),
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    dataDir: path.resolve(env.ROCQET_DATA_DIR ?? path.join(repoRoot, '.rocqet')),
    sharedDataDir: path.resolve(env.ROCQET_SHARED_DATA ?? path.join(repoRoot, '..', 'shared', 'data')),
    logLevel: env.LOG_LEVEL ?? 'info',
    bodyLimit: env.BODY_LIMIT ?? '1mb',
    poolSize: int(env, 'DATABASE_POOL_SIZE', 10),
    rateLimit: { limit: int(env, 'RATE_LIMIT', 600), windowMs: int(env, 'RATE_LIMIT_WINDOW_MS', 60_000) },
    validateResponses: env.ROCQET_VALIDATE_RESPONSES === '1',
  };
}
