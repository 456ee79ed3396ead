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
}

const now = () => process.hrtime.bigint().toString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A distinct character per keystroke, so the other side can tell which one arrived. */
export const marker = (i: number) => String.fromCharCode(0x4e00 + i);

export async function run(): Promise<void> {
  const cfg = JSON.parse(process.env.ROCQET_BENCH ?? '{}') as BenchConfig;
  const api = await vscode.extensions.getExtension<RocqetApi>('rocqet.rocqet-vscode')!.activate();
  await api.connection.signIn(cfg.token);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'rocqet', path: `/${cfg.workspace}/${cfg.path}@main.prompt.md` }));
  const editor = await vscode.window.showTextDocument(doc);
  for (let i = 0; i < cfg.keystrokes; i++) {
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    console.log(`BENCH key ${i} ${now()}`);
    await editor.edit((b) => b.insert(end, marker(i)), { undoStopBefore: false, undoStopAfter: false });
    await sleep(cfg.gapMs);
  }
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
