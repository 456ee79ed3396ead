import type { Db, Tx } from './prisma.js';

/**
 * One mutation, one transaction. Prisma's interactive transaction defaults (5 s) are too short for imports and
 * merges of long histories; the caller's work decides, not a timer.
 */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  return db.$transaction(fn, { maxWait: 10_000, timeout: opts.timeoutMs ?? 60_000 });
}
