import * as vscode from 'vscode';
import { LibraryModel, type LibraryNode } from '../model/library.js';
import type { Connection } from './connection.js';
import { draftUri, type DraftDocuments } from './drafts.js';
import { showError } from './errors.js';

const MIME = 'application/vnd.code.tree.rocqet.library';

/**
 * The sidebar tree over LibraryModel (the tree-view sample's shape: a private EventEmitter, contextValue-driven
 * menus). It redraws only when the change feed says something changed; dragging a prompt or a folder onto a folder
 * (or the empty space: the root) moves it.
 */
export class LibraryTree implements vscode.TreeDataProvider<LibraryNode>, vscode.TreeDragAndDropController<LibraryNode>, vscode.Disposable {
  readonly dragMimeTypes = [MIME];
  readonly dropMimeTypes = [MIME];
  private readonly changed = new vscode.EventEmitter<LibraryNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly loaded = new vscode.EventEmitter<LibraryNode | undefined>();
  /** A node's children were fetched and handed to VS Code (the benchmark and tests wait on it). */
  readonly onDidLoad = this.loaded.event;
  model: LibraryModel | undefined;
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly connection: Connection,
    private readonly drafts: DraftDocuments,
  ) {
    this.subs = [
      connection.onDidChangeSession((s) => {
        this.model = s ? new LibraryModel(s.client) : undefined;
        this.changed.fire(undefined);
      }),
      connection.onEvent((e) => {
        const inv = this.model?.apply(e);
        if (inv) this.changed.fire(inv.scope === 'all' ? undefined : inv.node);
      }),
      connection.onResync(() => {
        this.model?.reset();
        this.changed.fire(undefined);
      }),
    ];
    if (connection.current) this.model = new LibraryModel(connection.current.client);
  }

  /** Reloads everything (the view's refresh button; the feed keeps it current otherwise). */
  reload(): void {
    this.model?.reset();
    this.changed.fire(undefined);
  }

  async getChildren(node?: LibraryNode): Promise<LibraryNode[]> {
    if (!this.model) return [];
    try {
      const children = await this.model.children(node);
      this.loaded.fire(node);
      return children;
    } catch (err) {
      showError('Rocqet: cannot load the library', err);
      return [];
    }
  }

  getParent(node: LibraryNode): LibraryNode | undefined {
    return this.model?.parentOf(node);
  }

  getTreeItem(node: LibraryNode): vscode.TreeItem {
    const ws = this.connection.current?.workspace.slug ?? '';
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.folder.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.key;
        item.contextValue = 'folder';
        item.iconPath = vscode.ThemeIcon.Folder;
        item.tooltip = node.folder.path;
        return item;
      }
      case 'prompt': {
        const p = node.prompt;
        const item = new vscode.TreeItem(p.title, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.key;
        item.contextValue = 'prompt';
        item.iconPath = new vscode.ThemeIcon('note');
        item.description = p.tags.length ? p.tags.map((t) => `#${t}`).join(' ') : p.slug;
        item.tooltip = new vscode.MarkdownString(`**${escape(p.title)}**  \n\`${escape(p.path)}\`\n\n${escape(p.description)}`);
        item.command = { command: 'vscode.open', title: 'Open', arguments: [draftUri({ workspace: ws, path: p.path, branch: p.defaultBranch })] };
        return item;
      }
      case 'branch': {
        const b = node.branch;
        const editing = this.editorsOf(node);
        const item = new vscode.TreeItem(b.name, vscode.TreeItemCollapsibleState.None);
        item.id = node.key;
        item.contextValue = b.isDefault ? 'branch-default' : 'branch';
        item.iconPath = new vscode.ThemeIcon(editing.length ? 'edit' : 'git-branch');
        item.description = `#${b.head.seq} ${b.head.message}` + (editing.length ? ` · ✎ ${editing.join(', ')}` : '');
        item.tooltip = `${b.name} at #${b.head.seq} by ${b.head.author.name}, ${new Date(b.head.createdAt).toLocaleString()}` + (editing.length ? `\nEditing now: ${editing.join(', ')}` : '');
        item.command = { command: 'vscode.open', title: 'Open', arguments: [draftUri({ workspace: ws, path: node.prompt.path, branch: b.name })] };
        return item;
      }
      case 'tag': {
        const t = node.tag;
        const item = new vscode.TreeItem(t.name, vscode.TreeItemCollapsibleState.None);
        item.id = node.key;
        item.contextValue = 'tag';
        item.iconPath = new vscode.ThemeIcon('tag');
        item.description = `#${t.commit.seq}${t.message ? ` ${t.message}` : ''}`;
        item.command = {
          command: 'rocqet.history.open',
          title: 'Open',
          arguments: [{ promptId: node.prompt.id, path: node.prompt.path, branch: node.prompt.defaultBranch, commit: t.commit }],
        };
        return item;
      }
    }
  }

  handleDrag(source: readonly LibraryNode[], data: vscode.DataTransfer): void {
    const movable = source.filter((n) => n.kind === 'folder' || n.kind === 'prompt');
    if (movable.length) data.set(MIME, new vscode.DataTransferItem(movable));
  }

  async handleDrop(target: LibraryNode | undefined, data: vscode.DataTransfer): Promise<void> {
    const item = data.get(MIME);
    if (!item) return;
    const nodes = item.value as LibraryNode[];
    const folderId = target?.kind === 'folder' ? target.folder.id : target?.kind === 'prompt' ? target.prompt.folderId : target ? undefined : null;
    if (folderId === undefined) return; // onto a branch or tag: nothing to do
    await moveNodes(this.connection, nodes, folderId);
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
    this.changed.dispose();
    this.loaded.dispose();
  }

  /** Who is editing a branch's draft: the server's presence, plus what this window's open draft sees live. */
  private editorsOf(node: LibraryNode & { kind: 'branch' }): string[] {
    const names = new Set(node.presence.map((p) => p.name));
    for (const e of this.drafts.all()) {
      if (e.promptId === node.prompt.id && e.address.branch === node.branch.name) {
        for (const peer of e.session.peers()) names.add(peer.user.name);
      }
    }
    const me = this.connection.current?.me.name;
    if (me) names.delete(me);
    return [...names];
  }
}

/** Moves prompts and folders into a folder (null: the root); each move is one API call, reported on failure. */
export async function moveNodes(connection: Connection, nodes: readonly LibraryNode[], folderId: string | null): Promise<void> {
  const { client } = connection.require();
  for (const n of nodes) {
    try {
      if (n.kind === 'prompt' && n.prompt.folderId !== folderId) await client.updatePrompt({ params: { prompt: n.prompt.id }, body: { folderId } });
      if (n.kind === 'folder' && n.folder.id !== folderId && n.folder.parentId !== folderId) {
        await client.updateFolder({ params: { id: n.folder.id }, body: { parentId: folderId } });
      }
    } catch (err) {
      showError(`Rocqet: cannot move ${n.kind === 'prompt' ? n.prompt.path : n.kind === 'folder' ? n.folder.path : ''}`, err);
    }
  }
}

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&');
}
