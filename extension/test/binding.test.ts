// The Yjs ↔ document binding against a real backend's collab websocket: two "editors" (documents kept the way VS
// Code keeps them), each bound to the draft through a stock y-websocket provider, and a bare provider beside them.
import assert from 'node:assert/strict';
import { Content } from '@rocqet/sdk';
import { addMemberWithToken } from '../../backend/test/support/api.js';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { draftPrompt, joinDraft, until } from '../../backend/test/collab/support.js';
import { DraftBinding, type Refusal } from '../src/collab/binding.js';
import { DraftSession } from '../src/collab/session.js';
import { StringSurface } from './support/surface.js';

interface Bound {
  session: DraftSession;
  surface: StringSurface;
  binding: DraftBinding;
  refusals: Refusal[];
  close(): void;
}

describe('extension: the draft binding (Y.Text ↔ editor document) on a real backend', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  const open: Bound[] = [];

  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
  });
  afterEach(() => {
    for (const b of open.splice(0)) b.close();
  });
  after(() => app.close());

  async function bind(promptId: string, token: string, eol: '\n' | '\r\n', opts: { readOnly?: boolean; delayMs?: number } = {}): Promise<Bound> {
    const session = new DraftSession({ baseUrl: app.url, promptId, branch: 'main', token });
    await session.ready();
    const surface = new StringSurface(session.text.toString(), eol, opts.delayMs ?? 1);
    const refusals: Refusal[] = [];
    const binding = new DraftBinding(session.text, surface, {
      maxLength: Content.maxLength!,
      readOnly: opts.readOnly ?? false,
      onRefused: (r) => refusals.push(r),
      resyncMs: { wait: 20, max: 100 },
    });
    surface.listener = (changes) => binding.onSurfaceChange(changes);
    const b = { session, surface, binding, refusals, close: () => (binding.dispose(), session.close()) };
    open.push(b);
    return b;
  }

  const converged = (a: Bound, b: Bound) =>
    until(() => a.surface.shown === b.surface.shown && a.binding.inSync && b.binding.inSync, 'the two editors to converge');

  it('local typing reaches the other editor, with no echo and nothing lost while both type', async () => {
    const { prompt } = await draftPrompt(ws.owner, 'line one\nline two\n');
    const a = await bind(prompt.id, ws.ownerToken, '\n');
    const b = await bind(prompt.id, ws.ownerToken, '\n', { delayMs: 3 });
    a.surface.typeAt(0, 'A: ');
    await until(() => b.surface.shown === 'A: line one\nline two\n', 'b to see a');
    assert.equal(a.surface.applied, 0, 'a never received its own edit back');
    // Both type at once, at both ends, one character at a time, with no waiting in between.
    for (let i = 0; i < 40; i++) {
      a.surface.typeAt(a.surface.shown.length, String(i % 10));
      b.surface.typeAt(0, 'b');
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await converged(a, b);
    const text = a.surface.shown;
    assert.equal((text.match(/b/g) ?? []).length, 40 + 0, 'all 40 of b’s keystrokes are there');
    assert.ok(text.endsWith('0123456789'.repeat(4)), `all of a’s keystrokes, in order: ${JSON.stringify(text.slice(-45))}`);
    assert.equal(normal(a.session.text.toString()), text);
  });

  it('a CRLF editor and an LF editor share one text; the draft keeps its own line breaks', async () => {
    const { prompt } = await draftPrompt(ws.owner, 'first\r\nsecond\r\n');
    const crlf = await bind(prompt.id, ws.ownerToken, '\r\n');
    const lf = await bind(prompt.id, ws.ownerToken, '\n');
    assert.equal(crlf.surface.text(), 'first\r\nsecond\r\n');
    assert.equal(lf.surface.text(), 'first\nsecond\n');
    lf.surface.typeAt('first\n'.length, 'middle\n'); // an LF editor types a new line
    crlf.surface.typeAt('first'.length, ' line'); // a CRLF editor types on the first line
    await converged(crlf, lf);
    assert.equal(lf.surface.text(), 'first line\nmiddle\nsecond\n');
    assert.equal(crlf.surface.text(), 'first line\r\nmiddle\r\nsecond\r\n');
    assert.equal(crlf.session.text.toString(), 'first line\r\nmiddle\r\nsecond\r\n', 'new lines get the draft’s CRLF');
  });

  it('counts UTF-16 code units: edits after emoji and astral characters land where they were typed', async () => {
    const { prompt } = await draftPrompt(ws.owner, '👩‍💻 writes 𝒳\n');
    const a = await bind(prompt.id, ws.ownerToken, '\n');
    const b = await bind(prompt.id, ws.ownerToken, '\n');
    const at = a.surface.shown.indexOf('𝒳') + '𝒳'.length;
    a.surface.typeAt(at, ' and 🚀');
    b.surface.typeAt(0, '¡');
    await converged(a, b);
    assert.equal(b.surface.shown, '¡👩‍💻 writes 𝒳 and 🚀\n');
  });

  it('a remote edit elsewhere leaves the local text before it untouched, and lands whole', async () => {
    const { prompt } = await draftPrompt(ws.owner, 'aaaa\nbbbb\ncccc\n');
    const a = await bind(prompt.id, ws.ownerToken, '\n', { delayMs: 15 });
    const bare = await joinDraft(app.backend.collabUrl, `${prompt.id}/main`, { token: ws.ownerToken });
    try {
      bare.doc.transact(() => bare.text.insert(bare.text.toString().indexOf('cccc'), 'REMOTE '));
      // While the remote edit is on its way into the editor, the user types before it.
      await until(() => a.session.text.toString().includes('REMOTE'), 'the draft to have the remote edit');
      a.surface.typeAt(2, 'X');
      await until(() => a.binding.inSync && a.surface.shown === 'aaXaa\nbbbb\nREMOTE cccc\n', 'the editor to show both');
      await until(() => bare.text.toString() === 'aaXaa\nbbbb\nREMOTE cccc\n', 'the bare client to get the local edit');
    } finally {
      bare.destroy();
    }
  });

  it('undo takes back only this editor’s edits, never a colleague’s', async () => {
    const { prompt } = await draftPrompt(ws.owner, 'base\n');
    const mine = await bind(prompt.id, ws.ownerToken, '\n');
    const theirs = await bind(prompt.id, ws.ownerToken, '\n');
    mine.surface.typeAt(4, ' mine');
    await converged(mine, theirs);
    mine.binding.undoManager.stopCapturing();
    theirs.surface.typeAt(0, 'theirs ');
    await converged(mine, theirs);
    assert.equal(mine.binding.undo(), true);
    await converged(mine, theirs);
    assert.equal(mine.surface.shown, 'theirs base\n');
    assert.equal(mine.binding.undo(), false, 'nothing of theirs on my stack');
    assert.equal(mine.binding.redo(), true);
    await converged(mine, theirs);
    assert.equal(theirs.surface.shown, 'theirs base mine\n');
  });

  it('a paste past the 200,000-character limit is refused and undone; nothing reaches the draft', async () => {
    const { prompt } = await draftPrompt(ws.owner, 'small\n');
    const a = await bind(prompt.id, ws.ownerToken, '\n');
    const b = await bind(prompt.id, ws.ownerToken, '\n');
    a.surface.typeAt(0, 'x'.repeat(1_000_000)); // a 1 MB prompt
    assert.deepEqual(a.refusals, ['too_large']);
    await until(() => a.surface.shown === 'small\n' && a.binding.inSync, 'the paste to be undone');
    a.surface.typeAt(0, 'still editing ');
    await converged(a, b);
    assert.equal(b.surface.shown, 'still editing small\n');
    assert.equal(a.session.status, 'connected', 'the connection stays up');
  });

  it('a viewer’s typing is refused locally (and the server drops it anyway)', async () => {
    const { prompt } = await draftPrompt(ws.owner, 'read me\n');
    const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
    const v = await bind(prompt.id, viewer.token, '\n', { readOnly: true });
    const o = await bind(prompt.id, ws.ownerToken, '\n');
    v.surface.typeAt(0, 'nope ');
    assert.deepEqual(v.refusals, ['read_only']);
    o.surface.typeAt(0, 'owner: ');
    await converged(v, o);
    assert.equal(v.surface.shown, 'owner: read me\n');
  });

  it('the drift check repairs an editor that missed an event', async () => {
    const { prompt } = await draftPrompt(ws.owner, 'steady\n');
    const a = await bind(prompt.id, ws.ownerToken, '\n');
    const listener = a.surface.listener;
    a.surface.listener = undefined; // an event the binding never sees
    a.surface.typeAt(0, 'lost ');
    a.surface.listener = listener;
    a.surface.typeAt(a.surface.shown.length, '!'); // the next event starts the check
    await until(() => a.binding.inSync && a.surface.shown === normal(a.session.text.toString()), 'the editor to show the draft again');
    assert.ok(!a.surface.shown.includes('lost'), 'what the draft never had is gone from the editor');
  });
});

function normal(s: string): string {
  return s.replace(/\r\n|\r/g, '\n');
}
