import { setTimeout as sleep } from 'node:timers/promises';
import { isTransientConflict } from './errors.js';
import type { Db, Tx } from './prisma.js';

/** Tries of a transaction that PostgreSQL aborted as a deadlock victim or a serialization failure. */
const ATTEMPTS = 3;

/**
 * One mutation, one transaction. Prisma's interactive transaction defaults (5 s) are too short for imports and
 * merges of long histories; the caller's work decides, not a timer.
 *
 * A deadlock (40P01) or serialization failure (40001) means PostgreSQL rolled the whole transaction back because
 * another one got in the way, so running `fn` again is safe and is what any client would do; it runs up to three
 * times, after a short random pause. `fn` must therefore act only through `tx` (side effects belong after commit).
 * What still fails reaches the HTTP layer as 409 conflict (backend/src/http/dbErrors.ts).
 */
export async function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.$transaction(fn, { maxWait: 10_000, timeout: opts.timeoutMs ?? 60_000 });
    } catch (err) {
      if (attempt >= ATTEMPTS || !isTransientConflict(err)) throw err;
      await sleep(Math.round(Math.random() * 20 * attempt));
    }
  }
}
