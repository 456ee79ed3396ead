import type { Commit } from '@rocqet/sdk';
import * as vscode from 'vscode';
import type { Connection } from './connection.js';
import { addressOf, draftUri, versionUri } from './drafts.js';
import { guarded } from './errors.js';

export interface CommitNode {
  promptId: string;
  path: string;
  branch: string;
  commit: Commit;
  labels?: string[];
}

/** The history view: the commits of one prompt branch, newest first, with the branches and tags at each. */
export class HistoryTree implements vscode.TreeDataProvider<CommitNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  subject: { promptId: string; path: string; branch: string } | undefined;
  selected: CommitNode | undefined;
  private readonly subs: vscode.Disposable[];

  constructor(private readonly connection: Connection) {
    this.subs = [
      connection.onEvent((e) => {
        if (this.subject && e.subject.promptId === this.subject.promptId) this.changed.fire(undefined);
      }),
      vscode.window.onDidChangeActiveTextEditor((ed) => {
        const a = ed && addressOf(ed.document.uri);
        if (a?.kind === 'draft') void this.showFor(a.path, a.branch);
      }),
    ];
  }

  async showFor(promptRef: string, branch?: string): Promise<void> {
    const { client } = this.connection.require();
    const p = await client.getPrompt({ params: { prompt: promptRef }, ...(branch ? { query: { ref: branch } } : {}) });
    this.subject = { promptId: p.id, path: p.path, branch: branch ?? p.defaultBranch };
    this.changed.fire(undefined);
  }

  async getChildren(node?: CommitNode): Promise<CommitNode[]> {
    if (node || !this.subject || !this.connection.current) return [];
    const { client } = this.connection.current;
    const s = this.subject;
    const [commits, branches, tags] = await Promise.all([
      client.listCommits({ params: { prompt: s.promptId }, query: { ref: s.branch, limit: 100 } }),
      client.listBranches({ params: { prompt: s.promptId } }),
      client.listTags({ params: { prompt: s.promptId } }),
    ]);
    const labels = new Map<string, string[]>();
    for (const b of branches.items) labels.set(b.head.id, [...(labels.get(b.head.id) ?? []), b.name]);
    for (const t of tags.items) labels.set(t.commit.id, [...(labels.get(t.commit.id) ?? []), `tag:${t.name}`]);
    return commits.items.map((commit) => ({ ...s, commit, labels: labels.get(commit.id) ?? [] }));
  }

  getTreeItem(n: CommitNode): vscode.TreeItem {
    const c = n.commit;
    const item = new vscode.TreeItem(`#${c.seq} ${c.message}`, vscode.TreeItemCollapsibleState.None);
    item.id = `commit:${c.id}`;
    item.contextValue = 'commit';
    item.iconPath = new vscode.ThemeIcon(c.mergeParentId ? 'git-merge' : 'git-commit');
    item.description = `${c.author.name}, ${relativeTime(c.createdAt)}${n.labels?.length ? ` · ${n.labels.join(', ')}` : ''}`;
    item.tooltip = `${c.message}\n${c.author.name}, ${new Date(c.createdAt).toLocaleString()}\n${c.id}`;
    item.command = { command: 'rocqet.history.open', title: 'Open', arguments: [n] };
    return item;
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
    this.changed.dispose();
  }
}

export function registerHistoryCommands(connection: Connection, history: HistoryTree): vscode.Disposable[] {
  const ws = () => connection.require().workspace.slug;
  const uriOf = (n: CommitNode) => versionUri({ workspace: ws(), path: n.path, branch: n.branch }, n.commit.id);
  const label = (n: CommitNode) => `${n.path} #${n.commit.seq}`;
  return [
    vscode.commands.registerCommand('rocqet.history.open', guarded('Rocqet: cannot open the version', async (n: CommitNode) => {
      const doc = await vscode.workspace.openTextDocument(uriOf(n));
      return vscode.window.showTextDocument(doc, { preview: true });
    })),
    vscode.commands.registerCommand('rocqet.history.diffWithPrevious', guarded('Rocqet: cannot diff', async (n: CommitNode) => {
      if (!n.commit.parentId) return vscode.window.showInformationMessage('The first commit has nothing before it.');
      const before = { ...n, commit: { ...n.commit, id: n.commit.parentId, seq: n.commit.seq - 1 } };
      return vscode.commands.executeCommand('vscode.diff', uriOf(before), uriOf(n), `${n.path}: before ↔ #${n.commit.seq}`);
    })),
    vscode.commands.registerCommand('rocqet.history.selectForCompare', (n: CommitNode) => {
      history.selected = n;
      void vscode.commands.executeCommand('setContext', 'rocqet.compareSelected', true);
    }),
    vscode.commands.registerCommand('rocqet.history.compareWithSelected', guarded('Rocqet: cannot diff', async (n: CommitNode) => {
      const a = history.selected;
      if (!a) return undefined;
      return vscode.commands.executeCommand('vscode.diff', uriOf(a), uriOf(n), `${label(a)} ↔ ${label(n)}`);
    })),
    vscode.commands.registerCommand('rocqet.history.revert', guarded('Rocqet: cannot revert', async (n: CommitNode, opts?: { confirm?: boolean }) => {
      const { client } = connection.require();
      if (opts?.confirm !== false) {
        const ok = await vscode.window.showWarningMessage(`Make a new commit on ${n.branch} with the text of #${n.commit.seq}?`, { modal: true }, 'Revert');
        if (ok !== 'Revert') return undefined;
      }
      const head = (await client.getPrompt({ params: { prompt: n.promptId }, query: { ref: n.branch } })).commit.id;
      const commit = await client.revert({ params: { prompt: n.promptId }, body: { to: n.commit.id, branch: n.branch, parent: head } });
      void vscode.window.showInformationMessage(`Reverted ${n.branch} to the text of #${n.commit.seq} (new commit #${commit.seq}).`);
      return commit;
    })),
    vscode.commands.registerCommand('rocqet.showHistory', guarded('Rocqet: cannot show history', async (node?: { prompt?: { path: string }; branch?: { name: string } }) => {
      const active = vscode.window.activeTextEditor && addressOf(vscode.window.activeTextEditor.document.uri);
      const path = node?.prompt?.path ?? active?.path;
      if (!path) return vscode.window.showInformationMessage('Open a Rocqet prompt or pick one in the Library first.');
      await history.showFor(path, node?.branch?.name ?? active?.branch);
      return vscode.commands.executeCommand('rocqet.history.focus');
    })),
    vscode.commands.registerCommand('rocqet.compareWithMain', guarded('Rocqet: cannot compare', async (node: { prompt: { id: string; path: string; defaultBranch: string }; branch?: { name: string; head: Commit }; tag?: { name: string; commit: Commit } }) => {
      const { client } = connection.require();
      const main = await client.getPrompt({ params: { prompt: node.prompt.id } });
      const other = node.branch?.head ?? node.tag!.commit;
      const name = node.branch?.name ?? node.tag!.name;
      const left = versionUri({ workspace: ws(), path: node.prompt.path, branch: main.defaultBranch }, main.commit.id);
      const right = node.branch
        ? draftUri({ workspace: ws(), path: node.prompt.path, branch: node.branch.name })
        : versionUri({ workspace: ws(), path: node.prompt.path, branch: main.defaultBranch }, other.id);
      return vscode.commands.executeCommand('vscode.diff', left, right, `${node.prompt.path}: ${main.defaultBranch} ↔ ${name}`);
    })),
  ];
}

function relativeTime(iso: string): string {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}
