import { CommitMessage } from '@rocqet/sdk';
import * as vscode from 'vscode';
import { SCHEME } from './model/uri.js';
import { AUTH_ID, askToken, RocqetAuthProvider } from './vscode/auth.js';
import { Connection } from './vscode/connection.js';
import { addressOf, DraftDocuments } from './vscode/drafts.js';
import { guarded } from './vscode/errors.js';
import { RocqetFileSystem } from './vscode/fileSystem.js';
import { HistoryTree, registerHistoryCommands } from './vscode/history.js';
import { registerLibraryCommands } from './vscode/libraryCommands.js';
import { LibraryTree } from './vscode/libraryTree.js';
import { registerMcp, type McpRegistration } from './vscode/mcp.js';
import { registerMerge } from './vscode/merge.js';
import { registerRunCommands, RunPanels } from './vscode/runCommands.js';
import { createStatusBar } from './vscode/statusBar.js';
import { registerUriHandler, resolveOpenLink } from './vscode/uriHandler.js';
import { copyRendered, exportToCopilot, insertPrompt, searchPrompts, type UseOptions } from './vscode/usePrompt.js';

/** What `activate` returns: the parts the in-host tests and the benchmark look at. */
export interface RocqetApi {
  connection: Connection;
  drafts: DraftDocuments;
  library: LibraryTree;
  history: HistoryTree;
  fs: RocqetFileSystem;
  mcp: McpRegistration;
  runs: RunPanels;
}

export async function activate(context: vscode.ExtensionContext): Promise<RocqetApi> {
  const connection = new Connection(context.secrets);
  const drafts = new DraftDocuments(connection);
  const fs = new RocqetFileSystem(connection, drafts);
  const library = new LibraryTree(connection, drafts);
  const history = new HistoryTree(connection);
  const auth = new RocqetAuthProvider(connection);
  const mcp = registerMcp(connection, context.globalState);
  const runs = new RunPanels();
  const tree = vscode.window.createTreeView('rocqet.library', { treeDataProvider: library, dragAndDropController: library, canSelectMany: true, showCollapseAll: true });

  const use = (fn: (c: Connection, o: UseOptions) => Promise<unknown>, what: string) =>
    guarded(what, (node?: { prompt?: { path: string }; branch?: { name: string }; tag?: { name: string } } | UseOptions) => {
      const asNode = node as { prompt?: { path: string }; branch?: { name: string }; tag?: { name: string } } | undefined;
      // A tree node carries the prompt object; automation passes UseOptions with the prompt's path.
      const opts: UseOptions = typeof asNode?.prompt === 'object'
        ? { prompt: asNode.prompt!.path, ...(asNode.branch ? { ref: asNode.branch.name } : asNode.tag ? { ref: asNode.tag.name } : {}) }
        : ((node as UseOptions | undefined) ?? {});
      return fn(connection, opts);
    });

  context.subscriptions.push(
    connection,
    drafts,
    library,
    history,
    auth,
    mcp,
    runs,
    tree,
    createStatusBar(connection),
    registerUriHandler(connection),
    vscode.workspace.registerFileSystemProvider(SCHEME, fs, { isCaseSensitive: true }),
    vscode.authentication.registerAuthenticationProvider(AUTH_ID, 'Rocqet', auth),
    vscode.window.registerTreeDataProvider('rocqet.history', history),
    vscode.commands.registerCommand('rocqet.signIn', guarded('Rocqet: sign-in failed', async (token?: string) => {
      if (typeof token === 'string') return connection.signIn(token);
      const t = await askToken(connection);
      return t ? connection.current : undefined;
    })),
    vscode.commands.registerCommand('rocqet.signOut', () => connection.signOut()),
    // What a vscode://rocqet.rocqet-vscode/open link resolves to, for the in-host tests (the OS delivers real links).
    vscode.commands.registerCommand('rocqet.resolveOpenLink', async (query: string) => {
      const target = await resolveOpenLink(connection, query);
      return typeof target === 'string' ? target : target.toString();
    }),
    vscode.commands.registerCommand('rocqet.refresh', () => library.reload()),
    vscode.commands.registerCommand('rocqet.search', guarded('Rocqet: search failed', async () => {
      const hit = await searchPrompts(connection);
      if (!hit) return undefined;
      const p = await connection.require().client.getPrompt({ params: { prompt: hit.id } });
      return vscode.commands.executeCommand('vscode.open', vscode.Uri.from({ scheme: SCHEME, path: `/${connection.require().workspace.slug}/${p.path}@${p.defaultBranch}.prompt.md` }));
    })),
    vscode.commands.registerCommand('rocqet.open', guarded('Rocqet: cannot open', async (path?: string, branch?: string) => {
      const ref = path ?? (await searchPrompts(connection, 'Open which prompt?'))?.path;
      if (!ref) return undefined;
      const p = await connection.require().client.getPrompt({ params: { prompt: ref } });
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: SCHEME, path: `/${connection.require().workspace.slug}/${p.path}@${branch ?? p.defaultBranch}.prompt.md` }));
      return vscode.window.showTextDocument(doc);
    })),
    vscode.commands.registerCommand('rocqet.commit', guarded('Rocqet: commit failed', async (message?: string, uri?: vscode.Uri) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      if (!target || !addressOf(target)) return vscode.window.showInformationMessage('Open a Rocqet prompt to commit it.');
      const msg =
        message ??
        (await vscode.window.showInputBox({
          title: 'Commit message',
          ignoreFocusOut: true,
          validateInput: (v) => (CommitMessage.safeParse(v).success ? undefined : 'a commit needs a message'),
        }));
      return msg ? fs.commitAndSave(target, msg) : undefined;
    })),
    vscode.commands.registerCommand('rocqet.undo', (uri?: vscode.Uri) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      return target ? drafts.undo(target) : false;
    }),
    vscode.commands.registerCommand('rocqet.redo', (uri?: vscode.Uri) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      return target ? drafts.redo(target) : false;
    }),
    vscode.commands.registerCommand('rocqet.insertPrompt', use(insertPrompt, 'Rocqet: cannot insert the prompt')),
    vscode.commands.registerCommand('rocqet.copyRendered', use(copyRendered, 'Rocqet: cannot render the prompt')),
    vscode.commands.registerCommand('rocqet.exportToCopilot', use(exportToCopilot, 'Rocqet: cannot export the prompt')),
    ...registerLibraryCommands(connection),
    ...registerHistoryCommands(connection, history),
    ...registerMerge(connection, fs),
    ...registerRunCommands(connection, history, runs),
  );
  await vscode.commands.executeCommand('setContext', 'rocqet.signedIn', false);
  void connection.restore();
  return { connection, drafts, library, history, fs, mcp, runs };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
