import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../src/db/generated/client.js';
import { poolQuery, sharesOneSession } from '../../src/db/sql.js';
import { EmbeddedLockedError, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const embeddedModule = path.resolve(here, '../../src/db/embedded/index.ts');
const migrationsDir = path.resolve(here, '../../../prisma/migrations');

function lockPids(dataDir: string): number[] {
  return fs.readFileSync(path.join(dataDir, 'rocqet.lock'), 'utf8').split(/\s+/).filter(Boolean).map(Number);
}

/** Running, not merely a zombie waiting for a pid 1 that does not reap (as in some containers). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) [ZX]/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** A pid that is certainly not running: a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.ok(r.pid);
  return r.pid;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, Math.round(performance.now() - t0)];
}

describe('embedded PostgreSQL (PGlite over the wire protocol)', function () {
  // A fresh PGlite data directory takes 4–33 s to create on this machine.
  this.timeout(240_000);

  const timings: Record<string, number> = {};
  let root: string;
  let dataDir: string;
  let db: EmbeddedPostgres | undefined;
  let pool: pg.Pool | undefined;
  let unexpectedExits = 0;

  async function start(): Promise<EmbeddedPostgres> {
    db = await startEmbeddedPostgres({ dataDir, onExit: () => { unexpectedExits++; } });
    pool = new pg.Pool({ connectionString: db.url, max: 10 });
    return db;
  }

  async function stop(): Promise<void> {
    await pool?.end();
    pool = undefined;
    await db?.stop();
    db = undefined;
  }

  function q(): pg.Pool {
    assert.ok(pool, 'no running instance');
    return pool;
  }

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rocqet-embedded-'));
    dataDir = path.join(root, 'data');
    [, timings.freshCreateMs] = await timed(start);
    // Also the first query that reaches PostgreSQL.
    await q().query('CREATE EXTENSION vector; CREATE EXTENSION pg_trgm;');
  });

  after(async () => {
    await stop();
    fs.rmSync(root, { recursive: true, force: true });
    console.log(`      embedded timings (ms): ${JSON.stringify(timings)}`);
  });

  it('takes the lock with its own pid and that of the database process', () => {
    const pids = lockPids(dataDir);
    assert.equal(pids[0], process.pid);
    assert.equal(pids.length, 2);
    assert.ok(alive(pids[1]!));
  });

  it('stores vectors and answers a kNN query through an HNSW index', async () => {
    await q().query('CREATE TABLE item (id int PRIMARY KEY, embedding vector(3))');
    await q().query('CREATE INDEX item_embedding_idx ON item USING hnsw (embedding vector_cosine_ops)');
    await q().query(`INSERT INTO item VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0,0,1]'), (4, '[0.9,0.1,0]')`);
    await q().query('SET enable_seqscan = off');
    try {
      const plan = await q().query(`EXPLAIN SELECT id FROM item ORDER BY embedding <=> '[1,0,0]' LIMIT 2`);
      assert.match(plan.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n'), /item_embedding_idx/);
      const knn = await q().query('SELECT id FROM item ORDER BY embedding <=> $1::vector LIMIT 2', ['[1,0,0]']);
      assert.deepEqual(knn.rows.map((r: { id: number }) => r.id), [1, 4]);
    } finally {
      // One session serves every connection, so a SET would leak into the other tests.
      await q().query('RESET enable_seqscan');
    }
  });

  it('answers pg_trgm similarity() queries', async () => {
    const r = await q().query(
      `SELECT w, similarity(w, $1) AS s FROM unnest($2::text[]) AS w WHERE w % $1 ORDER BY s DESC`,
      ['summarise', ['summarize', 'summary', 'translate']]);
    assert.deepEqual(r.rows.map((row: { w: string }) => row.w), ['summarize', 'summary']);
    assert.ok(r.rows[0].s > r.rows[1].s);
  });

  it('keeps concurrent parameterised queries from a pool of 10 apart', async () => {
    // Different SQL texts and parameter counts: if two connections' Parse/Bind messages interleaved in the one
    // shared session, results would cross or binds would fail.
    const results = await Promise.all(Array.from({ length: 400 }, async (_, i) => {
      const r = i % 2 === 0
        ? await q().query(`SELECT $1::int * 10 + ${i % 7} AS v`, [i])
        : await q().query(`SELECT $1::int * 10 + $2::int + ${i % 7} AS v`, [i, 0]);
      return r.rows[0].v as number;
    }));
    assert.deepEqual(results, Array.from({ length: 400 }, (_, i) => i * 10 + (i % 7)));
    assert.equal(q().totalCount, 10, 'the pool should have opened all 10 connections');
  });

  it('runs the hot reads (poolQuery) on every connection of a pool marked as sharing one session', async () => {
    // pg remembers prepared statement names per connection, PGlite keeps them once for all: named statements would
    // fail on the second connection ("prepared statement … already exists"). The backend marks its embedded pool.
    sharesOneSession(q());
    const text = 'SELECT $1::int + 1 AS v';
    for (let round = 0; round < 3; round++) {
      const rows = await Promise.all(Array.from({ length: 40 }, (_, i) => poolQuery<{ v: number }>(q(), text, [i])));
      assert.deepEqual(rows.map((r) => r.rows[0]!.v), Array.from({ length: 40 }, (_, i) => i + 1));
    }
    assert.equal(q().totalCount, 10);
  });

  it('rolls back an interactive transaction, hiding it from other connections meanwhile', async () => {
    await q().query('CREATE TABLE note (id int PRIMARY KEY, body text)');
    const client = await q().connect();
    let other: Promise<pg.QueryResult> | undefined;
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO note VALUES (1, 'draft')`);
      other = q().query('SELECT count(*)::int AS n FROM note');
      assert.equal((await client.query('SELECT count(*)::int AS n FROM note')).rows[0].n, 1);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    assert.equal((await other).rows[0].n, 0);
    assert.equal((await q().query('SELECT count(*)::int AS n FROM note')).rows[0].n, 0);
  });

  it('applies every Prisma migration, in order', async () => {
    const dirs = fs.readdirSync(migrationsDir, { withFileTypes: true }).filter((d) => d.isDirectory())
      .map((d) => d.name).sort();
    assert.ok(dirs.length > 0);
    const failures: string[] = [];
    for (const dir of dirs) {
      const sql = fs.readFileSync(path.join(migrationsDir, dir, 'migration.sql'), 'utf8');
      try {
        await q().query(sql);
      } catch (err) {
        failures.push(`${dir}: ${(err as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
    const tables = await q().query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = ANY($1)`,
      [['workspace', 'prompt', 'prompt_commit', 'branch', 'tag']]);
    assert.equal(tables.rows[0].n, 5);
  });

  it('serves the Prisma client through @prisma/adapter-pg, interactive transactions included', async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg(q()) });
    try {
      const ws = await prisma.workspace.create({
        data: { slug: 'acme', name: 'Acme', type: 'team', plan: 'free', maxMembers: 5, maxPrompts: 100 },
      });
      await assert.rejects(prisma.$transaction(async (tx) => {
        await tx.workspace.update({ where: { id: ws.id }, data: { name: 'Renamed' } });
        throw new Error('abort');
      }), /abort/);
      const [reread, count] = await Promise.all([
        prisma.workspace.findUniqueOrThrow({ where: { slug: 'acme' } }),
        prisma.workspace.count(),
      ]);
      assert.equal(reread.name, 'Acme');
      assert.equal(count, 1);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('refuses a second instance on the same data directory while the first keeps working', async () => {
    await assert.rejects(startEmbeddedPostgres({ dataDir }), (err: unknown) => {
      assert.ok(err instanceof EmbeddedLockedError);
      assert.match(err.message, new RegExp(`already running on this data directory \\(pid ${process.pid}\\)`));
      return true;
    });
    assert.equal((await q().query('SELECT 1 + 1 AS two')).rows[0].two, 2);
    assert.equal(lockPids(dataDir)[0], process.pid);
  });

  it('ignores SIGINT (Ctrl-C reaches the whole process group; the parent decides when to stop)', async () => {
    const child = lockPids(dataDir)[1]!;
    process.kill(child, 'SIGINT');
    await sleep(200);
    assert.equal((await q().query('SELECT 2 AS x')).rows[0].x, 2);
    assert.ok(alive(child));
  });

  it('measures a simple query round trip', async () => {
    const client = await q().connect();
    try {
      await client.query('SELECT 1');
      const n = 200;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await client.query('SELECT $1::int AS x', [i]);
      timings.queryRoundTripMs = Number(((performance.now() - t0) / n).toFixed(3));
    } finally {
      client.release();
    }
  });

  it('keeps the data across stop and start, and releases the lock on stop', async () => {
    await q().query(`INSERT INTO note VALUES (10, 'kept')`);
    await stop();
    assert.equal(fs.existsSync(path.join(dataDir, 'rocqet.lock')), false);
    [, timings.reopenMs] = await timed(start);
    assert.deepEqual((await q().query('SELECT body FROM note WHERE id = 10')).rows, [{ body: 'kept' }]);
    assert.equal((await q().query('SELECT count(*)::int AS n FROM item')).rows[0].n, 4);
  });

  it('takes over a stale lock left by a dead process', async () => {
    await stop();
    const dead = deadPid();
    fs.writeFileSync(path.join(dataDir, 'rocqet.lock'), `${dead}\n`);
    await start();
    assert.deepEqual(lockPids(dataDir).slice(0, 1), [process.pid]);
    assert.equal((await q().query('SELECT count(*)::int AS n FROM note')).rows[0].n, 1);
  });

  it('recovers after the database process is killed with SIGKILL', async () => {
    await q().query(`INSERT INTO note VALUES (11, 'before the kill')`);
    const child = lockPids(dataDir)[1]!;
    const exitsBefore = unexpectedExits;
    // Idle pooled connections error out when the server dies; unhandled, that would crash the test run.
    pool?.on('error', () => {});
    process.kill(child, 'SIGKILL');
    // The pool notices the dead server on its own; wait for the handle to see the exit.
    while (unexpectedExits === exitsBefore) await sleep(20);
    assert.equal(fs.existsSync(path.join(dataDir, 'rocqet.lock')), false, 'a dead database must free the lock');
    await stop();
    const [, ms] = await timed(start);
    timings.reopenAfterSigkillMs = ms;
    assert.deepEqual((await q().query('SELECT id FROM note ORDER BY id')).rows, [{ id: 10 }, { id: 11 }]);
    const knn = await q().query(`SELECT id FROM item ORDER BY embedding <=> '[0,1,0]' LIMIT 1`);
    assert.deepEqual(knn.rows, [{ id: 2 }]);
  });

  it('the database process exits when its parent dies, and then the directory opens again', async () => {
    await stop();
    // A separate parent process that starts the database and is then killed without any chance to clean up.
    const script = path.join(root, 'parent.mts');
    fs.writeFileSync(script, [
      `import { startEmbeddedPostgres } from ${JSON.stringify(pathToFileURL(embeddedModule).href)};`,
      `const db = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });`,
      `console.log(JSON.stringify({ url: db.url }));`,
    ].join('\n'));
    const parent = spawn(process.execPath, [...process.execArgv, script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let childPid: number | undefined;
    try {
      const [line] = await once(parent.stdout, 'data') as [Buffer];
      assert.match(line.toString(), /"url":"postgresql:/);
      const pids = lockPids(dataDir);
      assert.equal(pids[0], parent.pid);
      childPid = pids[1];
      assert.ok(childPid !== undefined && alive(childPid));
    } finally {
      // Also on failure: its database process follows it, so nothing outlives the test.
      parent.kill('SIGKILL');
      await once(parent, 'exit');
    }
    // While the orphan is still closing PGlite, its pid in the lock keeps the directory locked.
    for (;;) {
      try {
        await start();
        break;
      } catch (err) {
        if (!(err instanceof EmbeddedLockedError)) throw err;
        assert.equal(err.pid, childPid);
      }
      await sleep(50);
    }
    assert.equal(alive(childPid), false, 'started while the orphaned database process was still running');
    assert.equal((await q().query('SELECT count(*)::int AS n FROM note')).rows[0].n, 2);
  });
});
