import assert from 'node:assert/strict';
import { encodeCursor } from '../../src/domain/pagination.js';
import type { TestApp, TestWorkspace } from '../support/app.js';
import {
  addMemberWithToken,
  assertProblem,
  errorPaths,
  MISSING_ID,
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

describe('members API', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let creds: Credentials;
  useTestApp((f) => ({ app, ws, creds } = f));

  describe('listMembers', () => {
    it('lists the owner of a fresh workspace', async () => {
      const fresh = await app.workspace();
      const list = await fresh.owner.listMembers();
      assert.equal(list.items.length, 1);
      assert.equal(list.items[0]?.userId, fresh.ownerUserId);
      assert.equal(list.items[0]?.role, 'owner');
      assert.equal(list.nextCursor, null);
    });

    it('pages through members oldest first with no duplicates or gaps (limit=2 over 7 members)', async () => {
      const fresh = await app.workspace();
      for (let i = 0; i < 6; i++) await fresh.owner.addMember({ body: { email: `${uniq('p')}@example.com`, role: 'viewer' } });
      const all = (await fresh.owner.listMembers({ query: { limit: 200 } })).items;
      assert.equal(all.length, 7);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await fresh.owner.listMembers({ query: { limit: 2, ...(cursor ? { cursor } : {}) } });
        assert.ok(page.items.length <= 2);
        seen.push(...page.items.map((m) => m.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      assert.equal(pages, 4);
      assert.deepEqual(seen, all.map((m) => m.id));
      const created = all.map((m) => Date.parse(m.createdAt));
      assert.deepEqual(created, [...created].sort((a, b) => a - b));
    });

    it('a viewer (read scope) may list members', async () => {
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      const list = await viewer.client.listMembers();
      assert.ok(list.items.some((m) => m.id === viewer.member.id));
    });

    it('If-None-Match with the ETag → 304', async () => {
      const first = await send(app, 'GET', '/v1/members', { token: ws.ownerToken });
      const etag = first.headers.get('etag')!;
      const again = await send(app, 'GET', '/v1/members', { token: ws.ownerToken, headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
    });

    const badCursors: [string, string][] = [
      ['not base64 JSON', 'garbage!!'],
      ['base64 JSON of the wrong shape', encodeCursor({ id: 1 })],
      ['a timestamp that is not one', encodeCursor(['yesterday', MISSING_ID])],
      ['an audit-log cursor', encodeCursor('12')],
    ];
    for (const [what, cursor] of badCursors) {
      it(`a cursor that is ${what} → 400 invalid_cursor`, () =>
        refused(app, () => send(app, 'GET', pathOf('listMembers', {}, { cursor }), { token: ws.ownerToken }), 400, 'invalid_cursor'));
    }

    const badQueries: [string, Record<string, string>, string][] = [
      ['limit=0', { limit: '0' }, 'query.limit'],
      ['limit=201', { limit: '201' }, 'query.limit'],
      ['limit=abc', { limit: 'abc' }, 'query.limit'],
      ['limit=1.5', { limit: '1.5' }, 'query.limit'],
      ['an unknown parameter (role=owner)', { role: 'owner' }, 'query'],
      ['an empty cursor', { cursor: '' }, 'query.cursor'],
    ];
    for (const [what, query, path] of badQueries) {
      it(`${what} → 400 validation_failed at ${path}`, async () => {
        const p = await refused(app, () => send(app, 'GET', pathOf('listMembers', {}, query), { token: ws.ownerToken }), 400, 'validation_failed');
        assert.deepEqual(errorPaths(p), [path]);
      });
    }

    it('a repeated limit (limit=1&limit=2) → 400 validation_failed at query.limit', async () => {
      const p = await refused(app, () => send(app, 'GET', '/v1/members?limit=1&limit=2', { token: ws.ownerToken }), 400, 'validation_failed');
      assert.deepEqual(errorPaths(p), ['query.limit']);
    });
  });

  describe('addMember', () => {
    it('adds a new person: creates their user, lower-cases the email, names them after it', async () => {
      const local = uniq('New.Person');
      const m = await ws.owner.addMember({ body: { email: `${local}@Example.COM`, role: 'editor' } });
      assert.equal(m.email, `${local.toLowerCase()}@example.com`);
      assert.equal(m.name, local.toLowerCase());
      assert.equal(m.role, 'editor');
      const list = await ws.owner.listMembers({ query: { limit: 200 } });
      assert.ok(list.items.some((x) => x.id === m.id && x.userId === m.userId));
    });

    it('uses the given name; a person already in another workspace keeps their user', async () => {
      const elsewhere = await app.workspace();
      const email = `${uniq('shared')}@example.com`;
      const first = await elsewhere.owner.addMember({ body: { email, name: 'Shared Person', role: 'viewer' } });
      const second = await ws.owner.addMember({ body: { email, name: 'Ignored', role: 'admin' } });
      assert.equal(second.userId, first.userId);
      assert.equal(second.name, 'Shared Person');
      assert.equal(second.role, 'admin');
    });

    it('an owner may add another owner; an admin may add editors', async () => {
      const owner2 = await ws.owner.addMember({ body: { email: `${uniq('o')}@example.com`, role: 'owner' } });
      assert.equal(owner2.role, 'owner');
      const admin = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      const editor = await admin.client.addMember({ body: { email: `${uniq('e')}@example.com`, role: 'editor' } });
      assert.equal(editor.role, 'editor');
    });

    it('an email that is already a member (in other case) → 409 already_exists', async () => {
      const email = `${uniq('dup')}@example.com`;
      await ws.owner.addMember({ body: { email, role: 'viewer' } });
      await refusedCall(app, () => ws.owner.addMember({ body: { email: email.toUpperCase(), role: 'editor' } }), 'already_exists');
    });

    it('an admin making someone an owner → 403 forbidden', async () => {
      const admin = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      await refusedCall(app, () => admin.client.addMember({ body: { email: `${uniq('x')}@example.com`, role: 'owner' } }), 'forbidden');
    });

    it('an editor whose token somehow carries the admin scope → 403 insufficient_scope (capped at its role)', async () => {
      const editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
      await app.backend.pool.query(`UPDATE api_token SET scopes = '{read,write,admin}' WHERE id = $1`, [editor.tokenId]);
      await refusedCall(app, () => editor.client.addMember({ body: { email: `${uniq('x')}@example.com`, role: 'viewer' } }), 'insufficient_scope');
    });

    it('a team workspace on the free plan with 10 members → 403 limit_exceeded for the 11th (and nothing is created)', async () => {
      const small = await app.workspace(undefined, { type: 'team', plan: 'free' });
      for (let i = 0; i < 9; i++) await small.owner.addMember({ body: { email: `${uniq('m')}@example.com`, role: 'viewer' } });
      assert.equal((await small.owner.listMembers({ query: { limit: 50 } })).items.length, 10);
      const err = await refusedCall(
        app,
        () => small.owner.addMember({ body: { email: `${uniq('eleventh')}@example.com`, role: 'viewer' } }),
        'limit_exceeded',
      );
      assert.equal(err.problem?.limit, 10);
      assert.equal((await small.owner.getWorkspace({ params: { workspace: small.id } })).usage?.members, 10);
    });

    it('after removing one of the 10, an 11th person fits again', async () => {
      const small = await app.workspace(undefined, { type: 'team', plan: 'free' });
      const added = [];
      for (let i = 0; i < 9; i++) added.push(await small.owner.addMember({ body: { email: `${uniq('m')}@example.com`, role: 'viewer' } }));
      await small.owner.removeMember({ params: { id: added[0]!.id } });
      const m = await small.owner.addMember({ body: { email: `${uniq('again')}@example.com`, role: 'viewer' } });
      assert.equal(m.role, 'viewer');
    });

    it('a personal workspace (room for one) → 403 limit_exceeded for a second member', async () => {
      const personal = await app.workspace(undefined, { type: 'personal', plan: 'free' });
      await refusedCall(app, () => personal.owner.addMember({ body: { email: `${uniq('x')}@example.com`, role: 'editor' } }), 'limit_exceeded');
    });

    const badBodies: InvalidBody[] = [
      ['an email without @', { email: 'not-an-email', role: 'viewer' }, ['body.email']],
      ['a missing email', { role: 'viewer' }, ['body.email']],
      ['a number for the email', { email: 5, role: 'viewer' }, ['body.email']],
      ['an email of 255 characters', { email: `${'a'.repeat(243)}@example.com`, role: 'viewer' }, ['body.email']],
      ['an unknown role', { email: 'a@example.com', role: 'god' }, ['body.role']],
      ['a missing role', { email: 'a@example.com' }, ['body.role']],
      ['a blank name', { email: 'a@example.com', role: 'viewer', name: ' ' }, ['body.name']],
      ['a name with a newline', { email: 'a@example.com', role: 'viewer', name: 'a\nb' }, ['body.name']],
      ['an unknown field', { email: 'a@example.com', role: 'viewer', scopes: ['admin'] }, ['body']],
    ];
    itRefusesInvalidBodies(badBodies, () => ({ app, token: ws.ownerToken, method: 'POST', path: '/v1/members' }));
  });

  describe('updateMember', () => {
    it('promotes an editor to admin', async () => {
      const m = await ws.owner.addMember({ body: { email: `${uniq('up')}@example.com`, role: 'editor' } });
      const updated = await ws.owner.updateMember({ params: { id: m.id }, body: { role: 'admin' } });
      assert.equal(updated.role, 'admin');
      assert.equal(updated.id, m.id);
    });

    it('demoting an admin to viewer strips its tokens to read, so they can no longer write', async () => {
      const admin = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      await ws.owner.updateMember({ params: { id: admin.member.id }, body: { role: 'viewer' } });
      const tokens = await ws.owner.listTokens({ query: { limit: 200 } });
      assert.deepEqual(tokens.items.find((t) => t.id === admin.tokenId)?.scopes, ['read']);
      await refusedCall(app, () => admin.client.createFolder({ body: { name: 'nope' } }), 'insufficient_scope');
      assert.equal((await admin.client.getWorkspace({ params: { workspace: ws.id } })).role, 'viewer');
    });

    it('setting the role a member already has → 200, unchanged', async () => {
      const m = await ws.owner.addMember({ body: { email: `${uniq('same')}@example.com`, role: 'viewer' } });
      const same = await ws.owner.updateMember({ params: { id: m.id }, body: { role: 'viewer' } });
      assert.deepEqual(same, m);
    });

    it('an owner may demote another owner while one owner remains', async () => {
      const fresh = await app.workspace();
      const second = await fresh.owner.addMember({ body: { email: `${uniq('o2')}@example.com`, role: 'owner' } });
      const demoted = await fresh.owner.updateMember({ params: { id: second.id }, body: { role: 'editor' } });
      assert.equal(demoted.role, 'editor');
    });

    it('demoting the last owner → 409 last_owner', async () => {
      const fresh = await app.workspace();
      const me = (await fresh.owner.listMembers()).items[0]!;
      for (const role of ['admin', 'editor', 'viewer'] as const) {
        await refusedCall(app, () => fresh.owner.updateMember({ params: { id: me.id }, body: { role } }), 'last_owner');
      }
    });

    it('an admin demoting an owner, or promoting someone to owner → 403 forbidden', async () => {
      const admin = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      const owner = (await ws.owner.listMembers({ query: { limit: 200 } })).items.find((m) => m.userId === ws.ownerUserId)!;
      await refusedCall(app, () => admin.client.updateMember({ params: { id: owner.id }, body: { role: 'viewer' } }), 'forbidden');
      const viewer = await ws.owner.addMember({ body: { email: `${uniq('v')}@example.com`, role: 'viewer' } });
      await refusedCall(app, () => admin.client.updateMember({ params: { id: viewer.id }, body: { role: 'owner' } }), 'forbidden');
    });

    it('an unknown member id → 404 not_found', () =>
      refusedCall(app, () => ws.owner.updateMember({ params: { id: MISSING_ID }, body: { role: 'viewer' } }), 'not_found'));

    it('a member id that is not a UUID → 400 validation_failed at params.id', async () => {
      const p = await refused(app, () => send(app, 'PATCH', '/v1/members/42', { token: ws.ownerToken, json: { role: 'viewer' } }), 400, 'validation_failed');
      assert.deepEqual(errorPaths(p), ['params.id']);
    });

    const badBodies: InvalidBody[] = [
      ['an empty object', {}, ['body.role']],
      ['an unknown role', { role: 'superuser' }, ['body.role']],
      ['a role in capitals', { role: 'ADMIN' }, ['body.role']],
      ['an extra field', { role: 'viewer', email: 'x@example.com' }, ['body']],
    ];
    itRefusesInvalidBodies(badBodies, async () => {
      const m = await ws.owner.addMember({ body: { email: `${uniq('b')}@example.com`, role: 'viewer' } });
      return { app, token: ws.ownerToken, method: 'PATCH', path: pathOf('updateMember', { id: m.id }) };
    });
  });

  describe('removeMember', () => {
    it('removes a member: gone from the list, and their tokens stop working at once (401 invalid_token)', async () => {
      const editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
      assert.ok((await editor.client.listFolders()).items);
      const res = await ws.owner.raw('removeMember', { params: { id: editor.member.id } });
      assert.equal(res.status, 204);
      const list = await ws.owner.listMembers({ query: { limit: 200 } });
      assert.ok(!list.items.some((m) => m.id === editor.member.id));
      await refusedCall(app, () => editor.client.listFolders(), 'invalid_token');
    });

    it('a second owner may be removed by an owner', async () => {
      const fresh = await app.workspace();
      const second = await fresh.owner.addMember({ body: { email: `${uniq('o2')}@example.com`, role: 'owner' } });
      await fresh.owner.removeMember({ params: { id: second.id } });
      assert.equal((await fresh.owner.listMembers()).items.length, 1);
    });

    it('removing the last owner (yourself) → 409 last_owner', async () => {
      const fresh = await app.workspace();
      const me = (await fresh.owner.listMembers()).items[0]!;
      await refusedCall(app, () => fresh.owner.removeMember({ params: { id: me.id } }), 'last_owner');
    });

    it('an admin removing an owner → 403 forbidden', async () => {
      const admin = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      const owner = (await ws.owner.listMembers({ query: { limit: 200 } })).items.find((m) => m.userId === ws.ownerUserId)!;
      await refusedCall(app, () => admin.client.removeMember({ params: { id: owner.id } }), 'forbidden');
    });

    it('a viewer whose token somehow carries the admin scope → 403 insufficient_scope (capped at its role)', async () => {
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      const victim = await ws.owner.addMember({ body: { email: `${uniq('victim')}@example.com`, role: 'viewer' } });
      await app.backend.pool.query(`UPDATE api_token SET scopes = '{read,admin}' WHERE id = $1`, [await tokenIdOf(app, viewer.token)]);
      await refusedCall(app, () => viewer.client.removeMember({ params: { id: victim.id } }), 'insufficient_scope');
    });

    it('an unknown member id → 404 not_found; removing twice → 404 not_found', async () => {
      await refusedCall(app, () => ws.owner.removeMember({ params: { id: MISSING_ID } }), 'not_found');
      const m = await ws.owner.addMember({ body: { email: `${uniq('twice')}@example.com`, role: 'viewer' } });
      await ws.owner.removeMember({ params: { id: m.id } });
      await refusedCall(app, () => ws.owner.removeMember({ params: { id: m.id } }), 'not_found');
    });

    it('an id that is not a UUID → 400 validation_failed at params.id', async () => {
      const p = await refused(app, () => send(app, 'DELETE', '/v1/members/not-a-uuid', { token: ws.ownerToken }), 400, 'validation_failed');
      assert.deepEqual(errorPaths(p), ['params.id']);
    });
  });

  describe('wrong methods', () => {
    it('PUT /v1/members → 405 method_not_allowed, Allow: GET, POST', async () => {
      const res = await refused(app, () => send(app, 'PUT', '/v1/members', { token: ws.ownerToken, json: {} }), 405, 'method_not_allowed');
      assert.ok(res);
      const raw = await send(app, 'PUT', '/v1/members', { token: ws.ownerToken });
      assert.deepEqual(raw.headers.get('allow')?.split(', ').sort(), ['GET', 'POST']);
    });

    it('GET /v1/members/{id} → 405 method_not_allowed, Allow: PATCH, DELETE', async () => {
      const res = await send(app, 'GET', `/v1/members/${MISSING_ID}`, { token: ws.ownerToken });
      assertProblem(res, 405, 'method_not_allowed');
      assert.deepEqual(res.headers.get('allow')?.split(', ').sort(), ['DELETE', 'PATCH']);
    });
  });

  describe('bad bodies', () => {
    let victim: string;
    before(async () => {
      victim = (await ws.owner.addMember({ body: { email: `${uniq('body')}@example.com`, role: 'viewer' } })).id;
    });
    itRefusesBadBodies(() => ({ app, token: ws.ownerToken }), {
      addMember: () => ({ method: 'POST', path: '/v1/members', json: { email: `${uniq('b')}@example.com`, role: 'viewer' } }),
      updateMember: () => ({ method: 'PATCH', path: pathOf('updateMember', { id: victim }), json: { role: 'editor' } }),
    });
  });

  describe('bad credentials', () => {
    let victim: string;
    before(async () => {
      victim = (await ws.owner.addMember({ body: { email: `${uniq('cred')}@example.com`, role: 'viewer' } })).id;
    });
    itRefusesBadCredentials(() => creds, {
      listMembers: () => ({ method: 'GET', path: '/v1/members' }),
      addMember: () => ({ method: 'POST', path: '/v1/members', json: { email: `${uniq('c')}@example.com`, role: 'viewer' } }),
      updateMember: () => ({ method: 'PATCH', path: pathOf('updateMember', { id: victim }), json: { role: 'editor' } }),
      removeMember: () => ({ method: 'DELETE', path: pathOf('removeMember', { id: victim }) }),
    });
  });
});
