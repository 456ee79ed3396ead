/**
 * Change feed latency: a commit over HTTP to one backend → the event at SSE subscribers (the sdk's subscription)
 * connected to ANOTHER backend on the same PostgreSQL, so every event crosses processes' worth of machinery through
 * NOTIFY/LISTEN, read back by cursor. Beside it, in the same run, the floor: a raw NOTIFY → LISTEN round trip on the
 * same server. Commits go one at a time with a pause between them: this is latency, not throughput.
 */
import { createClient, type Subscription } from '@rocqet/sdk';
import pg from 'pg';
import { pino } from 'pino';
import { loadConfig } from '../../backend/src/config.js';
import { bootstrapWorkspace } from '../../backend/src/domain/workspaces/workspaces.js';
import { startBackend, type Backend } from '../../backend/src/server.js';
import { percentile, round } from '../lib/closedLoop.js';
import { scratchDatabase } from '../lib/database.js';

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
  commit_p50_ms: number;
  commit_p99_ms: number;
  feed_after_commit_answer_p50_ms: number;
  feed_after_commit_answer_p99_ms: number;
  baseline_notify_roundtrip_p99_ms: number;
}

export async function measureFeed(opts: FeedOptions = {}): Promise<FeedResult & FeedDetails> {
  const subscribers = opts.subscribers ?? 50;
  const commits = opts.commits ?? 200;
  const gapMs = opts.gapMs ?? 20;
  const database = await scratchDatabase('rocqet_bench_feed');
  const backends: Backend[] = [];
  const subs: Subscription[] = [];
  try {
    const env = { ...process.env, RATE_LIMIT: '1000000', ROCQET_FEED_MAX_PER_TOKEN: String(subscribers) };
    const config = { ...loadConfig(env), port: 0, databaseUrl: database.url };
    const logger = pino({ level: 'warn' });
    const writerSide = await startBackend(config, logger);
    backends.push(writerSide);
    const readerSide = await startBackend(config, logger);
    backends.push(readerSide);
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
    const answeredAt = new Map<number, number>();
    const latencies: number[] = [];
    const arrivals: { seq: number; at: number }[] = [];
    let received = 0;
    const reader = createClient({ baseUrl: readerSide.url, token: ws.secret });
    // All on one token (its stream limit raised to fit): the limit is not what is measured.
    for (let i = 0; i < subscribers; i++) {
      const sub = reader.events.subscribe({
        filters: { types: ['prompt.commit'] },
        onEvent: (e) => {
          const seq = (e.changes.after as { seq?: number } | undefined)?.seq;
          const at = seq === undefined ? undefined : sentAt.get(seq);
          if (at === undefined || seq === undefined) return;
          const now = performance.now();
          latencies.push(now - at);
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
      sentAt.set(i + 1, t0); // the first commit of a new prompt is seq 1
      parent = (await writer.commit({ params: { prompt: prompt.id }, body: { content: `v${i}`, message: `m${i}`, parent } })).id;
      answeredAt.set(i + 1, performance.now());
      commitMs.push(performance.now() - t0);
      await sleep(gapMs);
    }
    await waitFor(() => received >= commits * subscribers, 10_000, 'every event').catch(() => {});
    const feed = quantiles(latencies);
    const commit = quantiles(commitMs);
    // What the feed adds once the commit has answered (0 when the event beat the HTTP answer).
    const after = quantiles(arrivals.map((a) => Math.max(0, a.at - (answeredAt.get(a.seq) ?? a.at))));
    const notify = await notifyRoundTrips(database.url, opts.notifies ?? 500);
    return {
      feed_p50_ms: feed.p50,
      feed_p99_ms: feed.p99,
      feed_max_ms: round(Math.max(...latencies)),
      // The commit's own HTTP round trip, which the feed latency includes (it starts when the commit is sent).
      commit_p50_ms: commit.p50,
      commit_p99_ms: commit.p99,
      feed_after_commit_answer_p50_ms: after.p50,
      feed_after_commit_answer_p99_ms: after.p99,
      baseline_notify_roundtrip_p50_ms: notify.p50,
      baseline_notify_roundtrip_p99_ms: notify.p99,
      subscribers,
      commits,
      lost_events: commits * subscribers - received,
    };
  } finally {
    subs.forEach((s) => s.close());
    await Promise.all(backends.map((b) => b.close()));
    await database.drop();
  }
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
