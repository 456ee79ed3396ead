import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { bufferAudits, flushAudits } from '../feed/append.js';
import { isTransientConflict } from './errors.js';
import type { Db, Tx } from './prisma.js';

/** Tries of a transaction that PostgreSQL aborted as a deadlock victim or a serialization failure. */
const ATTEMPTS = 3;

type CommitListener = (workspaceIds: string[]) => void;
const listeners = new WeakMap<Db, Set<CommitListener>>();
const pending = new WeakMap<Tx, Array<(db: Db) => void>>();

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
    let queued: Array<(db: Db) => void> = [];
    let result: T;
    try {
      result = await db.$transaction(
        async (tx) => {
          queued = [];
          pending.set(tx, queued);
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
    for (const run of queued) run(db);
    return result;
  }
}

/**
 * Runs `fn` after the transaction commits (side effects others may observe: live drafts, caches). Outside
 * `inTransaction` (a bare client) it runs at once.
 */
export function afterCommit(tx: Tx | Db, fn: (db: Db) => void): void {
  const queue = pending.get(tx as Tx);
  if (queue) queue.push(fn);
  else fn(tx as Db);
}

const buses = new WeakMap<Db, EventEmitter>();

/**
 * The committed-changes bus of one database client: what parts of the process (the collab server) follow. One per
 * client rather than a module global, so two backends in one process (tests) do not hear each other.
 */
export function committedEvents(db: Db): EventEmitter {
  let bus = buses.get(db);
  if (!bus) {
    bus = new EventEmitter();
    bus.setMaxListeners(0);
    buses.set(db, bus);
  }
  return bus;
}
