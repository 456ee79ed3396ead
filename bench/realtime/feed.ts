/**
 * Change feed latency: a commit over HTTP to one backend → the event at SSE subscribers (the sdk's subscription)
 * connected to ANOTHER backend, in a child process, on the same PostgreSQL, so every event crosses processes' worth of machinery through
 * NOTIFY/LISTEN, read back by cursor. Beside it, in the same run, the floor: a raw NOTIFY → LISTEN round trip on the
 * same server. Commits go one at a time with a pause between them: this is latency, not throughput.
 *
 * Two clocks start per commit, both in this process (the writer's backend and the subscribers run in it, so one
 * monotonic clock serves both ends):
 * when the writer's transaction has committed (its `inTransaction` got COMMIT's answer: `onCommitted`), which is when
 * the change exists for anyone — "a commit reaches a subscriber" is measured from there (`feed_*`); and when the
 * commit's HTTP request is sent, so the whole path including the commit itself is reported too (`feed_from_request_*`,
 * and the commit's own round trip, `commit_roundtrip_*`). The statements one commit sends are counted as well.
 */
import { createClient, type Subscription } from '@rocqet/sdk';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../backend/src/config.js';
import { onCommitted } from '../../backend/src/db/transaction.js';
import { bootstrapWorkspace } from '../../backend/src/domain/workspaces/workspaces.js';
import { startBackend, type Backend } from '../../backend/src/server.js';
import { percentile, round } from '../lib/closedLoop.js';
import { scratchDatabase } from '../lib/database.js';
import { captureSql, installSqlCapture } from '../lib/sqlCapture.js';

export interface FeedOptions {
  subscribers?: number;
  commits?: number;
  /** Pause between commits (ms). */
  gapMs?: number;
  notifies?: number;
}

export interface FeedResult {
  feed_p50_ms: number;
  feed_p99_ms: number;
  baseline_notify_roundtrip_p50_ms: number;
  subscribers: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantiles(samples: number[]): { p50: number; p99: number } {
  const sorted = Float64Array.from(samples).sort();
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
}

export interface FeedDetails {
  commits: number;
  lost_events: number;
  feed_max_ms: number;
  feed_from_request_p50_ms: number;
  feed_from_request_p99_ms: number;
  commit_roundtrip_p50_ms: number;
  commit_roundtrip_p99_ms: number;
  feed_after_commit_answer_p50_ms: number;
  feed_after_commit_answer_p99_ms: number;
  baseline_notify_roundtrip_p99_ms: number;
  /** SQL statements one commit sends (authentication, BEGIN and COMMIT included); each is a round trip. */
  commit_sql_statements: number;
  measures: Record<string, string>;
}

/** What each figure measures, printed with them. */
const MEASURES = {
  feed_ms: "the writer's transaction committed (COMMIT answered) → the event parsed by an sdk subscription on the other backend",
  feed_from_request_ms: 'the commit request sent → the event parsed at the subscriber (the commit itself included)',
  commit_roundtrip_ms: "the commit's HTTP round trip alone (authentication, the transaction, the answer)",
  feed_after_commit_answer_ms: "the event parsed after the commit's HTTP answer arrived (0 when it came first)",
  baseline_notify_roundtrip_ms: 'raw pg_notify on one connection → the notification on another LISTENing one, same server',
};

export async function measureFeed(opts: FeedOptions = {}): Promise<FeedResult & FeedDetails> {
  const subscribers = opts.subscribers ?? 50;
  const commits = opts.commits ?? 200;
  const gapMs = opts.gapMs ?? 20;
  installSqlCapture();
  const database = await scratchDatabase('rocqet_bench_feed');
  const backends: Backend[] = [];
  const subs: Subscription[] = [];
  let reader: SpawnedBackend | undefined;
  try {
    const env = { ...process.env, RATE_LIMIT: '1000000', ROCQET_FEED_MAX_PER_TOKEN: String(subscribers) };
    const config = { ...loadConfig(env), port: 0, databaseUrl: database.url };
    const logger = pino({ level: 'warn' });
    const writerSide = await startBackend(config, logger);
    backends.push(writerSide);
    // The subscribers' backend is a process of its own, as in a deployment: in this one it would share the event loop
    // with the writer's requests and the subscribers' clients.
    reader = await spawnBackend({ ...env, DATABASE_URL: database.url });
    const readerSide = reader;
    const ws = await bootstrapWorkspace(writerSide.db, {
      slug: 'bench-feed',
      name: 'bench feed',
      type: 'team',
      plan: 'pro',
      owner: { email: 'bench-feed@example.com', name: 'Bench' },
    });
    const writer = createClient({ baseUrl: writerSide.url, token: ws.secret });
    const prompt = await writer.createPrompt({ body: { title: 'Feed bench', slug: 'feed-bench', content: 'v0' } });

    const sentAt = new Map<number, number>();
    const committedAt = new Map<number, number>();
    const answeredAt = new Map<number, number>();
    const fromRequest: number[] = [];
    const arrivals: { seq: number; at: number }[] = [];
    // Commits go one at a time, so the transaction that commits while commit `inFlight` is under way is its own.
    let inFlight: number | undefined;
    const stopClock = onCommitted(writerSide.db, () => {
      if (inFlight !== undefined && !committedAt.has(inFlight)) committedAt.set(inFlight, performance.now());
    });
    let received = 0;
    const readerClient = createClient({ baseUrl: readerSide.url, token: ws.secret });
    // All on one token (its stream limit raised to fit): the limit is not what is measured.
    for (let i = 0; i < subscribers; i++) {
      const sub = readerClient.events.subscribe({
        filters: { types: ['prompt.commit'] },
        onEvent: (e) => {
          const seq = (e.changes.after as { seq?: number } | undefined)?.seq;
          const at = seq === undefined ? undefined : sentAt.get(seq);
          if (at === undefined || seq === undefined) return;
          const now = performance.now();
          fromRequest.push(now - at);
          arrivals.push({ seq, at: now });
          received++;
        },
      });
      subs.push(sub);
    }
    await waitFor(() => subs.every((s) => s.state === 'open'), 30_000, 'subscribers to connect');

    let parent = prompt.commit.id;
    const commitMs: number[] = [];
    for (let i = 1; i <= commits; i++) {
      const t0 = performance.now();
      inFlight = i + 1; // the first commit of a new prompt is seq 1
      sentAt.set(i + 1, t0);
      parent = (await writer.commit({ params: { prompt: prompt.id }, body: { content: `v${i}`, message: `m${i}`, parent } })).id;
      answeredAt.set(i + 1, performance.now());
      commitMs.push(performance.now() - t0);
      await sleep(gapMs);
    }
    inFlight = undefined;
    await waitFor(() => received >= commits * subscribers, 10_000, 'every event').catch(() => {});
    stopClock();
    const fromCommit = arrivals.flatMap((a) => {
      const at = committedAt.get(a.seq);
      return at === undefined ? [] : [a.at - at];
    });
    if (fromCommit.length !== arrivals.length) throw new Error('a commit was not seen committing');
    const feed = quantiles(fromCommit);
    const whole = quantiles(fromRequest);
    const commit = quantiles(commitMs);
    // With every stream closed the reader backend reads nothing, so the capture sees the commit's statements, the
    // token's last-use stamp (at most once a minute) and the search workers' job claims (their own loop), left out.
    subs.splice(0).forEach((s) => s.close());
    for (let t = Date.now(); Date.now() - t < 10_000; await sleep(50)) {
      if (/^rocqet_feed_subscribers 0$/m.test(await (await fetch(readerSide.url + '/metrics')).text())) break;
    }
    // The search workers drain the jobs the commits queued (embedding each text) on their own; let them finish, so
    // none of their statements is counted as the commit's.
    for (let t = Date.now(); Date.now() - t < 60_000; await sleep(100)) {
      const { rows } = await writerSide.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM search_job');
      if (rows[0]?.n === 0) break;
    }
    await sleep(200);
    const statements = (
      await captureSql(() => writer.commit({ params: { prompt: prompt.id }, body: { content: 'counted', message: 'counted', parent } }))
    )
      .filter((sql) => !/^\s*UPDATE\s+(api_token\s+SET\s+last_used_at|search_job\s+j\s+SET\s+locked_until)/.test(sql))
      // What follows COMMIT is the search worker starting on the job this commit queued.
      .filter((_sql, i, all) => i <= all.findIndex((s) => s.trim() === 'COMMIT'));
    if (process.env.BENCH_SHOW_SQL) for (const sql of statements) console.error(sql.replace(/\s+/g, " ").slice(0, 160));
    // What the feed adds once the commit has answered (0 when the event beat the HTTP answer).
    const after = quantiles(arrivals.map((a) => Math.max(0, a.at - (answeredAt.get(a.seq) ?? a.at))));
    const notify = await notifyRoundTrips(database.url, opts.notifies ?? 500);
    return {
      feed_p50_ms: feed.p50,
      feed_p99_ms: feed.p99,
      feed_max_ms: round(Math.max(...fromCommit)),
      feed_from_request_p50_ms: whole.p50,
      feed_from_request_p99_ms: whole.p99,
      commit_roundtrip_p50_ms: commit.p50,
      commit_roundtrip_p99_ms: commit.p99,
      feed_after_commit_answer_p50_ms: after.p50,
      feed_after_commit_answer_p99_ms: after.p99,
      baseline_notify_roundtrip_p50_ms: notify.p50,
      baseline_notify_roundtrip_p99_ms: notify.p99,
      commit_sql_statements: statements.length,
      subscribers,
      commits,
      lost_events: commits * subscribers - received,
      measures: MEASURES,
    };
  } finally {
    subs.forEach((s) => s.close());
    await reader?.stop();
    await Promise.all(backends.map((b) => b.close()));
    await database.drop();
  }
}

interface SpawnedBackend {
  url: string;
  stop(): Promise<void>;
}

/** A backend in a child process (bench/lib/backendChild.ts) on the given environment. */
async function spawnBackend(env: NodeJS.ProcessEnv): Promise<SpawnedBackend> {
  const script = fileURLToPath(new URL('../lib/backendChild.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => proc.once('exit', r));
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    proc.once('exit', (code) => reject(new Error(`the reader backend exited with ${code}`)));
  });
  return {
    url: (JSON.parse(line) as { url: string }).url,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** pg_notify on one connection (autocommit) → the notification on another LISTENing one. */
async function notifyRoundTrips(url: string, n: number): Promise<{ p50: number; p99: number }> {
  const listener = new pg.Client({ connectionString: url });
  const sender = new pg.Client({ connectionString: url });
  await Promise.all([listener.connect(), sender.connect()]);
  try {
    const channel = `bench_notify_${process.pid}`;
    await listener.query(`LISTEN ${channel}`);
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const got = new Promise<void>((resolve) => listener.once('notification', () => resolve()));
      const t0 = performance.now();
      await Promise.all([got, sender.query('SELECT pg_notify($1, $2)', [channel, String(i)])]);
      samples.push(performance.now() - t0);
      if (i % 10 === 0) await sleep(1);
    }
    return quantiles(samples);
  } finally {
    await Promise.all([listener.end(), sender.end()]);
  }
}

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
