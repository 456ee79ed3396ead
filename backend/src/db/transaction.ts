import { setTimeout as sleep } from 'node:timers/promises';
import { bufferAudits, flushAudits } from '../feed/append.js';
import { isTransientConflict } from './errors.js';
import type { Db, Tx } from './prisma.js';

/** Tries of a transaction that PostgreSQL aborted as a deadlock victim or a serialization failure. */
const ATTEMPTS = 3;

type CommitListener = (workspaceIds: string[]) => void;
const listeners = new WeakMap<Db, Set<CommitListener>>();

/**
 * Calls `listener` with the workspaces a transaction on `db` audited, once it has committed. The embedded database
 * carries no NOTIFY between connections, so this is how a process's own commits reach its feed there (and sooner
 * than NOTIFY on a real server). Per `db`, so two backends in one process still only meet through NOTIFY.
 */
export function onCommitted(db: Db, listener: CommitListener): () => void {
  let set = listeners.get(db);
  if (!set) listeners.set(db, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * One mutation, one transaction. Prisma's interactive transaction defaults (5 s) are too short for imports and
 * merges of long histories; the caller's work decides, not a timer. The audit entries the work records are
 * appended last (feed order: see feed/append.ts).
 *
 * A deadlock (40P01) or serialization failure (40001) means PostgreSQL rolled the whole transaction back because
 * another one got in the way, so running `fn` again is safe and is what any client would do; it runs up to three
 * times, after a short random pause. `fn` must therefore act only through `tx` (side effects belong after commit:
 * `onCommitted`). What still fails reaches the HTTP layer as 409 conflict (backend/src/http/dbErrors.ts).
 */
export async function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let audited: string[] = [];
    let result: T;
    try {
      result = await db.$transaction(
        async (tx) => {
          bufferAudits(tx);
          const value = await fn(tx);
          audited = await flushAudits(tx);
          return value;
        },
        { maxWait: 10_000, timeout: opts.timeoutMs ?? 60_000 },
      );
    } catch (err) {
      if (attempt >= ATTEMPTS || !isTransientConflict(err)) throw err;
      await sleep(Math.round(Math.random() * 20 * attempt));
      continue;
    }
    for (const listener of audited.length ? (listeners.get(db) ?? []) : []) {
      try {
        listener(audited);
      } catch {
        // a wake-up is a hint; the change is committed whatever a listener does
      }
    }
    return result;
  }
}
