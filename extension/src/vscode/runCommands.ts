import type { RunStreamEvent } from '@rocqet/sdk';
import * as vscode from 'vscode';
import { applyEvent, failState, startState, type RunPanelState } from '../model/runs.js';
import { questionsFor, type VariableQuestion } from '../model/variables.js';
import type { Connection } from './connection.js';
import { addressOf } from './drafts.js';
import { guarded } from './errors.js';
import type { CommitNode, HistoryTree } from './history.js';
import { RunPanel } from './runPanel.js';
import { askValues, searchPrompts, type UseOptions } from './usePrompt.js';

/** Test and automation input, as for Insert Prompt, plus the model (null: the default) and the two refs to compare. */
export interface RunOptions extends UseOptions {
  model?: string | null;
  refs?: [string, string];
}

const OUTPUT_SCHEME = 'rocqet-run';

/** The run panels opened, and the outputs of compared runs as read-only documents for vscode.diff. */
export class RunPanels implements vscode.Disposable {
  last: RunPanel | undefined;
  /** The two output documents of the last compare, once it finished. */
  lastDiff: [vscode.Uri, vscode.Uri] | undefined;
  private readonly outputs = new Map<string, string>();
  private readonly open = new Set<RunPanel>();
  private readonly provider: vscode.Disposable;

  constructor() {
    this.provider = vscode.workspace.registerTextDocumentContentProvider(OUTPUT_SCHEME, {
      provideTextDocumentContent: (uri) => this.outputs.get(uri.path) ?? '',
    });
  }

  create(state: RunPanelState): RunPanel {
    const panel = new RunPanel(state);
    this.open.add(panel);
    panel.panel.onDidDispose(() => this.open.delete(panel));
    this.last = panel;
    return panel;
  }

  outputUri(runId: string, label: string, text: string): vscode.Uri {
    const path = `/${runId}/${label.replace(/[^\w.@#-]+/g, '_')}.md`;
    this.outputs.set(path, text);
    return vscode.Uri.from({ scheme: OUTPUT_SCHEME, path });
  }

  dispose(): void {
    this.provider.dispose();
    for (const p of this.open) p.dispose();
  }
}

type TreeNodeArg = { prompt: { path: string }; branch?: { name: string }; tag?: { name: string } };
type Arg = vscode.Uri | CommitNode | TreeNodeArg | RunOptions | undefined;

/** The prompt and ref a command was invoked on: a tree node, a history commit, a rocqet: document, or options. */
function optionsOf(arg: Arg): RunOptions {
  if (arg instanceof vscode.Uri) {
    const a = addressOf(arg);
    return a ? { prompt: a.path, ref: a.kind === 'version' ? a.commit : a.branch } : {};
  }
  if (arg && 'promptId' in arg && 'commit' in arg) return { prompt: arg.path, ref: `#${arg.commit.seq}` };
  if (arg && typeof (arg as TreeNodeArg).prompt === 'object') {
    const n = arg as TreeNodeArg;
    return { prompt: n.prompt.path, ...(n.branch ? { ref: n.branch.name } : n.tag ? { ref: n.tag.name } : {}) };
  }
  return (arg as RunOptions | undefined) ?? {};
}

/** The model to run on: given, the default when automated, else a pick from the workspace's failover chain. */
async function chooseModel(connection: Connection, opts: RunOptions): Promise<string | undefined | false> {
  if ('model' in opts) return opts.model ?? undefined;
  if (opts.values) return undefined;
  const { chain } = await connection.require().client.getRunSettings();
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Default', description: 'the prompt’s model, then the failover chain', model: undefined as string | undefined },
      ...chain.map((entry) => ({ label: entry, description: 'only this model, no failover', model: entry as string | undefined })),
    ],
    { title: 'Run on which model?', ignoreFocusOut: true },
  );
  return pick ? pick.model : false;
}

/** Streams the events into the panel: text appended as it comes, everything else as a state update. */
async function streamInto(panel: RunPanel, events: AsyncIterable<RunStreamEvent>): Promise<void> {
  try {
    for await (const e of events) {
      const before = panel.state.sides[e.type === 'compare' ? 0 : (e.side ?? 0)]?.status;
      applyEvent(panel.state, e);
      if (e.type === 'delta') {
        panel.append(e.side ?? 0, e.text);
        if (panel.state.sides[e.side ?? 0]?.status !== before) panel.update();
      } else panel.update();
    }
    if (!panel.state.done) failState(panel.state, new Error('the run stream ended before the run did'), panel.signal.aborted);
  } catch (err) {
    failState(panel.state, err, panel.signal.aborted);
  }
  panel.update();
}

async function promptOf(connection: Connection, opts: RunOptions, title: string) {
  const ref = opts.prompt ?? (await searchPrompts(connection, title))?.path;
  return ref ? connection.require().cache.get(ref, opts.ref) : undefined;
}

export async function runPrompt(connection: Connection, panels: RunPanels, opts: RunOptions): Promise<RunPanel | undefined> {
  const prompt = await promptOf(connection, opts, 'Run which prompt?');
  if (!prompt) return undefined;
  const variables = await askValues(questionsFor(prompt.content), opts.values);
  if (!variables) return undefined;
  const model = await chooseModel(connection, opts);
  if (model === false) return undefined;
  const ref = opts.ref ?? prompt.ref;
  const panel = panels.create(startState(`Run: ${prompt.path}`, [`${prompt.path} @ ${ref}${model ? ` on ${model}` : ''}`]));
  panel.update();
  const { client } = connection.require();
  await streamInto(panel, client.runs.stream({ params: { prompt: prompt.id }, body: { ref, variables, ...(model ? { model } : {}) }, signal: panel.signal }));
  return panel;
}

/** A QuickPick of the prompt's branches, tags and recent commits (as #seq, which reads better than an id). */
async function pickRef(connection: Connection, promptId: string, title: string, except?: string): Promise<string | undefined> {
  const { client } = connection.require();
  const [branches, tags, commits] = await Promise.all([
    client.listBranches({ params: { prompt: promptId } }),
    client.listTags({ params: { prompt: promptId } }),
    client.listCommits({ params: { prompt: promptId }, query: { limit: 30 } }),
  ]);
  const items = [
    ...branches.items.map((b) => ({ label: `$(git-branch) ${b.name}`, description: `#${b.head.seq}`, ref: b.name })),
    ...tags.items.map((t) => ({ label: `$(tag) ${t.name}`, description: `#${t.commit.seq}`, ref: t.name })),
    ...commits.items.map((c) => ({ label: `$(git-commit) #${c.seq}`, description: c.message, ref: `#${c.seq}` })),
  ].filter((i) => i.ref !== except);
  return (await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true, matchOnDescription: true }))?.ref;
}

/** Every variable either text declares, asked once: two versions may declare different ones. */
function mergedQuestions(texts: string[]): VariableQuestion[] {
  const out = new Map<string, VariableQuestion>();
  for (const t of texts) for (const q of questionsFor(t)) if (!out.has(q.name)) out.set(q.name, q);
  return [...out.values()];
}

export async function compareVersions(connection: Connection, panels: RunPanels, history: HistoryTree, arg: Arg): Promise<RunPanel | undefined> {
  const opts = optionsOf(arg);
  const fromHistory = arg && !(arg instanceof vscode.Uri) && 'promptId' in arg ? (arg as CommitNode) : undefined;
  const prompt = await promptOf(connection, { ...opts, ref: undefined }, 'Compare versions of which prompt?');
  if (!prompt) return undefined;
  let refs = opts.refs;
  if (!refs) {
    // From the history view: the commit selected for compare (if any) against this one; else pick what is missing.
    const selected = fromHistory && history.selected?.promptId === fromHistory.promptId && history.selected.commit.id !== fromHistory.commit.id ? `#${history.selected.commit.seq}` : undefined;
    const first = selected ?? opts.ref ?? (await pickRef(connection, prompt.id, `Compare ${prompt.path}: which version first?`));
    if (!first) return undefined;
    const second = selected && opts.ref ? opts.ref : await pickRef(connection, prompt.id, `Compare ${prompt.path} @ ${first} with…`, first);
    if (!second) return undefined;
    refs = [first, second];
  }
  const { client, cache } = connection.require();
  const texts = await Promise.all(refs.map((r) => cache.get(prompt.id, r).then((p) => p.content)));
  const variables = await askValues(mergedQuestions(texts), opts.values);
  if (!variables) return undefined;
  const model = await chooseModel(connection, opts);
  if (model === false) return undefined;
  const panel = panels.create(startState(`Compare: ${prompt.path}`, refs.map((r) => `${prompt.path} @ ${r}`)));
  panel.update();
  await streamInto(panel, client.runs.compare({
    params: { prompt: prompt.id },
    body: { sides: refs.map((ref) => ({ ref, ...(model ? { model } : {}) })), variables },
    signal: panel.signal,
  }));
  const [a, b] = panel.state.sides;
  if (panel.state.diff && a?.runId && b?.runId) {
    panels.lastDiff = [panels.outputUri(a.runId, refs[0], a.output), panels.outputUri(b.runId, refs[1], b.output)];
    // In a column of its own: over the panel it would hide it.
    const column = panel.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
    await vscode.commands.executeCommand('vscode.diff', ...panels.lastDiff, `${prompt.path}: output of ${refs[0]} ↔ ${refs[1]}`, { viewColumn: column, preview: true, preserveFocus: true });
  }
  return panel;
}

export function registerRunCommands(connection: Connection, history: HistoryTree, panels: RunPanels): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('rocqet.runPrompt', guarded('Rocqet: cannot run the prompt', (arg?: Arg) => runPrompt(connection, panels, optionsOf(arg)))),
    vscode.commands.registerCommand('rocqet.compareVersions', guarded('Rocqet: cannot compare the versions', (arg?: Arg) => compareVersions(connection, panels, history, arg))),
  ];
}
