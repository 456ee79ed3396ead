import { createHash } from 'node:crypto';
import type { Db, Tx } from '../db/prisma.js';
import { embeddingText, type Embedder } from './embedder/index.js';
import { vectorLiteral } from './vectors.js';

/**
 * Search indexing after commit. Writers call `enqueueIndexJob` inside their transaction (one pending job per prompt:
 * a second call bumps the job's generation instead of adding a row); an index worker drains the `search_job` table
 * with FOR UPDATE SKIP LOCKED, embeds what the cache lacks and stores the vectors.
 *
 * Durability: a job is deleted only in the transaction that stores its prompt's vector. Claiming a job commits a
 * lease (`locked_until`); a worker that dies mid-batch leaves its jobs leased, and they become claimable again when
 * the lease expires. A failure records `last_error` and pushes `run_after` back exponentially; nothing is dropped.
 */

/** The dimension of `prompt.embedding` (migration 20261125120000_search). */
export const EMBEDDING_COLUMN_DIMENSIONS = 512;

type Logger = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
};

const silent: Logger = { info() {}, warn() {}, error() {} };

// In-process wake-up: a job enqueued inside a transaction becomes visible only at commit, which the caller's code
// does not tell us about, so a wake-up makes workers poll fast for a short while instead of waiting for pollMs.
const wakers = new Set<() => void>();

/** Wakes this process's index workers (enqueueIndexJob does it; call again after commit to shave the delay). */
export function notifyIndexWorkers(): void {
  for (const wake of wakers) wake();
}

/**
 * Asks for the prompt's search data to be (re)built after this transaction commits: its vector is computed by an
 * index worker; full text needs no job (a generated column). Call it on create, commit to the default branch,
 * metadata change, restore and import. Coalesces: one pending job per prompt.
 */
export async function enqueueIndexJob(tx: Tx | Db, workspaceId: string, promptId: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO search_job (workspace_id, prompt_id) VALUES (${workspaceId}::uuid, ${promptId}::uuid)
    ON CONFLICT (prompt_id) DO UPDATE
       SET generation = search_job.generation + 1, attempts = 0, run_after = now(), last_error = NULL, updated_at = now()`;
  notifyIndexWorkers();
}

/** Enqueues every prompt (of one workspace, or all) whose vector is missing or was made by another model. */
export async function enqueueStale(db: Db | Tx, model: string, workspaceId?: string): Promise<number> {
  const n = workspaceId
    ? await db.$executeRaw`
        INSERT INTO search_job (workspace_id, prompt_id)
        SELECT workspace_id, id FROM prompt
         WHERE workspace_id = ${workspaceId}::uuid AND embedding_model IS DISTINCT FROM ${model}
        ON CONFLICT (prompt_id) DO NOTHING`
    : await db.$executeRaw`
        INSERT INTO search_job (workspace_id, prompt_id)
        SELECT workspace_id, id FROM prompt WHERE embedding_model IS DISTINCT FROM ${model}
        ON CONFLICT (prompt_id) DO NOTHING`;
  if (n > 0) notifyIndexWorkers();
  return n;
}

export interface ClaimedJob {
  id: bigint;
  promptId: string;
  generation: number;
  attempts: number;
}

/** Leases up to `limit` due jobs for `leaseMs` (committed at once: the lease is what survives a crash). */
export async function claimJobs(db: Db, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
  const rows = await db.$queryRaw<{ id: bigint; prompt_id: string; generation: number; attempts: number }[]>`
    UPDATE search_job j
       SET locked_until = now() + make_interval(secs => ${leaseMs / 1000}::float8), attempts = j.attempts + 1, updated_at = now()
      FROM (SELECT id FROM search_job
             WHERE run_after <= now() AND (locked_until IS NULL OR locked_until < now())
             ORDER BY run_after, id
             LIMIT ${limit}
             FOR UPDATE SKIP LOCKED) due
     WHERE j.id = due.id
    RETURNING j.id, j.prompt_id::text AS prompt_id, j.generation, j.attempts`;
  return rows.map((r) => ({ id: r.id, promptId: r.prompt_id, generation: r.generation, attempts: r.attempts }));
}

export interface IndexStatus {
  /** Jobs not done yet (waiting, running or backing off after a failure). */
  pending: number;
  /** Pending jobs whose last attempt failed. */
  failed: number;
  /** Live prompts with a vector of the current model. */
  embedded: number;
  /** Live prompts. */
  total: number;
  model: string | null;
  lastError: string | null;
}

export async function indexStatus(db: Db | Tx, workspaceId: string, model: string | null): Promise<IndexStatus> {
  const [row] = await db.$queryRaw<
    { pending: bigint; failed: bigint; embedded: bigint; total: bigint; last_error: string | null }[]
  >`
    SELECT (SELECT count(*) FROM search_job WHERE workspace_id = ${workspaceId}::uuid) AS pending,
           (SELECT count(*) FROM search_job WHERE workspace_id = ${workspaceId}::uuid AND last_error IS NOT NULL) AS failed,
           (SELECT count(*) FROM prompt WHERE workspace_id = ${workspaceId}::uuid AND deleted_at IS NULL
               AND embedding IS NOT NULL AND embedding_model = ${model}) AS embedded,
           (SELECT count(*) FROM prompt WHERE workspace_id = ${workspaceId}::uuid AND deleted_at IS NULL) AS total,
           (SELECT last_error FROM search_job WHERE workspace_id = ${workspaceId}::uuid AND last_error IS NOT NULL
             ORDER BY updated_at DESC LIMIT 1) AS last_error`;
  return {
    pending: Number(row?.pending ?? 0),
    failed: Number(row?.failed ?? 0),
    embedded: Number(row?.embedded ?? 0),
    total: Number(row?.total ?? 0),
    model,
    lastError: row?.last_error ?? null,
  };
}

export interface IndexWorkerOptions {
  db: Db;
  embedder: Embedder;
  logger?: Logger;
  /** Jobs claimed per round. Default 32. */
  batchSize?: number;
  /** Idle polling interval (other processes' commits are seen this late at worst). Default 1,000 ms. */
  pollMs?: number;
  /** How long a claim holds before another worker may take the job over. Default 5 minutes. */
  leaseMs?: number;
  /** An embed call that takes longer fails the batch (and is retried with backoff). Default 2 minutes. */
  embedTimeoutMs?: number;
  /** First retry delay after a failure; doubles per attempt up to maxBackoffMs. Defaults 1 s and 1 hour. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Enqueue prompts whose vector is missing or of another model when the worker starts. Default true. */
  reconcile?: boolean;
}

export interface IndexWorker {
  readonly model: string;
  /** Stops polling; an embed call in flight is abandoned and its jobs released for another worker. */
  stop(): Promise<void>;
  /** Processes jobs until none is due (jobs backing off after a failure or leased elsewhere are left). */
  drain(): Promise<void>;
  /** Polls now (and fast for a short while). */
  wake(): void;
}

const HOT_MS = 2_000;
const HOT_POLL_MS = 25;

class Stopped extends Error {}

export function contentHash(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Starts an index worker: polls `search_job`, embeds and stores vectors. One per process is enough (embedding is the
 * bottleneck and the embedder already uses all cores); more processes may run one each.
 */
const PROGRESS_EVERY_MS = 5_000;

export function startIndexWorker(options: IndexWorkerOptions): IndexWorker {
  const { db, embedder } = options;
  const logger = options.logger ?? silent;
  const batchSize = options.batchSize ?? 32;
  const pollMs = options.pollMs ?? 1_000;
  const leaseMs = options.leaseMs ?? 300_000;
  const embedTimeoutMs = options.embedTimeoutMs ?? 120_000;
  const backoffMs = options.backoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 3_600_000;
  const model = embedder.model;
  if (embedder.dimensions !== EMBEDDING_COLUMN_DIMENSIONS) {
    throw new Error(
      `the embedder "${model}" makes ${embedder.dimensions}-dimension vectors but prompt.embedding holds ${EMBEDDING_COLUMN_DIMENSIONS}; configure it for ${EMBEDDING_COLUMN_DIMENSIONS} dimensions`,
    );
  }

  let stopped = false;
  let hotUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  let wakeSleep: (() => void) | undefined;
  let stopSignal!: () => void;
  const stopping = new Promise<never>((_, reject) => {
    stopSignal = () => reject(new Stopped('the index worker was stopped'));
  });
  stopping.catch(() => {});
  // One round at a time per worker, whether from the loop or from drain().
  let exclusive: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = exclusive.then(fn, fn);
    exclusive = next.catch(() => {});
    return next;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wakeSleep = resolve;
      timer = setTimeout(resolve, ms);
      timer.unref();
    }).finally(() => {
      wakeSleep = undefined;
      if (timer) clearTimeout(timer);
    });

  const wake = () => {
    hotUntil = Date.now() + HOT_MS;
    wakeSleep?.();
  };
  wakers.add(wake);

  async function embedWithTimeout(texts: string[]): Promise<Float32Array[]> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`the embedder did not answer within ${embedTimeoutMs} ms`)), embedTimeoutMs);
      t.unref();
    });
    try {
      const vectors = await Promise.race([embedder.embed(texts), timeout, stopping]);
      if (vectors.length !== texts.length) throw new Error(`the embedder returned ${vectors.length} vectors for ${texts.length} texts`);
      for (const v of vectors) {
        if (v.length !== EMBEDDING_COLUMN_DIMENSIONS) throw new Error(`the embedder returned a ${v.length}-dimension vector`);
        if (!v.every(Number.isFinite)) throw new Error('the embedder returned a vector with NaN or infinite values');
      }
      return vectors;
    } finally {
      clearTimeout(t);
    }
  }

  /** Embeds the texts the cache lacks; a failing batch is split so one bad text fails only its own job. */
  async function embedMisses(texts: string[]): Promise<Map<string, Float32Array | Error>> {
    const out = new Map<string, Float32Array | Error>();
    const run = async (group: string[]): Promise<void> => {
      try {
        const vectors = await embedWithTimeout(group);
        group.forEach((t, i) => out.set(t, vectors[i] as Float32Array));
      } catch (err) {
        if (err instanceof Stopped) throw err;
        if (group.length === 1) {
          out.set(group[0] as string, err instanceof Error ? err : new Error(String(err)));
          return;
        }
        const half = Math.ceil(group.length / 2);
        // A timeout is not the text's fault; splitting would only multiply the wait.
        if (err instanceof Error && err.message.startsWith('the embedder did not answer')) {
          for (const t of group) out.set(t, err);
          return;
        }
        await run(group.slice(0, half));
        await run(group.slice(half));
      }
    };
    if (texts.length > 0) await run(texts);
    return out;
  }

  async function release(jobs: ClaimedJob[]): Promise<void> {
    if (jobs.length === 0) return;
    await db.$executeRaw`UPDATE search_job SET locked_until = NULL, attempts = greatest(attempts - 1, 0), updated_at = now()
                          WHERE id = ANY(${jobs.map((j) => j.id.toString())}::bigint[])`;
  }

  async function fail(jobs: { job: ClaimedJob; error: string }[]): Promise<void> {
    if (jobs.length === 0) return;
    await db.$executeRaw`
      UPDATE search_job j
         SET locked_until = NULL, last_error = f.error, updated_at = now(),
             run_after = now() + make_interval(secs => least(${maxBackoffMs}::float8,
                           ${backoffMs}::float8 * power(2, greatest(j.attempts - 1, 0))) * (1 + random() * 0.25) / 1000)
        FROM unnest(${jobs.map((f) => f.job.id.toString())}::bigint[], ${jobs.map((f) => f.error.slice(0, 2000))}::text[])
             AS f(id, error)
       WHERE j.id = f.id`;
    for (const { job, error } of jobs) {
      logger.warn({ promptId: job.promptId, attempts: job.attempts, error }, 'search index job failed; will retry');
    }
  }

  /** One round: claim, embed, store. Returns how many jobs were claimed. */
  async function round(): Promise<number> {
    if (stopped) return 0;
    const jobs = await claimJobs(db, batchSize, leaseMs);
    if (jobs.length === 0) return 0;
    try {
      const prompts = await db.$queryRaw<
        { id: string; title: string; description: string; tags: string[]; head_text: string; embedding_model: string | null; embedded_hash: Buffer | null }[]
      >`SELECT id::text AS id, title, description, tags, head_text, embedding_model, embedded_hash
          FROM prompt WHERE id = ANY(${jobs.map((j) => j.promptId)}::uuid[])`;
      const byId = new Map(prompts.map((p) => [p.id, p]));
      const work = jobs.map((job) => {
        const p = byId.get(job.promptId);
        if (!p) return { job, text: null, hash: null, current: true };
        const text = embeddingText({ title: p.title, description: p.description, tags: p.tags, body: p.head_text });
        const hash = contentHash(text);
        const current = p.embedding_model === model && p.embedded_hash !== null && Buffer.from(p.embedded_hash).equals(hash);
        return { job, text, hash, current };
      });
      const needed = work.filter((w) => !w.current && w.hash);
      const hashes = [...new Set(needed.map((w) => (w.hash as Buffer).toString('hex')))];
      const cached = new Map<string, string>();
      if (hashes.length > 0) {
        const rows = await db.$queryRaw<{ h: string; v: string }[]>`
          SELECT encode(content_hash, 'hex') AS h, embedding::text AS v FROM embedding_cache
           WHERE model = ${model} AND content_hash IN (SELECT decode(h, 'hex') FROM unnest(${hashes}::text[]) AS h)`;
        for (const r of rows) cached.set(r.h, r.v);
      }
      const missTexts = new Map<string, string>();
      for (const w of needed) {
        const h = (w.hash as Buffer).toString('hex');
        if (!cached.has(h)) missTexts.set(w.text as string, h);
      }
      const embedded = await embedMisses([...missTexts.keys()]);
      const fresh = new Map<string, string>();
      const failures: { job: ClaimedJob; error: string }[] = [];
      for (const [text, h] of missTexts) {
        const v = embedded.get(text);
        if (v instanceof Float32Array) fresh.set(h, vectorLiteral(v));
      }
      const done: { job: ClaimedJob; hash: string | null; vector: string | null }[] = [];
      for (const w of work) {
        if (w.current || !w.hash) {
          done.push({ job: w.job, hash: null, vector: null });
          continue;
        }
        const h = w.hash.toString('hex');
        const v = cached.get(h) ?? fresh.get(h);
        if (v) done.push({ job: w.job, hash: h, vector: v });
        else {
          const e = embedded.get(w.text as string);
          failures.push({ job: w.job, error: e instanceof Error ? e.message : 'the embedder returned no vector' });
        }
      }
      if (stopped) throw new Stopped('the index worker was stopped');
      await store(done, fresh);
      await fail(failures);
      await reportProgress(done.length);
      return jobs.length;
    } catch (err) {
      if (err instanceof Stopped) {
        await release(jobs).catch(() => {});
        return 0;
      }
      await fail(jobs.map((job) => ({ job, error: err instanceof Error ? err.message : String(err) }))).catch(() => {});
      throw err;
    }
  }

  // Progress of a backlog (the demo import, a model change), at most every few seconds, and once when it is done.
  let sinceReport = 0;
  let lastReport = Date.now();
  async function reportProgress(indexed: number): Promise<void> {
    sinceReport += indexed;
    if (Date.now() - lastReport < PROGRESS_EVERY_MS) return;
    const [{ pending }] = await db.$queryRaw<[{ pending: number }]>`SELECT count(*)::int AS pending FROM search_job`;
    logger.info({ indexed: sinceReport, pending, model }, pending ? 'search index: embedding in the background' : 'search index: up to date');
    sinceReport = 0;
    lastReport = Date.now();
  }

  async function store(done: { job: ClaimedJob; hash: string | null; vector: string | null }[], fresh: Map<string, string>) {
    if (done.length === 0) return;
    const withVector = done.filter((d) => d.vector !== null);
    await db.$transaction(async (tx) => {
      if (fresh.size > 0) {
        await tx.$executeRaw`
          INSERT INTO embedding_cache (model, content_hash, embedding)
          SELECT ${model}, decode(h, 'hex'), v::vector FROM unnest(${[...fresh.keys()]}::text[], ${[...fresh.values()]}::text[]) AS c(h, v)
          ON CONFLICT (model, content_hash) DO NOTHING`;
      }
      if (withVector.length > 0) {
        await tx.$executeRaw`
          UPDATE prompt p SET embedding = u.v::vector, embedding_model = ${model}, embedded_hash = decode(u.h, 'hex')
            FROM unnest(${withVector.map((d) => d.job.promptId)}::uuid[], ${withVector.map((d) => d.vector as string)}::text[],
                        ${withVector.map((d) => d.hash as string)}::text[]) AS u(id, v, h)
           WHERE p.id = u.id`;
      }
      // Done unless the prompt was enqueued again meanwhile (a newer text): then only the lease is released.
      await tx.$executeRaw`
        DELETE FROM search_job j USING unnest(${done.map((d) => d.job.id.toString())}::bigint[], ${done.map((d) => d.job.generation)}::int[]) AS d(id, g)
         WHERE j.id = d.id AND j.generation = d.g`;
      await tx.$executeRaw`
        UPDATE search_job j SET locked_until = NULL, attempts = 0, updated_at = now()
          FROM unnest(${done.map((d) => d.job.id.toString())}::bigint[], ${done.map((d) => d.job.generation)}::int[]) AS d(id, g)
         WHERE j.id = d.id AND j.generation <> d.g`;
      // Prisma's default of 5 s expired here on a loaded 2-core machine (the bench's 64-vector batches).
    }, { timeout: 30_000 });
  }

  const loop = (async () => {
    if (options.reconcile ?? true) {
      try {
        const n = await enqueueStale(db, model);
        if (n > 0) logger.info({ jobs: n, model }, 'search index: enqueued prompts without a vector of this model');
      } catch (err) {
        if (!stopped) logger.error({ err }, 'search index: could not enqueue stale prompts');
      }
    }
    while (!stopped) {
      let claimed = 0;
      try {
        claimed = await serial(round);
      } catch (err) {
        if (!stopped) logger.error({ err }, 'search index worker round failed');
      }
      if (stopped) break;
      if (claimed === 0 && sinceReport > 0) {
        logger.info({ indexed: sinceReport, model }, 'search index: no job due; caught up');
        sinceReport = 0;
        lastReport = Date.now();
      }
      if (claimed === 0) await sleep(Date.now() < hotUntil ? Math.min(HOT_POLL_MS, pollMs) : pollMs);
    }
  })();

  return {
    model,
    wake,
    async drain() {
      for (;;) {
        if (stopped) return;
        const claimed = await serial(round);
        if (claimed === 0) return;
      }
    },
    async stop() {
      if (stopped) return loop;
      stopped = true;
      wakers.delete(wake);
      stopSignal();
      wakeSleep?.();
      // The loop's round ends at once: an embed in flight is abandoned (its jobs released) by the stop signal.
      await loop;
      await exclusive;
    },
  };
}
