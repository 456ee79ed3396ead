/**
 * `npm run bench -- search [--queries FILE] [--scale N] [--reps N] [--typo-reps N] [--weights JSON] [--no-cv] [--no-typos]`
 *
 * 1. Loads awesome-chatgpt-prompts.csv (title = act) into a fresh workspace of a fresh database and lets the index
 *    worker embed it with the local model for real (no cache carried over: index_seconds is a cold index).
 * 2. Runs the queries in each mode through search() (the same code the API runs): recall@10 and MRR@10 (a hit is a
 *    result whose title is in `relevant`), and latency (p50/p95 over `reps` passes after one cold pass).
 * 3. Baseline: one raw full-text SQL statement per query on the same connection pool.
 * 3a. Typos: the library's titles misspelt in one word and in every word (deterministic seed), full text and hybrid,
 *    with typo tolerance and without it (baseline); at scale too. `typo-reps` (default 1) warm passes: 100 queries
 *    give 100 latency samples a pass, and the 16 measurements of this block at 3 passes each were what kept the
 *    whole bench from finishing on a loaded machine.
 * 3b. Fusion weight by leave-one-out cross-validation (unless --no-cv): hybrid with fulltext weight w (semantic
 *    1 − w) for each w of a grid; each query is scored with the w chosen on all the others.
 * 4. Scale: a second workspace of N prompts made from the real ones (varied titles, shuffled sentences, bodies cut to
 *    4,000 characters) with vectors = the real vector + Gaussian noise, renormalised; the same measurements.
 * Prints one JSON object; logs go to stderr.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createPool } from '../backend/src/db/pool.js';
import { migrate } from '../backend/src/db/migrate.js';
import { createPrisma, type Db } from '../backend/src/db/prisma.js';
import { LocalEmbedder } from '../backend/src/search/embedder/index.js';
import { startIndexWorker } from '../backend/src/search/jobs.js';
import { QueryVectorCache } from '../backend/src/search/queryCache.js';
import { DEFAULT_WEIGHTS, search, type FusionWeights, type SearchMode } from '../backend/src/search/search.js';
import { parseVector, vectorLiteral } from '../backend/src/search/vectors.js';
import { loadCsvPrompts, loadDevQueries, type CsvPrompt, type DevQuery } from '../backend/test/search/support/dataset.js';
import { insertPrompts, makeWorkspace } from '../backend/test/search/support/load.js';
import { percentile, round } from './lib/closedLoop.js';
import { scratchDatabase } from './lib/database.js';
import { misspeltQueries, prng } from './lib/misspell.js';

const log = (msg: string) => process.stderr.write(`[search] ${msg}\n`);
const MODES: SearchMode[] = ['fulltext', 'semantic', 'hybrid'];

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

interface ModeResult {
  recall_at_10: number;
  mrr_at_10: number;
  p50_ms: number;
  p95_ms: number;
  cold_p50_ms: number;
}

function stats(ms: number[]): { p50_ms: number; p95_ms: number } {
  const sorted = Float64Array.from(ms).sort();
  return { p50_ms: round(percentile(sorted, 50)), p95_ms: round(percentile(sorted, 95)) };
}

async function measure(
  db: Db,
  workspaceId: string,
  queries: DevQuery[],
  embedder: LocalEmbedder,
  reps: number,
  weights: FusionWeights,
  isHit: (title: string, q: DevQuery) => boolean,
  modes: SearchMode[] = MODES,
  extra: { exactKnnMaxPrompts?: number; typoTolerance?: boolean } = {},
): Promise<Record<string, ModeResult>> {
  const out: Record<string, ModeResult> = {};
  for (const mode of modes) {
    // A fresh query cache per mode: the cold pass pays for the query embedding, as a first search would.
    const queryCache = new QueryVectorCache();
    let recall = 0;
    let mrr = 0;
    const cold: number[] = [];
    const warm: number[] = [];
    for (let pass = 0; pass <= reps; pass++) {
      for (const q of queries) {
        const t0 = performance.now();
        const r = await search(db, { workspaceId }, { q: q.q, mode, limit: 10 }, { embedder, queryCache, weights, ...extra });
        const ms = performance.now() - t0;
        if (pass === 0) {
          cold.push(ms);
          const hits = r.items.filter((i) => isHit(i.title, q));
          const found = new Set(hits.map((i) => q.relevant.find((rel) => isHit(i.title, { ...q, relevant: [rel] }))));
          recall += found.size / q.relevant.length;
          const first = r.items.findIndex((i) => isHit(i.title, q));
          mrr += first < 0 ? 0 : 1 / (first + 1);
        } else warm.push(ms);
      }
    }
    out[mode] = {
      recall_at_10: round(recall / queries.length, 3),
      mrr_at_10: round(mrr / queries.length, 3),
      ...stats(warm.length ? warm : cold),
      cold_p50_ms: stats(cold).p50_ms,
    };
    log(`${mode}: ${JSON.stringify(out[mode])}`);
  }
  return out;
}

/** Per query: recall@10 and reciprocal rank (0 when no hit in the top 10). */
function judge(titles: string[], q: DevQuery, isHit: (title: string, q: DevQuery) => boolean): { recall: number; rr: number } {
  const found = new Set(q.relevant.filter((rel) => titles.some((t) => isHit(t, { ...q, relevant: [rel] }))));
  const first = titles.findIndex((t) => isHit(t, q));
  return { recall: found.size / q.relevant.length, rr: first < 0 ? 0 : 1 / (first + 1) };
}

const CV_GRID = [0, 0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5];

/**
 * Leave-one-out cross-validation of the hybrid's fulltext weight (semantic 1 − w): for each query, the weight with
 * the best recall@10 + MRR@10 on the other queries (ties: the smaller weight) is scored on that query alone. With
 * 30 queries this is the least noisy honest estimate (two folds of 15 picked weights from one query's luck).
 */
async function crossValidate(db: Db, workspaceId: string, queries: DevQuery[], embedder: LocalEmbedder, base: FusionWeights, isHit: (title: string, q: DevQuery) => boolean) {
  const queryCache = new QueryVectorCache();
  const perWeight: { recall: number; rr: number }[][] = [];
  for (const w of CV_GRID) {
    const weights = { ...base, semantic: 1 - w, fulltext: w };
    const rows: { recall: number; rr: number }[] = [];
    for (const q of queries) {
      const r = await search(db, { workspaceId }, { q: q.q, mode: 'hybrid', limit: 10 }, { embedder, queryCache, weights });
      rows.push(judge(r.items.map((i) => i.title), q, isHit));
    }
    perWeight.push(rows);
  }
  const total = (g: number, skip: number) =>
    (perWeight[g] as { recall: number; rr: number }[]).reduce((s, r, i) => (i === skip ? s : s + r.recall + r.rr), 0);
  let recall = 0;
  let mrr = 0;
  const picks = new Map<number, number>();
  queries.forEach((_, i) => {
    let best = 0;
    for (let g = 1; g < CV_GRID.length; g++) if (total(g, i) > total(best, i) + 1e-9) best = g;
    const held = (perWeight[best] as { recall: number; rr: number }[])[i] as { recall: number; rr: number };
    recall += held.recall;
    mrr += held.rr;
    const w = CV_GRID[best] as number;
    picks.set(w, (picks.get(w) ?? 0) + 1);
  });
  const n = queries.length;
  return {
    method: 'leave-one-out',
    grid: CV_GRID,
    held_out: { recall_at_10: round(recall / n, 3), mrr_at_10: round(mrr / n, 3) },
    picked_weights: Object.fromEntries([...picks].sort((a, b) => a[0] - b[0]).map(([w, c]) => [String(w), c])),
    full_set_by_weight: Object.fromEntries(
      CV_GRID.map((w, g) => {
        const rows = perWeight[g] as { recall: number; rr: number }[];
        return [String(w), { recall_at_10: round(rows.reduce((s, r) => s + r.recall, 0) / n, 3), mrr_at_10: round(rows.reduce((s, r) => s + r.rr, 0) / n, 3) }];
      }),
    ),
  };
}

/** Seed of the misspelt queries (bench/lib/misspell.ts): the same 2 × 100 queries on every run. */
const TYPO_SEED = 15;
const TYPO_QUERIES = 100;

/**
 * Queries made from the library's own titles, misspelt in one word and in every word of 4+ letters (deletion,
 * transposition, substitution or insertion, drawn with TYPO_SEED); a hit is a prompt with that title. Full text and
 * hybrid, with typo tolerance and, as the baseline, without it (the query word for word, as before).
 */
async function measureTypos(db: Db, workspaceId: string, titles: string[], embedder: LocalEmbedder, reps: number, weights: FusionWeights, isHit: (title: string, q: DevQuery) => boolean) {
  const out: Record<string, object> = {};
  for (const every of [false, true]) {
    const queries = misspeltQueries(titles, TYPO_QUERIES, TYPO_SEED, every).map((m) => ({ q: m.q, relevant: [m.title] }));
    const name = every ? 'every_word' : 'one_word';
    log(`typos ${name}: e.g. ${queries.slice(0, 3).map((x) => JSON.stringify(x.q)).join(', ')}`);
    out[name] = {
      queries: queries.length,
      tolerant: await measure(db, workspaceId, queries, embedder, reps, weights, isHit, ['fulltext', 'hybrid']),
      word_for_word: await measure(db, workspaceId, queries, embedder, reps, weights, isHit, ['fulltext', 'hybrid'], { typoTolerance: false }),
    };
  }
  return { seed: TYPO_SEED, ...out };
}

async function baseline(db: Db, workspaceId: string, queries: DevQuery[], reps: number) {
  const ms: number[] = [];
  for (let pass = 0; pass <= reps; pass++) {
    for (const q of queries) {
      const t0 = performance.now();
      await db.$queryRaw`
        SELECT id, title FROM prompt
         WHERE workspace_id = ${workspaceId}::uuid AND deleted_at IS NULL AND search_tsv @@ websearch_to_tsquery('english', ${q.q})
         ORDER BY ts_rank(search_tsv, websearch_to_tsquery('english', ${q.q})) DESC LIMIT 10`;
      if (pass > 0) ms.push(performance.now() - t0);
    }
  }
  return stats(ms);
}

/**
 * Quality of an exact (brute-force) kNN over the same rows: what the HNSW index's approximation costs. Runs on its
 * own connection with index scans off.
 */
async function exactKnn(pool: ReturnType<typeof createPool>, workspaceId: string, queries: DevQuery[], embedder: LocalEmbedder, isHit: (title: string, q: DevQuery) => boolean) {
  const client = await pool.connect();
  let recall = 0;
  let mrr = 0;
  try {
    await client.query('SET enable_indexscan = off; SET enable_bitmapscan = off');
    for (const q of queries) {
      const [v] = await embedder.embed([q.q]);
      const { rows } = await client.query<{ title: string }>(
        'SELECT title FROM prompt WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY embedding <=> $2::vector LIMIT 10',
        [workspaceId, vectorLiteral(v as Float32Array)],
      );
      const found = new Set(q.relevant.filter((rel) => rows.some((r) => isHit(r.title, { ...q, relevant: [rel] }))));
      recall += found.size / q.relevant.length;
      const first = rows.findIndex((r) => isHit(r.title, q));
      mrr += first < 0 ? 0 : 1 / (first + 1);
    }
  } finally {
    await client.query('RESET ALL').catch(() => {});
    client.release();
  }
  return { recall_at_10: round(recall / queries.length, 3), mrr_at_10: round(mrr / queries.length, 3) };
}


const QUALIFIERS = ['Senior', 'Friendly', 'Concise', 'Team', 'Expert', 'Junior', 'Strict', 'Creative', 'Legacy', 'Draft', 'Internal', 'Pro'];
const VARIANT_MARK = ' · v';

export async function buildScale(db: Db, n: number, real: CsvPrompt[], vectors: Map<number, Float32Array>, noise: number) {
  const { workspaceId, userId } = await makeWorkspace(db, `bench-search-scale-${Date.now()}`);
  const random = prng(42); // deterministic, so a scale set is the same on every run
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const usable = real.filter((p) => vectors.has(p.row));
  // Every real prompt once, as is, then variants of them up to n.
  const rows: { p: CsvPrompt; v: Float32Array }[] = usable.map((p) => ({ p, v: vectors.get(p.row) as Float32Array }));
  for (let i = 0; rows.length < n; i++) {
    const base = usable[Math.floor(random() * usable.length)] as CsvPrompt;
    const sentences = base.content.slice(0, 4_000).split(/(?<=[.!?])\s+/);
    for (let k = sentences.length - 1; k > 0; k--) {
      if (random() < 0.3) {
        const j = Math.floor(random() * (k + 1));
        [sentences[k], sentences[j]] = [sentences[j] as string, sentences[k] as string];
      }
    }
    const src = vectors.get(base.row) as Float32Array;
    const v = new Float32Array(src.length);
    let norm = 0;
    for (let d = 0; d < src.length; d++) {
      v[d] = (src[d] as number) + noise * gauss();
      norm += (v[d] as number) ** 2;
    }
    for (let d = 0; d < v.length; d++) v[d] = (v[d] as number) / Math.sqrt(norm);
    const qualifier = QUALIFIERS[Math.floor(random() * QUALIFIERS.length)] as string;
    rows.push({
      p: { ...base, row: 1_000_000 + i, title: `${qualifier} ${base.title}${VARIANT_MARK}${i}`, content: sentences.join(' ') },
      v,
    });
  }
  // Bulk load as one would restore a dump: indexes dropped, rows copied, indexes built once.
  const t0 = performance.now();
  const indexes = await db.$queryRaw<{ indexname: string; indexdef: string }[]>`
    SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'prompt' AND indexname IN
      ('prompt_search_tsv_idx', 'prompt_title_trgm_idx', 'prompt_tags_trgm_idx', 'prompt_embedding_hnsw_idx')`;
  for (const ix of indexes) await db.$executeRawUnsafe(`DROP INDEX ${ix.indexname}`);
  const byRow = new Map(rows.map((r) => [r.p.row, r.v]));
  for (let i = 0; i < rows.length; i += 2_000) {
    await insertPrompts(db, workspaceId, rows.slice(i, i + 2_000).map((r) => r.p), {
      createdById: userId,
      vectors: (p) => byRow.get(p.row),
      model: 'use-lite-512',
      enqueue: false,
    });
    if (i % 20_000 === 0) log(`scale: ${i + 2_000} / ${rows.length} rows`);
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await db.$executeRawUnsafe(`SET maintenance_work_mem = '512MB'`);
  for (const ix of indexes) await db.$executeRawUnsafe(ix.indexdef);
  await db.$executeRawUnsafe('VACUUM ANALYZE prompt');
  return { workspaceId, rows: rows.length, loadSeconds, indexSeconds: (performance.now() - t1) / 1000 };
}

export async function run(args: string[]): Promise<object> {
  const queriesFile = arg(args, 'queries');
  const queries = queriesFile ? (JSON.parse(readFileSync(queriesFile, 'utf8')) as DevQuery[]) : loadDevQueries();
  const scale = Number(arg(args, 'scale') ?? 100_000);
  const reps = Number(arg(args, 'reps') ?? 3);
  const typoReps = Number(arg(args, 'typo-reps') ?? 1);
  const noise = Number(arg(args, 'noise') ?? 0.02);
  const weights = { ...DEFAULT_WEIGHTS, ...(arg(args, 'weights') ? (JSON.parse(arg(args, 'weights') as string) as Partial<FusionWeights>) : {}) };
  const scratch = await scratchDatabase('rocqet_bench_search');
  // One connection, like the baseline: latency, not throughput.
  const pool = createPool(scratch.url, { max: 2 });
  const db = createPrisma(pool);
  const embedder = new LocalEmbedder();
  try {
    await migrate(pool);
    const real = loadCsvPrompts();
    const { workspaceId } = await makeWorkspace(db, 'bench-search');
    await insertPrompts(db, workspaceId, real, { enqueue: true });
    log(`loaded ${real.length} prompts; embedding them with ${embedder.model} (cold, no cache)…`);
    const t0 = performance.now();
    const worker = startIndexWorker({ db, embedder, batchSize: 64, reconcile: false });
    await worker.drain();
    await worker.stop();
    const indexSeconds = (performance.now() - t0) / 1000;
    const [pending] = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM search_job`;
    log(`indexed in ${indexSeconds.toFixed(1)} s; ${pending?.n} jobs left`);
    await db.$executeRawUnsafe('VACUUM ANALYZE prompt');

    const exact = (title: string, q: DevQuery) => q.relevant.includes(title);
    const modes = await measure(db, workspaceId, queries, embedder, reps, weights, exact);
    const base = await baseline(db, workspaceId, queries, reps);
    log(`baseline: ${JSON.stringify(base)}`);
    const typos = args.includes('--no-typos') ? null : await measureTypos(db, workspaceId, real.map((p) => p.title), embedder, typoReps, weights, exact);
    const cv = args.includes('--no-cv') ? null : await crossValidate(db, workspaceId, queries, embedder, weights, exact);
    if (cv) log(`cv: ${JSON.stringify({ held_out: cv.held_out, picked_weights: cv.picked_weights })}`);

    let scaleResult: object | null = null;
    if (scale > 0) {
      const vectors = new Map<number, Float32Array>();
      const rows = await db.$queryRaw<{ title: string; head_text: string; v: string }[]>`
        SELECT title, head_text, embedding::text AS v FROM prompt WHERE workspace_id = ${workspaceId}::uuid AND embedding IS NOT NULL`;
      const key = new Map(real.map((p) => [`${p.title}\u0000${p.content}`, p.row]));
      for (const r of rows) {
        const row = key.get(`${r.title}\u0000${r.head_text}`);
        if (row !== undefined) vectors.set(row, parseVector(r.v));
      }
      log(`building the scale set: ${scale} prompts from ${vectors.size} real vectors (noise σ = ${noise})…`);
      const built = await buildScale(db, scale, real, vectors, noise);
      log(`scale set loaded in ${built.loadSeconds.toFixed(1)} s, indexed in ${built.indexSeconds.toFixed(1)} s`);
      // A variant is a noisy copy of a real prompt: it counts as that prompt.
      const baseTitle = (title: string) => {
        const at = title.lastIndexOf(VARIANT_MARK);
        if (at < 0) return title;
        const stripped = title.slice(0, at);
        return stripped.slice(stripped.indexOf(' ') + 1);
      };
      const byBase = (title: string, q: DevQuery) => q.relevant.includes(baseTitle(title));
      scaleResult = {
        prompts: built.rows,
        generated: 'real prompts plus variants (a qualifier word and a number added to the title, sentences shuffled, body cut to 4,000 characters); vectors = real vector + N(0, σ²) noise per dimension, renormalised; a variant of a relevant prompt counts as a hit',
        noise_sigma: noise,
        load_seconds: round(built.loadSeconds, 1),
        index_build_seconds: round(built.indexSeconds, 1),
        modes: await measure(db, built.workspaceId, queries, embedder, reps, weights, byBase),
        exact_knn: await exactKnn(pool, built.workspaceId, queries, embedder, byBase),
        // What an exact kNN costs at this size (search() switches to it up to EXACT_KNN_MAX_PROMPTS prompts).
        exact_modes: await measure(db, built.workspaceId, queries, embedder, reps, weights, byBase, ['semantic', 'hybrid'], {
          exactKnnMaxPrompts: Number.MAX_SAFE_INTEGER,
        }),
        baseline: await baseline(db, built.workspaceId, queries, reps),
        typos: typos ? await measureTypos(db, built.workspaceId, real.map((p) => p.title), embedder, typoReps, weights, byBase) : null,
      };
    }
    return {
      bench: 'search',
      queries: queries.length,
      prompts: real.length,
      modes,
      baseline: base,
      typos,
      cross_validation: cv,
      index_seconds: round(indexSeconds, 1),
      index_note: 'cold: fresh database, empty embedding cache, includes loading the model; 2 worker threads',
      embedder: embedder.model,
      weights,
      reps,
      typo_reps: typoReps,
      server: scratch.serverVersion,
      scale: scaleResult,
    };
  } finally {
    await embedder.close();
    await db.$disconnect();
    await pool.end();
    await scratch.drop();
  }
}
