import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type FeedEvent } from '@rocqet/sdk';

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
    env: { ...process.env, ...env, DATABASE_URL: '', PORT: '0', LOG_LEVEL: 'warn' },
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

describe('npm start on the embedded database', function () {
  this.timeout(240_000);
  let dir: string;
  let shared: string;

  before(function () {
    if (!existsSync(sharedCsv)) {
      console.log(`      skipped: ${sharedCsv} is absent (the demo import needs it)`);
      this.skip();
    }
    dir = mkdtempSync(path.join(tmpdir(), 'rocqet-e2e-'));
    // The real CSV, cut to its header and first 40 records, keeps this test quick; the full import is the demo's.
    shared = mkdtempSync(path.join(tmpdir(), 'rocqet-e2e-shared-'));
    const text = readFileSync(sharedCsv, 'utf8');
    const lines = text.split('\n');
    let end = 0;
    let records = 0;
    let quotes = 0;
    for (; end < lines.length && records <= 40; end++) {
      quotes += (lines[end]!.match(/"/g) ?? []).length;
      if (quotes % 2 === 0) records++;
    }
    writeFileSync(path.join(shared, 'awesome-chatgpt-prompts.csv'), lines.slice(0, end).join('\n') + '\n');
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
