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
