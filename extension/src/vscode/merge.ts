import { RocqetError } from '@rocqet/sdk';
import * as vscode from 'vscode';
import { findConflicts, resolutionLines, type ConflictBlock, type Resolution } from '../model/conflicts.js';
import { formatPath, formatQuery, SCHEME } from '../model/uri.js';
import type { Connection } from './connection.js';
import { guarded } from './errors.js';
import type { RocqetFileSystem } from './fileSystem.js';

interface BranchNode {
  prompt: { id: string; path: string; defaultBranch: string };
  branch: { name: string };
}

/**
 * Merging a branch: the server merges (fast-forward or a three-way merge commit); on a conflict it answers the text
 * with git's markers and the two heads, which open as a `?merge=` document with CodeLens actions on each conflict,
 * as VS Code does for git. Saving it (or "Rocqet: Commit") commits the resolution with both parents.
 */
export function registerMerge(connection: Connection, fs: RocqetFileSystem): vscode.Disposable[] {
  const lenses = new ConflictLenses();
  return [
    vscode.languages.registerCodeLensProvider({ scheme: SCHEME }, lenses),
    lenses,
    vscode.commands.registerCommand('rocqet.merge', guarded('Rocqet: merge failed', async (node: BranchNode, opts?: { target?: string; message?: string }) => {
      const { client, workspace } = connection.require();
      let target = opts?.target;
      if (!target) {
        const branches = (await client.listBranches({ params: { prompt: node.prompt.id } })).items.filter((b) => b.name !== node.branch.name);
        const pick = await vscode.window.showQuickPick(
          branches.map((b) => ({ label: b.name, description: b.isDefault ? 'default' : `#${b.head.seq} ${b.head.message}` })).sort((a, b) => Number(b.description === 'default') - Number(a.description === 'default')),
          { title: `Merge ${node.branch.name} into…` },
        );
        if (!pick) return undefined;
        target = pick.label;
      }
      try {
        const r = await client.merge({ params: { prompt: node.prompt.id }, body: { source: node.branch.name, target, ...(opts?.message ? { message: opts.message } : {}) } });
        const what = r.result === 'up_to_date' ? 'already up to date' : r.result === 'fast_forward' ? 'fast-forwarded' : `merged (#${r.commit.seq})`;
        void vscode.window.showInformationMessage(`${node.branch.name} into ${target}: ${what}.`);
        return r;
      } catch (err) {
        if (!(err instanceof RocqetError) || err.code !== 'merge_conflict' || !err.problem) throw err;
        const p = err.problem as Record<string, unknown>;
        const uri = vscode.Uri.from({
          scheme: SCHEME,
          path: formatPath({ workspace: workspace.slug, path: node.prompt.path, branch: target }),
          query: formatQuery({ kind: 'merge', source: node.branch.name }),
        });
        fs.merges.set(uri.toString(), {
          promptId: node.prompt.id,
          target,
          source: node.branch.name,
          parent: String(p.parent),
          mergeParent: String(p.mergeParent),
          text: String(p.textWithMarkers),
          mtime: Date.now(),
        });
        const doc = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(doc);
        void vscode.window.showWarningMessage(
          `${node.branch.name} and ${target} conflict in ${Array.isArray(p.conflicts) ? p.conflicts.length : 'some'} place(s): accept a side for each, then save to commit the merge.`,
        );
        return { result: 'conflict' as const, uri };
      }
    })),
    ...(['current', 'incoming', 'both'] as const).map((choice) =>
      vscode.commands.registerCommand(`rocqet.conflict.accept${choice[0]!.toUpperCase()}${choice.slice(1)}`, (uri?: vscode.Uri, index?: number) =>
        accept(uri ?? vscode.window.activeTextEditor?.document.uri, index ?? 0, choice),
      ),
    ),
  ];
}

async function accept(uri: vscode.Uri | undefined, index: number, choice: Resolution): Promise<boolean> {
  const doc = uri && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc) return false;
  const block = findConflicts(doc.getText())[index];
  if (!block) return false;
  const edit = new vscode.WorkspaceEdit();
  const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const lines = resolutionLines(block, choice);
  const range = blockRange(doc, block);
  edit.replace(doc.uri, range, lines.length ? lines.join(eol) + eol : '');
  return vscode.workspace.applyEdit(edit);
}

function blockRange(doc: vscode.TextDocument, b: ConflictBlock): vscode.Range {
  const end = b.end + 1 < doc.lineCount ? new vscode.Position(b.end + 1, 0) : doc.lineAt(b.end).range.end;
  return new vscode.Range(new vscode.Position(b.start, 0), end);
}

class ConflictLenses implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly sub = vscode.workspace.onDidChangeTextDocument((e) => {
    if (e.document.uri.scheme === SCHEME) this.changed.fire();
  });

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    return findConflicts(doc.getText()).flatMap((b, i) => {
      const range = new vscode.Range(b.start, 0, b.start, 0);
      return [
        new vscode.CodeLens(range, { title: `Accept Current (${b.currentLabel || 'current'})`, command: 'rocqet.conflict.acceptCurrent', arguments: [doc.uri, i] }),
        new vscode.CodeLens(range, { title: `Accept Incoming (${b.incomingLabel || 'incoming'})`, command: 'rocqet.conflict.acceptIncoming', arguments: [doc.uri, i] }),
        new vscode.CodeLens(range, { title: 'Accept Both', command: 'rocqet.conflict.acceptBoth', arguments: [doc.uri, i] }),
      ];
    });
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
