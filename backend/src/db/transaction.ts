import { EventEmitter } from 'node:events';
import type { Db, Tx } from './prisma.js';

const pending = new WeakMap<Tx, Array<(db: Db) => void>>();

/**
 * One mutation, one transaction. Prisma's interactive transaction defaults (5 s) are too short for imports and
 * merges of long histories; the caller's work decides, not a timer. What `afterCommit` queued runs once the
 * transaction has committed, never for one that rolled back.
 */
export async function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  let queued: Array<(db: Db) => void> = [];
  const result = await db.$transaction(
    async (tx) => {
      queued = [];
      pending.set(tx, queued);
      return fn(tx);
    },
    { maxWait: 10_000, timeout: opts.timeoutMs ?? 60_000 },
  );
  for (const run of queued) run(db);
  return result;
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
