/**
 * API bench: authenticated reads through the real backend (HTTP, Express, auth, Prisma) against the same SQL issued
 * straight on the backend's own pg pool. Both run closed loops at the same concurrencies and time bounds; the
 * HTTP load comes from a forked process so it does not share the server's event loop.
 *
 *   npm run bench -- api [--concurrency 1,16,64] [--warmup 2] [--measure 5] [--folders 50] [--neighbours 9]
 *                        [--skip-baseline]   (HTTP steps only: for profiling the server with --cpu-prof)
 *                        [--endpoint folders] (only the endpoints whose name contains this)
 */
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { loadConfig } from '../backend/src/config.js';
import { bootstrapWorkspace } from '../backend/src/domain/workspaces/workspaces.js';
import { hashTokenSecret } from '../backend/src/domain/tokens/secret.js';
import { startBackend, type Backend } from '../backend/src/server.js';
import { numberOption } from './lib/args.js';
import { closedLoop, round, type StepBounds, type StepResult } from './lib/closedLoop.js';
import { scratchDatabase, type ScratchDatabase } from './lib/database.js';
import { startLoadGenerator, type LoadGenerator } from './lib/loadgen.js';
import { cpuMeter, machine, postgresBackendsOf, processesMeter, today } from './lib/machine.js';
import { FOLDERS_QUERY } from '../backend/src/domain/folders/folders.js';
import { TOKEN_QUERY } from '../backend/src/domain/tokens/authenticate.js';
import { WORKSPACE_QUERY } from '../backend/src/domain/workspaces/workspaces.js';
import { captureSql, installSqlCapture, normalizeSql } from './lib/sqlCapture.js';

/** The goal of issue 2, judged at the highest concurrency measured. */
const GOAL = { minRatio: 0.5, maxP99Ms: 10 };
const POOL_SIZE = 10;
/** Cores used by other processes during a step above which the run is flagged as disturbed. */
const DISTURBED_CORES = 0.25;

// What the handlers issue (checked against a live capture on every run, see `checkBaselineSql`).
export const SQL = { auth: TOKEN_QUERY, folders: FOLDERS_QUERY, workspace: WORKSPACE_QUERY };

/** Written at most once a minute per token by the auth step; not part of a read's steady cost. */
const LAST_USED_UPDATE = /^UPDATE api_token SET last_used_at/;

export interface Endpoint {
  name: string;
  path: string;
  /** The statements one request runs, in order (parallel ones in the order the handler starts them). */
  sql: string[];
  /** One request's worth of raw SQL on the pool, as the handler's data flow needs it. */
  baseline(pool: pg.Pool): Promise<void>;
  /** Throws unless the body is what the seeded data should give. */
  check(body: unknown): void;
}

export interface Seeded {
  database: string;
  secret: string;
  slug: string;
  workspaceId: string;
  folders: number;
}

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      concurrency: { type: 'string', default: '1,16,64' },
      warmup: { type: 'string', default: '2' },
      measure: { type: 'string', default: '5' },
      folders: { type: 'string', default: '50' },
      neighbours: { type: 'string', default: '9' },
      'max-ops': { type: 'string', default: '2000000' },
      'skip-baseline': { type: 'boolean', default: false },
      endpoint: { type: 'string', default: '' },
    },
    strict: true,
  });
  const concurrency = values.concurrency.split(',').map((c) => numberOption('concurrency', c, 1, 512));
  return {
    concurrency: concurrency.map(Math.round),
    warmupMs: numberOption('warmup', values.warmup, 0, 60) * 1000,
    measureMs: numberOption('measure', values.measure, 0.5, 120) * 1000,
    folders: Math.round(numberOption('folders', values.folders, 1, 2000)),
    neighbours: Math.round(numberOption('neighbours', values.neighbours, 0, 100)),
    maxOps: Math.round(numberOption('max-ops', values['max-ops'], 1, 1e8)),
    skipBaseline: values['skip-baseline'],
    endpoint: values.endpoint,
  };
}

const ROOTS = ['engineering', 'support', 'marketing', 'sales', 'research'];
const TOPICS = ['code-review', 'onboarding', 'summaries', 'translation', 'triage', 'release-notes', 'sql', 'testing',
  'docs', 'emails', 'incidents', 'agents'];

async function api(backend: Backend, secret: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(backend.url + path, {
    method,
    headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A folder tree through the API (the real write path): a few roots, then children three to a parent. */
async function seedFolders(backend: Backend, secret: string, count: number): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const root = i < ROOTS.length;
    const parentId = root ? null : (ids[Math.floor((i - ROOTS.length) / 3)] ?? null);
    const name = root ? (ROOTS[i] as string) : `${TOPICS[i % TOPICS.length]}-${i}`;
    const folder = (await api(backend, secret, 'POST', '/v1/folders', { name, parentId })) as { id: string };
    ids.push(folder.id);
  }
}

/** The measured workspace, plus neighbours with folders of their own so the tables hold other tenants' rows. */
async function seed(backend: Backend, database: string, folders: number, neighbours: number): Promise<Seeded> {
  const make = (slug: string, email: string) =>
    bootstrapWorkspace(backend.db, { slug, name: slug, type: 'team', owner: { email, name: slug } });
  const main = await make('bench', 'owner@bench.example');
  const others = await Promise.all(
    Array.from({ length: neighbours }, (_, k) => make(`neighbour-${k}`, `owner${k}@neighbour.example`)),
  );
  await Promise.all([main, ...others].map((w) => seedFolders(backend, w.secret, folders)));
  return { database, secret: main.secret, slug: main.workspace.slug, workspaceId: main.workspace.id, folders };
}

function endpoints(seeded: Seeded): Endpoint[] {
  const hash = hashTokenSecret(seeded.secret);
  const q = (pool: pg.Pool, text: string, values: unknown[]) => pool.query({ text, values, rowMode: 'array' });
  const workspaceIdOf = async (pool: pg.Pool) => {
    const auth = await q(pool, SQL.auth, [hash]);
    const id = auth.rows[0]?.[1];
    if (typeof id !== 'string') throw new Error('baseline: the token did not resolve');
    return id;
  };
  return [
    {
      name: 'GET /v1/folders',
      path: '/v1/folders',
      sql: [SQL.auth, SQL.folders],
      async baseline(pool) {
        const rows = await q(pool, SQL.folders, [await workspaceIdOf(pool)]);
        if (rows.rowCount !== seeded.folders) throw new Error(`baseline: ${rows.rowCount} folders`);
      },
      check(body) {
        const items = (body as { items?: unknown[] }).items;
        if (items?.length !== seeded.folders) throw new Error(`GET /v1/folders gave ${items?.length} folders`);
      },
    },
    {
      name: 'GET /v1/workspaces/{slug}',
      path: `/v1/workspaces/${seeded.slug}`,
      sql: [SQL.auth, SQL.workspace],
      async baseline(pool) {
        const id = await workspaceIdOf(pool);
        const ws = await q(pool, SQL.workspace, [id]);
        if (ws.rowCount !== 1) throw new Error('baseline: no workspace');
      },
      check(body) {
        if ((body as { slug?: unknown }).slug !== seeded.slug) throw new Error('GET /v1/workspaces gave another one');
      },
    },
  ];
}

/** Fetches each endpoint once, checks the body, and compares what Prisma sent with the baseline's statements. */
async function checkBaselineSql(backend: Backend, seeded: Seeded, list: Endpoint[]): Promise<Record<string, string[]>> {
  const drift: Record<string, string[]> = {};
  for (const e of list) {
    let body: unknown;
    const seen = (await captureSql(async () => (body = await api(backend, seeded.secret, 'GET', e.path))))
      .filter((s) => !LAST_USED_UPDATE.test(s.trim()))
      .map(normalizeSql);
    e.check(body);
    const expected = e.sql.map(normalizeSql);
    if (seen.length !== expected.length || seen.some((s, i) => s !== expected[i])) {
      drift[e.name] = seen;
      console.error(`api bench: the baseline SQL of ${e.name} no longer matches what the handler sends:`);
      for (const s of seen) console.error(`  ${s}`);
    }
  }
  return drift;
}

interface Row {
  rps: number[];
  p50_ms: number[];
  p99_ms: number[];
  baseline_rps: number[];
  baseline_p50_ms: number[];
  baseline_p99_ms: number[];
  ratio: number[];
  /**
   * Cores kept busy during each HTTP step: the server process, the load generator, the PostgreSQL backends of the
   * bench's database, and everything else on the machine (other work competing for the cores: noise).
   */
  cpu_server: number[];
  cpu_loadgen: number[];
  cpu_postgres: number[];
  cpu_other: number[];
  /** CPU per request of the server process and of PostgreSQL, in µs: steady when other work shares the cores. */
  server_us_per_req: number[];
  postgres_us_per_req: number[];
  /** The same for each baseline step (the process is the pg client only). */
  cpu_baseline_process: number[];
  cpu_baseline_postgres: number[];
  cpu_baseline_other: number[];
  baseline_process_us_per_op: number[];
  baseline_postgres_us_per_op: number[];
}

function failIfErrors(what: string, r: StepResult): void {
  if (r.errors > 0) throw new Error(`${what}: ${r.errors} failed operations (first: ${r.firstError})`);
}

const usPerOp = (cores: number, rps: number) => (rps > 0 ? round((cores / rps) * 1e6, 0) : NaN);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(
  backend: Backend,
  loadgen: LoadGenerator,
  seeded: Seeded,
  e: Endpoint,
  opts: ReturnType<typeof options>,
): Promise<Row> {
  const row: Row = {
    rps: [], p50_ms: [], p99_ms: [], baseline_rps: [], baseline_p50_ms: [], baseline_p99_ms: [], ratio: [],
    cpu_server: [], cpu_loadgen: [], cpu_postgres: [], cpu_other: [], server_us_per_req: [], postgres_us_per_req: [],
    cpu_baseline_process: [], cpu_baseline_postgres: [], cpu_baseline_other: [],
    baseline_process_us_per_op: [], baseline_postgres_us_per_op: [],
  };
  const headers = { authorization: `Bearer ${seeded.secret}` };
  const ours = postgresBackendsOf(seeded.database);
  for (const concurrency of opts.concurrency) {
    const bounds: StepBounds = { concurrency, warmupMs: opts.warmupMs, measureMs: opts.measureMs, maxOps: opts.maxOps };

    const serverCpu = cpuMeter();
    const postgresCpu = processesMeter(ours);
    const http = await loadgen.step(backend.url, e.path, headers, bounds);
    const cpu = { ...serverCpu(), postgres: postgresCpu() };
    failIfErrors(`${e.name} at ${concurrency}`, http.result);
    await pause(250);
    row.rps.push(http.result.rps);
    row.p50_ms.push(http.result.p50_ms);
    row.p99_ms.push(http.result.p99_ms);
    row.cpu_server.push(round(cpu.processCores));
    row.cpu_loadgen.push(round(http.cpuCores));
    row.cpu_postgres.push(round(cpu.postgres));
    row.cpu_other.push(round((cpu.machineCores ?? NaN) - cpu.processCores - http.cpuCores - cpu.postgres));
    row.server_us_per_req.push(usPerOp(cpu.processCores, http.result.rps));
    row.postgres_us_per_req.push(usPerOp(cpu.postgres, http.result.rps));
    const summary = `${e.name} c=${concurrency}: ${http.result.rps} rps p50 ${http.result.p50_ms} ms p99 ${http.result.p99_ms} ms`;
    if (opts.skipBaseline) {
      console.error(`api bench: ${summary}`);
      continue;
    }

    const baselineCpu = cpuMeter();
    const baselinePostgresCpu = processesMeter(ours);
    const base = await closedLoop(bounds, () => e.baseline(backend.pool));
    const bcpu = { ...baselineCpu(), postgres: baselinePostgresCpu() };
    failIfErrors(`baseline of ${e.name} at ${concurrency}`, base);
    await pause(250);

    row.baseline_rps.push(base.rps);
    row.baseline_p50_ms.push(base.p50_ms);
    row.baseline_p99_ms.push(base.p99_ms);
    row.ratio.push(round(http.result.rps / base.rps, 3));
    row.cpu_baseline_process.push(round(bcpu.processCores));
    row.cpu_baseline_postgres.push(round(bcpu.postgres));
    row.cpu_baseline_other.push(round((bcpu.machineCores ?? NaN) - bcpu.processCores - bcpu.postgres));
    row.baseline_process_us_per_op.push(usPerOp(bcpu.processCores, base.rps));
    row.baseline_postgres_us_per_op.push(usPerOp(bcpu.postgres, base.rps));
    console.error(`api bench: ${summary} | baseline ${base.rps} rps p99 ${base.p99_ms} ms | ratio ${row.ratio.at(-1)}`);
  }
  return row;
}

export interface ApiFixture {
  database: ScratchDatabase;
  backend: Backend;
  seeded: Seeded;
  endpoints: Endpoint[];
  /** Handler statements that differ from the baseline's, by endpoint (empty when they match). */
  drift: Record<string, string[]>;
  close(): Promise<void>;
}

/** A scratch database, the real backend on it (quiet, rate limit out of the way), seeded and checked. */
export async function openApiFixture(opts: { folders: number; neighbours: number }): Promise<ApiFixture> {
  installSqlCapture();
  const database = await scratchDatabase();
  let backend: Backend | undefined;
  const close = async () => {
    await backend?.close();
    await database.drop();
  };
  try {
    console.error(`api bench: database ${database.name} (PostgreSQL ${database.serverVersion})`);
    backend = await startBackend({
      ...loadConfig({}),
      host: '127.0.0.1',
      port: 0,
      databaseUrl: database.url,
      logLevel: 'silent',
      poolSize: POOL_SIZE,
      rateLimit: { limit: 1_000_000_000, windowMs: 60_000 },
      validateResponses: false,
    });
    const started = Date.now();
    const seeded = await seed(backend, database.name, opts.folders, opts.neighbours);
    console.error(`api bench: seeded ${opts.neighbours + 1} workspaces × ${opts.folders} folders in ${Date.now() - started} ms`);
    const list = endpoints(seeded);
    const drift = await checkBaselineSql(backend, seeded, list);
    return { database, backend, seeded, endpoints: list, drift, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function run(args: string[]): Promise<object> {
  const opts = options(args);
  const fixture = await openApiFixture(opts);
  const { backend, seeded, drift } = fixture;
  let loadgen: LoadGenerator | undefined;
  try {
    loadgen = startLoadGenerator();
    const rows: Record<string, Row> = {};
    const chosen = fixture.endpoints.filter((e) => e.name.includes(opts.endpoint));
    for (const e of chosen) rows[e.name] = await measure(backend, loadgen, seeded, e, opts);

    const first = chosen[0];
    const top = first ? rows[first.name] : undefined;
    if (!top) throw new Error('no endpoint measured');
    const last = opts.concurrency.length - 1;
    const verdicts = Object.fromEntries(
      Object.entries(rows).map(([name, r]) => {
        const ratio = r.ratio[last]; // absent with --skip-baseline
        const p99 = r.p99_ms[last] ?? Infinity;
        return [name, { ratio, p99_ms: p99, met: ratio !== undefined && ratio >= GOAL.minRatio && p99 < GOAL.maxP99Ms }];
      }),
    );
    // Other work on the machine competes for the same cores; say how much, so a disturbed run is recognised.
    const others = Object.values(rows).flatMap((r) => [...r.cpu_other, ...r.cpu_baseline_other]).filter(Number.isFinite);
    const disturbance = others.length ? Math.max(...others) : null;
    if (disturbance !== null && disturbance > DISTURBED_CORES) {
      console.error(`api bench: other processes kept up to ${disturbance} cores busy during a step; the rates are disturbed`);
    }
    return {
      bench: 'api',
      date: today(),
      machine: machine(fixture.database.serverVersion),
      endpoint: first?.name,
      concurrency: opts.concurrency,
      rps: top.rps,
      p50_ms: top.p50_ms,
      p99_ms: top.p99_ms,
      baseline_rps: top.baseline_rps,
      ratio: top.ratio,
      goal: {
        at_concurrency: opts.concurrency[last],
        min_ratio: GOAL.minRatio,
        max_p99_ms: GOAL.maxP99Ms,
        met: Object.values(verdicts).every((v) => v.met),
        endpoints: verdicts,
      },
      endpoints: rows,
      setup: {
        warmup_s: opts.warmupMs / 1000,
        measure_s: opts.measureMs / 1000,
        pool_size: POOL_SIZE,
        folders: opts.folders,
        neighbour_workspaces: opts.neighbours,
        other_cpu_max_cores: disturbance,
        disturbed: disturbance !== null && disturbance > DISTURBED_CORES,
        baseline_sql_matches: Object.keys(drift).length === 0,
        ...(Object.keys(drift).length ? { handler_sql: drift } : {}),
      },
    };
  } finally {
    await loadgen?.stop();
    await fixture.close();
  }
}
