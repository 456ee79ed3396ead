import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Db } from '../../backend/src/db/prisma.js';
import { bootstrapWorkspace } from '../../backend/src/domain/workspaces/workspaces.js';

/** The server benches create their scratch databases on (the database named in it is only used to connect). */
export const benchAdminUrl = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: benchAdminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase {
  url: string;
  name: string;
  serverVersion: string;
  drop(): Promise<void>;
}

/**
 * An empty database of its own for one bench run (the backend migrates it when it starts). Drop it when done;
 * `WITH (FORCE)` ends connections a crashed run may have left.
 */
export async function scratchDatabase(prefix = 'rocqet_bench'): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const serverVersion = await admin(async (c) => {
    await c.query(`CREATE DATABASE ${name}`);
    const r = await c.query<{ server_version: string }>('SHOW server_version');
    return r.rows[0]?.server_version ?? 'unknown';
  });
  const url = new URL(benchAdminUrl);
  url.pathname = '/' + name;
  return {
    url: url.toString(),
    name,
    serverVersion,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** The one workspace a bench works in, owned by bench@rocqet.local; `pro` (a team) or `enterprise`, as the bench needs. */
export function benchWorkspace(db: Db, plan: 'pro' | 'enterprise' = 'enterprise') {
  return bootstrapWorkspace(db, {
    slug: 'bench',
    name: 'Bench',
    type: plan === 'pro' ? 'team' : 'enterprise',
    plan,
    owner: { email: 'bench@rocqet.local', name: 'Bench' },
  });
}
