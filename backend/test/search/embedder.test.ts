import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createEmbedder, embeddingText, LocalEmbedder, OpenAIEmbedder } from '../../src/search/embedder/index.js';
import { WorkerPool } from '../../src/search/embedder/pool.js';

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);
const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);

describe('embedder: local (USE lite in worker threads)', function () {
  this.timeout(120_000);
  let embedder: LocalEmbedder;

  before(async () => {
    embedder = new LocalEmbedder({ workers: 2 });
    await embedder.warmup();
  });
  after(() => embedder.close());

  it('returns one 512-dimension unit vector per text', async () => {
    const vectors = await embedder.embed(['act as a Linux terminal', 'a', '', '   \n\t ']);
    assert.equal(embedder.model, 'use-lite-512');
    assert.equal(embedder.dimensions, 512);
    assert.equal(vectors.length, 4);
    for (const v of vectors) {
      assert.ok(v instanceof Float32Array);
      assert.equal(v.length, 512);
      assert.ok(Math.abs(Math.sqrt(dot(v, v)) - 1) < 1e-5, `norm ${Math.sqrt(dot(v, v))}`);
    }
  });

  it('gives the same vector for the same text', async () => {
    const text = 'I want you to act as a travel guide.';
    const [a] = await embedder.embed([text]);
    const [b] = await embedder.embed([text]);
    const [, c] = await embedder.embed(['something else entirely', text]);
    assert.ok(a && b && c);
    assert.deepEqual(b, a);
    // Within a different batch only float32 rounding may differ.
    assert.ok(maxAbsDiff(a, c) < 1e-5);
  });

  it('scores paraphrases above unrelated texts', async () => {
    const [fr1, fr2, sql] = await embedder.embed(['translate English to French', 'act as a French translator', 'write a SQL query']);
    assert.ok(fr1 && fr2 && sql);
    const close = dot(fr1, fr2);
    assert.ok(close > dot(fr1, sql) + 0.2, `paraphrase ${close} vs unrelated ${dot(fr1, sql)}`);
    assert.ok(close > dot(fr2, sql) + 0.2, `paraphrase ${close} vs unrelated ${dot(fr2, sql)}`);
  });

  it('embeds 64 texts across both workers and keeps their order', async () => {
    const topics = ['cooking pasta', 'tuning a database', 'writing poetry', 'training for a marathon', 'fixing a bicycle', 'learning Japanese', 'investing in stocks', 'planting tomatoes'];
    const texts = Array.from({ length: 64 }, (_, i) => `Tip ${i}: advice about ${topics[i % topics.length]} for ${['beginners', 'experts'][i % 2]} number ${i}.`);
    const before = embedder.stats.batchesByThread;
    const batch = await embedder.embed(texts);
    const after = embedder.stats.batchesByThread;
    const threadsUsed = Object.keys(after).filter((t) => (after[Number(t)] ?? 0) > (before[Number(t)] ?? 0));
    assert.equal(threadsUsed.length, 2, `batches per thread before ${JSON.stringify(before)} after ${JSON.stringify(after)}`);

    const singles: Float32Array[] = [];
    for (const text of texts) singles.push(...(await embedder.embed([text])));
    assert.equal(batch.length, 64);
    batch.forEach((v, i) => {
      const own = dot(v, singles[i] as Float32Array);
      assert.ok(own > 0.9999, `text ${i}: cosine to its own single embedding is ${own}`);
      singles.forEach((s, j) => assert.ok(j === i || dot(v, s) < own, `text ${i} is closer to text ${j}`));
    });
  });

  it('keeps the event loop responsive while embedding', async () => {
    const text = (i: number): string =>
      `Prompt ${i}. I want you to act as a senior engineer reviewing a pull request about caching, retries and ` +
      `observability. Explain each finding, rate its severity and propose a fix with code where it helps. ` +
      `Keep the tone constructive and mention what is done well before listing what should change.`;
    let ticks = 0;
    let maxLag = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last);
      last = now;
      ticks++;
    }, 1);
    const started = performance.now();
    try {
      await embedder.embed(Array.from({ length: 64 }, (_, i) => text(i)));
    } finally {
      clearInterval(timer);
    }
    const ended = performance.now();
    maxLag = Math.max(maxLag, ended - last);
    const elapsed = ended - started;
    // Embedding on the main thread would leave the timer starved for the whole batch: a handful of ticks and
    // one lag as long as the batch. Both bounds are relative to the batch's own duration.
    assert.ok(ticks >= 10, `${ticks} timer ticks during a ${elapsed.toFixed(0)} ms batch`);
    assert.ok(maxLag < elapsed / 2, `longest stall ${maxLag.toFixed(1)} ms during a ${elapsed.toFixed(0)} ms batch`);
  });

  it('cuts long texts to maxChars before embedding', async () => {
    const head = 'I want you to act as a storyteller for children. '.repeat(10).slice(0, 480);
    const [cut, long] = await embedder.embed([head, `${head} ${'Ignore this tail about SQL databases and indexes. '.repeat(40)}`]);
    assert.ok(cut && long);
    assert.ok(dot(cut, long) > 0.9999, `cosine ${dot(cut, long)}`);
  });

  it('starts no workers until used, and rejects calls after close', async () => {
    const lazy = new LocalEmbedder({ workers: 1 });
    assert.equal(lazy.stats.workers, 0);
    await lazy.close();
    await assert.rejects(lazy.embed(['x']), /closed/);
  });
});

describe('embedder: local model loads without network', function () {
  this.timeout(120_000);

  it('loads and embeds with every socket connect and DNS lookup refused, in all threads', async () => {
    // Preloaded into the child and, through the inherited execArgv, into every worker it starts. Unix-socket
    // connects stay allowed: tsx talks to its own IPC pipe that way.
    const guard = [
      "import net from 'node:net'; import dns from 'node:dns'; import { threadId } from 'node:worker_threads';",
      "const deny = (what) => { process.stderr.write('NETWORK-ATTEMPT ' + what + '\\n'); throw new Error('network disabled: ' + what); };",
      'const connect = net.Socket.prototype.connect;',
      'net.Socket.prototype.connect = function (...args) {',
      '  const target = Array.isArray(args[0]) ? args[0][0] : args[0];',
      "  if (target && typeof target === 'object' && typeof target.path === 'string') return connect.apply(this, args);",
      "  deny('connect ' + JSON.stringify(target));",
      '};',
      "dns.lookup = () => deny('dns'); dns.promises.lookup = async () => deny('dns');",
      "globalThis.fetch = async (url) => deny('fetch ' + url);",
      "process.stderr.write('GUARD-THREAD ' + threadId + '\\n');",
    ].join('\n');
    const local = fileURLToPath(new URL('../../src/search/embedder/local.ts', import.meta.url));
    const script = [
      `const { LocalEmbedder } = await import(${JSON.stringify(local)});`,
      'const e = new LocalEmbedder({ workers: 2 });',
      "const [v] = await e.embed(['offline check', 'second text']);",
      'await e.close();',
      "console.log('DIMS ' + v.length);",
      // Proves the guard bites: the main thread's own attempt must be refused and reported.
      "await fetch('http://127.0.0.1:9/').catch(() => {});",
    ].join('\n');
    const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(guard)}`, '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: repoRoot },
    );
    assert.match(stdout, /DIMS 512/);
    const attempts = stderr.split('\n').filter((l) => l.startsWith('NETWORK-ATTEMPT'));
    assert.deepEqual(attempts, ['NETWORK-ATTEMPT fetch http://127.0.0.1:9/'], stderr);
    const guardedThreads = new Set(stderr.split('\n').filter((l) => l.startsWith('GUARD-THREAD')));
    assert.ok(guardedThreads.size >= 3, `guard ran in main + 2 workers? ${[...guardedThreads].join(', ')}`);
  });
});

describe('embedder: worker pool', () => {
  // A stand-in worker speaking the pool protocol: 2-d vectors [length, 0]; CRASH exits, THROW throws.
  const standIn = (mode: 'ok' | 'init-error'): Worker =>
    new Worker(
      `
      const { parentPort } = require('node:worker_threads');
      if (${JSON.stringify(mode)} === 'init-error') parentPort.postMessage({ type: 'init-error', message: 'no weights here' });
      else parentPort.postMessage({ type: 'ready', loadMs: 0 });
      parentPort.on('message', ({ id, texts }) => {
        if (texts.includes('CRASH')) process.exit(3);
        if (texts.includes('THROW')) throw new Error('boom in worker');
        if (texts.includes('REPORT')) return parentPort.postMessage({ type: 'error', id, message: 'bad input' });
        const vectors = new Float32Array(texts.length * 2);
        texts.forEach((t, i) => { vectors[i * 2] = t.length; });
        parentPort.postMessage({ type: 'result', id, vectors, dimensions: 2 }, [vectors.buffer]);
      });`,
      { eval: true },
    );

  it('rejects the batch of a crashed worker with a clear error and replaces the worker', async () => {
    const pool = new WorkerPool({ size: 1, spawn: () => standIn('ok'), label: 'test pool' });
    try {
      assert.deepEqual(await pool.run(['ab']), [new Float32Array([2, 0])]);
      await assert.rejects(pool.run(['x', 'CRASH']), /test pool: worker crashed while embedding a batch of 2 texts \(exit code 3\); the worker was replaced/);
      await assert.rejects(pool.run(['THROW']), /worker crashed .*boom in worker/);
      await assert.rejects(pool.run(['REPORT']), /embedding failed: bad input/);
      assert.deepEqual(await pool.run(['abc', 'd']), [new Float32Array([3, 0]), new Float32Array([1, 0])]);
      assert.equal(pool.stats.replaced, 2);
      assert.equal(pool.stats.workers, 1);
    } finally {
      await pool.close();
    }
  });

  it('serves queued batches on the other workers while one crashes', async () => {
    const pool = new WorkerPool({ size: 2, spawn: () => standIn('ok') });
    try {
      const results = await Promise.allSettled([pool.run(['CRASH']), pool.run(['aa']), pool.run(['bbb']), pool.run(['c'])]);
      assert.equal(results[0]?.status, 'rejected');
      assert.deepEqual(
        results.slice(1).map((r) => (r.status === 'fulfilled' ? r.value[0]?.[0] : r.reason)),
        [2, 3, 1],
      );
    } finally {
      await pool.close();
    }
  });

  it('fails queued work and warmup when workers cannot load, and can start again later', async () => {
    let mode: 'ok' | 'init-error' = 'init-error';
    const pool = new WorkerPool({ size: 2, spawn: () => standIn(mode) });
    try {
      await assert.rejects(pool.run(['a']), /worker failed to start: no weights here/);
      await assert.rejects(pool.warmup(), /worker failed to start: no weights here/);
      mode = 'ok';
      assert.deepEqual(await pool.run(['abcd']), [new Float32Array([4, 0])]);
    } finally {
      await pool.close();
    }
  });

  it('carries on with the loaded workers when a replacement fails to start', async () => {
    let mode: 'ok' | 'init-error' = 'ok';
    let spawned = 0;
    const pool = new WorkerPool({ size: 2, spawn: () => (spawned++, standIn(mode)) });
    try {
      await pool.warmup();
      mode = 'init-error';
      await assert.rejects(pool.run(['CRASH']), /crashed/);
      // The replacement fails to load; the surviving worker serves this call and the next.
      assert.deepEqual(await pool.run(['ab']), [new Float32Array([2, 0])]);
      assert.deepEqual(await pool.run(['abc']), [new Float32Array([3, 0])]);
      assert.ok(spawned >= 3, `spawned ${spawned}`);
      assert.ok(pool.stats.workers >= 1);
    } finally {
      await pool.close();
    }
  });

  it('rejects in-flight work on close', async () => {
    const pool = new WorkerPool({ size: 1, spawn: () => standIn('ok') });
    const rejected = assert.rejects(pool.run(['a']), /closed/);
    await pool.close();
    await rejected;
    assert.throws(() => pool.run(['a']), /closed/);
  });
});

describe('embedder: embeddingText and createEmbedder', () => {
  it('builds "Title. description body" with whitespace collapsed', () => {
    assert.equal(embeddingText({ title: 'SQL Helper', description: 'Writes  queries', body: 'You write\n\nSQL.', tags: ['db'] }), 'SQL Helper. Writes queries You write SQL.');
    assert.equal(embeddingText({ title: 'Why?', body: 'Because.' }), 'Why? Because.');
    assert.equal(embeddingText({ title: '', body: ' body ' }), 'body');
  });

  it('truncates at a word boundary within maxChars', () => {
    const text = embeddingText({ title: 'T', body: 'word '.repeat(500) }, 100);
    assert.ok(text.length <= 100 && text.length >= 80, `${text.length}`);
    assert.ok(text.endsWith('word'), text.slice(-10));
  });

  it('creates either embedder from config', async () => {
    const local = createEmbedder({ kind: 'local', workers: 1 });
    assert.ok(local instanceof LocalEmbedder);
    assert.equal(local.model, 'use-lite-512');
    await local.close();
    const remote = createEmbedder({ kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'k', model: 'text-embedding-3-small', dimensions: 256 });
    assert.ok(remote instanceof OpenAIEmbedder);
    assert.equal(remote.model, 'openai:text-embedding-3-small@256');
    assert.equal(remote.dimensions, 256);
    await remote.close();
  });
});

