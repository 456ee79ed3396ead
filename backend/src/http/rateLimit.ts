import type { Redis } from 'ioredis';

/** A fixed-window counter per key (token id, or client address for anonymous calls). */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

export interface RateLimiter {
  hit(key: string): Promise<RateLimitDecision> | RateLimitDecision;
}

export function createMemoryRateLimiter(opts: { limit: number; windowMs: number; now?: () => number }): RateLimiter {
  const now = opts.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = now();
  return {
    hit(key) {
      const t = now();
      if (t - lastSweep > opts.windowMs) {
        for (const [k, w] of windows) if (t - w.start >= opts.windowMs) windows.delete(k);
        lastSweep = t;
      }
      let w = windows.get(key);
      if (!w || t - w.start >= opts.windowMs) {
        w = { start: t, count: 0 };
        windows.set(key, w);
      }
      w.count++;
      const resetSeconds = Math.max(1, Math.ceil((w.start + opts.windowMs - t) / 1000));
      return {
        allowed: w.count <= opts.limit,
        limit: opts.limit,
        remaining: Math.max(0, opts.limit - w.count),
        resetSeconds,
      };
    },
  };
}

// One round trip: count the hit, start the window on the first one, and say how long it has left.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

/**
 * The same fixed window, kept in Redis so that every backend process behind a load balancer counts against one
 * limit. When Redis cannot answer quickly, this process falls back to its own counters rather than refusing or
 * stalling requests: a rate limiter must never be what takes the API down.
 */
export function createRedisRateLimiter(
  redis: Redis,
  opts: { limit: number; windowMs: number; onError?: (err: unknown) => void },
): RateLimiter {
  const local = createMemoryRateLimiter(opts);
  return {
    async hit(key) {
      try {
        const [count, ttl] = (await redis.eval(HIT_SCRIPT, 1, `rocqet:ratelimit:${key}`, opts.windowMs)) as [number, number];
        return {
          allowed: count <= opts.limit,
          limit: opts.limit,
          remaining: Math.max(0, opts.limit - count),
          resetSeconds: Math.max(1, Math.ceil(ttl / 1000)),
        };
      } catch (err) {
        opts.onError?.(err);
        return local.hit(key);
      }
    },
  };
}
