import { FolderName, PromptTitle, RefName } from '@rocqet/sdk';
import * as vscode from 'vscode';
import type { LibraryNode } from '../model/library.js';
import type { Connection } from './connection.js';
import { guarded } from './errors.js';

/** Test and automation input: what the input boxes would have asked. */
export interface Answers {
  name?: string;
  message?: string;
  confirm?: boolean;
  content?: string;
  from?: string;
}

/** An input box whose answer is checked with the contract's own schema before it closes. */
async function ask(given: string | undefined, title: string, schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }, value = ''): Promise<string | undefined> {
  if (given !== undefined) return given;
  return vscode.window.showInputBox({
    title,
    value,
    ignoreFocusOut: true,
    validateInput: (v) => {
      const r = schema.safeParse(v);
      return r.success ? undefined : r.error?.issues[0]?.message;
    },
  });
}

const folderOf = (n: LibraryNode | undefined): string | null => (n?.kind === 'folder' ? n.folder.id : n?.kind === 'prompt' ? n.prompt.folderId : null);
const promptOf = (n: LibraryNode) => (n.kind === 'folder' ? undefined : n.prompt);
const pathOf = (n: LibraryNode) =>
  n.kind === 'folder' ? n.folder.path : n.kind === 'prompt' ? n.prompt.path : n.kind === 'branch' ? `${n.prompt.path}@${n.branch.name}` : `${n.prompt.path}@${n.tag.name}`;

/** The library's context-menu commands; each takes the tree node, and optional answers for automation. */
export function registerLibraryCommands(connection: Connection): vscode.Disposable[] {
  const client = () => connection.require().client;
  const cmd = (id: string, what: string, fn: (node: LibraryNode, a: Answers) => Promise<unknown>) =>
    vscode.commands.registerCommand(id, guarded(what, (node?: LibraryNode, answers?: Answers) => fn(node as LibraryNode, answers ?? {})));
  return [
    cmd('rocqet.newPrompt', 'Rocqet: cannot create the prompt', async (node, a) => {
      const title = await ask(a.name, 'Title of the new prompt', PromptTitle);
      if (!title) return undefined;
      const p = await client().createPrompt({ body: { title, content: a.content ?? `# ${title}\n`, folderId: folderOf(node) } });
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.from({ scheme: 'rocqet', path: `/${connection.require().workspace.slug}/${p.path}@${p.defaultBranch}.prompt.md` }));
      return p;
    }),
    cmd('rocqet.newFolder', 'Rocqet: cannot create the folder', async (node, a) => {
      const name = await ask(a.name, 'Name of the new folder', FolderName);
      if (!name) return undefined;
      return client().createFolder({ body: { name, parentId: folderOf(node) } });
    }),
    cmd('rocqet.rename', 'Rocqet: cannot rename', async (node, a) => {
      if (node.kind === 'folder') {
        const name = await ask(a.name, `Rename folder ${node.folder.path}`, FolderName, node.folder.name);
        return name ? client().updateFolder({ params: { id: node.folder.id }, body: { name } }) : undefined;
      }
      if (node.kind === 'prompt') {
        const title = await ask(a.name, `New title of ${node.prompt.path}`, PromptTitle, node.prompt.title);
        return title ? client().updatePrompt({ params: { prompt: node.prompt.id }, body: { title } }) : undefined;
      }
      return undefined;
    }),
    cmd('rocqet.delete', 'Rocqet: cannot delete', async (node, a) => {
      const what = pathOf(node);
      if (a.confirm !== false) {
        const ok = await vscode.window.showWarningMessage(
          node.kind === 'prompt' ? `Move ${what} to the trash? An admin can restore it.` : node.kind === 'folder' ? `Delete folder ${what} (its prompts go to the trash)?` : `Delete branch ${what}?`,
          { modal: true },
          'Delete',
        );
        if (ok !== 'Delete') return undefined;
      }
      if (node.kind === 'prompt') return client().deletePrompt({ params: { prompt: node.prompt.id } });
      if (node.kind === 'folder') return client().deleteFolder({ params: { id: node.folder.id }, query: { recursive: 'true' } });
      if (node.kind === 'branch') return client().deleteBranch({ params: { prompt: node.prompt.id, name: node.branch.name } });
      return undefined;
    }),
    cmd('rocqet.restore', 'Rocqet: cannot restore', async (_node, a) => {
      const trash = await client().listPrompts({ query: { deleted: 'true', limit: 100 } });
      if (!trash.items.length) return vscode.window.showInformationMessage('The trash is empty.');
      const id = a.name
        ? trash.items.find((p) => p.path === a.name || p.id === a.name)?.id
        : (await vscode.window.showQuickPick(trash.items.map((p) => ({ label: p.title, description: p.path, id: p.id })), { title: 'Restore which prompt?' }))?.id;
      return id ? client().restorePrompt({ params: { prompt: id } }) : undefined;
    }),
    cmd('rocqet.newBranch', 'Rocqet: cannot create the branch', async (node, a) => {
      const p = promptOf(node);
      if (!p) return undefined;
      const from = a.from ?? (node.kind === 'branch' ? node.branch.name : node.kind === 'tag' ? node.tag.name : p.defaultBranch);
      const name = await ask(a.name, `New branch of ${p.path} from ${from}`, RefName);
      return name ? client().createBranch({ params: { prompt: p.id }, body: { name, from } }) : undefined;
    }),
    cmd('rocqet.newTag', 'Rocqet: cannot tag', async (node, a) => {
      const p = promptOf(node);
      if (!p) return undefined;
      const ref = node.kind === 'branch' ? node.branch.name : p.defaultBranch;
      const name = await ask(a.name, `Tag ${p.path} at ${ref}`, RefName);
      if (!name) return undefined;
      const message = a.message ?? (await vscode.window.showInputBox({ title: `Message for tag ${name} (optional)`, ignoreFocusOut: true })) ?? '';
      return client().createTag({ params: { prompt: p.id }, body: { name, ref, ...(message ? { message } : {}) } });
    }),
    cmd('rocqet.copyPath', 'Rocqet: cannot copy', async (node) => {
      const path = pathOf(node);
      await vscode.env.clipboard.writeText(path);
      vscode.window.setStatusBarMessage(`$(clippy) Copied ${path}`, 3_000);
      return path;
    }),
  ];
}

