import assert from 'node:assert/strict';
import type pg from 'pg';

/**
 * Every row of every application table, to prove that a refused request changed nothing. The tables are read from
 * the catalog (all base tables of the current schema but the migration ledger), so tables that later migrations add
 * are covered without touching this file.
 */
export type DbSnapshot = Record<string, string[]>;

/**
 * Columns written behind the request's back by design (on reads, or by background workers) and so left out of
 * snapshots: they may change while a refused request runs without the request having changed them.
 */
export const SNAPSHOT_IGNORED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  // Written (fire and forget) when a token is used, at most once a minute.
  api_token: ['last_used_at'],
  // Usage counters are flushed by a timer; vectors are stored by the embedding worker.
  prompt: ['view_count', 'render_count', 'embedding', 'embedding_model', 'embedded_hash'],
};

/** The migration ledger, and the embedding worker's own tables (its queue and its cache), which it drains on a timer. */
export const SNAPSHOT_SKIPPED_TABLES: ReadonlySet<string> = new Set(['_prisma_migrations', 'search_job', 'embedding_cache']);

export async function snapshotTables(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
      ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name).filter((t) => !SNAPSHOT_SKIPPED_TABLES.has(t));
}

export async function snapshotDb(pool: pg.Pool): Promise<DbSnapshot> {
  const out: DbSnapshot = {};
  for (const table of await snapshotTables(pool)) {
    const ignored = SNAPSHOT_IGNORED_COLUMNS[table] ?? [];
    const minus = ignored.map((c) => ` - '${c}'`).join('');
    const { rows } = await pool.query<{ row: string }>(`SELECT (to_jsonb(t)${minus})::text AS row FROM "${table}" t`);
    out[table] = rows.map((r) => r.row).sort();
  }
  return out;
}

/** Fails with the tables that differ (rows added and removed) when the database is not what `before` saw. */
export async function assertDbUnchanged(pool: pg.Pool, before: DbSnapshot, what = 'the request'): Promise<void> {
  const after = await snapshotDb(pool);
  const diffs: string[] = [];
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = before[table] ?? [];
    const a = after[table] ?? [];
    const bs = new Set(b);
    const as = new Set(a);
    const added = a.filter((r) => !bs.has(r));
    const removed = b.filter((r) => !as.has(r));
    if (added.length || removed.length || a.length !== b.length) {
      diffs.push(`${table}: +${JSON.stringify(added)} -${JSON.stringify(removed)}`);
    }
  }
  assert.deepEqual(diffs, [], `${what} changed the database:\n${diffs.join('\n')}`);
}

/** Runs `fn` and asserts the database is exactly as before it. */
export async function expectDbUnchanged<T>(pool: pg.Pool, fn: () => Promise<T>, what?: string): Promise<T> {
  const before = await snapshotDb(pool);
  const result = await fn();
  await assertDbUnchanged(pool, before, what);
  return result;
}

/**
 * A cheap stand-in for a snapshot when thousands are needed (the fuzz test): per table, the row count and an MD5 of
 * its sorted rows, all in one query. Equal fingerprints mean equal tables (ignored columns aside).
 */
export async function fingerprintDb(pool: pg.Pool): Promise<Record<string, string>> {
  const parts = (await snapshotTables(pool)).map((table) => {
    const minus = (SNAPSHOT_IGNORED_COLUMNS[table] ?? []).map((c) => ` - '${c}'`).join('');
    return `SELECT '${table}' AS t, count(*)::text || ':' || coalesce(md5(string_agg((to_jsonb(x)${minus})::text, '|' ORDER BY (to_jsonb(x)${minus})::text)), '') AS f FROM "${table}" x`;
  });
  const { rows } = await pool.query<{ t: string; f: string }>(parts.join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, r.f]));
}
