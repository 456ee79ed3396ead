/**
 * `npm run bench -- vscode [keystrokes] [commits]`: the extension in the real VS Code extension host (code-server,
 * extension/host) against a backend in a child process.
 * - keystroke: a character typed into the editor of a real workbench (Playwright key input, after the editor has been
 *   open 10 s), until a stock y-websocket client on the same draft has it in its document;
 * - keystroke_edit_api: the same made by the extension host itself with editor.edit (the edit goes to the workbench
 *   and back: a hop more than typing), once the host's loop has been quiet for 3 s (VS Code's built-in markdown
 *   extensions activate in waves for seconds after a markdown editor opens); keystroke_in_host: those from when the
 *   host had the change; the host's loop stalls while they were made are counted;
 * - tree refresh: a commit made over HTTP, until the extension's tree has redrawn the prompt with the new head (the
 *   feed event, the invalidation, the refetch of its branches);
 * - baseline: a bare y-websocket client's edit until another bare client has it, through the same server, same run.
 * Both processes stamp with process.hrtime (CLOCK_MONOTONIC, one clock for the machine).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createClient, DRAFT_TEXT } from '../sdk/src/index.js';
import { migrate } from '../backend/src/db/migrate.js';
import { createPool } from '../backend/src/db/pool.js';
import { createPrisma } from '../backend/src/db/prisma.js';
import { host } from '../extension/test/support/host.js';
import { editorText, openLibrary, signIn } from '../extension/test/support/workbench.js';
import { numberOption } from './lib/args.js';
import { benchWorkspace, scratchDatabase } from './lib/database.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionPath = path.join(here, '../extension');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const marker = (i: number) => String.fromCharCode(0x4e00 + i);
/** How long after the editor opens typing in the workbench begins (the in-host phase waits for a quiet loop, about 9 s). */
const SETTLE_MS = 10_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 100) / 100;
}

async function startBackend(databaseUrl: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(here, 'lib/backendChild.ts')], {
    env: { ...process.env, DATABASE_URL: databaseUrl, ROCQET_EMBEDDER: 'off', RATE_LIMIT: '100000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    proc.once('exit', (code) => reject(new Error(`the backend exited (${code})`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, proc };
}

function bareClient(baseUrl: string, token: string, room: string) {
  class Authorized extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
    }
  }
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(baseUrl.replace(/^http/, 'ws') + '/collab', room, doc, { WebSocketPolyfill: Authorized as never, disableBc: true });
  const synced = new Promise<void>((r) => provider.once('sync', () => r()));
  return { doc, text: doc.getText(DRAFT_TEXT), provider, synced, close: () => (provider.destroy(), doc.destroy()) };
}

/** Notes when each marker 0..n-1 first shows in a bare client's text. */
function arrivals(text: Y.Text, n: number): Map<number, number> {
  const arrived = new Map<number, number>();
  text.observe(() => {
    const t = now();
    const s = text.toString();
    for (let i = arrived.size; i < n; i++) {
      if (!s.includes(marker(i))) break;
      arrived.set(i, t);
    }
  });
  return arrived;
}

/**
 * Keystrokes as a person types them: key input into the editor of a real workbench (Playwright's insertText, one
 * character each), which reaches the extension host the way typing does, in one hop. Until a stock client on the
 * same draft has each one. Typing starts `settleMs` after the editor shows the prompt.
 */
async function typedInWorkbench(
  backendUrl: string,
  secret: string,
  prompt: { id: string; title: string; path: string },
  keystrokes: number,
  settleMs: number,
): Promise<number[]> {
  const watcher = bareClient(backendUrl, secret, `${prompt.id}/main`);
  await watcher.synced;
  const arrived = arrivals(watcher.text, keystrokes);
  const settings = { 'rocqet.serverUrl': backendUrl, 'rocqet.registerMcpServer': false, 'workbench.startupEditor': 'none', 'remote.autoForwardPorts': false, 'workbench.tips.enabled': false };
  const wb = await host.openWorkbench({ extensionPath, settings });
  try {
    const { page } = wb;
    await signIn(page, secret);
    const rows = await openLibrary(page);
    await rows.filter({ hasText: prompt.title }).first().click();
    await page.locator('.tab', { hasText: `${prompt.path}@main.prompt.md` }).first().waitFor();
    for (const end = Date.now() + 30_000; !(await editorText(page)).startsWith(prompt.title) && Date.now() < end; ) await sleep(100);
    await page.locator('.editor-instance .view-lines').click();
    await page.keyboard.press('Control+End');
    await sleep(settleMs);
    const sent = new Map<number, number>();
    for (let i = 0; i < keystrokes; i++) {
      sent.set(i, now());
      await page.keyboard.insertText(marker(i));
      await sleep(30);
    }
    for (const end = Date.now() + 10_000; arrived.size < keystrokes && Date.now() < end; ) await sleep(20);
    return [...sent].flatMap(([i, t0]) => (arrived.has(i) ? [arrived.get(i)! - t0] : []));
  } finally {
    await wb.close();
    watcher.close();
  }
}

/** Two bare clients: one inserts a marker, the clock stops when the other's text has it. */
async function baseline(baseUrl: string, token: string, room: string, edits: number): Promise<number[]> {
  const a = bareClient(baseUrl, token, room);
  const b = bareClient(baseUrl, token, room);
  await Promise.all([a.synced, b.synced]);
  const out: number[] = [];
  try {
    for (let i = 0; i < edits; i++) {
      const m = marker(i);
      const got = new Promise<void>((resolve) => {
        const check = () => {
          if (b.text.toString().includes(m)) (b.text.unobserve(check), resolve());
        };
        b.text.observe(check);
      });
      const t0 = now();
      a.text.insert(a.text.length, m);
      await got;
      out.push(now() - t0);
      await sleep(20);
    }
  } finally {
    a.close();
    b.close();
  }
  return out;
}

export async function run(args: string[]): Promise<object> {
  const keystrokes = args[0] ? numberOption('keystrokes', args[0], 10, 2000) : 200;
  const commits = args[1] ? numberOption('commits', args[1], 5, 500) : 50;
  const { hostInfo, hostProblem, runExtensionTests } = host;
  const problem = hostProblem();
  if (problem) throw new Error(`the VS Code test host is not installed, so this bench cannot run: ${problem}`);
  execFileSync(process.execPath, [path.join(extensionPath, 'scripts/build.mjs')], { cwd: extensionPath, stdio: 'inherit' });
  const scratch = await scratchDatabase('rocqet_bench_vscode');
  const pool = createPool(scratch.url, { max: 2 });
  let backend: { url: string; proc: ChildProcess } | undefined;
  let watcher: ReturnType<typeof bareClient> | undefined;
  const folder = mkdtempSync(path.join(tmpdir(), 'rocqet-bench-vscode-'));
  try {
    await migrate(pool);
    const db = createPrisma(pool);
    const ws = await benchWorkspace(db, 'pro');
    await db.$disconnect();
    backend = await startBackend(scratch.url);
    const client = createClient({ baseUrl: backend.url, token: ws.secret });
    const typed = await client.createPrompt({ body: { title: 'Typed', content: 'Typed into.\n' } });
    const tree = await client.createPrompt({ body: { title: 'Committed', content: 'c0\n' } });
    const base = await client.createPrompt({ body: { title: 'Baseline', content: 'b\n' } });
    const byHand = await client.createPrompt({ body: { title: 'Typed by hand', content: 'Typed by hand.\n' } });

    // The other side of the keystrokes: a stock client on the draft, noting when each marker arrives.
    watcher = bareClient(backend.url, ws.secret, `${typed.id}/main`);
    await watcher.synced;
    const arrived = arrivals(watcher.text, keystrokes);

    const sent = new Map<number, number>();
    const changed = new Map<number, number>();
    const stalls: number[] = [];
    let settledMs = 0;
    const shown = new Map<number, number>();
    const committedAt = new Map<number, number>();
    let head = tree.commit.id;
    let committing: Promise<void> | undefined;
    const commitLoop = async () => {
      for (let j = 0; j < commits; j++) {
        const t0 = now();
        const c = await client.commit({ params: { prompt: tree.id }, body: { content: `c${j + 1}\n`, message: `bench ${j + 1}`, parent: head } });
        committedAt.set(c.seq, t0);
        head = c.id;
        const end = Date.now() + 10_000;
        while (!shown.has(c.seq) && Date.now() < end) await sleep(5);
        await sleep(50);
      }
    };
    const result = await runExtensionTests({
      extensionPath,
      testsPath: path.join(extensionPath, 'out/test/bench.cjs'),
      workspaceFolder: folder,
      // No port auto-forwarding: code-server scans for listening ports by spawning processes in the extension host
      // every few seconds (a remote workbench's feature; a desktop VS Code window does not), stalling it.
      settings: { 'rocqet.serverUrl': backend.url, 'rocqet.registerMcpServer': false, 'workbench.startupEditor': 'none', 'remote.autoForwardPorts': false },
      env: {
        ROCQET_BENCH: JSON.stringify({ token: ws.secret, workspace: 'bench', path: typed.path, treePromptId: tree.id, keystrokes, commits, gapMs: 30, ...(process.env.ROCQET_BENCH_PROFILE ? { profile: path.resolve(process.env.ROCQET_BENCH_PROFILE) } : {}) }),
      },
      timeoutMs: 600_000,
      onLog: (line) => {
        const m = /BENCH (key|change|tree) (\d+) (\d+)/.exec(line);
        if (m) ({ key: sent, change: changed, tree: shown })[m[1] as 'key'].set(Number(m[2]), Number(BigInt(m[3]!)) / 1e6);
        const stall = /BENCH stall ([\d.]+)/.exec(line);
        if (stall) stalls.push(Number(stall[1]));
        const settled = /BENCH settled (\d+)/.exec(line);
        if (settled) settledMs = Number(settled[1]);
        if (line.includes('BENCH keys-done')) committing = commitLoop();
      },
    });
    await committing;
    if (result.exitCode !== 0) throw new Error(`the in-host bench failed:\n${result.log.split('\n').slice(-40).join('\n')}`);
    const keys = [...sent].flatMap(([i, t0]) => (arrived.has(i) ? [arrived.get(i)! - t0] : []));
    const fromHost = [...changed].flatMap(([i, t0]) => (arrived.has(i) ? [arrived.get(i)! - t0] : []));
    const trees = [...committedAt].flatMap(([seq, t0]) => (shown.has(seq) ? [shown.get(seq)! - t0] : []));
    const base_ = await baseline(backend.url, ws.secret, `${base.id}/main`, keystrokes);
    const typed_ = await typedInWorkbench(backend.url, ws.secret, { id: byHand.id, title: 'Typed by hand', path: byHand.path }, keystrokes, SETTLE_MS);
    const host = hostInfo();
    console.error(
      `vscode bench: ${typed_.length}/${keystrokes} keystrokes typed in the workbench, ${keys.length}/${keystrokes} through the editor API, ${trees.length}/${commits} tree refreshes, code-server ${host?.codeServer} ` +
        `(VS Code ${host?.vscode}, Node ${host?.nodeVersion}), load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}; ` +
        `typing began ${settledMs} ms after the editor opened, once the host’s loop was quiet for 3 s; while typing, the host's loop ` +
        `stalled ${stalls.length} times over 20 ms (longest ${Math.max(0, ...stalls).toFixed(0)} ms, ${stalls.reduce((a, b) => a + b, 0).toFixed(0)} ms in all)`,
    );
    return {
      bench: 'vscode',
      keystroke_p50_ms: percentile(typed_, 50),
      keystroke_p99_ms: percentile(typed_, 99),
      tree_refresh_p50_ms: percentile(trees, 50),
      tree_refresh_p99_ms: percentile(trees, 99),
      baseline_yjs_p50_ms: percentile(base_, 50),
      baseline_yjs_p99_ms: percentile(base_, 99),
      // Keystrokes made by the extension host through the editor API (editor.edit): the edit goes to the workbench
      // and back before the host has it, a hop more than typing.
      keystroke_edit_api_p50_ms: percentile(keys, 50),
      keystroke_edit_api_p99_ms: percentile(keys, 99),
      // Those from the moment the extension host had them (its document changed): the extension's own
      // path and the network, without the workbench's round trip of the edit and the host's queue in front of it.
      keystroke_in_host_p50_ms: percentile(fromHost, 50),
      keystroke_in_host_p99_ms: percentile(fromHost, 99),
      host_stalls_while_typing: stalls.length,
      host_stall_max_ms: Math.round(Math.max(0, ...stalls)),
    };
  } finally {
    watcher?.close();
    if (backend) {
      backend.proc.kill('SIGTERM');
      await new Promise((r) => backend!.proc.once('exit', r));
    }
    await pool.end();
    await scratch.drop();
    rmSync(folder, { recursive: true, force: true });
  }
}
