import { RocqetError } from '@rocqet/sdk';
import * as vscode from 'vscode';
import { normalForm } from '../collab/text.js';
import { hasConflictMarkers } from '../model/conflicts.js';
import type { Connection } from './connection.js';
import { addressOf, type DraftDocuments, type DraftEntry } from './drafts.js';
import { describe } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A merge being resolved in an editor: its text with markers, and the two heads its commit will have. */
export interface MergeDoc {
  promptId: string;
  target: string;
  source: string;
  parent: string;
  mergeParent: string;
  text: string;
  mtime: number;
  /** The merge commit, once made: the document then only shows what was committed. */
  committed?: string;
}

/**
 * `rocqet:/<workspace>/<path>@<branch>.prompt.md` as files: a draft reads as the live Y.Text (and every later change
 * arrives through the binding, not through reads), a `?commit=` version reads from history and cannot be written, a
 * `?merge=` document holds a merge's text until it is committed. Writing a draft is committing it.
 */
export class RocqetFileSystem implements vscode.FileSystemProvider {
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changes.event;
  readonly merges = new Map<string, MergeDoc>();
  /** Set by the commit command so that the save it triggers does not ask again. */
  private committedBy = new Set<string>();

  constructor(
    private readonly connection: Connection,
    private readonly drafts: DraftDocuments,
  ) {}

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const a = this.address(uri);
    if (a.kind === 'merge') {
      const m = this.merges.get(uri.toString());
      if (!m) throw vscode.FileSystemError.FileNotFound(uri);
      return {
        type: vscode.FileType.File,
        ctime: m.mtime,
        mtime: m.mtime,
        size: encoder.encode(m.text).length,
        ...(m.committed ? { permissions: vscode.FilePermission.Readonly } : {}),
      };
    }
    if (a.kind === 'version') {
      return { type: vscode.FileType.File, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
    }
    const entry = await this.drafts.open(uri, a);
    return {
      type: vscode.FileType.File,
      ctime: entry.mtime,
      mtime: entry.mtime,
      // VS Code's etag is mtime + size: both stay put between saves, or a save would see a "newer" file. The text
      // changes all the time, live, through the binding rather than through reads.
      size: entry.size,
      ...(entry.readOnly ? { permissions: vscode.FilePermission.Readonly } : {}),
    };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const a = this.address(uri);
    if (a.kind === 'merge') {
      const m = this.merges.get(uri.toString());
      if (!m) throw vscode.FileSystemError.FileNotFound(uri);
      return encoder.encode(m.text);
    }
    if (a.kind === 'version') {
      const { client } = this.connection.require();
      try {
        const c = await client.getCommit({ params: { prompt: a.path, ref: a.commit } });
        return encoder.encode(c.content);
      } catch (err) {
        throw vscode.FileSystemError.FileNotFound(describe(err));
      }
    }
    const entry = await this.drafts.open(uri, a);
    return encoder.encode(entry.session.text.toString());
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const a = this.address(uri);
    if (a.kind === 'version') throw vscode.FileSystemError.NoPermissions('a committed version cannot be changed: open the branch to edit');
    // The save that follows a commit made by the commit command: already committed.
    const committed = this.committedBy.delete(uri.toString());
    if (a.kind === 'merge') {
      const m = this.merges.get(uri.toString());
      if (!m) {
        if (committed) return;
        throw vscode.FileSystemError.FileNotFound(uri);
      }
      if (committed) return;
      if (m.committed) throw vscode.FileSystemError.NoPermissions('this merge is already committed');
      m.text = decoder.decode(content);
      m.mtime = Date.now();
      await this.commitMerge(uri);
      return;
    }
    const entry = this.drafts.get(uri);
    if (!entry) throw vscode.FileSystemError.Unavailable('the draft is not open');
    entry.mtime = Date.now();
    entry.size = content.length;
    if (committed) return;
    const message = await vscode.window.showInputBox({
      title: `Commit ${a.path} on ${a.branch}`,
      prompt: 'Commit message',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'a commit needs a message'),
    });
    if (!message) throw vscode.FileSystemError.Unavailable('not committed (no message); your edits stay in the shared draft');
    await this.commitDraft(entry, message, decoder.decode(content));
  }

  /** The commit command: commits without the save dialog's message box, then lets the save through. */
  async commitAndSave(uri: vscode.Uri, message: string): Promise<unknown> {
    const a = this.address(uri);
    let result: unknown;
    if (a.kind === 'merge') result = await this.commitMerge(uri, message);
    else {
      const entry = this.drafts.get(uri);
      if (!entry) throw new Error('the draft is not open');
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      result = await this.commitDraft(entry, message, doc?.getText() ?? entry.session.text.toString());
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (doc?.isDirty) {
      this.committedBy.add(uri.toString());
      await doc.save();
    }
    return result;
  }

  /**
   * Commits exactly the text the editor shows, on the commit the draft is based on. When the branch moved meanwhile
   * (head_moved), the server merges the new head into the draft; "Merge and commit" waits for that and commits the
   * merged text on the new head.
   */
  async commitDraft(entry: DraftEntry, message: string, shown: string): Promise<unknown> {
    const { client } = this.connection.require();
    if (entry.dead) throw vscode.FileSystemError.Unavailable(`not committed: ${entry.dead}`);
    if (entry.readOnly) throw vscode.FileSystemError.NoPermissions('not committed: this draft is read-only for you');
    const text = entry.session.text.toString();
    if (normalForm(shown) !== normalForm(text)) {
      entry.binding?.resync();
      throw vscode.FileSystemError.Unavailable('not committed: the editor was still catching up with the draft; save again');
    }
    const parent = entry.session.base;
    if (!parent) throw vscode.FileSystemError.Unavailable('not committed: the draft has no base commit yet');
    try {
      const commit = await client.commit({ params: { prompt: entry.promptId }, body: { content: text, message, branch: entry.address.branch, parent } });
      void vscode.window.showInformationMessage(`Committed #${commit.seq} on ${entry.address.branch}: ${commit.message}`);
      return commit;
    } catch (err) {
      if (err instanceof RocqetError && err.code === 'no_changes') {
        void vscode.window.showInformationMessage('Nothing to commit: the draft is the same as the branch head.');
        return undefined;
      }
      if (err instanceof RocqetError && err.code === 'head_moved') {
        const head = typeof err.problem?.head === 'string' ? err.problem.head : undefined;
        const choice = await vscode.window.showWarningMessage(
          `${entry.address.branch} moved on while you edited. Your draft is being merged with the new head; commit the merged text?`,
          { modal: false },
          'Merge and Commit',
        );
        if (choice !== 'Merge and Commit' || !head) throw vscode.FileSystemError.Unavailable('not committed: the branch moved; your edits stay in the draft');
        if (!(await entry.session.waitForBase(head))) throw vscode.FileSystemError.Unavailable('not committed: the draft has not caught up with the new head yet');
        const merged = entry.session.text.toString();
        return client.commit({ params: { prompt: entry.promptId }, body: { content: merged, message, branch: entry.address.branch, parent: head } });
      }
      if (err instanceof RocqetError) throw vscode.FileSystemError.Unavailable(`not committed: ${describe(err)}`);
      throw err;
    }
  }

  private async commitMerge(uri: vscode.Uri, message?: string): Promise<unknown> {
    const m = this.merges.get(uri.toString());
    if (!m) throw vscode.FileSystemError.FileNotFound(uri);
    if (m.committed) throw vscode.FileSystemError.NoPermissions('this merge is already committed');
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const text = doc?.getText() ?? m.text;
    if (hasConflictMarkers(text)) throw vscode.FileSystemError.Unavailable('not committed: conflict markers are left; accept a side for each conflict first');
    const { client } = this.connection.require();
    try {
      const commit = await client.commit({
        params: { prompt: m.promptId },
        body: { content: text, message: message ?? `Merge branch '${m.source}' into ${m.target}`, branch: m.target, parent: m.parent, mergeParent: m.mergeParent },
      });
      m.committed = commit.id;
      m.text = text;
      void vscode.window.showInformationMessage(`Merged ${m.source} into ${m.target} (#${commit.seq})`);
      return commit;
    } catch (err) {
      throw vscode.FileSystemError.Unavailable(`merge not committed: ${describe(err)}`);
    }
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('use "Rocqet: New Folder"');
  }

  delete(): void {
    throw vscode.FileSystemError.NoPermissions('use "Rocqet: Delete" in the Rocqet view');
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('use "Rocqet: Rename" in the Rocqet view');
  }

  private address(uri: vscode.Uri) {
    const a = addressOf(uri);
    if (!a) throw vscode.FileSystemError.FileNotFound(`not a Rocqet prompt: ${uri.toString()}`);
    return a;
  }
}
