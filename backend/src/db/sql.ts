import pg from 'pg';
import type { Db, Tx } from './prisma.js';

/** Whatever can run a read: the pool (hot read paths), or Prisma inside or outside a transaction. */
export type Queryable = Db | Tx | pg.Pool;

/**
 * Runs one parameterised statement and returns its rows. Hot reads pass the pool and skip the ORM's per-query cost
 * (measured by `npm run bench -- api`: about 0.35 ms of a 1.5 ms request); inside a mutation the same statement runs
 * on the transaction, so there is one query text for both.
 */
export async function sqlRows<T>(q: Queryable, text: string, values: unknown[]): Promise<T[]> {
  if (q instanceof pg.Pool) return (await q.query<T & pg.QueryResultRow>(text, values)).rows;
  return (q as Db).$queryRawUnsafe<T[]>(text, ...values);
}
