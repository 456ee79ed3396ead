import assert from 'node:assert/strict';
import WebSocket from 'ws';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { addMemberWithToken, type TestMember } from '../support/api.js';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { draftPrompt, joinDraft, until, type Editor } from './support.js';

describe('collaborative drafts (one process)', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let editor: TestMember;
  let viewer: TestMember;
  const open: Editor[] = [];
  const join = async (...args: Parameters<typeof joinDraft>) => {
    const e = await joinDraft(...args);
    open.push(e);
    return e;
  };

  before(async () => {
    app = await startTestApp({ ROCQET_COLLAB_PERSIST_MS: '200' });
    ws = await app.workspace();
    editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
    viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
  });
  afterEach(() => open.splice(0).forEach((e) => e.destroy()));
  after(() => app.close());

  it('a stock y-websocket provider starts from the branch head and sees another client’s edits', async () => {
    const { room } = await draftPrompt(ws.owner, 'Hello world\n');
    const a = await join(app.backend.collabUrl, room, { token: ws.ownerToken });
    const b = await join(app.backend.collabUrl, room, { token: editor.token });
    assert.equal(a.text.toString(), 'Hello world\n');
    a.text.insert(5, ',');
    b.text.insert(b.text.length, 'More\n');
    await until(() => a.text.toString() === b.text.toString() && a.text.toString() === 'Hello, world\nMore\n', 'convergence');
  });

  it('awareness carries the member’s name from the server, and a client’s states go when it leaves', async () => {
    const { room } = await draftPrompt(ws.owner, 'x\n');
    const a = await join(app.backend.collabUrl, room, { token: ws.ownerToken });
    const b = await join(app.backend.collabUrl, room, { token: editor.token });
    b.provider.awareness.setLocalStateField('user', { name: 'someone else', color: '#123456' });
    b.provider.awareness.setLocalStateField('cursor', { anchor: 1, head: 1 });
    const bId = b.doc.clientID;
    await until(() => (a.provider.awareness.getStates().get(bId) as { cursor?: unknown } | undefined)?.cursor !== undefined, 'cursor');
    const seen = a.provider.awareness.getStates().get(bId) as { user: { name: string; color: string; id: string; readOnly: boolean } };
    assert.equal(seen.user.name, editor.member.name, 'the name is the member’s, not the one the client claimed');
    assert.equal(seen.user.id, editor.member.userId);
    assert.equal(seen.user.color, '#123456');
    assert.equal(seen.user.readOnly, false);
    const draft = await ws.owner.getDraft({ params: { prompt: room.split('/')[0]!, name: 'main' } });
    // The owner's provider has set no awareness state: it is present all the same.
    assert.deepEqual(new Set(draft.presence.map((p) => p.userId)), new Set([editor.member.userId, ws.ownerUserId]));
    assert.equal(draft.presence.find((p) => p.userId === editor.member.userId)?.name, editor.member.name);
    b.destroy();
    await until(() => !a.provider.awareness.getStates().has(bId), 'awareness removal');
  });

  it('a viewer receives edits, its own edits reach no one, and it is told so', async () => {
    const { prompt, room } = await draftPrompt(ws.owner, 'base\n');
    const a = await join(app.backend.collabUrl, room, { token: editor.token });
    // A raw client, to read the server's answer to its update.
    const sock = new WebSocket(`${app.backend.collabUrl}/${room}`, { headers: { authorization: `Bearer ${viewer.token}` } });
    const vdoc = new Y.Doc();
    const denied: string[] = [];
    sock.on('message', (data: Buffer) => {
      const d = decoding.createDecoder(new Uint8Array(data));
      const type = decoding.readVarUint(d);
      if (type === 0) {
        const step = decoding.readVarUint(d);
        if (step !== 0) Y.applyUpdate(vdoc, decoding.readVarUint8Array(d));
      } else if (type === 2) {
        decoding.readVarUint(d);
        denied.push(decoding.readVarString(d));
      }
    });
    await new Promise((r) => sock.once('open', r));
    const hello = encoding.createEncoder();
    encoding.writeVarUint(hello, 0);
    syncProtocol.writeSyncStep1(hello, vdoc);
    sock.send(encoding.toUint8Array(hello));
    await until(() => vdoc.getText('content').toString() === 'base\n', 'viewer sync');
    a.text.insert(0, 'A');
    await until(() => vdoc.getText('content').toString() === 'Abase\n', 'viewer receives edits');
    const vtext = vdoc.getText('content');
    vdoc.on('update', (u: Uint8Array) => {
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint(e, 2);
      encoding.writeVarUint8Array(e, u);
      sock.send(encoding.toUint8Array(e));
    });
    vtext.insert(0, 'VIEWER');
    await until(() => denied.length > 0, 'the read-only answer');
    assert.match(denied[0]!, /read-only/);
    a.text.insert(a.text.length, 'end');
    await until(() => vtext.toString().endsWith('end'), 'later edits still reach the viewer');
    assert.ok(!a.text.toString().includes('VIEWER'), 'the viewer’s edit reached an editor');
    const draft = await ws.owner.getDraft({ params: { prompt: prompt.id, name: 'main' } });
    assert.ok(!draft.content.includes('VIEWER'));
    sock.close();
  });

  it('the API says whether a draft is dirty, with its diff; a commit from the draft stores the server’s text', async () => {
    const { prompt, room, head } = await draftPrompt(ws.owner, 'one\ntwo\n');
    const clean = await ws.owner.getDraft({ params: { prompt: prompt.id, name: 'main' } });
    assert.equal(clean.dirty, false);
    assert.equal(clean.base.id, head);
    const a = await join(app.backend.collabUrl, room, { token: editor.token });
    a.text.insert(a.text.length, 'three\n');
    await until(async () => (await ws.owner.getDraft({ params: { prompt: prompt.id, name: 'main' } })).dirty, 'dirty draft');
    const dirty = await ws.owner.getDraft({ params: { prompt: prompt.id, name: 'main' } });
    assert.equal(dirty.content, 'one\ntwo\nthree\n');
    assert.equal(dirty.diff.stats.additions, 1);
    assert.match(dirty.diff.unified, /\+three/);
    const commit = await editor.client.commit({ params: { prompt: prompt.id }, body: { fromDraft: true, message: 'from the draft' } });
    assert.equal(commit.parentId, head);
    const stored = await ws.owner.getCommit({ params: { prompt: prompt.id, ref: commit.id } });
    assert.equal(stored.content, 'one\ntwo\nthree\n');
    const after = await ws.owner.getDraft({ params: { prompt: prompt.id, name: 'main' } });
    assert.equal(after.dirty, false);
    assert.equal(after.base.id, commit.id);
    assert.equal(a.text.toString(), 'one\ntwo\nthree\n', 'committing leaves the editors’ text alone');
  });

  it('a commit made over HTTP reaches the open draft without losing pending edits', async () => {
    const { prompt, room, head } = await draftPrompt(ws.owner, 'alpha\nbeta\ngamma\n');
    const a = await join(app.backend.collabUrl, room, { token: editor.token });
    const b = await join(app.backend.collabUrl, room, { token: ws.ownerToken });
    a.text.insert(0, 'draft-'); // pending: 'draft-alpha'
    await until(() => b.text.toString().startsWith('draft-'), 'sync');
    await ws.owner.commit({ params: { prompt: prompt.id }, body: { content: 'alpha\nbeta\nGAMMA\n', message: 'elsewhere', parent: head } });
    await until(() => a.text.toString() === 'draft-alpha\nbeta\nGAMMA\n', 'the commit merged into the draft');
    await until(() => b.text.toString() === a.text.toString(), 'every editor sees it');
    const draft = await ws.owner.getDraft({ params: { prompt: prompt.id, name: 'main' } });
    assert.equal(draft.dirty, true);
    assert.equal(draft.diff.stats.additions, 1);
    const commit = await editor.client.commit({ params: { prompt: prompt.id }, body: { fromDraft: true, message: 'both' } });
    const stored = await ws.owner.getCommit({ params: { prompt: prompt.id, ref: commit.id } });
    assert.equal(stored.content, 'draft-alpha\nbeta\nGAMMA\n');
  });

  it('a commit from a draft whose base is no longer the head answers head_moved and changes nothing', async () => {
    const { prompt, head } = await draftPrompt(ws.owner, 'x\n');
    await ws.owner.getDraft({ params: { prompt: prompt.id, name: 'main' } });
    await assert.rejects(
      editor.client.commit({ params: { prompt: prompt.id }, body: { fromDraft: true, message: 'm', parent: '00000000-0000-4000-8000-000000000000' } }),
      (err: { code?: string }) => err.code === 'head_moved',
    );
    const commits = await ws.owner.listCommits({ params: { prompt: prompt.id } });
    assert.deepEqual(commits.items.map((c) => c.id), [head]);
    await assert.rejects(
      editor.client.commit({ params: { prompt: prompt.id }, body: { fromDraft: true, message: 'nothing to commit' } }),
      (err: { code?: string }) => err.code === 'no_changes',
    );
    await assert.rejects(
      viewer.client.commit({ params: { prompt: prompt.id }, body: { fromDraft: true, message: 'viewer' } }),
      (err: { code?: string }) => err.code === 'forbidden' || err.code === 'insufficient_scope',
    );
  });
});
