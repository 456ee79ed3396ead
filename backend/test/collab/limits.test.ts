import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { ownerToken, send } from '../support/api.js';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { draftPrompt, joinDraft, until, type Editor } from './support.js';

/** Opens a raw websocket with a token; resolves once open, with a promise of how it closes. */
function rawSocket(url: string, token: string) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => {});
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  return { ws, closed, opened };
}

describe('collab limits: each refused with its reason, none harming the others', function () {
  this.timeout(60_000);
  let app: TestApp;
  let ws: TestWorkspace;
  const editors: Editor[] = [];
  const join = async (room: string, token = ws.ownerToken) => {
    const e = await joinDraft(app.backend.collabUrl, room, { token });
    editors.push(e);
    return e;
  };

  before(async () => {
    app = await startTestApp({
      ROCQET_COLLAB_MAX_MESSAGE_BYTES: '10000',
      ROCQET_COLLAB_MAX_DOCUMENT_BYTES: '50000',
      ROCQET_COLLAB_MAX_CONNECTIONS_PER_TOKEN: '3',
      ROCQET_COLLAB_MAX_CONNECTIONS_PER_DOCUMENT: '4',
    });
    ws = await app.workspace();
  });
  afterEach(() => editors.splice(0).forEach((e) => e.destroy()));
  after(() => app.close());

  it('garbage, truncated and unknown messages close only their sender (4400); the draft goes on', async () => {
    const { room } = await draftPrompt(ws.owner, 'steady\n');
    const a = await join(room);
    const t = await ownerToken(app, ws, ['read', 'write']);
    const b = await join(room, t.secret);
    const bad = [randomBytes(64), Buffer.of(0, 1), Buffer.of(0, 2, 200, 1, 2), Buffer.of(9), Buffer.of(0, 7, 0), Buffer.of(0, 2, 5, 1, 2, 3, 4, 5)];
    for (const bytes of bad) {
      const s = rawSocket(`${app.backend.collabUrl}/${room}`, ws.ownerToken);
      await s.opened;
      s.ws.send(bytes);
      const closed = await s.closed;
      assert.equal(closed.code, 4400, `${bytes.toString('hex')}: ${closed.code} ${closed.reason}`);
      assert.match(closed.reason, /malformed/);
    }
    a.text.insert(0, 'still ');
    await until(() => b.text.toString() === 'still steady\n', 'the others unharmed');
  });

  it('a message over the limit closes its sender with 4413', async () => {
    const { room } = await draftPrompt(ws.owner, 'x\n');
    const s = rawSocket(`${app.backend.collabUrl}/${room}`, ws.ownerToken);
    await s.opened;
    s.ws.send(randomBytes(20_000));
    const closed = await s.closed;
    assert.equal(closed.code, 4413);
    assert.match(closed.reason, /a message exceeds/);
  });

  it('an edit that would grow the draft past the document limit is refused (4413) and never applied', async () => {
    const { prompt, room } = await draftPrompt(ws.owner, 'small\n');
    const big = await join(room);
    const t = await ownerToken(app, ws, ['read', 'write']);
    const watcher = await join(room, t.secret);
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      big.provider.once('connection-close', (e: { code: number; reason: string } | null) => e && resolve(e)),
    );
    for (let i = 0; i < 12; i++) big.text.insert(big.text.length, 'y'.repeat(5_000));
    const event = await closed;
    assert.equal(event.code, 4413);
    assert.match(event.reason, /the draft would exceed/);
    const draft = await ws.owner.getDraft({ params: { prompt: prompt.id, name: 'main' } });
    assert.ok(draft.content.length < 50_000, `the server kept ${draft.content.length} characters`);
    assert.equal(watcher.text.toString(), draft.content);
  });

  it('connections per token and per document are capped (4429)', async () => {
    const { room } = await draftPrompt(ws.owner, 'x\n');
    const t = await ownerToken(app, ws, ['read', 'write']);
    const mine = [await join(room, t.secret), await join(room, t.secret), await join(room, t.secret)];
    const fourth = rawSocket(`${app.backend.collabUrl}/${room}`, t.secret);
    const tooMany = await fourth.closed;
    assert.equal(tooMany.code, 4429);
    assert.match(tooMany.reason, /for this token/);
    const other = await ownerToken(app, ws, ['read', 'write']);
    await join(room, other.secret); // the document's fourth
    const fifth = rawSocket(`${app.backend.collabUrl}/${room}`, (await ownerToken(app, ws, ['read'])).secret);
    const full = await fifth.closed;
    assert.equal(full.code, 4429);
    assert.match(full.reason, /to this draft/);
    mine[0]!.destroy();
    await until(async () => {
      const s = rawSocket(`${app.backend.collabUrl}/${room}`, t.secret);
      const r = await Promise.race([s.closed, s.opened.then(() => new Promise((res) => setTimeout(res, 300)))]);
      s.ws.close();
      return r === undefined;
    }, 'a slot freed by a leaving client');
  });

  it('/metrics shows open documents, connections and updates per second', async () => {
    const { room } = await draftPrompt(ws.owner, 'x\n');
    const a = await join(room);
    for (let i = 0; i < 10; i++) a.text.insert(0, 'u');
    await new Promise((r) => setTimeout(r, 200));
    const metrics = (await send(app, 'GET', '/metrics')).text;
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.ok(value('rocqet_collab_open_documents') >= 1, metrics.slice(0, 200));
    assert.ok(value('rocqet_collab_connections') >= 1);
    assert.ok(value('rocqet_collab_updates_total') >= 10);
    assert.ok(value('rocqet_collab_updates_per_second') > 0);
  });
});

describe('collab idle timeout', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ ROCQET_COLLAB_IDLE_MS: '400' });
  });
  after(() => app.close());

  it('a connection that sends nothing is closed with 4408; one that keeps talking stays', async () => {
    const ws = await app.workspace();
    const { room } = await draftPrompt(ws.owner, 'x\n');
    const quiet = rawSocket(`${app.backend.collabUrl}/${room}`, ws.ownerToken);
    const talker = rawSocket(`${app.backend.collabUrl}/${room}`, ws.ownerToken);
    await Promise.all([quiet.opened, talker.opened]);
    const keepAlive = setInterval(() => talker.ws.send(Buffer.of(3)), 100);
    const closed = await quiet.closed;
    assert.equal(closed.code, 4408);
    assert.match(closed.reason, /idle/);
    assert.equal(talker.ws.readyState, WebSocket.OPEN);
    clearInterval(keepAlive);
    talker.ws.close();
  });
});
