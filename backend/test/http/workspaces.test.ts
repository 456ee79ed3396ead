import assert from 'node:assert/strict';
import type { TestApp, TestWorkspace } from '../support/app.js';
import {
  addMemberWithToken,
  assertProblem,
  errorPaths,
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

describe('workspaces API', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let other: TestWorkspace;
  let creds: Credentials;

  useTestApp((f) => ({ app, ws, creds } = f));
  before(async () => {
    other = await app.workspace();
  });

  describe('listWorkspaces', () => {
    it('lists the workspaces of the token’s user, with the caller’s role', async () => {
      const list = await ws.owner.listWorkspaces();
      assert.deepEqual(
        list.items.map((w) => [w.id, w.slug, w.role]),
        [[ws.id, ws.slug, 'owner']],
      );
    });

    it('a workspace the user joins later is listed too (and never one they are not in)', async () => {
      const fresh = await app.workspace();
      const before = await fresh.owner.listWorkspaces();
      assert.equal(before.items.length, 1);
      const created = await fresh.owner.createWorkspace({ body: { slug: uniq('second'), name: 'Second' } });
      const after = await fresh.owner.listWorkspaces();
      assert.deepEqual(after.items.map((w) => w.id).sort(), [fresh.id, created.workspace.id].sort());
      assert.ok(!after.items.some((w) => w.id === other.id));
    });

    it('If-None-Match with the ETag → 304 and no body', async () => {
      const first = await send(app, 'GET', '/v1/workspaces', { token: ws.ownerToken });
      assert.equal(first.status, 200);
      const etag = first.headers.get('etag');
      assert.ok(etag);
      const again = await send(app, 'GET', '/v1/workspaces', { token: ws.ownerToken, headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      assert.equal(again.text, '');
      const stale = await send(app, 'GET', '/v1/workspaces', { token: ws.ownerToken, headers: { 'if-none-match': '"stale"' } });
      assert.equal(stale.status, 200);
    });
  });

  describe('createWorkspace', () => {
    it('creates a team workspace on the free plan by default; the caller owns it and gets a working owner token', async () => {
      const slug = uniq('team');
      const created = await ws.owner.createWorkspace({ body: { slug, name: '  Team  ' } });
      assert.equal(created.workspace.slug, slug);
      assert.equal(created.workspace.name, 'Team', 'the name is trimmed');
      assert.equal(created.workspace.type, 'team');
      assert.equal(created.workspace.plan, 'free');
      assert.deepEqual(created.workspace.limits, { maxMembers: 10, maxPrompts: 2000 });
      assert.deepEqual(created.workspace.usage, { members: 1, prompts: 0 });
      assert.equal(created.workspace.role, 'owner');
      assert.match(created.token.secret, /^rq_live_/);
      const got = await app.client(created.token.secret).getWorkspace({ params: { workspace: slug } });
      assert.equal(got.id, created.workspace.id);
      assert.equal(got.role, 'owner');
      const members = await app.client(created.token.secret).listMembers();
      assert.deepEqual(members.items.map((m) => m.userId), [ws.ownerUserId]);
    });

    it('a personal workspace gets the free plan and room for one member; enterprise gets the enterprise plan', async () => {
      const personal = await ws.owner.createWorkspace({ body: { slug: uniq('me'), name: 'Me', type: 'personal' } });
      assert.equal(personal.workspace.plan, 'free');
      assert.equal(personal.workspace.limits.maxMembers, 1);
      const pro = await ws.owner.createWorkspace({ body: { slug: uniq('pro'), name: 'Pro', type: 'team', plan: 'pro' } });
      assert.deepEqual(pro.workspace.limits, { maxMembers: 200, maxPrompts: 200_000 });
      const ent = await ws.owner.createWorkspace({ body: { slug: uniq('ent'), name: 'Ent', type: 'enterprise' } });
      assert.equal(ent.workspace.plan, 'enterprise');
      assert.equal(ent.workspace.limits.maxMembers, 100_000);
    });

    it('a slug that exists (even in a workspace the caller cannot see) → 409 already_exists', async () => {
      await refusedCall(app, () => ws.owner.createWorkspace({ body: { slug: other.slug, name: 'Taken' } }), 'already_exists');
      await refusedCall(app, () => ws.owner.createWorkspace({ body: { slug: ws.slug, name: 'Taken' } }), 'already_exists');
    });

    it('a plan not offered for the type (personal+enterprise, enterprise+pro) → 400 validation_failed at body.plan', async () => {
      for (const body of [
        { slug: uniq('p'), name: 'P', type: 'personal', plan: 'enterprise' },
        { slug: uniq('e'), name: 'E', type: 'enterprise', plan: 'pro' },
        { slug: uniq('t'), name: 'T', type: 'team', plan: 'enterprise' },
      ]) {
        const p = await refused(app, () => send(app, 'POST', '/v1/workspaces', { token: ws.ownerToken, json: body }), 400, 'validation_failed');
        assert.deepEqual(errorPaths(p), ['body.plan'], JSON.stringify(body));
      }
    });

    const badBodies: InvalidBody[] = [
      ['a slug with capitals and spaces', { slug: 'Not A Slug', name: 'x' }, ['body.slug']],
      ['a slug with a trailing hyphen', { slug: 'abc-', name: 'x' }, ['body.slug']],
      ['a slug of 65 characters', { slug: 'a'.repeat(65), name: 'x' }, ['body.slug']],
      ['a missing slug', { name: 'x' }, ['body.slug']],
      ['a missing name', { slug: 'fine' }, ['body.name']],
      ['a blank name', { slug: 'fine', name: '   ' }, ['body.name']],
      ['a name of 121 characters', { slug: 'fine', name: 'n'.repeat(121) }, ['body.name']],
      ['a number for the name', { slug: 'fine', name: 42 }, ['body.name']],
      ['an unknown type', { slug: 'fine', name: 'x', type: 'galaxy' }, ['body.type']],
      ['an unknown plan', { slug: 'fine', name: 'x', plan: 'platinum' }, ['body.plan']],
      ['an unknown field', { slug: 'fine', name: 'x', owner: 'me' }, ['body']],
      ['a __proto__ field', JSON.parse('{"slug":"fine","name":"x","__proto__":{"admin":true}}'), ['body']],
    ];
    itRefusesInvalidBodies(badBodies, () => ({ app, token: ws.ownerToken, method: 'POST', path: '/v1/workspaces' }));

    it('a name holding a NUL character → 400 validation_failed (not a database error)', async () => {
      const p = await refused(
        app,
        () => send(app, 'POST', '/v1/workspaces', { token: ws.ownerToken, json: { slug: uniq('nul'), name: 'a\u0000b' } }),
        400,
        'validation_failed',
      );
      assert.deepEqual(errorPaths(p), ['body.name']);
    });

    it('a member whose token lost the admin scope on demotion → 403 insufficient_scope', async () => {
      const admin = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      await ws.owner.updateMember({ params: { id: admin.member.id }, body: { role: 'editor' } });
      await refusedCall(app, () => admin.client.createWorkspace({ body: { slug: uniq('x'), name: 'x' } }), 'insufficient_scope');
    });
  });

  describe('getWorkspace', () => {
    it('answers the token’s workspace by slug and by id, with limits and usage', async () => {
      const bySlug = await ws.owner.getWorkspace({ params: { workspace: ws.slug } });
      const byId = await ws.owner.getWorkspace({ params: { workspace: ws.id } });
      assert.deepEqual(bySlug, byId);
      assert.equal(bySlug.id, ws.id);
      assert.equal(bySlug.role, 'owner');
      assert.ok(bySlug.usage && bySlug.usage.members >= 1);
      assert.equal(bySlug.usage.prompts, 0);
    });

    it('answers the caller’s own role (a viewer sees viewer)', async () => {
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      const got = await viewer.client.getWorkspace({ params: { workspace: ws.slug } });
      assert.equal(got.role, 'viewer');
    });

    it('an unknown slug or id → 404 not_found', async () => {
      await refusedCall(app, () => ws.owner.getWorkspace({ params: { workspace: 'no-such-workspace' } }), 'not_found');
      await refusedCall(app, () => ws.owner.getWorkspace({ params: { workspace: '7b0c2a4e-1111-4222-8333-444455556666' } }), 'not_found');
    });

    it('a ref of 65 characters → 400 validation_failed at params.workspace', async () => {
      const p = await refused(app, () => send(app, 'GET', `/v1/workspaces/${'a'.repeat(65)}`, { token: ws.ownerToken }), 400, 'validation_failed');
      assert.deepEqual(errorPaths(p), ['params.workspace']);
    });

    it('a ref with broken percent-encoding (%E0%A4%A) → 400 validation_failed', async () => {
      await refused(app, () => send(app, 'GET', '/v1/workspaces/%E0%A4%A', { token: ws.ownerToken }), 400, 'validation_failed');
    });

    it('sends an ETag; If-None-Match with it → 304, with another → 200', async () => {
      const first = await send(app, 'GET', pathOf('getWorkspace', { workspace: ws.slug }), { token: ws.ownerToken });
      assert.equal(first.status, 200);
      const etag = first.headers.get('etag');
      assert.match(etag ?? '', /^"[\w-]+"$/);
      const hit = await send(app, 'GET', pathOf('getWorkspace', { workspace: ws.slug }), {
        token: ws.ownerToken,
        headers: { 'if-none-match': etag! },
      });
      assert.equal(hit.status, 304);
      assert.equal(hit.text, '');
      const miss = await send(app, 'GET', pathOf('getWorkspace', { workspace: ws.slug }), {
        token: ws.ownerToken,
        headers: { 'if-none-match': '"something-else"' },
      });
      assert.equal(miss.status, 200);
      assert.equal(miss.headers.get('etag'), etag);
    });
  });

  describe('updateWorkspace', () => {
    let target: TestWorkspace;
    beforeEach(async () => {
      target = await app.workspace();
    });

    it('renames the workspace', async () => {
      const updated = await target.owner.updateWorkspace({ params: { workspace: target.slug }, body: { name: 'Renamed' } });
      assert.equal(updated.name, 'Renamed');
      assert.equal(updated.slug, target.slug);
      assert.ok(Date.parse(updated.updatedAt) >= Date.parse(updated.createdAt));
      assert.equal((await target.owner.getWorkspace({ params: { workspace: target.id } })).name, 'Renamed');
    });

    it('changes the slug: the new one answers, the old one → 404 not_found', async () => {
      const slug = uniq('moved');
      await target.owner.updateWorkspace({ params: { workspace: target.id }, body: { slug } });
      assert.equal((await target.owner.getWorkspace({ params: { workspace: slug } })).id, target.id);
      await refusedCall(app, () => target.owner.getWorkspace({ params: { workspace: target.slug } }), 'not_found');
    });

    it('an update that changes nothing (the same name, the same slug, or both) → 200 and writes nothing, no audit entry', async () => {
      const current = await target.owner.getWorkspace({ params: { workspace: target.slug } });
      for (const body of [{ name: current.name }, { slug: current.slug }, { name: current.name, slug: current.slug }]) {
        const res = await expectDbUnchanged(app.backend.pool, () =>
          send(app, 'PATCH', pathOf('updateWorkspace', { workspace: target.slug }), { token: target.ownerToken, json: body }),
        );
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, current, JSON.stringify(body));
      }
    });

    it('an admin (not owner) may update it', async () => {
      const admin = await addMemberWithToken(app, target, 'admin', ['read', 'write', 'admin']);
      const updated = await admin.client.updateWorkspace({ params: { workspace: target.slug }, body: { name: 'By admin' } });
      assert.equal(updated.name, 'By admin');
      assert.equal(updated.role, 'admin');
    });

    it('If-Match with the current ETag → 200; then the old ETag → 412 precondition_failed; If-Match * → 200', async () => {
      const read = await send(app, 'GET', pathOf('getWorkspace', { workspace: target.slug }), { token: target.ownerToken });
      const etag = read.headers.get('etag')!;
      const ok = await target.owner.raw('updateWorkspace', {
        params: { workspace: target.slug },
        body: { name: 'First' },
        headers: { 'If-Match': etag },
      });
      assert.equal(ok.status, 200);
      await refused(
        app,
        () =>
          send(app, 'PATCH', pathOf('updateWorkspace', { workspace: target.slug }), {
            token: target.ownerToken,
            json: { name: 'Second' },
            headers: { 'if-match': etag },
          }),
        412,
        'precondition_failed',
      );
      const star = await target.owner.raw('updateWorkspace', {
        params: { workspace: target.slug },
        body: { name: 'Third' },
        headers: { 'If-Match': '*' },
      });
      assert.equal(star.status, 200);
    });

    it('If-Match listing several tags, one current → 200', async () => {
      const read = await send(app, 'GET', pathOf('getWorkspace', { workspace: target.slug }), { token: target.ownerToken });
      const etag = read.headers.get('etag')!;
      const res = await send(app, 'PATCH', pathOf('updateWorkspace', { workspace: target.slug }), {
        token: target.ownerToken,
        json: { name: 'Multi' },
        headers: { 'if-match': `"nope", ${etag}` },
      });
      assert.equal(res.status, 200);
    });

    it('a slug another workspace uses → 409 already_exists', async () => {
      await refusedCall(app, () => target.owner.updateWorkspace({ params: { workspace: target.slug }, body: { slug: other.slug } }), 'already_exists');
    });

    it('its own current slug is not a clash → 200', async () => {
      const same = await target.owner.updateWorkspace({ params: { workspace: target.slug }, body: { slug: target.slug, name: 'Same slug' } });
      assert.equal(same.slug, target.slug);
    });

    it('an unknown workspace → 404 not_found', async () => {
      await refusedCall(app, () => target.owner.updateWorkspace({ params: { workspace: 'nope-nope' }, body: { name: 'x' } }), 'not_found');
    });

    const badBodies: InvalidBody[] = [
      ['an empty object', {}, ['body']],
      ['a bad slug', { slug: 'UPPER' }, ['body.slug']],
      ['a number for the name', { name: 7 }, ['body.name']],
      ['a null name', { name: null }, ['body.name']],
      ['an unknown field', { name: 'x', plan: 'enterprise' }, ['body']],
      ['a type change (not allowed)', { type: 'enterprise' }, ['body']],
    ];
    itRefusesInvalidBodies(badBodies, () => ({ app, token: target.ownerToken, method: 'PATCH', path: pathOf('updateWorkspace', { workspace: target.slug }) }));

    it('a viewer whose token somehow carries the admin scope → 403 insufficient_scope (a scope beyond the current role counts for nothing)', async () => {
      const viewer = await addMemberWithToken(app, target, 'viewer', ['read']);
      await app.backend.pool.query(`UPDATE api_token SET scopes = '{read,write,admin}' WHERE id = $1`, [await tokenIdOf(app, viewer.token)]);
      await refusedCall(app, () => viewer.client.updateWorkspace({ params: { workspace: target.slug }, body: { name: 'x' } }), 'insufficient_scope');
    });
  });

  describe('wrong methods', () => {
    it('PUT /v1/workspaces/{ref} → 405 method_not_allowed, Allow: GET, PATCH', async () => {
      const res = await expectDbUnchanged(app.backend.pool, () =>
        send(app, 'PUT', `/v1/workspaces/${ws.slug}`, { token: ws.ownerToken, json: { name: 'x' } }),
      );
      assertProblem(res, 405, 'method_not_allowed');
      assert.deepEqual(res.headers.get('allow')?.split(', ').sort(), ['GET', 'PATCH']);
    });

    it('DELETE /v1/workspaces/{ref} → 405 method_not_allowed, and the workspace stays', async () => {
      const res = await refused(app, () => send(app, 'DELETE', `/v1/workspaces/${ws.slug}`, { token: ws.ownerToken }), 405, 'method_not_allowed');
      assert.ok(res.detail?.includes('DELETE'));
      assert.equal((await ws.owner.getWorkspace({ params: { workspace: ws.slug } })).id, ws.id);
    });

    it('DELETE /v1/workspaces → 405 method_not_allowed, Allow: GET, POST', async () => {
      const res = await send(app, 'DELETE', '/v1/workspaces', { token: ws.ownerToken });
      assertProblem(res, 405, 'method_not_allowed');
      assert.deepEqual(res.headers.get('allow')?.split(', ').sort(), ['GET', 'POST']);
    });
  });

  describe('bad bodies', () => {
    itRefusesBadBodies(() => ({ app, token: ws.ownerToken }), {
      createWorkspace: () => ({ method: 'POST', path: '/v1/workspaces', json: { slug: uniq('b'), name: 'B' } }),
      updateWorkspace: () => ({ method: 'PATCH', path: pathOf('updateWorkspace', { workspace: ws.slug }), json: { name: 'B' } }),
    });
  });

  describe('bad credentials', () => {
    itRefusesBadCredentials(() => creds, {
      listWorkspaces: () => ({ method: 'GET', path: '/v1/workspaces' }),
      createWorkspace: () => ({ method: 'POST', path: '/v1/workspaces', json: { slug: uniq('c'), name: 'C' } }),
      getWorkspace: (c) => ({ method: 'GET', path: pathOf('getWorkspace', { workspace: c.ws.slug }) }),
      updateWorkspace: (c) => ({ method: 'PATCH', path: pathOf('updateWorkspace', { workspace: c.ws.slug }), json: { name: 'C' } }),
    });
  });
});
