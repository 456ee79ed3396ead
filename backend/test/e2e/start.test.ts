import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type FeedEvent } from '@rocqet/sdk';
import { pino } from 'pino';
import { createPool } from '../../src/db/pool.js';
import { createPrisma } from '../../src/db/prisma.js';
import { DEMO_SLUG, importDemo, prepareDemo } from '../../src/demo.js';
import { freshDatabase } from '../support/db.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sharedCsv = path.join(repo, '..', 'shared', 'data', 'awesome-chatgpt-prompts.csv');

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
  token: string | undefined;
}

/** Runs `main.ts` the way `npm start` does (from sources, with tsx) until it prints that it is ready. */
function start(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'backend/src/main.ts'], {
    cwd: repo,
    env: { ...process.env, DATABASE_URL: '', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('Press Ctrl-C to stop.')) {
        clearInterval(timer);
        const url = /Rocqet is running at (\S+)/.exec(out)?.[1];
        if (!url) return reject(new Error(`no URL in:\n${out}`));
        resolve({ child, output: () => out, url, token: /^\s+(rq_live_\S+)$/m.exec(out)?.[1] });
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(Object.assign(new Error(`exited with ${code}:\n${out}`), { output: out, code }));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

/** The real CSV cut to its header and first `records` records, in a fresh directory: quick, and still the real data. */
function cutSharedCsv(records: number): string {
  const shared = mkdtempSync(path.join(tmpdir(), 'rocqet-e2e-shared-'));
  const lines = readFileSync(sharedCsv, 'utf8').split('\n');
  let end = 0;
  let done = 0;
  let quotes = 0;
  for (; end < lines.length && done <= records; end++) {
    quotes += (lines[end]!.match(/"/g) ?? []).length;
    if (quotes % 2 === 0) done++;
  }
  writeFileSync(path.join(shared, 'awesome-chatgpt-prompts.csv'), lines.slice(0, end).join('\n') + '\n');
  return shared;
}

function skipWithoutCsv(this: Mocha.Context) {
  if (!existsSync(sharedCsv)) {
    console.log(`      skipped: ${sharedCsv} is absent (the demo import needs it)`);
    this.skip();
  }
}

describe('npm start on the embedded database', function () {
  this.timeout(240_000);
  let dir: string;
  let shared: string;

  before(function () {
    skipWithoutCsv.call(this);
    dir = mkdtempSync(path.join(tmpdir(), 'rocqet-e2e-'));
    shared = cutSharedCsv(40);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (shared) rmSync(shared, { recursive: true, force: true });
  });

  it('starts, migrates, imports the demo once, keeps data across a restart and refuses a second process', async () => {
    const env = { ROCQET_DATA_DIR: dir, ROCQET_SHARED_DATA: shared };
    const first = await start(env);
    let token: string;
    try {
      assert.ok(first.token, `the first start prints an admin token:\n${first.output()}`);
      token = first.token;
      assert.match(first.output(), /imported 40 prompts/);
      assert.match(first.output(), new RegExp(`Change feed: ${first.url}/v1/events`));
      const client = createClient({ baseUrl: first.url, token });
      const page = await client.listPrompts({ query: { limit: 200 } });
      assert.equal(page.items.length, 40);
      // PGlite carries no NOTIFY between connections: the feed hears this process's commits in-process.
      const heard: FeedEvent[] = [];
      const feed = client.events.subscribe({ onEvent: (e) => heard.push(e) });
      for (let i = 0; i < 500 && feed.state !== 'open'; i++) await new Promise((r) => setTimeout(r, 20));
      const created = await client.createPrompt({ body: { title: 'Kept across restarts', content: 'Hello {{name}}' } });
      for (let i = 0; i < 500 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      feed.close();
      assert.deepEqual(heard.map((e) => [e.action, e.subject.promptId]), [['prompt.create', created.id]]);

      await assert.rejects(start(env), (err: Error & { output?: string }) => {
        assert.match(err.output ?? '', /already running on this data directory/);
        return true;
      });

      assert.equal(await stop(first.child), 0);
      const second = await start(env);
      try {
        assert.equal(second.token, undefined, 'no second token');
        assert.doesNotMatch(second.output(), /Importing|imported/);
        const again = createClient({ baseUrl: second.url, token });
        const kept = await again.getPrompt({ params: { prompt: created.id } });
        assert.equal(kept.content, 'Hello {{name}}');
        assert.equal((await again.listPrompts({ query: { limit: 200 } })).items.length, 41);
      } finally {
        assert.equal(await stop(second.child), 0);
      }
    } finally {
      if (first.child.exitCode === null) await stop(first.child);
    }
  });
});

describe('npm start with DATABASE_URL on a fresh clone', function () {
  this.timeout(240_000);
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let parent: string;
  let shared: string;

  before(async function () {
    skipWithoutCsv.call(this);
    database = await freshDatabase();
    // A fresh clone has no .rocqet/: the data directory does not exist, and nothing needs it to.
    parent = mkdtempSync(path.join(tmpdir(), 'rocqet-e2e-clone-'));
    shared = cutSharedCsv(40);
  });
  after(async () => {
    await database?.drop();
    if (parent) rmSync(parent, { recursive: true, force: true });
    if (shared) rmSync(shared, { recursive: true, force: true });
  });

  it('prints the token and imports once; every later start finds that in the database and writes no file', async () => {
    const dataDir = path.join(parent, '.rocqet');
    const env = { DATABASE_URL: database.url, ROCQET_DATA_DIR: dataDir, ROCQET_SHARED_DATA: shared };
    const first = await start(env);
    let token: string;
    try {
      assert.ok(first.token, `the first start prints an admin token:\n${first.output()}`);
      token = first.token;
      assert.match(first.output(), /imported 40 prompts/);
      assert.match(first.output(), /database: DATABASE_URL/);
    } finally {
      assert.equal(await stop(first.child), 0);
    }
    for (let restart = 1; restart <= 2; restart++) {
      const again = await start(env);
      try {
        assert.equal(again.token, undefined, 'no second token');
        assert.doesNotMatch(again.output(), /Importing|imported|Finishing/);
        assert.equal((await createClient({ baseUrl: again.url, token }).listPrompts({ query: { limit: 200 } })).items.length, 40);
      } finally {
        assert.equal(await stop(again.child), 0);
      }
    }
    assert.ok(!existsSync(dataDir), 'a start on DATABASE_URL keeps its state in the database, not in files');
  });
});

describe('the demo import, interrupted', function () {
  this.timeout(120_000);
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let shared: string;
  const logger = pino({ level: 'silent' });

  before(async function () {
    skipWithoutCsv.call(this);
    database = await freshDatabase();
    shared = cutSharedCsv(40);
  });
  after(async () => {
    await database?.drop();
    if (shared) rmSync(shared, { recursive: true, force: true });
  });

  it('is run again whole by the next start (an interrupted import writes nothing); then no start imports again', async () => {
    const pool = createPool(database.url, { max: 4 });
    const db = createPrisma(pool);
    const demoPrompts = async () =>
      db.prompt.count({ where: { workspace: { slug: DEMO_SLUG }, deletedAt: null } });
    try {
      const first = await prepareDemo(db);
      assert.ok(first.token);
      assert.deepEqual([first.importPending, first.resuming], [true, false]);
      // The process "dies" after ten prompts: the import throws out of its progress callback.
      const dying = (done: number) => {
        if (done === 10) throw new Error('killed mid-import');
      };
      await assert.rejects(importDemo(db, first, { sharedDataDir: shared, logger, progress: dying }), /killed mid-import/);
      // An import is one transaction: the interrupted one left nothing half-written.
      assert.equal(await demoPrompts(), 0);

      const second = await prepareDemo(db);
      assert.equal(second.token, undefined, 'the token was handed out once');
      assert.deepEqual([second.workspaceId, second.importPending, second.resuming], [first.workspaceId, true, true]);
      const resumed = await importDemo(db, second, { sharedDataDir: shared, logger });
      assert.equal(resumed.imported?.created, 40);
      assert.equal(await demoPrompts(), 40);

      const third = await prepareDemo(db);
      assert.deepEqual([third.token, third.importPending], [undefined, false]);
      assert.deepEqual(await importDemo(db, third, { sharedDataDir: shared, logger }), {});

      // A demo workspace made before its state was recorded (no row): finished again, creating nothing.
      await db.instanceSetting.deleteMany({});
      const legacy = await prepareDemo(db);
      assert.deepEqual([legacy.token, legacy.importPending, legacy.resuming], [undefined, true, true]);
      assert.equal((await importDemo(db, legacy, { sharedDataDir: shared, logger })).imported?.created, 0);
      assert.equal((await prepareDemo(db)).importPending, false);
    } finally {
      await db.$disconnect();
      await pool.end();
    }
  });

  it('two starts preparing one fresh database at once make one workspace and hand out one token', async () => {
    const other = await freshDatabase();
    const pools = [createPool(other.url, { max: 2 }), createPool(other.url, { max: 2 })];
    const dbs = pools.map((p) => createPrisma(p));
    try {
      const starts = await Promise.all(dbs.map((db) => prepareDemo(db)));
      assert.equal(starts.filter((s) => s.token).length, 1);
      assert.equal(new Set(starts.map((s) => s.workspaceId)).size, 1);
    } finally {
      for (const db of dbs) await db.$disconnect();
      for (const p of pools) await p.end();
      await other.drop();
    }
  });
});
