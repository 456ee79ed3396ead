import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Long-lived connections held per token (feed streams, collab websockets), counted against a limit. */
export interface ConnectionSlots {
  /** Takes one of `limit` slots of `kind` for `holder`; the release function gives it back (idempotent), or null when all are taken. */
  acquire(kind: string, holder: string, limit: number): Promise<(() => void) | null>;
  close(): Promise<void>;
}

/** One process counting on its own (no Redis; or Redis not answering). */
export function createMemorySlots(): ConnectionSlots {
  const counts = new Map<string, number>();
  return {
    async acquire(kind, holder, limit) {
      const key = `${kind}:${holder}`;
      const n = counts.get(key) ?? 0;
      if (n >= limit) return null;
      counts.set(key, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left > 0) counts.set(key, left);
        else counts.delete(key);
      };
    },
    close: async () => {},
  };
}

/*
 * One hash per (kind, holder): for each process, its count (field `<process>`) and when its lease on them ends (field
 * `<process>:exp`, Redis server time in ms). Taking a slot first drops the counts of processes whose lease ended (they
 * died without giving their slots back), then counts the rest. Each process renews the leases of the hashes it holds
 * a slot in; the hash itself expires with the last lease, so nothing is left behind when every process is gone.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fields = redis.call('HGETALL', KEYS[1])
local used = 0
for i = 1, #fields, 2 do
  local f = fields[i]
  if string.sub(f, -4) == ':exp' then
    if tonumber(fields[i + 1]) < now then
      local p = string.sub(f, 1, -5)
      redis.call('HDEL', KEYS[1], p, f)
    end
  end
end
fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if string.sub(fields[i], -4) ~= ':exp' then used = used + tonumber(fields[i + 1]) end
end
if used >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[1], ARGV[1] .. ':exp', now + tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`;

const RELEASE = `
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1], ARGV[1] .. ':exp') end
return left`;

const RENEW = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1] .. ':exp', now + tonumber(ARGV[2]))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 1`;

/**
 * The per-token limits across every backend process on one Redis. A process's slots are a lease it renews every
 * `leaseMs / 3`, so a process that dies (kill -9, a lost host) gives them back within `leaseMs` instead of leaking them
 * for good. When Redis does not answer, slots are counted by this process alone (as the rate limiter does): a limit
 * must never be what takes streams down.
 */
export function createRedisSlots(
  redis: Redis,
  opts: { leaseMs: number; prefix?: string; onError?: (err: unknown) => void },
): ConnectionSlots & { processId: string } {
  const processId = randomUUID();
  const prefix = opts.prefix ?? 'rocqet:slots:';
  const local = createMemorySlots();
  /** Hash key → slots this process holds in it. */
  const held = new Map<string, number>();
  const renew = () => {
    if (held.size === 0) return;
    const batch = redis.pipeline();
    for (const key of held.keys()) batch.eval(RENEW, 1, key, processId, opts.leaseMs);
    batch.exec().catch((err: unknown) => opts.onError?.(err));
  };
  const timer = setInterval(renew, Math.max(50, Math.floor(opts.leaseMs / 3)));
  timer.unref();
  return {
    processId,
    async acquire(kind, holder, limit) {
      const key = `${prefix}${kind}:${holder}`;
      let taken: unknown;
      try {
        taken = await redis.eval(ACQUIRE, 1, key, processId, limit, opts.leaseMs);
      } catch (err) {
        opts.onError?.(err);
        return local.acquire(kind, holder, limit);
      }
      if (taken !== 1) return null;
      held.set(key, (held.get(key) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (held.get(key) ?? 1) - 1;
        if (left > 0) held.set(key, left);
        else held.delete(key);
        redis.eval(RELEASE, 1, key, processId).catch((err: unknown) => opts.onError?.(err));
      };
    },
    async close() {
      clearInterval(timer);
      // A graceful stop gives every slot back at once (its streams and sockets are being closed anyway).
      await Promise.all([...held.keys()].map((key) => redis.hdel(key, processId, `${processId}:exp`).catch(() => 0)));
      held.clear();
    },
  };
}
