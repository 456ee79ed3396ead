import pg from 'pg';

export type DbTimer = (seconds: number) => void;

/**
 * A pg pool whose queries report their duration (the `db time` metric). Prisma's adapter runs every statement
 * through `client.query`, so timing it here covers ORM and raw SQL alike.
 */
export function createPool(url: string, opts: { max?: number; onQueryTime?: DbTimer } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, idleTimeoutMillis: 30_000 });
  const onQueryTime = opts.onQueryTime;
  if (onQueryTime) {
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
        const started = process.hrtime.bigint();
        const done = () => onQueryTime(Number(process.hrtime.bigint() - started) / 1e9);
        const result = query(...args);
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          return (result as Promise<unknown>).finally(done);
        }
        return result;
      };
    });
  }
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => {});
  return pool;
}
