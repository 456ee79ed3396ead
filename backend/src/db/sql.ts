import { createHash } from 'node:crypto';
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
  if (q instanceof pg.Pool) return (await poolQuery<T & pg.QueryResultRow>(q, text, values)).rows;
  return (q as Db).$queryRawUnsafe<T[]>(text, ...values);
}

const statementNames = new Map<string, string>();
const oneSessionPools = new WeakSet<pg.Pool>();

/**
 * Marks a pool whose connections all share one server session (the embedded PGlite serves every socket from one
 * backend). A statement name prepared on one of its connections then exists on all of them, while `pg` tracks names
 * per connection: the second connection to prepare it would fail with "prepared statement already exists".
 */
export function sharesOneSession(pool: pg.Pool): void {
  oneSessionPools.add(pool);
}

/**
 * One statement on the pool as a named prepared statement: each connection parses and plans it once, then only binds
 * and executes. Planning was most of a hot read's server time (the token lookup: 0.37 ms to plan, 0.1 ms to run;
 * 0.40 ms a round trip unnamed, 0.07 ms named). Only for constant query texts: every distinct text stays prepared on
 * every connection for the connection's life. The name is the text's hash, so one text never gets two names and two
 * texts never share one.
 */
export function poolQuery<T extends pg.QueryResultRow>(pool: pg.Pool, text: string, values: unknown[]): Promise<pg.QueryResult<T>> {
  if (oneSessionPools.has(pool)) return pool.query<T>(text, values);
  let name = statementNames.get(text);
  if (!name) {
    name = `rq_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return pool.query<T>({ name, text, values });
}
