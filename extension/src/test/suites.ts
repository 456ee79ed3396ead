// In-host tests: the real extension in the real VS Code extension host, against a real backend started by the
// root-mocha test (extension/test/host.test.ts), which passes its URL and tokens in ROCQET_HOST_TEST.
import assert from 'node:assert/strict';
import { createClient, DRAFT_TEXT, type Client } from '@rocqet/sdk';
import * as vscode from 'vscode';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { RocqetApi } from '../extension.js';
import type { LibraryNode } from '../model/library.js';
import type { CommitNode } from '../vscode/history.js';
import { until } from './until.js';

interface HostTestConfig {
  baseUrl: string;
  workspace: string;
  ownerToken: string;
  editorToken: string;
  editorName: string;
  viewerToken: string;
}

const config = JSON.parse(process.env.ROCQET_HOST_TEST ?? '{}') as HostTestConfig;
const EXTENSION_ID = 'rocqet.rocqet-vscode';

function bare(token: string, promptId: string, branch = 'main') {
  class Authorized extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
    }
  }
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(config.baseUrl.replace(/^http/, 'ws') + '/collab', `${promptId}/${branch}`, doc, {
    WebSocketPolyfill: Authorized as never,
    disableBc: true,
  });
  const synced = new Promise<void>((r) => provider.once('sync', () => r()));
  return { doc, text: doc.getText(DRAFT_TEXT), provider, synced, close: () => (provider.destroy(), doc.destroy()) };
}

function draftUriOf(path: string, branch = 'main'): vscode.Uri {
  return vscode.Uri.from({ scheme: 'rocqet', path: `/${config.workspace}/${path}@${branch}.prompt.md` });
}

async function openEditor(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc);
}

/** Closes every editor without the "save changes?" dialog (a dirty draft is reverted to the live draft text). */
async function closeAll(): Promise<void> {
  for (let i = 0; i < 30 && vscode.window.tabGroups.all.some((g) => g.tabs.length > 0); i++) {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
}

export function defineSuites(): void {
  let api: RocqetApi;
  let owner: Client;
  let editor: Client;

  before(async function () {
    this.timeout(60_000);
    assert.ok(config.baseUrl, 'ROCQET_HOST_TEST reaches the extension host');
    const ext = vscode.extensions.getExtension<RocqetApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded`);
    api = await ext.activate();
    owner = createClient({ baseUrl: config.baseUrl, token: config.ownerToken });
    editor = createClient({ baseUrl: config.baseUrl, token: config.editorToken });
    console.log(`      VS Code ${vscode.version} (${vscode.env.appHost}), Node ${process.version}`);
  });

  describe('sign-in', () => {
    it('refuses a wrong token with a clear reason, and keeps nothing', async () => {
      await assert.rejects(api.connection.signIn('rq_live_wrong'), (err: { status?: number }) => err.status === 401);
      assert.equal(api.connection.current, undefined);
    });

    it('signs in with a token: the account menu has the session, the feed connects, the status says so', async () => {
      assert.equal(vscode.workspace.getConfiguration('rocqet').get('serverUrl'), config.baseUrl, 'settings injected');
      await vscode.commands.executeCommand('rocqet.signIn', config.ownerToken);
      const accounts = await vscode.authentication.getAccounts('rocqet');
      assert.equal(accounts.length, 1, 'an account in the account menu');
      assert.match(accounts[0]!.label, new RegExp(config.workspace));
      await until(() => api.connection.state === 'connected', 'the feed to connect');
    });
  });

  describe('library tree', () => {
    it('shows folders → prompts → branches and tags, and redraws from the feed when another member commits', async () => {
      const folder = await owner.createFolder({ body: { name: `host-${Date.now()}` } });
      const p = await owner.createPrompt({ body: { title: 'Tree prompt', content: 'one\n', folderId: folder.id } });
      await until(async () => (await api.library.getChildren()).some((n) => n.kind === 'folder' && n.folder.id === folder.id), 'the new folder in the tree (feed)');
      const root = await api.library.getChildren();
      const folderNode = root.find((n) => n.kind === 'folder' && n.folder.id === folder.id)!;
      const item = api.library.getTreeItem(folderNode);
      assert.equal(item.contextValue, 'folder');
      const [promptNode] = await api.library.getChildren(folderNode);
      assert.equal(promptNode?.kind, 'prompt');
      assert.equal(api.library.getTreeItem(promptNode!).contextValue, 'prompt');
      const refs = await api.library.getChildren(promptNode);
      assert.deepEqual(refs.map((r) => api.library.getTreeItem(r).contextValue), ['branch-default']);

      const redrawn = new Promise<LibraryNode | undefined>((resolve) => {
        const sub = api.library.onDidChangeTreeData((n) => {
          if (n === promptNode) (sub.dispose(), resolve(n));
        });
      });
      await editor.commit({ params: { prompt: p.id }, body: { content: 'two\n', message: 'by the editor', parent: p.commit.id } });
      await redrawn;
      const after = await api.library.getChildren(promptNode);
      assert.match(String(api.library.getTreeItem(after[0]!).description), /#2 by the editor/);
    });

    it('moves a prompt by drag and drop onto a folder', async () => {
      const target = await owner.createFolder({ body: { name: `drop-${Date.now()}` } });
      const p = await owner.createPrompt({ body: { title: 'Dragged', content: 'x\n' } });
      const root = await until(async () => {
        const r = await api.library.getChildren();
        return r.some((n) => n.kind === 'prompt' && n.prompt.id === p.id) && r.some((n) => n.kind === 'folder' && n.folder.id === target.id) && r;
      }, 'the prompt and folder in the tree');
      const node = root.find((n) => n.kind === 'prompt' && n.prompt.id === p.id)!;
      const folderNode = root.find((n) => n.kind === 'folder' && n.folder.id === target.id)!;
      const data = new vscode.DataTransfer();
      api.library.handleDrag([node], data);
      await api.library.handleDrop(folderNode, data);
      assert.equal((await owner.getPrompt({ params: { prompt: p.id } })).folderId, target.id);
      await until(async () => (await api.library.getChildren(folderNode)).some((n) => n.kind === 'prompt' && n.prompt.id === p.id), 'the tree to show it moved');
    });
  });

  describe('live documents', () => {
    afterEach(closeAll);

    it('opens a draft, sends typing with no echo, applies a colleague’s edits without moving the cursor, shows their cursor', async () => {
      const p = await owner.createPrompt({ body: { title: 'Live doc', content: 'alpha\nbeta\n' } });
      const ed = await openEditor(draftUriOf(p.path));
      assert.equal(ed.document.getText(), 'alpha\nbeta\n');
      const other = bare(config.editorToken, p.id);
      try {
        await other.synced;
        await ed.edit((b) => b.insert(new vscode.Position(1, 4), '!'));
        await until(() => other.text.toString() === 'alpha\nbeta!\n', 'the other client to get the keystroke');
        ed.selection = new vscode.Selection(1, 2, 1, 2);
        other.doc.transact(() => other.text.insert(0, 'REMOTE '));
        await until(() => ed.document.getText() === 'REMOTE alpha\nbeta!\n', 'the remote edit in the editor');
        assert.deepEqual([ed.selection.active.line, ed.selection.active.character], [1, 2], 'my cursor stayed');
        assert.equal(other.text.toString(), 'REMOTE alpha\nbeta!\n', 'nothing echoed back');
        const rel = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(other.text, 3));
        other.provider.awareness.setLocalStateField('cursor', { anchor: rel, head: rel });
        const entry = api.drafts.get(ed.document.uri)!;
        const cursors = await until(() => {
          const c = entry.cursors?.current() ?? [];
          return c.length > 0 && c;
        }, 'the colleague’s cursor');
        assert.equal(cursors[0]!.name, config.editorName);
        assert.deepEqual([cursors[0]!.head.line, cursors[0]!.head.character], [0, 3]);
      } finally {
        other.close();
      }
    });

    it('undo takes back my edit, never the colleague’s; Save commits with a message', async () => {
      const p = await owner.createPrompt({ body: { title: 'Undo doc', content: 'base\n' } });
      const ed = await openEditor(draftUriOf(p.path));
      const other = bare(config.editorToken, p.id);
      try {
        await other.synced;
        await ed.edit((b) => b.insert(new vscode.Position(0, 4), ' mine'));
        await until(() => other.text.toString() === 'base mine\n', 'my edit to arrive');
        api.drafts.get(ed.document.uri)!.binding!.undoManager.stopCapturing();
        other.doc.transact(() => other.text.insert(0, 'theirs '));
        await until(() => ed.document.getText() === 'theirs base mine\n', 'their edit to arrive');
        console.log('      · undo');
        assert.equal(await vscode.commands.executeCommand('rocqet.undo'), true);
        await until(() => ed.document.getText() === 'theirs base\n', 'my edit undone');
        assert.equal(await vscode.commands.executeCommand('rocqet.undo'), false, 'their edit is not mine to undo');
        console.log('      · commit');
        const commit = (await vscode.commands.executeCommand('rocqet.commit', 'from the host')) as { seq: number; message: string };
        console.log('      · committed');
        assert.equal(commit.seq, 2);
        const head = await owner.getPrompt({ params: { prompt: p.id } });
        assert.equal(head.content, 'theirs base\n');
        assert.equal(head.commit.message, 'from the host');
        assert.equal(ed.document.isDirty, false, 'saved');
      } finally {
        other.close();
      }
    });

    it('a branch moved under the editor arrives as edits; a commit then offers a merge', async () => {
      const p = await owner.createPrompt({ body: { title: 'Moved', content: 'l1\nl2\nl3\n' } });
      const ed = await openEditor(draftUriOf(p.path));
      await ed.edit((b) => b.insert(new vscode.Position(0, 2), ' local'));
      await owner.commit({ params: { prompt: p.id }, body: { content: 'l1\nl2\nl3 committed elsewhere\n', message: 'elsewhere', parent: p.commit.id } });
      await until(() => ed.document.getText() === 'l1 local\nl2\nl3 committed elsewhere\n', 'the commit merged into the draft and the editor');
      const commit = (await vscode.commands.executeCommand('rocqet.commit', 'after the move')) as { seq: number; parentId: string };
      assert.equal(commit.seq, 3);
    });

    it('CRLF prompts keep their line breaks; a 1 MB paste is refused and undone', async () => {
      const p = await owner.createPrompt({ body: { title: 'Windows', content: 'a\r\nb\r\n' } });
      const ed = await openEditor(draftUriOf(p.path));
      assert.equal(ed.document.eol, vscode.EndOfLine.CRLF);
      await ed.edit((b) => b.insert(new vscode.Position(1, 1), '\nc'));
      const entry = api.drafts.get(ed.document.uri)!;
      await until(() => entry.session.text.toString() === 'a\r\nb\r\nc\r\n', 'the draft to keep CRLF');
      await ed.edit((b) => b.insert(new vscode.Position(0, 0), 'x'.repeat(1_048_576)));
      await until(() => ed.document.getText() === 'a\r\nb\r\nc\r\n', 'the 1 MB paste undone');
      assert.equal(entry.session.text.toString(), 'a\r\nb\r\nc\r\n');
      assert.equal(entry.session.status, 'connected');
    });

    it('a prompt deleted while open stops the document being live, and says so', async () => {
      const p = await owner.createPrompt({ body: { title: 'Doomed', content: 'bye\n' } });
      const ed = await openEditor(draftUriOf(p.path));
      await owner.deletePrompt({ params: { prompt: p.id } });
      const entry = api.drafts.get(ed.document.uri)!;
      await until(() => entry.dead, 'the draft marked dead');
      assert.match(entry.dead!, /deleted/);
      assert.equal(await vscode.commands.executeCommand('rocqet.commit', 'too late'), undefined, 'not committed');
    });

    it('an unknown prompt or branch does not open', async () => {
      await assert.rejects(Promise.resolve(vscode.workspace.openTextDocument(draftUriOf('no/such/prompt'))));
      const p = await owner.createPrompt({ body: { title: 'Branchless', content: 'x\n' } });
      await assert.rejects(Promise.resolve(vscode.workspace.openTextDocument(draftUriOf(p.path, 'nope'))));
    });
  });

  describe('history and merging', () => {
    afterEach(closeAll);

    it('lists commits with branches and tags, opens a version read-only, diffs two, reverts', async () => {
      const p = await owner.createPrompt({ body: { title: 'Hist', content: 'v1\n' } });
      const c2 = await owner.commit({ params: { prompt: p.id }, body: { content: 'v2\n', message: 'second', parent: p.commit.id } });
      await owner.createTag({ params: { prompt: p.id }, body: { name: 'v1', ref: '#1' } });
      await api.history.showFor(p.path);
      const commits = await api.history.getChildren();
      assert.deepEqual(commits.map((c) => c.commit.message), ['second', `Create Hist`]);
      assert.match(String(api.history.getTreeItem(commits[0]!).description), /main/);
      assert.match(String(api.history.getTreeItem(commits[1]!).description), /tag:v1/);
      const ed = (await vscode.commands.executeCommand('rocqet.history.open', commits[1])) as vscode.TextEditor;
      assert.equal(ed.document.getText(), 'v1\n');
      await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(ed.document.uri, new TextEncoder().encode('no'))), 'versions are read-only');
      await vscode.commands.executeCommand('rocqet.history.diffWithPrevious', commits[0]);
      const diffTab = vscode.window.tabGroups.activeTabGroup.activeTab;
      assert.ok(diffTab?.input instanceof vscode.TabInputTextDiff, 'a diff editor opened');
      const reverted = (await vscode.commands.executeCommand('rocqet.history.revert', commits[1] as CommitNode, { confirm: false })) as { seq: number };
      assert.equal(reverted.seq, 3);
      assert.equal((await owner.getPrompt({ params: { prompt: p.id } })).content, 'v1\n');
      assert.ok(c2.id);
    });

    it('merges a branch with a conflict: markers in the editor, CodeLens accept, committed with both parents', async () => {
      const p = await owner.createPrompt({ body: { title: 'Merge me', content: 'shared\nline\n' } });
      await owner.createBranch({ params: { prompt: p.id }, body: { name: 'feature' } });
      const feature = await owner.getPrompt({ params: { prompt: p.id }, query: { ref: 'feature' } });
      await owner.commit({ params: { prompt: p.id }, body: { content: 'shared\nfeature line\n', message: 'feature', branch: 'feature', parent: feature.commit.id } });
      await owner.commit({ params: { prompt: p.id }, body: { content: 'shared\nmain line\n', message: 'main', parent: p.commit.id } });
      const node = { prompt: { id: p.id, path: p.path, defaultBranch: 'main' }, branch: { name: 'feature' } };
      const r = (await vscode.commands.executeCommand('rocqet.merge', node, { target: 'main' })) as { result: string; uri: vscode.Uri };
      assert.equal(r.result, 'conflict');
      const doc = vscode.window.activeTextEditor!.document;
      assert.equal(doc.uri.toString(), r.uri.toString());
      assert.match(doc.getText(), /<<<<<<< [\s\S]*=======[\s\S]*>>>>>>> /);
      const lenses = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri)) as vscode.CodeLens[];
      assert.deepEqual(lenses.map((l) => l.command?.command).filter((c) => c?.startsWith('rocqet.')), ['rocqet.conflict.acceptCurrent', 'rocqet.conflict.acceptIncoming', 'rocqet.conflict.acceptBoth']);
      assert.ok(await vscode.commands.executeCommand(lenses[1]!.command!.command, ...(lenses[1]!.command!.arguments ?? [])));
      assert.equal(doc.getText(), 'shared\nfeature line\n');
      const commit = (await vscode.commands.executeCommand('rocqet.commit', 'merged in the host', doc.uri)) as { mergeParentId: string | null; parentId: string };
      assert.ok(commit.mergeParentId, 'a merge commit has two parents');
      assert.equal((await owner.getPrompt({ params: { prompt: p.id } })).content, 'shared\nfeature line\n');
    });
  });

  describe('using prompts', () => {
    afterEach(closeAll);
    const text = ['---', 'variables:', '  who: { description: Who to greet, required: true }', '  tone: { enum: [warm, dry], default: warm }', '---', 'Hello {{who}}, in a {{tone}} tone.'].join('\n');

    it('inserts a prompt rendered on the server with its variables; a missing required one inserts nothing', async () => {
      const p = await owner.createPrompt({ body: { title: 'Greeter', content: text } });
      const doc = await vscode.workspace.openTextDocument({ content: '' });
      await vscode.window.showTextDocument(doc);
      console.log('      · insert');
      const inserted = await vscode.commands.executeCommand('rocqet.insertPrompt', { prompt: p.path, values: { who: 'Ada', tone: 'dry' } });
      console.log('      · inserted');
      assert.equal(inserted, 'Hello Ada, in a dry tone.');
      assert.equal(doc.getText(), 'Hello Ada, in a dry tone.');
      assert.equal(await vscode.commands.executeCommand('rocqet.insertPrompt', { prompt: p.path, values: {} }), undefined);
      assert.equal(doc.getText(), 'Hello Ada, in a dry tone.', 'nothing more inserted');
      assert.equal(await vscode.commands.executeCommand('rocqet.copyRendered', { prompt: p.path, values: { who: 'Bo' } }), 'Hello Bo, in a warm tone.');
      assert.equal(await vscode.env.clipboard.readText(), 'Hello Bo, in a warm tone.');
    });

    it('exports to .github/prompts/<slug>.prompt.md with VS Code’s prompt-file front matter', async () => {
      const p = await owner.createPrompt({ body: { title: 'Exported', content: text } });
      const uri = (await vscode.commands.executeCommand('rocqet.exportToCopilot', { prompt: p.path })) as vscode.Uri;
      assert.match(uri.path, /\/\.github\/prompts\/exported\.prompt\.md$/);
      const written = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      assert.match(written, /^---\nname: exported\n/);
      assert.match(written, /Hello \$\{input:who:Who to greet\}, in a \$\{input:tone:warm\} tone\./);
    });
  });

  describe('links from Slack and the web (vscode://rocqet.rocqet-vscode/open)', () => {
    it('opens the draft of the branch a link names, the version of a tag, and says what is not there', async () => {
      const p = await owner.createPrompt({ body: { title: 'Linked', content: 'linked v1\n' } });
      await owner.createBranch({ params: { prompt: p.id }, body: { name: 'feature/x', from: 'main' } });
      await owner.createTag({ params: { prompt: p.id }, body: { name: 'v1', ref: 'main', message: 'first' } });
      const open = (q: Record<string, string>) => vscode.commands.executeCommand<string>('rocqet.resolveOpenLink', new URLSearchParams(q).toString());
      const ws = config.workspace;
      assert.equal(decodeURIComponent(await open({ path: p.path })), `rocqet:/${ws}/${p.path}@main.prompt.md`);
      assert.equal(decodeURIComponent(await open({ path: p.path, ref: 'feature/x' })), `rocqet:/${ws}/${p.path}@feature/x.prompt.md`);
      assert.equal(decodeURIComponent(await open({ path: p.path, ref: 'v1' })), `rocqet:/${ws}/${p.path}@main.prompt.md?commit=${p.commit.id}`);
      assert.match(await open({ path: 'no-such-prompt' }), /no-such-prompt is not in /);
      assert.match(await open({ path: p.path, ref: 'nope' }), /@nope is not in /);
      assert.equal(await open({}), 'the link names no prompt');
    });
  });

  describe('MCP registration', () => {
    it('registers the backend’s /mcp with the signed-in token where the API exists (VS Code 1.101+)', () => {
      const hasApi = typeof (vscode.lm as unknown as { registerMcpServerDefinitionProvider?: unknown }).registerMcpServerDefinitionProvider === 'function';
      assert.equal(api.mcp.registered, hasApi);
      if (!hasApi) return;
      const [def] = api.mcp.definitions() as { uri: vscode.Uri; headers: Record<string, string>; label: string }[];
      assert.equal(def!.uri.toString(), vscode.Uri.parse(`${config.baseUrl}/mcp`).toString());
      assert.equal(def!.headers.Authorization, `Bearer ${config.ownerToken}`);
    });
  });

  describe('viewers', () => {
    afterEach(closeAll);

    it('a viewer gets a read-only editor (and is told why); typing changes nothing', async () => {
      const p = await owner.createPrompt({ body: { title: 'For viewers', content: 'look\n' } });
      await api.connection.signIn(config.viewerToken);
      try {
        const ed = await openEditor(draftUriOf(p.path));
        const stat = await vscode.workspace.fs.stat(ed.document.uri);
        assert.equal(stat.permissions, vscode.FilePermission.Readonly);
        const entry = api.drafts.get(ed.document.uri)!;
        assert.equal(entry.readOnly, true);
        await ed.edit((b) => b.insert(new vscode.Position(0, 0), 'nope ')).then(undefined, () => false);
        await until(() => ed.document.getText() === 'look\n', 'the editor to hold the draft text');
        assert.equal(entry.session.text.toString(), 'look\n');
      } finally {
        await api.connection.signIn(config.ownerToken);
      }
    });
  });
}
