import assert from 'node:assert/strict';
import type { Client, Folder } from '@rocqet/sdk';
import type { TestApp, TestWorkspace } from '../support/app.js';
import {
  addMemberWithToken,
  assertProblem,
  errorPaths,
  MISSING_ID,
  refused,
  refusedCall,
  send,
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

describe('folders API', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let creds: Credentials;
  useTestApp((f) => ({ app, ws, creds } = f));

  const mk = (c: Client, name: string, parentId?: string | null) =>
    c.createFolder({ body: { name, ...(parentId !== undefined ? { parentId } : {}) } });

  /** A prompt row in a folder, put there with SQL (the prompt API is not part of this suite). */
  async function promptIn(w: TestWorkspace, folderId: string | null, slug = uniq('p')): Promise<string> {
    const { rows } = await app.backend.pool.query<{ id: string }>(
      `INSERT INTO prompt (workspace_id, folder_id, slug, title) VALUES ($1, $2, $3, $3) RETURNING id`,
      [w.id, folderId, slug],
    );
    return rows[0]!.id;
  }

  describe('listFolders / createFolder / getFolder', () => {
    it('builds a tree: paths join names from the root, the list has parents before children, sorted by path', async () => {
      const w = await app.workspace();
      const support = await mk(w.owner, 'Support');
      const billing = await mk(w.owner, 'Billing', support.id);
      const refunds = await mk(w.owner, 'Refunds', billing.id);
      const alpha = await mk(w.owner, 'Alpha');
      assert.equal(refunds.path, 'Support/Billing/Refunds');
      assert.equal(refunds.parentId, billing.id);
      assert.equal(alpha.parentId, null);
      const list = await w.owner.listFolders();
      assert.deepEqual(list.items.map((f) => f.path), ['Alpha', 'Support', 'Support/Billing', 'Support/Billing/Refunds']);
      const got = await w.owner.getFolder({ params: { id: refunds.id } });
      assert.deepEqual(got, refunds);
    });

    it('trims names; the same name under different parents is fine; unicode names are kept', async () => {
      const w = await app.workspace();
      const a = await mk(w.owner, '  Émoji 🚀 ');
      assert.equal(a.name, 'Émoji 🚀');
      const b = await mk(w.owner, 'Shared', a.id);
      const c = await mk(w.owner, 'Shared');
      assert.notEqual(b.id, c.id);
      const explicitRoot = await mk(w.owner, 'Root', null);
      assert.equal(explicitRoot.parentId, null);
    });

    it('an editor may create folders', async () => {
      const editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
      const f = await mk(editor.client, uniq('by-editor'));
      assert.ok(f.id);
    });

    it('a name taken under the same parent (also after trimming) → 409 already_exists', async () => {
      const name = uniq('dup');
      await mk(ws.owner, name);
      await refusedCall(app, () => mk(ws.owner, name), 'already_exists');
      await refusedCall(app, () => mk(ws.owner, `  ${name}  `), 'already_exists');
    });

    it('an unknown parentId → 404 not_found', () => refusedCall(app, () => mk(ws.owner, 'orphan', MISSING_ID), 'not_found'));

    it('a viewer (read-only token) → 403 insufficient_scope; so does a viewer whose token somehow has write (capped at its role)', async () => {
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      await refusedCall(app, () => mk(viewer.client, 'nope'), 'insufficient_scope');
      await app.backend.pool.query(`UPDATE api_token SET scopes = '{read,write}' WHERE id = $1`, [viewer.tokenId]);
      await refusedCall(app, () => mk(viewer.client, 'nope'), 'insufficient_scope');
    });

    const badBodies: InvalidBody[] = [
      ['an empty name', { name: '' }, ['body.name']],
      ['a blank name', { name: '   ' }, ['body.name']],
      ['a name with a slash', { name: 'a/b' }, ['body.name']],
      ['the name "."', { name: '.' }, ['body.name']],
      ['the name ".."', { name: '..' }, ['body.name']],
      ['a name with a control character', { name: 'bell\u0007' }, ['body.name']],
      ['a name with NUL', { name: 'a\u0000b' }, ['body.name']],
      ['a name of 101 characters', { name: 'n'.repeat(101) }, ['body.name']],
      ['a number for the name', { name: 12 }, ['body.name']],
      ['a missing name', { parentId: null }, ['body.name']],
      ['a parentId that is not a UUID', { name: 'x', parentId: 'root' }, ['body.parentId']],
      ['an unknown field', { name: 'x', color: 'red' }, ['body']],
    ];
    itRefusesInvalidBodies(badBodies, () => ({ app, token: ws.ownerToken, method: 'POST', path: '/v1/folders' }), (what) => `createFolder with ${what}`);

    it('getFolder of an unknown id → 404 not_found; of a non-UUID → 400 validation_failed at params.id', async () => {
      await refusedCall(app, () => ws.owner.getFolder({ params: { id: MISSING_ID } }), 'not_found');
      const p = await refused(app, () => send(app, 'GET', '/v1/folders/Support', { token: ws.ownerToken }), 400, 'validation_failed');
      assert.deepEqual(errorPaths(p), ['params.id']);
    });

    it('getFolder with broken percent-encoding (/v1/folders/%E0%A4%A) → 400 validation_failed', () =>
      refused(app, () => send(app, 'GET', '/v1/folders/%E0%A4%A', { token: ws.ownerToken }), 400, 'validation_failed'));

    it('getFolder and listFolders send ETags; If-None-Match → 304; after a change → 200 with a new ETag', async () => {
      const w = await app.workspace();
      const f = await mk(w.owner, 'Tagged');
      for (const path of ['/v1/folders', pathOf('getFolder', { id: f.id })]) {
        const first = await send(app, 'GET', path, { token: w.ownerToken });
        const etag = first.headers.get('etag')!;
        assert.ok(etag);
        const hit = await send(app, 'GET', path, { token: w.ownerToken, headers: { 'if-none-match': etag } });
        assert.equal(hit.status, 304, path);
        const weak = await send(app, 'GET', path, { token: w.ownerToken, headers: { 'if-none-match': `W/${etag}` } });
        assert.equal(weak.status, 304, `${path} with a weak validator`);
        await w.owner.updateFolder({ params: { id: f.id }, body: { name: uniq('Tagged') } });
        const changed = await send(app, 'GET', path, { token: w.ownerToken, headers: { 'if-none-match': etag } });
        assert.equal(changed.status, 200, path);
        assert.notEqual(changed.headers.get('etag'), etag);
      }
    });
  });

  describe('updateFolder', () => {
    let w: TestWorkspace;
    let a: Folder;
    let b: Folder;
    let a1: Folder;
    let a11: Folder;
    beforeEach(async () => {
      w = await app.workspace();
      a = await mk(w.owner, 'A');
      b = await mk(w.owner, 'B');
      a1 = await mk(w.owner, 'A1', a.id);
      a11 = await mk(w.owner, 'A11', a1.id);
    });

    it('renames a folder, and the paths of its subtree follow', async () => {
      const renamed = await w.owner.updateFolder({ params: { id: a.id }, body: { name: 'Alpha' } });
      assert.equal(renamed.path, 'Alpha');
      assert.equal((await w.owner.getFolder({ params: { id: a11.id } })).path, 'Alpha/A1/A11');
    });

    it('moves a folder under another, and to the root with parentId null', async () => {
      const moved = await w.owner.updateFolder({ params: { id: a1.id }, body: { parentId: b.id } });
      assert.equal(moved.path, 'B/A1');
      assert.equal((await w.owner.getFolder({ params: { id: a11.id } })).path, 'B/A1/A11');
      const root = await w.owner.updateFolder({ params: { id: a1.id }, body: { parentId: null } });
      assert.equal(root.path, 'A1');
      assert.equal(root.parentId, null);
    });

    it('renames and moves at once', async () => {
      const both = await w.owner.updateFolder({ params: { id: a11.id }, body: { parentId: b.id, name: 'Moved' } });
      assert.equal(both.path, 'B/Moved');
    });

    it('the same name and parent → 200, unchanged', async () => {
      const same = await w.owner.updateFolder({ params: { id: a1.id }, body: { name: 'A1', parentId: a.id } });
      assert.deepEqual(same, a1);
    });

    it('moving a folder into itself → 409 folder_cycle', () =>
      refusedCall(app, () => w.owner.updateFolder({ params: { id: a.id }, body: { parentId: a.id } }), 'folder_cycle'));

    it('moving a folder into its child or grandchild → 409 folder_cycle', async () => {
      await refusedCall(app, () => w.owner.updateFolder({ params: { id: a.id }, body: { parentId: a1.id } }), 'folder_cycle');
      await refusedCall(app, () => w.owner.updateFolder({ params: { id: a.id }, body: { parentId: a11.id } }), 'folder_cycle');
    });

    it('renaming to a sibling’s name, or moving next to a namesake → 409 already_exists', async () => {
      await refusedCall(app, () => w.owner.updateFolder({ params: { id: a.id }, body: { name: 'B' } }), 'already_exists');
      await mk(w.owner, 'A1', b.id);
      await refusedCall(app, () => w.owner.updateFolder({ params: { id: a1.id }, body: { parentId: b.id } }), 'already_exists');
    });

    it('an unknown folder or an unknown new parent → 404 not_found', async () => {
      await refusedCall(app, () => w.owner.updateFolder({ params: { id: MISSING_ID }, body: { name: 'x' } }), 'not_found');
      await refusedCall(app, () => w.owner.updateFolder({ params: { id: a1.id }, body: { parentId: MISSING_ID } }), 'not_found');
    });

    const badBodies: InvalidBody[] = [
      ['an empty object', {}, ['body']],
      ['a name with a slash', { name: 'x/y' }, ['body.name']],
      ['a null name', { name: null }, ['body.name']],
      ['a parentId that is not a UUID', { parentId: 42 }, ['body.parentId']],
      ['an unknown field', { name: 'x', path: 'B/x' }, ['body']],
    ];
    itRefusesInvalidBodies(badBodies, () => ({ app, token: w.ownerToken, method: 'PATCH', path: pathOf('updateFolder', { id: a.id }) }));

    it('a folder id that is not a UUID → 400 validation_failed at params.id', async () => {
      const p = await refused(app, () => send(app, 'PATCH', '/v1/folders/A', { token: w.ownerToken, json: { name: 'x' } }), 400, 'validation_failed');
      assert.deepEqual(errorPaths(p), ['params.id']);
    });
  });

  describe('deleteFolder', () => {
    let w: TestWorkspace;
    let a: Folder;
    let a1: Folder;
    let a11: Folder;
    let b: Folder;
    beforeEach(async () => {
      w = await app.workspace();
      a = await mk(w.owner, 'A');
      a1 = await mk(w.owner, 'A1', a.id);
      a11 = await mk(w.owner, 'A11', a1.id);
      b = await mk(w.owner, 'B');
    });

    it('deletes an empty folder: 204, then 404 not_found', async () => {
      const res = await w.owner.raw('deleteFolder', { params: { id: b.id } });
      assert.equal(res.status, 204);
      await refusedCall(app, () => w.owner.getFolder({ params: { id: b.id } }), 'not_found');
      assert.deepEqual((await w.owner.listFolders()).items.map((f) => f.path), ['A', 'A/A1', 'A/A1/A11']);
    });

    it('recursive=false on an empty folder deletes it', async () => {
      await w.owner.deleteFolder({ params: { id: a11.id }, query: { recursive: 'false' } });
      assert.ok(!(await w.owner.listFolders()).items.some((f) => f.id === a11.id));
    });

    it('a folder with subfolders → 409 folder_not_empty, counting them', async () => {
      const err = await refusedCall(app, () => w.owner.deleteFolder({ params: { id: a.id } }), 'folder_not_empty');
      assert.equal(err.problem?.folders, 2);
      assert.equal(err.problem?.prompts, 0);
    });

    it('a folder holding a live prompt → 409 folder_not_empty, counting it', async () => {
      await promptIn(w, b.id);
      const err = await refusedCall(app, () => w.owner.deleteFolder({ params: { id: b.id } }), 'folder_not_empty');
      assert.equal(err.problem?.folders, 0);
      assert.equal(err.problem?.prompts, 1);
    });

    it('a folder holding only a trashed prompt is empty: deleted, and the prompt leaves it', async () => {
      const p = await promptIn(w, b.id);
      await app.backend.pool.query(`UPDATE prompt SET deleted_at = now() WHERE id = $1`, [p]);
      await w.owner.deleteFolder({ params: { id: b.id } });
      const { rows } = await app.backend.pool.query(`SELECT folder_id FROM prompt WHERE id = $1`, [p]);
      assert.equal(rows[0]?.folder_id, null);
    });

    it('recursive=true deletes the whole subtree and trashes its prompts (kept, with no folder)', async () => {
      const inner = await promptIn(w, a11.id);
      const outside = await promptIn(w, b.id);
      await w.owner.deleteFolder({ params: { id: a.id }, query: { recursive: 'true' } });
      assert.deepEqual((await w.owner.listFolders()).items.map((f) => f.path), ['B']);
      const { rows } = await app.backend.pool.query<{ id: string; folder_id: string | null; deleted_at: Date | null }>(
        `SELECT id, folder_id, deleted_at FROM prompt WHERE id = ANY($1)`,
        [[inner, outside]],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      assert.equal(byId.get(inner)?.folder_id, null);
      assert.ok(byId.get(inner)?.deleted_at, 'the inner prompt is in the trash');
      assert.equal(byId.get(outside)?.folder_id, b.id);
      assert.equal(byId.get(outside)?.deleted_at, null, 'a prompt elsewhere is untouched');
    });

    it('recursive=1 works like true; deleting a middle folder leaves its parent', async () => {
      await w.owner.deleteFolder({ params: { id: a1.id }, query: { recursive: '1' } });
      assert.deepEqual((await w.owner.listFolders()).items.map((f) => f.path), ['A', 'B']);
    });

    it('an unknown folder → 404 not_found', () => refusedCall(app, () => w.owner.deleteFolder({ params: { id: MISSING_ID } }), 'not_found'));

    const badQueries: [string, string, string][] = [
      ['recursive=yes', 'recursive=yes', 'query.recursive'],
      ['recursive= (empty)', 'recursive=', 'query.recursive'],
      ['recursive given twice', 'recursive=true&recursive=true', 'query.recursive'],
      ['an unknown parameter force=1', 'force=1', 'query'],
    ];
    for (const [what, qs, path] of badQueries) {
      it(`${what} → 400 validation_failed at ${path}`, async () => {
        const p = await refused(app, () => send(app, 'DELETE', `${pathOf('deleteFolder', { id: a.id })}?${qs}`, { token: w.ownerToken }), 400, 'validation_failed');
        assert.deepEqual(errorPaths(p), [path]);
      });
    }

    it('a viewer → 403 insufficient_scope', async () => {
      const viewer = await addMemberWithToken(app, w, 'viewer', ['read']);
      await refusedCall(app, () => viewer.client.deleteFolder({ params: { id: b.id } }), 'insufficient_scope');
    });
  });

  describe('wrong methods', () => {
    it('PUT /v1/folders/{id} → 405 method_not_allowed, Allow: GET, PATCH, DELETE', async () => {
      const res = await refused(app, () => send(app, 'PUT', `/v1/folders/${MISSING_ID}`, { token: ws.ownerToken, json: { name: 'x' } }), 405, 'method_not_allowed');
      assert.ok(res.detail);
      const raw = await send(app, 'PUT', `/v1/folders/${MISSING_ID}`, { token: ws.ownerToken });
      assert.deepEqual(raw.headers.get('allow')?.split(', ').sort(), ['DELETE', 'GET', 'PATCH']);
    });

    it('DELETE /v1/folders → 405 method_not_allowed, Allow: GET, POST', async () => {
      const res = await send(app, 'DELETE', '/v1/folders', { token: ws.ownerToken });
      assertProblem(res, 405, 'method_not_allowed');
      assert.deepEqual(res.headers.get('allow')?.split(', ').sort(), ['GET', 'POST']);
    });

    it('the path is case sensitive: /V1/folders → 404 not_found', () =>
      refused(app, () => send(app, 'GET', '/V1/folders', { token: ws.ownerToken }), 404, 'not_found'));
  });

  describe('bad bodies', () => {
    let target: string;
    before(async () => {
      target = (await mk(ws.owner, uniq('target'))).id;
    });
    itRefusesBadBodies(() => ({ app, token: ws.ownerToken }), {
      createFolder: () => ({ method: 'POST', path: '/v1/folders', json: { name: uniq('b') } }),
      updateFolder: () => ({ method: 'PATCH', path: pathOf('updateFolder', { id: target }), json: { name: uniq('b') } }),
    });
  });

  describe('bad credentials', () => {
    let target: string;
    before(async () => {
      target = (await mk(ws.owner, uniq('cred'))).id;
    });
    itRefusesBadCredentials(() => creds, {
      listFolders: () => ({ method: 'GET', path: '/v1/folders' }),
      createFolder: () => ({ method: 'POST', path: '/v1/folders', json: { name: uniq('c') } }),
      getFolder: () => ({ method: 'GET', path: pathOf('getFolder', { id: target }) }),
      updateFolder: () => ({ method: 'PATCH', path: pathOf('updateFolder', { id: target }), json: { name: uniq('c') } }),
      deleteFolder: () => ({ method: 'DELETE', path: pathOf('deleteFolder', { id: target }) }),
    });
  });
});
