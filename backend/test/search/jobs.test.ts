import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createPrisma, type Db } from '../../src/db/prisma.js';
import { claimJobs, enqueueIndexJob, indexStatus, startIndexWorker, type IndexWorker } from '../../src/search/jobs.js';
import { freshDatabase } from '../support/db.js';
import { loadCsvPrompts } from './support/dataset.js';
import { FakeEmbedder } from './support/fakeEmbedder.js';
import { insertPrompts, makeWorkspace } from './support/load.js';

/** Polls until `check` holds (no timing assertion: the test's own timeout is the only limit). */
async function until(check: () => Promise<boolean>, what: string, everyMs = 20): Promise<void> {
  for (let i = 0; ; i++) {
    if (await check()) return;
    if (i > 2_000) throw new Error(`gave up waiting for ${what}`);
    await sleep(everyMs);
  }
}

describe('search index jobs and worker', function () {
  this.timeout(60_000);
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  let db: Db;
  let workspaceId: string;
  const workers: IndexWorker[] = [];
  const prompts = loadCsvPrompts().slice(0, 12);

  const start = (embedder: FakeEmbedder, opts: Partial<Parameters<typeof startIndexWorker>[0]> = {}) => {
    const w = startIndexWorker({ db, embedder, pollMs: 20, batchSize: 5, backoffMs: 40, maxBackoffMs: 200, ...opts });
    workers.push(w);
    return w;
  };
  const jobs = () => db.$queryRaw<{ prompt_id: string; attempts: number; last_error: string | null; generation: number; locked_until: Date | null; run_after: Date }[]>`
    SELECT prompt_id::text, attempts, last_error, generation, locked_until, run_after FROM search_job ORDER BY id`;
  const embeddedCount = async (model: string) =>
    Number((await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM prompt WHERE embedding_model = ${model} AND embedding IS NOT NULL`)[0]?.n);

  before(async () => {
    database = await freshDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
    db = createPrisma(pool);
  });
  beforeEach(async () => {
    await db.$executeRaw`DELETE FROM search_job`;
    await db.$executeRaw`DELETE FROM embedding_cache`;
    await db.$executeRaw`DELETE FROM prompt`;
    workspaceId = (await makeWorkspace(db, `jobs-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`)).workspaceId;
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  after(async () => {
    await db.$disconnect();
    await pool.end();
    await database.drop();
  });

  it('coalesces: enqueueing a prompt twice leaves one job with a newer generation', async () => {
    const [id] = await insertPrompts(db, workspaceId, prompts.slice(0, 1), { enqueue: false });
    await db.$transaction(async (tx) => {
      await enqueueIndexJob(tx, workspaceId, id as string);
      await enqueueIndexJob(tx, workspaceId, id as string);
    });
    const rows = await jobs();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.generation, 2);
  });

  it('a rolled-back transaction leaves no job', async () => {
    const [id] = await insertPrompts(db, workspaceId, prompts.slice(0, 1), { enqueue: false });
    await assert.rejects(
      db.$transaction(async (tx) => {
        await enqueueIndexJob(tx, workspaceId, id as string);
        throw new Error('rollback');
      }),
      /rollback/,
    );
    assert.equal((await jobs()).length, 0);
  });

  it('drains every job, stores vectors of the model and the content hash, and empties the queue', async () => {
    await insertPrompts(db, workspaceId, prompts);
    assert.equal((await indexStatus(db, workspaceId, 'fake-bow-512')).pending, prompts.length);
    const embedder = new FakeEmbedder();
    const worker = start(embedder, { reconcile: false });
    await worker.drain();
    assert.equal((await jobs()).length, 0);
    assert.equal(await embeddedCount('fake-bow-512'), prompts.length);
    const status = await indexStatus(db, workspaceId, 'fake-bow-512');
    assert.deepEqual({ ...status, lastError: null }, { pending: 0, failed: 0, embedded: prompts.length, total: prompts.length, model: 'fake-bow-512', lastError: null });
    const [cache] = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM embedding_cache WHERE model = 'fake-bow-512'`;
    assert.equal(Number(cache?.n), new Set(prompts.map((p) => p.content)).size);
  });

  it('never embeds the same text twice: the cache answers re-enqueued and identical prompts', async () => {
    const ids = await insertPrompts(db, workspaceId, prompts.slice(0, 3));
    const embedder = new FakeEmbedder();
    const worker = start(embedder, { reconcile: false });
    await worker.drain();
    assert.equal(embedder.textsEmbedded, 3);
    // Re-enqueued with unchanged text: nothing to embed.
    for (const id of ids) await enqueueIndexJob(db, workspaceId, id);
    await worker.drain();
    assert.equal(embedder.textsEmbedded, 3);
    assert.equal((await jobs()).length, 0);
    // A copy of a prompt in another workspace: served from the cache.
    const other = (await makeWorkspace(db, `jobs-copy-${Date.now()}`)).workspaceId;
    await insertPrompts(db, other, prompts.slice(0, 1));
    await worker.drain();
    assert.equal(embedder.textsEmbedded, 3);
    assert.equal((await indexStatus(db, other, embedder.model)).embedded, 1);
  });

  it('re-embeds when the text changes, and wakes promptly after an enqueue', async () => {
    const [id] = await insertPrompts(db, workspaceId, prompts.slice(0, 1));
    const embedder = new FakeEmbedder();
    start(embedder, { reconcile: false, pollMs: 60_000 });
    await until(async () => (await jobs()).length === 0, 'the first embedding');
    await db.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE prompt SET head_text = 'entirely new words about gardening' WHERE id = ${id}::uuid`;
      await enqueueIndexJob(tx, workspaceId, id as string);
    });
    // pollMs is a minute: only the wake-up can make this happen within the test's timeout.
    await until(async () => (await jobs()).length === 0, 'the re-embedding');
    assert.equal(embedder.textsEmbedded, 2);
    assert.match(embedder.calls.at(-1)?.[0] ?? '', /gardening/);
  });

  it('a failing embedder: jobs stay, with attempts, last_error and a growing backoff, then succeed', async () => {
    await insertPrompts(db, workspaceId, prompts.slice(0, 3));
    const embedder = new FakeEmbedder();
    embedder.behaviour = 'fail';
    const worker = start(embedder, { reconcile: false, backoffMs: 1_000, maxBackoffMs: 10_000 });
    const before = Date.now();
    await worker.drain();
    let rows = await jobs();
    assert.equal(rows.length, 3);
    for (const r of rows) {
      assert.equal(r.attempts, 1);
      assert.match(r.last_error ?? '', /unavailable \(503\)/);
      assert.equal(r.locked_until, null);
      assert.ok(r.run_after.getTime() >= before + 1_000, `run_after ${r.run_after.toISOString()} is at least the 1 s backoff`);
    }
    const status = await indexStatus(db, workspaceId, embedder.model);
    assert.equal(status.pending, 3);
    assert.equal(status.failed, 3);
    assert.match(status.lastError ?? '', /503/);
    // Not due yet: a drain does nothing.
    await worker.drain();
    assert.equal((await jobs())[0]?.attempts, 1);
    // Due again: the second failure doubles the wait.
    await db.$executeRaw`UPDATE search_job SET run_after = now()`;
    const second = Date.now();
    await worker.drain();
    rows = await jobs();
    for (const r of rows) {
      assert.equal(r.attempts, 2);
      assert.ok(r.run_after.getTime() >= second + 2_000, 'second backoff is at least 2 s');
    }
    // The service recovers.
    embedder.behaviour = 'ok';
    await db.$executeRaw`UPDATE search_job SET run_after = now()`;
    await worker.drain();
    assert.equal((await jobs()).length, 0);
    assert.equal(await embeddedCount(embedder.model), 3);
  });

  it('one text the embedder cannot take fails only its own job', async () => {
    const subset = prompts.slice(0, 5);
    await insertPrompts(db, workspaceId, subset);
    const embedder = new FakeEmbedder();
    embedder.poison = subset[2]?.title ?? '';
    const worker = start(embedder, { reconcile: false });
    await worker.drain();
    const rows = await jobs();
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.last_error ?? '', /cannot embed/);
    assert.equal(await embeddedCount(embedder.model), 4);
  });

  it('stopping a worker stuck in embed loses nothing: a new worker embeds everything', async () => {
    await insertPrompts(db, workspaceId, prompts);
    const stuck = new FakeEmbedder();
    stuck.behaviour = 'hang';
    const first = start(stuck, { reconcile: false });
    await until(async () => stuck.calls.length > 0, 'the stuck worker to start a batch');
    await first.stop();
    assert.equal((await jobs()).length, prompts.length);
    const healthy = new FakeEmbedder();
    const second = start(healthy, { reconcile: false });
    await second.drain();
    assert.equal((await jobs()).length, 0);
    assert.equal(await embeddedCount(healthy.model), prompts.length);
  });

  it('a worker that died mid-batch (its lease left behind) is taken over once the lease expires', async () => {
    await insertPrompts(db, workspaceId, prompts.slice(0, 6));
    // A crashed worker: it claimed jobs and never came back.
    const claimed = await claimJobs(db, 4, 300);
    assert.equal(claimed.length, 4);
    const embedder = new FakeEmbedder();
    const worker = start(embedder, { reconcile: false });
    await worker.drain();
    // Only the unleased ones could be done so far.
    assert.equal(await embeddedCount(embedder.model), 2);
    assert.equal((await jobs()).length, 4);
    await until(async () => {
      await worker.drain();
      return (await jobs()).length === 0;
    }, 'the leases to expire');
    assert.equal(await embeddedCount(embedder.model), 6);
  });

  it('a newer text enqueued while its older text is being embedded is not lost', async () => {
    const [id] = await insertPrompts(db, workspaceId, prompts.slice(0, 1));
    const embedder = new FakeEmbedder();
    let once = true;
    embedder.onEmbed = async () => {
      if (!once) return;
      once = false;
      await db.$transaction(async (tx) => {
        await tx.$executeRaw`UPDATE prompt SET head_text = 'a late edit about submarines' WHERE id = ${id}::uuid`;
        await enqueueIndexJob(tx, workspaceId, id as string);
      });
    };
    const worker = start(embedder, { reconcile: false });
    await worker.drain();
    assert.equal((await jobs()).length, 0);
    assert.equal(embedder.calls.length, 2);
    const [row] = await db.$queryRaw<{ ok: boolean }[]>`
      SELECT embedded_hash = sha256(convert_to(${embedder.calls[1]?.[0] ?? ''}, 'UTF8')) AS ok FROM prompt WHERE id = ${id}::uuid`;
    assert.equal(row?.ok, true);
  });

  it('a new embedder model re-embeds everything in the background (and only then counts as embedded)', async () => {
    await insertPrompts(db, workspaceId, prompts.slice(0, 4));
    const v1 = new FakeEmbedder('fake-v1');
    await start(v1, { reconcile: false }).drain();
    assert.equal((await indexStatus(db, workspaceId, 'fake-v1')).embedded, 4);
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    const v2 = new FakeEmbedder('fake-v2');
    assert.equal((await indexStatus(db, workspaceId, 'fake-v2')).embedded, 0);
    start(v2); // reconcile on: enqueues every prompt whose vector is of another model
    await until(async () => (await indexStatus(db, workspaceId, 'fake-v2')).embedded === 4, 'the re-embedding');
    assert.equal(v2.textsEmbedded, 4);
    assert.equal((await jobs()).length, 0);
  });

  it('refuses an embedder whose vectors do not fit the column', () => {
    const wide = new FakeEmbedder();
    Object.defineProperty(wide, 'dimensions', { value: 1536 });
    assert.throws(() => startIndexWorker({ db, embedder: wide }), /1536-dimension vectors but prompt\.embedding holds 512/);
  });
});
