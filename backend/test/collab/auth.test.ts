import assert from 'node:assert/strict';
import { addMemberWithToken, ownerToken, send, type TestMember } from '../support/api.js';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { closeOf, draftPrompt, joinDraft, until } from './support.js';

describe('collab websocket: who may open a draft', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let other: TestWorkspace;
  let viewer: TestMember;
  let room: string;
  let promptId: string;
  let url: string;

  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    other = await app.workspace();
    viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
    const d = await draftPrompt(ws.owner, 'text\n');
    room = d.room;
    promptId = d.prompt.id;
    url = `${app.backend.collabUrl}/${room}`;
  });
  after(() => app.close());

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('refuses each wrong way in with its own close code and reason', async () => {
    const deleted = await draftPrompt(ws.owner, 'gone\n');
    await ws.owner.deletePrompt({ params: { prompt: deleted.prompt.id } });
    const revoked = await ownerToken(app, ws, ['read', 'write'], 'to revoke');
    await ws.owner.revokeToken({ params: { id: revoked.id } });
    const expired = await ownerToken(app, ws, ['read'], 'to expire');
    await app.backend.pool.query(`UPDATE api_token SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
    const cases: [string, string, Record<string, string>, number, RegExp][] = [
      ['no token', url, {}, 4401, /unauthenticated: send Authorization/],
      ['a malformed header', url, { authorization: 'Basic abc' }, 4401, /unauthenticated/],
      ['a bad token', url, bearer('rq_live_nope'), 4401, /token is not valid/],
      ['a revoked token', url, bearer(revoked.secret), 4401, /revoked/],
      ['an expired token', url, bearer(expired.secret), 4401, /expired/],
      ['the token in the URL', `${url}?token=${ws.ownerToken}`, {}, 4401, /never put an API token in a URL/],
      ['a bad ticket', `${url}?ticket=rq_tkt_nope`, {}, 4401, /ticket is not valid/],
      ['another workspace’s prompt', url, bearer(other.ownerToken), 4404, /no such prompt/],
      ['a deleted prompt', `${app.backend.collabUrl}/${deleted.room}`, bearer(ws.ownerToken), 4404, /no such prompt/],
      ['an unknown branch', `${app.backend.collabUrl}/${promptId}/nope`, bearer(ws.ownerToken), 4404, /no such branch/],
      ['no room', `${app.backend.collabUrl}/`, bearer(ws.ownerToken), 4400, /bad request/],
    ];
    for (const [what, target, headers, code, reason] of cases) {
      const closed = await closeOf(target, headers);
      assert.equal(closed.code, code, `${what}: ${closed.code} ${closed.reason}`);
      assert.match(closed.reason, reason, what);
    }
  });

  it('a ticket opens one connection to the draft it was issued for, once, within its minute', async () => {
    const t = await ws.owner.createCollabTicket({ body: { prompt: promptId } });
    assert.equal(t.room, room);
    assert.ok(!t.url.includes(ws.ownerToken), 'never the token in a URL');
    const e = await joinDraft(t.serverUrl, t.room, { ticket: t.ticket });
    assert.equal(e.text.toString(), 'text\n');
    e.destroy();
    const again = await closeOf(t.url);
    assert.equal(again.code, 4401);
    assert.match(again.reason, /already used/);

    await ws.owner.createBranch({ params: { prompt: promptId }, body: { name: 'feature' } });
    const forFeature = await ws.owner.createCollabTicket({ body: { prompt: promptId, branch: 'feature' } });
    const wrong = await closeOf(`${url}?ticket=${forFeature.ticket}`);
    assert.equal(wrong.code, 4403);
    assert.match(wrong.reason, /another prompt or branch/);

    const stale = await ws.owner.createCollabTicket({ body: { prompt: promptId } });
    await app.backend.pool.query(`UPDATE collab_ticket SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`);
    const late = await closeOf(stale.url);
    assert.equal(late.code, 4401);
    assert.match(late.reason, /expired/);
  });

  it('tickets are stored hashed, audited, and only for the caller’s own drafts', async () => {
    const t = await ws.owner.createCollabTicket({ body: { prompt: promptId } });
    const { rows } = await app.backend.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM collab_ticket WHERE secret_hash = sha256(convert_to($1, 'UTF8'))`,
      [t.ticket],
    );
    assert.equal(rows[0]?.n, '1');
    const foreign = await send(app, 'POST', '/v1/collab/tickets', { token: other.ownerToken, json: { prompt: promptId } });
    assert.equal(foreign.status, 404);
    const noBranch = await send(app, 'POST', '/v1/collab/tickets', { token: ws.ownerToken, json: { prompt: promptId, branch: 'nope' } });
    assert.equal(noBranch.status, 404);
    const audit = await ws.owner.listAudit({ query: { action: 'collab.ticket.create' } });
    assert.ok(audit.items.length > 0);
  });

  it('a viewer may open a draft (read-only) and follows it as the editors do', async () => {
    const v = await joinDraft(app.backend.collabUrl, room, { token: viewer.token });
    const o = await joinDraft(app.backend.collabUrl, room, { token: ws.ownerToken });
    o.text.insert(0, '>');
    await until(() => v.text.toString() === o.text.toString(), 'the viewer follows');
    v.destroy();
    o.destroy();
  });
});
