import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';

/**
 * Tests run against a real PostgreSQL with pgvector. The schema is migrated once per run into a template database;
 * each test file clones it (CREATE DATABASE … TEMPLATE, ~0.2 s) so files never see each other's rows.
 */
export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let template: Promise<string> | undefined;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function buildTemplate(): Promise<string> {
  const name = `rocqet_tmpl_${process.pid}`;
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name}`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, name), max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return name;
}

/** A fresh, migrated database; drop it with the returned function. */
export async function freshDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  template ??= buildTemplate();
  const tmpl = await template;
  const name = `rocqet_t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${tmpl}`));
  return {
    url: withDatabase(adminUrl, name),
    name,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export async function dropTemplate(): Promise<void> {
  if (!template) return;
  const name = await template;
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
