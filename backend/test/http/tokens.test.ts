import assert from 'node:assert/strict';
import { encodeCursor } from '../../src/domain/pagination.js';
import type { TestApp, TestWorkspace } from '../support/app.js';
import {
  addMemberWithToken,
  assertProblem,
  errorPaths,
  MISSING_ID,
  ownerToken,
  refused,
  refusedCall,
  send,
  tokenIdOf,
  uniq,
} from '../support/api.js';
import {
  itRefusesBadBodies,
  itRefusesBadCredentials,
  itRefusesInvalidBodies,
  pathOf,
  useTestApp,
  type Credentials,
  type InvalidBody,
} from '../support/refusals.js';
import { expectDbUnchanged } from '../support/snapshot.js';

const DAY = 86_400_000;

describe('tokens API', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let creds: Credentials;
  useTestApp((f) => ({ app, ws, creds } = f));

  describe('me', () => {
    it("names the token's user, workspace, role and exactly its scopes", async () => {
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      const me = await viewer.client.me();
      assert.deepEqual(me, {
        userId: viewer.member.userId,
        email: viewer.member.email,
        name: me.name,
        workspaceId: ws.id,
        role: 'viewer',
        tokenId: viewer.tokenId,
        scopes: ['read'],
      });
      const owner = await ws.owner.me();
      assert.equal(owner.role, 'owner');
      assert.equal(owner.userId, ws.ownerUserId);
      assert.deepEqual([...owner.scopes].sort(), ['admin', 'read', 'write']);
    });
  });

  describe('listTokens', () => {
    it("an owner sees every member's tokens, with prefixes and never a secret", async () => {
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      const list = await ws.owner.listTokens({ query: { limit: 200 } });
      const mine = list.items.find((t) => t.id === viewer.tokenId);
      assert.ok(mine, 'the viewer’s token is listed');
      assert.equal(mine.memberId, viewer.member.id);
      assert.equal(mine.userId, viewer.member.userId);
      assert.equal(mine.email, viewer.member.email);
      assert.deepEqual(mine.scopes, ['read']);
      assert.equal(viewer.token.slice(0, mine.prefix.length), mine.prefix);
      const text = JSON.stringify(list);
      assert.ok(!text.includes(viewer.token), 'no secret in the list');
      assert.ok(!text.includes(ws.ownerToken));
      assert.ok(!/secret/i.test(Object.keys(mine).join(',')));
    });

    it('a viewer or editor lists their own tokens only; so does an admin whose token lacks the admin scope', async () => {
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      const editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
      const admin = await addMemberWithToken(app, ws, 'admin', ['read']);
      for (const m of [viewer, editor, admin]) {
        const ids = (await m.client.listTokens({ query: { limit: 200 } })).items.map((t) => t.id);
        assert.deepEqual(ids, [m.tokenId]);
      }
    });

    it('pages oldest first with no duplicates or gaps (limit=3)', async () => {
      const fresh = await app.workspace();
      for (let i = 0; i < 7; i++) await fresh.owner.createToken({ body: { name: `t${i}`, scopes: ['read'] } });
      const all = (await fresh.owner.listTokens({ query: { limit: 200 } })).items;
      assert.equal(all.length, 8);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await fresh.owner.listTokens({ query: { limit: 3, ...(cursor ? { cursor } : {}) } });
        seen.push(...page.items.map((t) => t.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, all.map((t) => t.id));
    });

    it('If-None-Match with the ETag → 304 (once last use is recorded)', async () => {
      const fresh = await app.workspace();
      await fresh.owner.listTokens();
      // The first use records last_used_at in the background; wait for it so the representation is stable.
      for (let i = 0; i < 100; i++) {
        const { rows } = await app.backend.pool.query(`SELECT last_used_at FROM api_token WHERE workspace_id = $1`, [fresh.id]);
        if (rows[0]?.last_used_at) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const first = await send(app, 'GET', '/v1/tokens', { token: fresh.ownerToken });
      const etag = first.headers.get('etag')!;
      const again = await send(app, 'GET', '/v1/tokens', { token: fresh.ownerToken, headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
    });

    it('a bad cursor (nope, %%%, another list’s) → 400 invalid_cursor; limit=0 → 400 validation_failed at query.limit', async () => {
      await refused(app, () => send(app, 'GET', '/v1/tokens?cursor=%%%', { token: ws.ownerToken }), 400, 'invalid_cursor');
      await refused(app, () => send(app, 'GET', '/v1/tokens?cursor=nope', { token: ws.ownerToken }), 400, 'invalid_cursor');
      await refused(app, () => send(app, 'GET', pathOf('listTokens', {}, { cursor: encodeCursor([1, 2]) }), { token: ws.ownerToken }), 400, 'invalid_cursor');
      const p = await refused(app, () => send(app, 'GET', '/v1/tokens?limit=0', { token: ws.ownerToken }), 400, 'validation_failed');
      assert.deepEqual(errorPaths(p), ['query.limit']);
    });
  });

  describe('createToken', () => {
    it('creates a token for the caller: the secret is shown once, starts with its prefix, and works with its scopes only', async () => {
      const created = await ws.owner.createToken({ body: { name: ' CI ', scopes: ['read'] } });
      assert.match(created.secret, /^rq_live_[\w-]{32}$/);
      assert.ok(created.secret.startsWith(created.token.prefix));
      assert.equal(created.token.name, 'CI');
      assert.deepEqual(created.token.scopes, ['read']);
      assert.equal(created.token.expiresAt, null);
      assert.equal(created.token.revokedAt, null);
      assert.equal(created.token.lastUsedAt, null);
      assert.equal(created.token.userId, ws.ownerUserId);
      const client = app.client(created.secret);
      assert.equal((await client.getWorkspace({ params: { workspace: ws.slug } })).role, 'owner');
      await refusedCall(app, () => client.createFolder({ body: { name: 'x' } }), 'insufficient_scope');
    });

    it('expiresInDays sets the expiry that many days after creation; expiresAt is kept as given', async () => {
      const inDays = await ws.owner.createToken({ body: { name: 'week', scopes: ['read'], expiresInDays: 7 } });
      const delta = Date.parse(inDays.token.expiresAt!) - Date.parse(inDays.token.createdAt);
      assert.ok(Math.abs(delta - 7 * DAY) < 60_000, `expiry ${delta} ms after creation`);
      const at = new Date(Date.now() + 30 * DAY);
      at.setUTCMilliseconds(0);
      const explicit = await ws.owner.createToken({ body: { name: 'at', scopes: ['read'], expiresAt: at.toISOString() } });
      assert.equal(explicit.token.expiresAt, at.toISOString());
    });

    it('an admin creates a token for an editor (within the editor’s role); it acts as the editor', async () => {
      const admin = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      const editor = await ws.owner.addMember({ body: { email: `${uniq('ed')}@example.com`, role: 'editor' } });
      const created = await admin.client.createToken({ body: { name: 'for editor', scopes: ['read', 'write'], memberId: editor.id } });
      assert.equal(created.token.memberId, editor.id);
      assert.equal((await app.client(created.secret).getWorkspace({ params: { workspace: ws.id } })).role, 'editor');
    });

    it('a scope beyond the member’s role (write for a viewer, admin for an editor) → 403 forbidden', async () => {
      const viewer = await ws.owner.addMember({ body: { email: `${uniq('v')}@example.com`, role: 'viewer' } });
      await refusedCall(app, () => ws.owner.createToken({ body: { name: 'x', scopes: ['read', 'write'], memberId: viewer.id } }), 'forbidden');
      const editor = await ws.owner.addMember({ body: { email: `${uniq('e')}@example.com`, role: 'editor' } });
      await refusedCall(app, () => ws.owner.createToken({ body: { name: 'x', scopes: ['admin'], memberId: editor.id } }), 'forbidden');
    });

    it('a scope the calling token lacks (read+admin token granting write) → 403 forbidden', async () => {
      const narrow = await ownerToken(app, ws, ['read', 'admin']);
      await refusedCall(app, () => narrow.client.createToken({ body: { name: 'x', scopes: ['write'] } }), 'forbidden');
    });

    it('an editor whose token somehow has the admin scope, creating a token for someone else → 403 insufficient_scope (capped at its role)', async () => {
      const editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
      await app.backend.pool.query(`UPDATE api_token SET scopes = '{read,write,admin}' WHERE id = $1`, [editor.tokenId]);
      const owner = (await ws.owner.listMembers({ query: { limit: 200 } })).items.find((m) => m.userId === ws.ownerUserId)!;
      await refusedCall(app, () => editor.client.createToken({ body: { name: 'x', scopes: ['read'], memberId: owner.id } }), 'insufficient_scope');
    });

    it('an unknown memberId → 404 not_found', () =>
      refusedCall(app, () => ws.owner.createToken({ body: { name: 'x', scopes: ['read'], memberId: MISSING_ID } }), 'not_found'));

    it('an expiresAt in the past → 400 validation_failed', async () => {
      await refusedCall(app, () => ws.owner.createToken({ body: { name: 'x', scopes: ['read'], expiresAt: '2001-01-01T00:00:00Z' } }), 'validation_failed');
    });

    it('an expiresAt past year 9999 once its offset is applied → 400 validation_failed (not a broken timestamp)', async () => {
      await refusedCall(
        app,
        () => ws.owner.createToken({ body: { name: 'x', scopes: ['read'], expiresAt: '9999-12-31T23:30:00-01:00' } }),
        'validation_failed',
      );
    });

    const badBodies: InvalidBody[] = [
      ['a blank name', { name: '  ', scopes: ['read'] }, ['body.name']],
      ['a missing name', { scopes: ['read'] }, ['body.name']],
      ['no scopes', { name: 'x', scopes: [] }, ['body.scopes']],
      ['a missing scopes field', { name: 'x' }, ['body.scopes']],
      ['an unknown scope', { name: 'x', scopes: ['read', 'root'] }, ['body.scopes.1']],
      ['a repeated scope', { name: 'x', scopes: ['read', 'read'] }, ['body.scopes']],
      ['scopes as a string', { name: 'x', scopes: 'read' }, ['body.scopes']],
      ['expiresInDays 0', { name: 'x', scopes: ['read'], expiresInDays: 0 }, ['body.expiresInDays']],
      ['expiresInDays 3651', { name: 'x', scopes: ['read'], expiresInDays: 3651 }, ['body.expiresInDays']],
      ['expiresInDays 1.5', { name: 'x', scopes: ['read'], expiresInDays: 1.5 }, ['body.expiresInDays']],
      ['expiresInDays as a string', { name: 'x', scopes: ['read'], expiresInDays: '7' }, ['body.expiresInDays']],
      ['an expiresAt that is not a timestamp', { name: 'x', scopes: ['read'], expiresAt: 'tomorrow' }, ['body.expiresAt']],
      ['an expiresAt without an offset', { name: 'x', scopes: ['read'], expiresAt: '2100-01-01T00:00:00' }, ['body.expiresAt']],
      ['both expiresAt and expiresInDays', { name: 'x', scopes: ['read'], expiresAt: '2100-01-01T00:00:00Z', expiresInDays: 3 }, ['body']],
      ['a memberId that is not a UUID', { name: 'x', scopes: ['read'], memberId: 'me' }, ['body.memberId']],
      ['an unknown field', { name: 'x', scopes: ['read'], secret: 'rq_live_mine' }, ['body']],
    ];
    itRefusesInvalidBodies(badBodies, () => ({ app, token: ws.ownerToken, method: 'POST', path: '/v1/tokens' }));
  });

  describe('revokeToken', () => {
    it('revokes a token: 204, listed with revokedAt, and it then gets 401 token_revoked', async () => {
      const t = await ownerToken(app, ws, ['read']);
      const res = await ws.owner.raw('revokeToken', { params: { id: t.id } });
      assert.equal(res.status, 204);
      const listed = (await ws.owner.listTokens({ query: { limit: 200 } })).items.find((x) => x.id === t.id);
      assert.ok(listed?.revokedAt);
      await refusedCall(app, () => t.client.listFolders(), 'token_revoked');
    });

    it('revoking an already revoked token → 204 and changes nothing', async () => {
      const t = await ownerToken(app, ws, ['read']);
      await ws.owner.revokeToken({ params: { id: t.id } });
      const res = await expectDbUnchanged(app.backend.pool, () => send(app, 'DELETE', pathOf('revokeToken', { id: t.id }), { token: ws.ownerToken }));
      assert.equal(res.status, 204);
    });

    it('a token may revoke itself; the next call → 401 token_revoked', async () => {
      const t = await ownerToken(app, ws, ['read', 'write', 'admin']);
      await t.client.revokeToken({ params: { id: t.id } });
      await refusedCall(app, () => t.client.listTokens(), 'token_revoked');
    });

    it('a viewer revokes their own token with a read-only token; another member’s → 403 insufficient_scope, nothing changed', async () => {
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      const spare = await addMemberWithToken(app, ws, 'editor', ['read']);
      const ownersToken = await tokenIdOf(app, ws.ownerToken);
      const res = await expectDbUnchanged(app.backend.pool, () =>
        send(app, 'DELETE', pathOf('revokeToken', { id: ownersToken }), { token: viewer.token }),
      );
      assertProblem(res, 403, 'insufficient_scope');
      await refusedCall(app, () => viewer.client.revokeToken({ params: { id: spare.tokenId } }), 'insufficient_scope');
      await viewer.client.revokeToken({ params: { id: viewer.tokenId } });
      await refusedCall(app, () => viewer.client.listFolders(), 'token_revoked');
    });

    it("an admin revokes another member's token", async () => {
      const admin = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      await admin.client.revokeToken({ params: { id: viewer.tokenId } });
      await refusedCall(app, () => viewer.client.listFolders(), 'token_revoked');
    });

    it("an editor whose token somehow has the admin scope, revoking another member's token → 403 insufficient_scope (capped at its role)", async () => {
      const editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
      await app.backend.pool.query(`UPDATE api_token SET scopes = '{read,write,admin}' WHERE id = $1`, [editor.tokenId]);
      const ownersToken = await tokenIdOf(app, ws.ownerToken);
      await refusedCall(app, () => editor.client.revokeToken({ params: { id: ownersToken } }), 'insufficient_scope');
    });

    it('an unknown token id → 404 not_found; a non-UUID id → 400 validation_failed at params.id', async () => {
      await refusedCall(app, () => ws.owner.revokeToken({ params: { id: MISSING_ID } }), 'not_found');
      const p = await refused(app, () => send(app, 'DELETE', '/v1/tokens/rq_live_abc', { token: ws.ownerToken }), 400, 'validation_failed');
      assert.deepEqual(errorPaths(p), ['params.id']);
    });
  });

  describe('token states', () => {
    it('an expired token → 401 token_expired; a revoked and expired one → 401 token_revoked', async () => {
      const t = await ownerToken(app, ws, ['read']);
      await app.backend.pool.query(`UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = $1`, [t.id]);
      await refusedCall(app, () => t.client.listFolders(), 'token_expired');
      await app.backend.pool.query(`UPDATE api_token SET revoked_at = now() WHERE id = $1`, [t.id]);
      await refusedCall(app, () => t.client.listFolders(), 'token_revoked');
    });

    it('a token that expires in the future still works', async () => {
      const t = await ownerToken(app, ws, ['read']);
      await app.backend.pool.query(`UPDATE api_token SET expires_at = now() + interval '1 hour' WHERE id = $1`, [t.id]);
      assert.ok(await t.client.listFolders());
    });

    it('a token of 201 characters, and one with a space inside → 401 invalid_token / unauthenticated', async () => {
      await refused(app, () => send(app, 'GET', '/v1/folders', { token: 'rq_' + 'a'.repeat(198) }), 401, 'invalid_token');
      await refused(app, () => send(app, 'GET', '/v1/folders', { headers: { authorization: `Bearer ${ws.ownerToken} extra` } }), 401, 'unauthenticated');
      await refused(app, () => send(app, 'GET', '/v1/folders', { headers: { authorization: 'Bearer' } }), 401, 'unauthenticated');
    });

    it('"bearer" in lower case is accepted', async () => {
      const res = await send(app, 'GET', '/v1/folders', { headers: { authorization: `bearer ${ws.ownerToken}` } });
      assert.equal(res.status, 200);
    });

    it('a token works only in its own workspace’s context: the secret of a token of B never reads A', async () => {
      const b = await app.workspace();
      await refusedCall(app, () => b.owner.getWorkspace({ params: { workspace: ws.slug } }), 'not_found');
    });
  });

  describe('wrong methods', () => {
    it('PATCH /v1/tokens/{id} → 405 method_not_allowed, Allow: DELETE', async () => {
      const res = await send(app, 'PATCH', `/v1/tokens/${MISSING_ID}`, { token: ws.ownerToken, json: { name: 'x' } });
      assertProblem(res, 405, 'method_not_allowed');
      assert.equal(res.headers.get('allow'), 'DELETE');
    });

    it('DELETE /v1/tokens → 405 method_not_allowed, Allow: GET, POST', () =>
      refused(app, () => send(app, 'DELETE', '/v1/tokens', { token: ws.ownerToken }), 405, 'method_not_allowed'));
  });

  describe('bad bodies', () => {
    itRefusesBadBodies(() => ({ app, token: ws.ownerToken }), {
      createToken: () => ({ method: 'POST', path: '/v1/tokens', json: { name: 'b', scopes: ['read'] } }),
    });
  });

  describe('bad credentials', () => {
    let victim: string;
    before(async () => {
      victim = (await ownerToken(app, ws, ['read'], 'victim')).id;
    });
    itRefusesBadCredentials(() => creds, {
      me: () => ({ method: 'GET', path: '/v1/me' }),
      listTokens: () => ({ method: 'GET', path: '/v1/tokens' }),
      createToken: () => ({ method: 'POST', path: '/v1/tokens', json: { name: 'c', scopes: ['read'] } }),
      revokeToken: () => ({ method: 'DELETE', path: pathOf('revokeToken', { id: victim }) }),
    });
  });
});
