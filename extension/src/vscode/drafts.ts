import { Content, RocqetError, type FeedEvent } from '@rocqet/sdk';
import * as vscode from 'vscode';
import { DraftBinding, type SurfaceChange, type TextSurface } from '../collab/binding.js';
import { DraftClosedError, DraftSession } from '../collab/session.js';
import { formatPath, formatQuery, parseDocUri, SCHEME, type DocAddress, type PromptAddress } from '../model/uri.js';
import type { Connection, Signed } from './connection.js';
import { describe } from './errors.js';
import { RemoteCursors } from './cursors.js';

export interface DraftEntry {
  key: string;
  address: PromptAddress;
  promptId: string;
  session: DraftSession;
  readOnly: boolean;
  binding: DraftBinding | undefined;
  cursors: RemoteCursors | undefined;
  mtime: number;
  /** The size stat reports (the text's at open, then at each save). */
  size: number;
  /** Why the draft stopped being live (deleted prompt, deleted branch, refused token), once it has. */
  dead: string | undefined;
  disposables: vscode.Disposable[];
}

/** How long opening a draft waits for the server before saying it is unavailable. */
const OPEN_TIMEOUT_MS = 15_000;
/** VS Code closes and reopens a document when its language changes: keep the session a moment. */
const CLOSE_GRACE_MS = 3_000;

export function draftUri(a: PromptAddress): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: formatPath(a) });
}

export function versionUri(a: PromptAddress, commit: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: formatPath(a), query: formatQuery({ kind: 'version', commit }) });
}

export function addressOf(uri: vscode.Uri): DocAddress | undefined {
  return uri.scheme === SCHEME ? parseDocUri(uri.path, uri.query) : undefined;
}

/**
 * The live drafts behind open `rocqet:` documents: one DraftSession (a stock y-websocket provider) per prompt
 * branch, bound to its TextDocument while one is open, with remote cursors in its editors and the own-edits-only
 * undo. It also reacts to the feed: a prompt deleted or a branch moved under an open document is said in the editor.
 */
export class DraftDocuments implements vscode.Disposable {
  private readonly entries = new Map<string, DraftEntry>();
  private readonly opening = new Map<string, Promise<DraftEntry>>();
  private readonly closing = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly synced = new vscode.EventEmitter<vscode.Uri>();
  /** A bound document caught up with its draft (tests and the benchmark wait on it). */
  readonly onDidSync = this.synced.event;

  constructor(private readonly connection: Connection) {
    this.subs.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.bind(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.unbindLater(d)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const entry = this.entries.get(e.document.uri.toString());
        if (!entry?.binding || e.contentChanges.length === 0) return;
        entry.binding.onSurfaceChange(e.contentChanges.map(toSurfaceChange));
        // Cursors drawn while a remote edit was still on its way into the editor were placed in the text before it;
        // now that the editor holds it, they are placed again (else a caret stays where the insertion began).
        entry.cursors?.render();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.entries.get(e.textEditor.document.uri.toString())?.cursors?.publish(e.textEditor)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.entries.forEach((en) => en.cursors?.render())),
      connection.onEvent((e) => this.onFeed(e)),
      connection.onDidChangeSession(() => this.closeAll()),
    );
    for (const d of vscode.workspace.textDocuments) this.bind(d);
  }

  get(uri: vscode.Uri): DraftEntry | undefined {
    return this.entries.get(uri.toString());
  }

  all(): DraftEntry[] {
    return [...this.entries.values()];
  }

  /** The entry of a draft URI, connecting (and waiting for the first sync) if needed. */
  open(uri: vscode.Uri, address: PromptAddress): Promise<DraftEntry> {
    const key = uri.toString();
    const existing = this.entries.get(key);
    if (existing) return Promise.resolve(existing);
    let pending = this.opening.get(key);
    if (!pending) {
      pending = this.connect(key, address).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  undo(uri: vscode.Uri): boolean {
    return this.entries.get(uri.toString())?.binding?.undo() ?? false;
  }

  redo(uri: vscode.Uri): boolean {
    return this.entries.get(uri.toString())?.binding?.redo() ?? false;
  }

  dispose(): void {
    this.closeAll();
    this.subs.forEach((s) => s.dispose());
    this.synced.dispose();
  }

  private async connect(key: string, address: PromptAddress): Promise<DraftEntry> {
    const signed = this.connection.require();
    if (address.workspace !== signed.workspace.slug) {
      throw vscode.FileSystemError.FileNotFound(`signed in to workspace "${signed.workspace.slug}", not "${address.workspace}"`);
    }
    let prompt;
    try {
      prompt = await signed.client.getPrompt({ params: { prompt: address.path }, query: { ref: address.branch } });
    } catch (err) {
      if (err instanceof RocqetError && (err.code === 'not_found' || err.code === 'ref_not_found')) {
        throw vscode.FileSystemError.FileNotFound(describe(err));
      }
      throw vscode.FileSystemError.Unavailable(describe(err));
    }
    const session = new DraftSession({ baseUrl: signed.baseUrl, promptId: prompt.id, branch: address.branch, token: signed.token });
    try {
      await Promise.race([
        session.ready(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('the server did not answer in time')), OPEN_TIMEOUT_MS)),
      ]);
    } catch (err) {
      session.close();
      if (err instanceof DraftClosedError && err.close.code === 4404) throw vscode.FileSystemError.FileNotFound(err.message);
      throw vscode.FileSystemError.Unavailable(`cannot open the live draft: ${describe(err)}`);
    }
    const entry: DraftEntry = {
      key,
      address,
      promptId: prompt.id,
      session,
      readOnly: !signed.canWrite,
      binding: undefined,
      cursors: undefined,
      mtime: Date.now(),
      size: new TextEncoder().encode(session.text.toString()).length,
      dead: undefined,
      disposables: [],
    };
    entry.disposables.push(
      session.onStatus((s) => {
        if (s === 'disconnected') vscode.window.setStatusBarMessage(`$(cloud-offline) Rocqet: ${address.path}@${address.branch} offline; your edits are kept and sync when the server is back`, 5_000);
        if (s === 'connected' && entry.binding) vscode.window.setStatusBarMessage(`$(cloud) Rocqet: ${address.path}@${address.branch} live again`, 3_000);
        if (s === 'closed' && session.closedWith) this.markDead(entry, closeMessage(session.closedWith.code, session.closedWith.reason));
      }),
    );
    this.entries.set(key, entry);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (doc) this.bind(doc);
    return entry;
  }

  private bind(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const timer = this.closing.get(key);
    if (timer) {
      clearTimeout(timer);
      this.closing.delete(key);
    }
    const entry = this.entries.get(key);
    if (!entry || entry.binding) return;
    const surface = new DocumentSurface(doc);
    entry.binding = new DraftBinding(entry.session.text, surface, {
      maxLength: Content.maxLength ?? 200_000,
      readOnly: entry.readOnly,
      onRefused: (reason) => {
        void vscode.window.showWarningMessage(
          reason === 'too_large'
            ? `That change was not applied: a prompt is at most ${(Content.maxLength ?? 200_000).toLocaleString('en')} characters.`
            : readOnlyReason(this.connection.current),
        );
      },
      onSynced: () => this.synced.fire(doc.uri),
    });
    entry.cursors = new RemoteCursors(entry.session, entry.binding, doc.uri);
    if (entry.readOnly) void vscode.window.showInformationMessage(`${entry.address.path}@${entry.address.branch} is read-only: ${readOnlyReason(this.connection.current)}`);
  }

  private unbindLater(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const entry = this.entries.get(key);
    if (!entry) return;
    // The document is gone: nothing to apply edits to until it is opened again (bind() makes a new binding).
    entry.cursors?.dispose();
    entry.binding?.dispose();
    entry.cursors = undefined;
    entry.binding = undefined;
    this.closing.set(
      key,
      setTimeout(() => {
        this.closing.delete(key);
        const entry = this.entries.get(key);
        if (entry && !vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) this.drop(entry);
      }, CLOSE_GRACE_MS),
    );
  }

  private drop(entry: DraftEntry): void {
    this.entries.delete(entry.key);
    entry.cursors?.dispose();
    entry.binding?.dispose();
    entry.session.close();
    entry.disposables.forEach((d) => d.dispose());
  }

  private closeAll(): void {
    for (const e of [...this.entries.values()]) this.drop(e);
  }

  private markDead(entry: DraftEntry, why: string): void {
    if (entry.dead) return;
    entry.dead = why;
    if (entry.binding) entry.binding.readOnly = true;
    void vscode.window.showWarningMessage(`${entry.address.path}@${entry.address.branch} is no longer live: ${why}. Your text stays in the editor; nothing more is sent.`);
  }

  private onFeed(e: FeedEvent): void {
    const { promptId, branch } = e.subject;
    if (!promptId) return;
    const me = this.connection.current?.me.userId;
    for (const entry of this.entries.values()) {
      if (entry.promptId !== promptId) continue;
      if (e.action === 'prompt.delete') this.markDead(entry, `the prompt was deleted by ${e.actor.email ?? 'someone'}`);
      else if (e.action === 'branch.delete' && branch === entry.address.branch) this.markDead(entry, `the branch was deleted by ${e.actor.email ?? 'someone'}`);
      else if (['prompt.commit', 'prompt.merge', 'prompt.revert'].includes(e.action) && branch === entry.address.branch && e.actor.userId !== me) {
        vscode.window.setStatusBarMessage(`$(git-commit) ${entry.address.branch} of ${entry.address.path} moved (${e.actor.email ?? 'someone'}): merged into the live draft`, 8_000);
      }
    }
  }
}

function toSurfaceChange(c: vscode.TextDocumentContentChangeEvent): SurfaceChange {
  return { start: c.range.start, end: c.range.end, text: c.text };
}

/** The binding's view of a TextDocument: edits go through WorkspaceEdit, which VS Code refuses on a moved document. */
class DocumentSurface implements TextSurface {
  constructor(private readonly doc: vscode.TextDocument) {}

  text(): string {
    return this.doc.getText();
  }

  eol(): '\n' | '\r\n' {
    return this.doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  }

  async apply(changes: SurfaceChange[]): Promise<boolean> {
    if (this.doc.isClosed) return false;
    const edit = new vscode.WorkspaceEdit();
    for (const c of changes) {
      edit.replace(this.doc.uri, new vscode.Range(c.start.line, c.start.character, c.end.line, c.end.character), c.text);
    }
    return vscode.workspace.applyEdit(edit);
  }
}

export function readOnlyReason(signed: Signed | undefined): string {
  if (!signed) return 'you are not signed in';
  if (signed.me.role === 'viewer') return `you are a viewer in "${signed.workspace.slug}": viewers read drafts but cannot change them`;
  return 'your token has no "write" scope: sign in with a token that has it to edit';
}

function closeMessage(code: number, reason: string): string {
  if (code === 4404) return 'the prompt or branch is gone (deleted)';
  if (code === 4401) return 'the server no longer accepts your token; sign in again';
  if (code === 4403) return 'your token may not open this draft';
  if (code === 4413) return 'the draft grew past what the server keeps';
  return reason || `closed (${code})`;
}

