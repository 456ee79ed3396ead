// The in-host half of `npm run bench -- vscode` (bench/vscode.ts): types into a real editor bound to a draft and
// watches the real tree redraw after commits made over HTTP, logging monotonic timestamps (process.hrtime is the
// machine's CLOCK_MONOTONIC, shared with the bench process) for the bench to pair with what it saw.
import * as vscode from 'vscode';
import type { RocqetApi } from '../extension.js';

interface BenchConfig {
  token: string;
  workspace: string;
  path: string;
  treePromptId: string;
  keystrokes: number;
  commits: number;
  gapMs: number;
  /** Where to write a CPU profile of the extension host over the run (a .cpuprofile), when set. */
  profile?: string;
}

const now = () => process.hrtime.bigint().toString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A distinct character per keystroke, so the other side can tell which one arrived. */
export const marker = (i: number) => String.fromCharCode(0x4e00 + i);
const markerIndex = (text: string) => (text.length === 1 ? text.charCodeAt(0) - 0x4e00 : -1);

/**
 * The extension host's event loop, watched: a turn that comes late by more than STALL_MS is logged, since whatever
 * held the loop (the host's own extensions, its GC) delays every keystroke queued behind it.
 */
const STALL_MS = 20;
function watchLoop(onStall: (ms: number) => void): () => void {
  let last = process.hrtime.bigint();
  const timer = setInterval(() => {
    const t = process.hrtime.bigint();
    const late = Number(t - last) / 1e6 - 10;
    if (late > STALL_MS) onStall(late);
    last = t;
  }, 10);
  return () => clearInterval(timer);
}

/** Resolves once the host's loop has run `quietMs` without a stall (its built-in extensions done activating). */
async function settled(quietMs: number, maxMs: number): Promise<number> {
  const started = Date.now();
  let lastStall = Date.now();
  const stop = watchLoop(() => (lastStall = Date.now()));
  while (Date.now() - lastStall < quietMs && Date.now() - started < maxMs) await sleep(50);
  stop();
  return Date.now() - started;
}

async function profiled<T>(file: string | undefined, body: () => Promise<T>): Promise<T> {
  if (!file) return body();
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = <R = unknown>(method: string, params: object = {}) =>
    new Promise<R>((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as R))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = await post<{ profile: unknown }>('Profiler.stop');
    (await import('node:fs')).writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

export async function run(): Promise<void> {
  const cfg = JSON.parse(process.env.ROCQET_BENCH ?? '{}') as BenchConfig;
  await profiled(cfg.profile, () => bench(cfg));
}

async function bench(cfg: BenchConfig): Promise<void> {
  const api = await vscode.extensions.getExtension<RocqetApi>('rocqet.rocqet-vscode')!.activate();
  await api.connection.signIn(cfg.token);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'rocqet', path: `/${cfg.workspace}/${cfg.path}@main.prompt.md` }));
  const editor = await vscode.window.showTextDocument(doc);
  // A person opens the prompt and then types; the workbench meanwhile activates its markdown extensions in this
  // host. Typing starts when that is done, and the wait is reported.
  console.log(`BENCH settled ${await settled(3_000, 30_000)}`);
  // When the host itself has the keystroke (the document changed): from here on it is the extension and the network.
  const changes = vscode.workspace.onDidChangeTextDocument((e) => {
    if (e.document !== doc) return;
    for (const c of e.contentChanges) {
      const i = markerIndex(c.text);
      if (i >= 0) console.log(`BENCH change ${i} ${now()}`);
    }
  });
  const stopWatch = watchLoop((ms) => console.log(`BENCH stall ${ms.toFixed(1)}`));
  for (let i = 0; i < cfg.keystrokes; i++) {
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    console.log(`BENCH key ${i} ${now()}`);
    await editor.edit((b) => b.insert(end, marker(i)), { undoStopBefore: false, undoStopAfter: false });
    await sleep(cfg.gapMs);
  }
  stopWatch();
  changes.dispose();
  // The tree: the prompt's node loaded and expanded, as a user looking at it would have it.
  const root = await api.library.getChildren();
  const node = root.find((n) => n.kind === 'prompt' && n.prompt.id === cfg.treePromptId);
  if (!node) throw new Error('the bench prompt is not in the tree');
  await api.library.getChildren(node);
  const seen = new Set<number>();
  const done = new Promise<void>((resolve) => {
    api.library.onDidChangeTreeData(async (changed) => {
      if (changed !== node && changed !== undefined) return;
      const refs = await api.library.getChildren(node);
      const main = refs.find((r) => r.kind === 'branch' && r.branch.isDefault);
      if (main?.kind !== 'branch' || seen.has(main.branch.head.seq)) return;
      seen.add(main.branch.head.seq);
      console.log(`BENCH tree ${main.branch.head.seq} ${now()}`);
      if (seen.size >= cfg.commits) resolve();
    });
  });
  console.log('BENCH keys-done');
  await Promise.race([done, sleep(120_000)]);
  console.log('BENCH done');
}
