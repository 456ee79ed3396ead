import assert from 'node:assert/strict';
import { createClient, createPromptCache, type Client, type FeedEvent, type FeedState } from '@rocqet/sdk';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { bootstrapWorkspace } from '../../src/domain/workspaces/workspaces.js';
import { startBackend, type Backend } from '../../src/server.js';
import { freshDatabase } from '../support/db.js';
import { sleep } from './support.js';

/** The sdk against real backends: two processes' worth of backends on one PostgreSQL, meeting only through NOTIFY. */
describe('sdk: following the feed across backends', function () {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let a: Backend;
  let b: Backend;
  let token: string;
  let writer: Client;
  const closers: (() => void)[] = [];

  const start = (port = 0) =>
    startBackend(
      { ...loadConfig({ ...process.env, ROCQET_VALIDATE_RESPONSES: '1', RATE_LIMIT: '100000' }), port, databaseUrl: database.url },
      pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    );

  before(async () => {
    database = await freshDatabase();
    [a, b] = await Promise.all([start(), start()]);
    const created = await bootstrapWorkspace(a.db, {
      slug: 'sdk-feed',
      name: 'sdk feed',
      type: 'team',
      plan: 'pro',
      owner: { email: 'sdk-feed@example.com', name: 'Owner' },
    });
    token = created.secret;
    writer = createClient({ baseUrl: a.url, token });
  });
  afterEach(() => closers.splice(0).forEach((c) => c()));
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await database?.drop();
  });

  /** Resolves when `pred` holds, polling; rejects naming `what` after `ms`. */
  async function until(what: string, pred: () => boolean, ms = 10_000) {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
  }

  /** A cache on `backend` whose feed stream the test can cut and block (a proxy dropping SSE), HTTP left alone. */
  function cacheOn(backend: Backend, opts: { blockFeed?: () => boolean } = {}) {
    const requests: string[] = [];
    const streams = new Set<AbortController>();
    const fetchCounting: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      requests.push(url.pathname);
      if (url.pathname !== '/v1/events') return fetch(input, init);
      if (opts.blockFeed?.()) throw new TypeError('blocked by the test');
      const cut = new AbortController();
      streams.add(cut);
      const signal = init?.signal ? AbortSignal.any([init.signal, cut.signal]) : cut.signal;
      return fetch(input, { ...init, signal });
    };
    const cutFeed = () => streams.forEach((c) => c.abort());
    const events: FeedEvent[] = [];
    const cache = createPromptCache(createClient({ baseUrl: backend.url, token, fetch: fetchCounting }), {
      onEvent: (e) => events.push(e),
      backoff: { initialMs: 20, maxMs: 100 },
    });
    closers.push(() => cache.close());
    return { cache, requests, events, cutFeed };
  }

  it('a commit through backend A invalidates a cached read on backend B', async () => {
    const { cache, events } = cacheOn(b);
    await until('the feed to open', () => cache.state === 'open');
    const p = await writer.createPrompt({ body: { title: 'Cached', slug: 'cached', content: 'v1' } });
    await until('the create event', () => events.some((e) => e.action === 'prompt.create'));
    assert.equal((await cache.get('cached')).content, 'v1');
    assert.equal((await cache.get('cached')).content, 'v1');
    assert.equal((await cache.get(p.id, 'main')).content, 'v1');
    assert.deepEqual({ hits: cache.stats.hits, fetched: cache.stats.fetched }, { hits: 1, fetched: 2 });

    await writer.commit({ params: { prompt: p.id }, body: { content: 'v2', message: 'two', parent: p.commit.id } });
    await until('the commit event on B', () => events.some((e) => e.action === 'prompt.commit'));
    assert.equal((await cache.get('cached')).content, 'v2');
    assert.equal((await cache.get(p.id, 'main')).content, 'v2');

    // A tag moving invalidates reads of that tag.
    await writer.createTag({ params: { prompt: p.id }, body: { name: 'prod' } });
    await until('the tag event', () => events.some((e) => e.action === 'tag.create'));
    assert.equal((await cache.get('cached', 'prod')).content, 'v2');
    const c3 = await writer.commit({ params: { prompt: p.id }, body: { content: 'v3', message: 'three', parent: (await writer.getPrompt({ params: { prompt: p.id } })).commit.id } });
    await writer.createTag({ params: { prompt: p.id }, body: { name: 'prod', ref: c3.id, force: true } });
    await until('the tag move', () => events.some((e) => e.action === 'tag.move'));
    assert.equal((await cache.get('cached', 'prod')).content, 'v3');
  });

  it('while the feed is down every cached read is a conditional GET, so none is staler than the server', async () => {
    let blocked = false;
    const { cache, events, cutFeed } = cacheOn(b, { blockFeed: () => blocked });
    await until('the feed to open', () => cache.state === 'open');
    const p = await writer.createPrompt({ body: { title: 'Offline', slug: 'offline', content: 'o1' } });
    await until('the create event', () => events.some((e) => e.resourceId === p.id));
    await cache.get('offline');
    blocked = true;
    cutFeed(); // and it cannot come back while /v1/events is blocked
    await until('the cache to see the feed down', () => cache.state === 'reconnecting');
    assert.equal((await cache.get('offline')).content, 'o1');
    assert.equal(cache.stats.revalidated, 1, 'answered 304 to If-None-Match');
    await writer.commit({ params: { prompt: p.id }, body: { content: 'o2', message: 'two', parent: p.commit.id } });
    assert.equal((await cache.get('offline')).content, 'o2', 'no event needed: the conditional GET saw the change');
    blocked = false;
    await until('the feed to come back', () => cache.state === 'open');
  });

  it('the subscription reconnects by itself when its backend restarts, and resumes with no gap and no duplicate', async () => {
    let c = await start();
    const port = Number(new URL(c.url).port);
    const states: FeedState[] = [];
    const got: FeedEvent[] = [];
    const sub = createClient({ baseUrl: c.url, token }).events.subscribe({
      onEvent: (e) => got.push(e),
      onState: (s) => states.push(s),
      backoff: { initialMs: 20, maxMs: 200 },
    });
    closers.push(() => sub.close());
    await until('open', () => sub.state === 'open');
    const folder = async (name: string) => writer.createFolder({ body: { name } });
    await folder('r1');
    await until('the first event', () => got.length === 1);
    await c.close(); // ends the stream; the sdk retries against a closed port
    await folder('r2');
    await folder('r3');
    c = await start(port);
    try {
      await folder('r4');
      await until('all four events', () => got.length >= 4);
      await sleep(200);
      assert.deepEqual(got.map((e) => (e.changes.after as { name: string }).name), ['r1', 'r2', 'r3', 'r4']);
      assert.ok(states.includes('reconnecting'), states.join(','));
      assert.equal(sub.lastEventId, got.at(-1)!.id);
    } finally {
      sub.close();
      await c.close();
    }
  });

  it('an expired cursor resynchronises: the cache empties and the feed carries on from now', async () => {
    let resyncs = 0;
    const got: FeedEvent[] = [];
    const other = await bootstrapWorkspace(a.db, { slug: 'elsewhere', name: 'elsewhere', type: 'team', plan: 'pro', owner: { email: 'x@example.com', name: 'X' } });
    const [row] = await a.db.$queryRaw<{ id: bigint }[]>`SELECT max(id) AS id FROM audit_entry WHERE workspace_id = ${other.workspace.id}::uuid`;
    const sub = createClient({ baseUrl: b.url, token }).events.subscribe({
      after: row!.id.toString(),
      onEvent: (e) => got.push(e),
      onResync: () => resyncs++,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    closers.push(() => sub.close());
    await until('the resync', () => resyncs === 1);
    await writer.createFolder({ body: { name: 'after-resync' } });
    await until('the next event', () => got.length === 1);
    assert.equal(resyncs, 1);
  });

  it('the prompt cache says onResync when its feed cannot resume (the reconnect finds its cursor expired)', async () => {
    const short = await startBackend(
      { ...loadConfig({ ...process.env, ROCQET_VALIDATE_RESPONSES: '1', RATE_LIMIT: '100000', ROCQET_FEED_REPLAY: '200' }), port: 0, databaseUrl: database.url },
      pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    );
    closers.push(() => void short.close());
    const streams = new Set<AbortController>();
    const cutting: typeof fetch = (input, init) => {
      const cut = new AbortController();
      streams.add(cut);
      return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, cut.signal]) : cut.signal });
    };
    let resyncs = 0;
    const events: FeedEvent[] = [];
    const cache = createPromptCache(createClient({ baseUrl: short.url, token, fetch: cutting }), {
      onEvent: (e) => events.push(e),
      onResync: () => resyncs++,
      backoff: { initialMs: 50, maxMs: 100 },
    });
    closers.push(() => cache.close());
    await until('the feed to open', () => cache.state === 'open');
    await writer.createFolder({ body: { name: 'before-expiry' } });
    await until('the event', () => events.length === 1);
    await sleep(250); // the event is now older than the 200 ms replay window
    streams.forEach((c) => c.abort());
    await until('the resync', () => resyncs === 1);
    assert.equal(cache.state, 'open');
  });

  it('a refused subscription stops and says why', async () => {
    const errors: string[] = [];
    const sub = createClient({ baseUrl: b.url, token: 'rq_live_nonsense' }).events.subscribe({
      onEvent: () => {},
      onError: (e) => errors.push(e.code),
    });
    closers.push(() => sub.close());
    await until('the error', () => errors.length === 1);
    assert.equal(sub.state, 'closed');
    assert.ok(errors[0] === 'invalid_token' || errors[0] === 'unauthenticated', errors[0]);
  });
});

