import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import { addMemberWithToken, ownerToken, send } from '../support/api.js';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { draftPrompt, joinDraft, until, type Editor } from './support.js';

/** Opens a raw websocket with a token; resolves once open, with a promise of how it closes. */
function rawSocket(url: string, token: string) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => {});
  // A socket refused before it opens fails the wait at once instead of hanging the test.
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', (code, reason) => reject(new Error(`closed before it opened: ${code} ${reason.toString()}`)));
  });
  return { ws, closed, opened };
}

/** A y-websocket awareness message (type 1) with the given entries, their states written as given. */
function awarenessFrame(entries: { clientID: number; clock: number; state: string }[], trailing: number[] = []): Buffer {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(inner, e.clientID);
    encoding.writeVarUint(inner, e.clock);
    encoding.writeVarString(inner, e.state);
  }
  const outer = encoding.createEncoder();
  encoding.writeVarUint(outer, 1);
  encoding.writeVarUint8Array(outer, encoding.toUint8Array(inner));
  return Buffer.from([...encoding.toUint8Array(outer), ...trailing]);
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
    const bad = [
      Buffer.from('9f3c5e2a7d00ff13', 'hex'), // garbage
      Buffer.of(0, 1), // sync step 2, cut before its payload
      Buffer.of(0, 2, 200, 1, 2), // a payload length past the end
      Buffer.of(9), // an unknown message type
      Buffer.of(0, 7, 0), // an unknown sync step
      Buffer.of(0, 2, 5, 1, 2, 3, 4, 5), // an update that does not decode
      Buffer.of(0, 0, 1, 0, 0), // a good sync step 1, then a byte more
      Buffer.of(3, 3, 3), // query-awareness, then bytes
      Buffer.of(2, 0, 2, 0x6e, 0x6f, 9), // auth, then a byte more
      Buffer.of(2, 5), // an auth message y-protocols does not have
      awarenessFrame([{ clientID: 77, clock: 1, state: '{"cursor":' }]), // a state that is not JSON
      awarenessFrame([{ clientID: 77, clock: 1, state: '42' }]), // JSON, not a state
      awarenessFrame([{ clientID: 77, clock: 1, state: '{}' }], [0]), // a good update, then a byte more
    ];
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
    // Half-good awareness (a good entry, then a broken one) is refused whole: the good entry is not applied either.
    const s = rawSocket(`${app.backend.collabUrl}/${room}`, ws.ownerToken);
    await s.opened;
    s.ws.send(awarenessFrame([{ clientID: 4242, clock: 1, state: '{"cursor":{"anchor":0}}' }, { clientID: 4243, clock: 1, state: '[' }]));
    assert.equal((await s.closed).code, 4400);
    b.provider.awareness.setLocalStateField('cursor', { anchor: 1 });
    await until(() => a.provider.awareness.getStates().has(b.doc.clientID), 'a later awareness change');
    assert.equal(a.provider.awareness.getStates().has(4242), false, 'the good half of a refused update was applied');
  });

  it('no one sets another member’s awareness (their cursor) or the server’s; a member’s own reconnect may', async () => {
    const { room } = await draftPrompt(ws.owner, 'x\n');
    const a = await join(room);
    a.provider.awareness.setLocalStateField('cursor', { anchor: 0 });
    const intruderMember = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
    const intruder = rawSocket(`${app.backend.collabUrl}/${room}`, intruderMember.token);
    await intruder.opened;
    const aId = a.doc.clientID;
    const watcher = await join(room, (await ownerToken(app, ws, ['read'])).secret);
    await until(() => watcher.provider.awareness.getStates().has(aId), 'A’s cursor');
    intruder.ws.send(awarenessFrame([{ clientID: aId, clock: 1_000, state: '{"cursor":{"anchor":9}}' }]));
    intruder.ws.send(awarenessFrame([{ clientID: aId, clock: 1_001, state: 'null' }]));
    // The intruder's own id is accepted, so the one after it shows the two before were refused, not still in flight.
    intruder.ws.send(awarenessFrame([{ clientID: 31337, clock: 1, state: '{"cursor":{"anchor":5}}' }]));
    await until(() => watcher.provider.awareness.getStates().has(31337), 'the intruder’s own state');
    const seen = watcher.provider.awareness.getStates().get(aId) as { cursor: { anchor: number }; user: { id: string } };
    assert.deepEqual(seen.cursor, { anchor: 0 });
    assert.equal(seen.user.id, ws.ownerUserId);
    const theirs = watcher.provider.awareness.getStates().get(31337) as { user: { id: string } };
    assert.equal(theirs.user.id, intruderMember.member.userId, 'the intruder appears as themselves');
    intruder.ws.close();
    // The owner's same client coming back on a new socket (before the old one is seen to drop) keeps its id.
    const again = rawSocket(`${app.backend.collabUrl}/${room}`, ws.ownerToken);
    await again.opened;
    again.ws.send(awarenessFrame([{ clientID: aId, clock: 2_000, state: '{"cursor":{"anchor":3}}' }]));
    await until(
      () => (watcher.provider.awareness.getStates().get(aId) as { cursor?: { anchor: number } } | undefined)?.cursor?.anchor === 3,
      'the owner’s reconnect taking its id over',
    );
    again.ws.close();
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
