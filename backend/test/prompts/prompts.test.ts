import assert from 'node:assert/strict';
import type { ProblemCode } from '@rocqet/sdk';
import type { TestApp, TestWorkspace } from '../support/app.js';
import { addMemberWithToken, send, type Answer, type TestMember } from '../support/api.js';
import { pathOf } from '../support/refusals.js';
import { allPrompts, flushUsage, httpGet, refusedNow, refusedRawNow, usePromptsApp } from '../support/prompts.js';

describe('prompts: metadata, folders, trash, render, export, usage, limits', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let editor: TestMember;
  let admin: TestMember;

  usePromptsApp((f) => ({ app, ws, editor, admin } = f));

  const refusedCall = (call: () => Promise<unknown>, code: ProblemCode, w: TestWorkspace = ws) => refusedNow(app, w.owner, call, code);
  const refused = (request: () => Promise<Answer>, status: number, code: ProblemCode) => refusedRawNow(app, ws.owner, request, status, code);

  describe('listing and addressing', () => {
    let folder: { id: string; path: string };
    let sub: { id: string; path: string };
    let w: TestWorkspace;

    before(async () => {
      w = await app.workspace();
      folder = await w.owner.createFolder({ body: { name: 'Sales Team' } });
      sub = await w.owner.createFolder({ body: { name: 'emails', parentId: folder.id } });
      await w.owner.createPrompt({ body: { title: 'Root one', slug: 'root-one', tags: ['a', 'B'], content: 'r1' } });
      await w.owner.createPrompt({ body: { title: 'Root two', slug: 'root-two', tags: ['a'], content: 'r2' } });
      await w.owner.createPrompt({ body: { title: 'In folder', slug: 'in-folder', folderId: folder.id, tags: ['b'], content: 'f' } });
      await w.owner.createPrompt({ body: { title: 'In sub', slug: 'in-sub', folderId: sub.id, tags: ['a', 'b', 'c'], content: 's' } });
    });

    it('lists newest first, filtered by folder (not its subfolders), root, and tags (all of them)', async () => {
      const slugs = async (query: Parameters<typeof allPrompts>[1]) => (await allPrompts(w.owner, query)).map((p) => p.slug);
      assert.deepEqual(await slugs({}), ['in-sub', 'in-folder', 'root-two', 'root-one']);
      assert.deepEqual(await slugs({ folder: folder.id }), ['in-folder']);
      assert.deepEqual(await slugs({ folder: sub.id }), ['in-sub']);
      assert.deepEqual(await slugs({ root: 'true' }), ['root-two', 'root-one']);
      assert.deepEqual(await slugs({ tag: 'a' }), ['in-sub', 'root-two', 'root-one']);
      assert.deepEqual(await slugs({ tag: ['a', 'b'] }), ['in-sub', 'root-one'], 'tags are lower-cased and all must match');
      assert.deepEqual(await slugs({ tag: ['A', 'C'] }), ['in-sub']);
      assert.deepEqual(await slugs({ tag: 'zzz' }), []);
      assert.deepEqual(await slugs({ folder: folder.id, tag: 'a' }), []);
      const paged = await w.owner.listPrompts({ query: { limit: 3 } });
      assert.equal(paged.items.length, 3);
      assert.ok(paged.nextCursor);
      const rest = await w.owner.listPrompts({ query: { limit: 3, cursor: paged.nextCursor } });
      assert.deepEqual(rest.items.map((p) => p.slug), ['root-one']);
      assert.equal(rest.nextCursor, null);
      const listed = (await allPrompts(w.owner)).find((p) => p.slug === 'in-sub')!;
      assert.equal(listed.path, 'Sales Team/emails/in-sub');
      assert.deepEqual(listed.tags, ['a', 'b', 'c']);
    });

    it('addresses a prompt by its path folder/sub/slug, URL-encoded (spaces and slashes)', async () => {
      const got = await w.owner.getPrompt({ params: { prompt: 'Sales Team/emails/in-sub' } });
      assert.equal(got.slug, 'in-sub');
      assert.equal(got.path, 'Sales Team/emails/in-sub');
      assert.equal(got.content, 's');
      const raw = await send(app, 'GET', '/v1/prompts/Sales%20Team%2Femails%2Fin-sub', { token: w.ownerToken });
      assert.equal(raw.status, 200);
      assert.equal((raw.json as { slug: string }).slug, 'in-sub');
      assert.equal((await w.owner.getPrompt({ params: { prompt: 'root-one' } })).slug, 'root-one');
      // Wrong folder, or the right slug at the wrong level: not found.
      await refusedCall(() => w.owner.getPrompt({ params: { prompt: 'Sales Team/in-sub' } }), 'not_found', w);
      await refusedCall(() => w.owner.getPrompt({ params: { prompt: 'in-sub' } }), 'not_found', w);
      await refusedCall(() => w.owner.getPrompt({ params: { prompt: 'Nope/emails/in-sub' } }), 'not_found', w);
    });
  });

  describe('update, move, slugs', () => {
    it('updates metadata (audited, not versioned); If-Match with a current ETag passes, a stale one → 412 precondition_failed', async () => {
      const p = await ws.owner.createPrompt({ body: { title: 'Meta', content: 'meta body\n' } });
      assert.equal(p.slug, 'meta');
      const auth = { authorization: `Bearer ${ws.ownerToken}` };
      const read = await httpGet(app, pathOf('getPrompt', { prompt: p.id }), auth);
      const etag = String(read.headers.etag);
      const updated = await ws.owner.updatePrompt({
        params: { prompt: p.id },
        body: { title: 'Meta 2', description: 'described', tags: ['X', 'x', 'y'] },
        headers: { 'if-match': etag },
      });
      assert.equal(updated.title, 'Meta 2');
      assert.equal(updated.description, 'described');
      assert.deepEqual(updated.tags, ['x', 'y']);
      assert.equal(updated.headCommitId, p.commit.id, 'metadata changes make no commit');
      const { rows } = await app.backend.pool.query<{ n: string }>('SELECT count(*) AS n FROM prompt_commit WHERE prompt_id = $1', [p.id]);
      assert.equal(Number(rows[0]!.n), 1);
      // The ETag read before the update is stale now.
      await refusedCall(
        () => ws.owner.updatePrompt({ params: { prompt: p.id }, body: { title: 'Meta 3' }, headers: { 'if-match': etag } }),
        'precondition_failed',
      );
      await refusedCall(
        () => ws.owner.updatePrompt({ params: { prompt: p.id }, body: { title: 'Meta 3' }, headers: { 'if-match': '"nope"' } }),
        'precondition_failed',
      );
      const star = await ws.owner.updatePrompt({ params: { prompt: p.id }, body: { title: 'Meta 3' }, headers: { 'if-match': '*' } });
      assert.equal(star.title, 'Meta 3');
      const noHeader = await ws.owner.updatePrompt({ params: { prompt: p.id }, body: { title: 'Meta 4' } });
      assert.equal(noHeader.title, 'Meta 4');
      await refused(() => send(app, 'PATCH', pathOf('updatePrompt', { prompt: p.id }), { token: ws.ownerToken, json: {} }), 400, 'validation_failed');
      const { rows: audit } = await app.backend.pool.query<{ action: string }>(
        `SELECT action FROM audit_entry WHERE resource_id = $1 AND action LIKE 'prompt.%' ORDER BY id`,
        [p.id],
      );
      assert.deepEqual(audit.map((a) => a.action), ['prompt.create', 'prompt.update', 'prompt.update', 'prompt.update']);
    });

    it('moves a prompt between folders: the path changes, the old path is gone', async () => {
      const a = await ws.owner.createFolder({ body: { name: 'from-here' } });
      const b = await ws.owner.createFolder({ body: { name: 'to-there' } });
      const p = await ws.owner.createPrompt({ body: { title: 'Mover', folderId: a.id, content: 'move me' } });
      assert.equal(p.path, 'from-here/mover');
      const moved = await ws.owner.updatePrompt({ params: { prompt: 'from-here/mover' }, body: { folderId: b.id } });
      assert.equal(moved.path, 'to-there/mover');
      assert.equal(moved.folderId, b.id);
      assert.equal((await ws.owner.getPrompt({ params: { prompt: 'to-there/mover' } })).content, 'move me');
      await refusedCall(() => ws.owner.getPrompt({ params: { prompt: 'from-here/mover' } }), 'not_found');
      const toRoot = await ws.owner.updatePrompt({ params: { prompt: p.id }, body: { folderId: null } });
      assert.equal(toRoot.path, 'mover');
      const { rows } = await app.backend.pool.query<{ action: string }>(
        `SELECT action FROM audit_entry WHERE resource_id = $1 AND action = 'prompt.move'`,
        [p.id],
      );
      assert.equal(rows.length, 2);
      await refusedCall(
        () => ws.owner.updatePrompt({ params: { prompt: p.id }, body: { folderId: '00000000-0000-4000-8000-000000000000' } }),
        'not_found',
      );
    });

    it('slug clashes → 409 already_exists (create, rename, move); the same slug in another folder is fine', async () => {
      const f = await ws.owner.createFolder({ body: { name: 'clash' } });
      await ws.owner.createPrompt({ body: { title: 'Taken', content: 'root' } });
      await refusedCall(() => ws.owner.createPrompt({ body: { title: 'Taken', content: 'again' } }), 'already_exists');
      await refusedCall(() => ws.owner.createPrompt({ body: { title: 'Other', slug: 'taken', content: 'again' } }), 'already_exists');
      const inFolder = await ws.owner.createPrompt({ body: { title: 'Taken', folderId: f.id, content: 'folder' } });
      assert.equal(inFolder.path, 'clash/taken');
      await refusedCall(() => ws.owner.updatePrompt({ params: { prompt: inFolder.id }, body: { folderId: null } }), 'already_exists');
      const second = await ws.owner.createPrompt({ body: { title: 'Second', folderId: f.id, content: 'x' } });
      await refusedCall(() => ws.owner.updatePrompt({ params: { prompt: second.id }, body: { slug: 'taken' } }), 'already_exists');
      await refusedCall(() => ws.owner.createPrompt({ body: { title: 'Bad slug', slug: 'Bad Slug', content: 'x' } }), 'validation_failed');
      // A slug derived from a title without letters falls back.
      const odd = await ws.owner.createPrompt({ body: { title: '✨✨', content: 'x' } });
      assert.equal(odd.slug, 'prompt');
    });
  });

  describe('trash', () => {
    it('delete → gone from list and get (404); listed with deleted=true; restore (admins only) brings it back', async () => {
      const p = await ws.owner.createPrompt({ body: { title: 'Trash me', content: 'bye\n' } });
      await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'bye 2\n', message: 'm', parent: p.commit.id } });
      await editor.client.deletePrompt({ params: { prompt: 'trash-me' } });
      await refusedCall(() => ws.owner.getPrompt({ params: { prompt: p.id } }), 'not_found');
      await refusedCall(() => ws.owner.getPrompt({ params: { prompt: 'trash-me' } }), 'not_found');
      await refusedCall(() => ws.owner.listCommits({ params: { prompt: p.id } }), 'not_found');
      await refusedCall(
        () => ws.owner.commit({ params: { prompt: p.id }, body: { content: 'x\n', message: 'm', parent: p.commit.id } }),
        'not_found',
      );
      await refusedCall(() => ws.owner.deletePrompt({ params: { prompt: p.id } }), 'not_found');
      assert.ok(!(await allPrompts(ws.owner)).some((x) => x.id === p.id));
      const trash = await allPrompts(ws.owner, { deleted: 'true' });
      const inTrash = trash.find((x) => x.id === p.id);
      assert.ok(inTrash);
      assert.ok(inTrash.deletedAt);

      await refusedCall(() => editor.client.restorePrompt({ params: { prompt: p.id } }), 'forbidden');
      const restored = await admin.client.restorePrompt({ params: { prompt: p.id } });
      assert.equal(restored.deletedAt, null);
      const back = await ws.owner.getPrompt({ params: { prompt: 'trash-me' } });
      assert.equal(back.content, 'bye 2\n', 'history survives the trash');
      assert.equal(back.commit.seq, 2);
      await refusedCall(() => admin.client.restorePrompt({ params: { prompt: p.id } }), 'not_found');
    });

    it('restoring when the slug was reused meanwhile → 409 already_exists; by path it finds the deleted one', async () => {
      const p = await ws.owner.createPrompt({ body: { title: 'Reused', content: 'old' } });
      await ws.owner.deletePrompt({ params: { prompt: p.id } });
      const fresh = await ws.owner.createPrompt({ body: { title: 'Reused', content: 'new' } });
      assert.equal(fresh.slug, 'reused');
      await refusedCall(() => admin.client.restorePrompt({ params: { prompt: p.id } }), 'already_exists');
      await refusedCall(() => admin.client.restorePrompt({ params: { prompt: 'reused' } }), 'already_exists');
      assert.equal((await ws.owner.getPrompt({ params: { prompt: 'reused' } })).id, fresh.id);
      await ws.owner.updatePrompt({ params: { prompt: fresh.id }, body: { slug: 'reused-new' } });
      const restored = await admin.client.restorePrompt({ params: { prompt: 'reused' } });
      assert.equal(restored.id, p.id);
      assert.equal((await ws.owner.getPrompt({ params: { prompt: 'reused' } })).content, 'old');
    });
  });

  describe('render', () => {
    const doc = [
      '---',
      'description: Greets people',
      'variables:',
      '  name:',
      '    description: who',
      '    required: true',
      '  lang:',
      '    enum: [en, fr]',
      '    default: en',
      '  excl:',
      '    required: false',
      '---',
      'Hello {{name}} in {{lang}}{{excl}}.',
      '',
    ].join('\n');

    it('fills values and defaults, names the commit used; a ref renders that version', async () => {
      const p = await ws.owner.createPrompt({ body: { title: 'Greeter', content: doc } });
      const r = await ws.owner.render({ params: { prompt: p.id }, body: { values: { name: 'Ada' } } });
      assert.equal(r.text, 'Hello Ada in en.\n');
      assert.deepEqual(r.defaulted, ['lang']);
      assert.deepEqual([...r.used].sort(), ['excl', 'lang', 'name']);
      assert.equal(r.commit.id, p.commit.id);
      assert.equal(r.ref, 'main', 'no ref given: the default branch is named');
      const r2 = await ws.owner.render({ params: { prompt: p.id }, body: { values: { name: 'Zoé', lang: 'fr', excl: '!' } } });
      assert.equal(r2.text, 'Hello Zoé in fr!.\n');
      assert.deepEqual(r2.defaulted, []);
      const c2 = await ws.owner.commit({
        params: { prompt: p.id },
        body: { content: doc.replace('Hello', 'Bonjour'), message: 'fr', parent: p.commit.id },
      });
      const head = await ws.owner.render({ params: { prompt: p.id }, body: { values: { name: 'A' } } });
      assert.equal(head.commit.id, c2.id);
      assert.equal(head.text, 'Bonjour A in en.\n');
      const old = await ws.owner.render({ params: { prompt: p.id }, body: { ref: '#1', values: { name: 'A' } } });
      assert.equal(old.commit.id, p.commit.id);
      assert.equal(old.ref, '#1');
      assert.equal(old.text, 'Hello A in en.\n');
      // The viewer role may render (read scope).
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      assert.equal((await viewer.client.render({ params: { prompt: p.id }, body: { values: { name: 'V' } } })).text, 'Bonjour V in en.\n');
    });

    it('missing required → 422 missing_variables naming them; enum violation → 422 invalid_variable_value', async () => {
      const p = await ws.owner.createPrompt({ body: { title: 'Greeter strict', content: doc } });
      const missing = await refusedCall(() => ws.owner.render({ params: { prompt: p.id }, body: { values: {} } }), 'missing_variables');
      assert.deepEqual(missing.problem?.missing, ['name']);
      const bad = await refusedCall(
        () => ws.owner.render({ params: { prompt: p.id }, body: { values: { name: 'x', lang: 'de' } } }),
        'invalid_variable_value',
      );
      assert.equal(bad.problem?.variable, 'lang');
      assert.deepEqual(bad.problem?.allowed, ['en', 'fr']);
      // Undeclared placeholders: strict (default) needs them; strict false keeps them as written.
      const loose = await ws.owner.createPrompt({ body: { title: 'Loose', content: 'Hi {{who}} and {{what}}' } });
      const err = await refusedCall(() => ws.owner.render({ params: { prompt: loose.id }, body: { values: { who: 'me' } } }), 'missing_variables');
      assert.deepEqual(err.problem?.missing, ['what']);
      const kept = await ws.owner.render({ params: { prompt: loose.id }, body: { values: { who: 'me' }, strict: false } });
      assert.equal(kept.text, 'Hi me and {{what}}');
      await refusedCall(() => ws.owner.render({ params: { prompt: loose.id }, body: { ref: 'nope' } }), 'ref_not_found');
    });
  });

  describe('export as .prompt.md', () => {
    it('answers text/markdown as an attachment named <slug>.prompt.md; the text of a ref; metadata description added', async () => {
      const p = await ws.owner.createPrompt({ body: { title: 'Exported', description: 'From metadata', content: 'Body {{x}}\n' } });
      await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'Body two {{x}}\n', message: 'two', parent: p.commit.id } });
      const res = await send(app, 'GET', pathOf('exportPromptFile', { prompt: p.id }, { ref: '#1' }), { token: ws.ownerToken });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/markdown/);
      assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="?exported\.prompt\.md"?$/);
      assert.match(res.text, /^---\n/);
      assert.match(res.text, /description: From metadata/);
      assert.ok(res.text.endsWith('Body {{x}}\n'), res.text);
      // A document that has its own description comes back byte for byte.
      const own = '---\ndescription: Own words\n---\nKeep me exactly.\n';
      const q = await ws.owner.createPrompt({ body: { title: 'Own', description: 'ignored', content: own } });
      const res2 = await send(app, 'GET', pathOf('exportPromptFile', { prompt: q.path }), { token: ws.ownerToken });
      assert.equal(res2.text, own);
      // The typed client gets the text too.
      assert.equal(await ws.owner.exportPromptFile({ params: { prompt: q.id } }), own);
      await refusedCall(() => ws.owner.exportPromptFile({ params: { prompt: q.id }, query: { ref: 'nope' } }), 'ref_not_found');
    });
  });

  describe('usage', () => {
    it('counts views and renders; topPrompts orders by views, renders or both', async () => {
      const w = await app.workspace();
      const a = await w.owner.createPrompt({ body: { title: 'A', content: 'a {{v}}' } });
      const b = await w.owner.createPrompt({ body: { title: 'B', content: 'b {{v}}' } });
      const c = await w.owner.createPrompt({ body: { title: 'C', content: 'c' } });
      await w.owner.createPrompt({ body: { title: 'Unused', content: 'u' } });
      for (let i = 0; i < 3; i++) await w.owner.getPrompt({ params: { prompt: a.id } });
      await w.owner.getPrompt({ params: { prompt: 'b' } });
      for (let i = 0; i < 4; i++) await w.owner.render({ params: { prompt: b.id }, body: { values: { v: i } } });
      await w.owner.render({ params: { prompt: c.id }, body: {} });
      // Neither getCommit, nor a refused render, nor a read by another workspace counts.
      await w.owner.getCommit({ params: { prompt: a.id, ref: 'main' } });
      await w.owner.render({ params: { prompt: a.id }, body: { values: {} } }).catch(() => undefined);

      const byViews = await w.owner.topPrompts({ query: { by: 'views' } });
      assert.deepEqual(byViews.items.map((p) => [p.slug, p.usage.views]), [['a', 3], ['b', 1]]);
      const byRenders = await w.owner.topPrompts({ query: { by: 'renders' } });
      assert.deepEqual(byRenders.items.map((p) => [p.slug, p.usage.renders]), [['b', 4], ['c', 1]]);
      const total = await w.owner.topPrompts({});
      assert.deepEqual(total.items.map((p) => p.slug), ['b', 'a', 'c']);
      assert.deepEqual((await w.owner.topPrompts({ query: { limit: 1 } })).items.map((p) => p.slug), ['b']);
      // The counts show on the prompt itself.
      const listed = (await allPrompts(w.owner)).find((p) => p.id === b.id)!;
      assert.deepEqual(listed.usage, { views: 1, renders: 4 });
      // Another workspace sees none of this.
      assert.deepEqual((await ws.owner.topPrompts({})).items.filter((p) => [a.id, b.id, c.id].includes(p.id)), []);
      // A deleted prompt leaves the ranking.
      await w.owner.deletePrompt({ params: { prompt: b.id } });
      assert.deepEqual((await w.owner.topPrompts({})).items.map((p) => p.slug), ['a', 'c']);
    });
  });

  describe('renders reported by a client (POST /v1/usage/renders)', () => {
    it('adds to the render counters of live prompts of the workspace; other ids are named back and counted nowhere', async () => {
      const w = await app.workspace();
      const other = await app.workspace();
      const a = await w.owner.createPrompt({ body: { title: 'A', content: 'a {{v}}' } });
      const b = await w.owner.createPrompt({ body: { title: 'B', content: 'b' } });
      const gone = await w.owner.createPrompt({ body: { title: 'Gone', content: 'g' } });
      await w.owner.deletePrompt({ params: { prompt: gone.id } });
      const theirs = await other.owner.createPrompt({ body: { title: 'Theirs', content: 't' } });
      const nobody = '00000000-0000-4000-8000-000000000000';
      await w.owner.render({ params: { prompt: a.id }, body: { values: { v: 1 } } });
      // A viewer's read-only token may report: rendering is reading.
      const viewer = await addMemberWithToken(app, w, 'viewer', ['read']);
      const r = await viewer.client.reportRenders({
        body: { renders: [{ prompt: a.id, count: 5 }, { prompt: b.id, count: 2 }, { prompt: gone.id, count: 3 }, { prompt: theirs.id, count: 7 }, { prompt: nobody, count: 1 }] },
      });
      assert.equal(r.counted, 7);
      assert.deepEqual(new Set(r.unknown), new Set([gone.id, theirs.id, nobody]));
      const usage = async (c: typeof w.owner, id: string) => (await allPrompts(c)).find((p) => p.id === id)?.usage;
      await flushUsage(w.owner);
      assert.deepEqual(await usage(w.owner, a.id), { views: 0, renders: 6 });
      assert.deepEqual(await usage(w.owner, b.id), { views: 0, renders: 2 });
      await flushUsage(other.owner);
      assert.deepEqual(await usage(other.owner, theirs.id), { views: 0, renders: 0 });
      // Counters, not library changes: no audit entry for a report.
      const audit = await w.owner.listAudit({ query: { limit: 100 } });
      assert.ok(!audit.items.some((e) => e.action.includes('usage') || e.action.includes('render')), JSON.stringify(audit.items.map((e) => e.action)));
    });

    for (const [what, body] of [
      ['no renders', { renders: [] }],
      ['a count of 0', { renders: [{ prompt: '00000000-0000-4000-8000-000000000000', count: 0 }] }],
      ['a count over 1000', { renders: [{ prompt: '00000000-0000-4000-8000-000000000000', count: 1001 }] }],
      ['a fractional count', { renders: [{ prompt: '00000000-0000-4000-8000-000000000000', count: 1.5 }] }],
      ['a prompt that is not an id', { renders: [{ prompt: 'greeter', count: 1 }] }],
      ['the same prompt twice', { renders: [{ prompt: '00000000-0000-4000-8000-000000000000', count: 1 }, { prompt: '00000000-0000-4000-8000-000000000000', count: 1 }] }],
      ['more than 200 prompts', { renders: Array.from({ length: 201 }, (_, i) => ({ prompt: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, count: 1 })) }],
      ['an extra field', { renders: [{ prompt: '00000000-0000-4000-8000-000000000000', count: 1 }], views: 3 }],
    ] as const) {
      it(`${what} → 400 validation_failed, nothing counted`, async () => {
        const w = await app.workspace();
        await refusedNow(app, w.owner, () => w.owner.reportRenders({ body: body as never }), 'validation_failed');
      });
    }
  });

  describe('plan limit', () => {
    it('a workspace at its max_prompts → 403 limit_exceeded on create, restore and import; deleting frees a slot', async () => {
      const w = await app.workspace(undefined, { type: 'personal', plan: 'free' });
      await app.backend.pool.query('UPDATE workspace SET max_prompts = 3 WHERE id = $1', [w.id]);
      const made: { id: string }[] = [];
      for (let i = 0; i < 3; i++) made.push(await w.owner.createPrompt({ body: { title: `Limit ${i}`, content: `${i}` } }));
      const err = await refusedCall(() => w.owner.createPrompt({ body: { title: 'One too many', content: 'x' } }), 'limit_exceeded', w);
      assert.equal(err.problem?.limit, 3);
      const csv = 'act,prompt\nFirst,one\n';
      await refusedCall(() => w.owner.importPrompts({ body: { format: 'awesome-csv', data: csv } }), 'limit_exceeded', w);
      await w.owner.deletePrompt({ params: { prompt: made[0]!.id } });
      const fourth = await w.owner.createPrompt({ body: { title: 'Fits again', content: 'x' } });
      assert.equal(fourth.slug, 'fits-again');
      // Restoring would go over the limit again.
      await refusedCall(() => w.owner.restorePrompt({ params: { prompt: made[0]!.id } }), 'limit_exceeded', w);
      const { rows } = await app.backend.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM prompt WHERE workspace_id = $1 AND deleted_at IS NULL',
        [w.id],
      );
      assert.equal(Number(rows[0]!.n), 3);
    });

    it('an import that runs into the limit part-way is refused with limit_exceeded', async () => {
      const w = await app.workspace(undefined, { type: 'personal', plan: 'free' });
      await app.backend.pool.query('UPDATE workspace SET max_prompts = 2 WHERE id = $1', [w.id]);
      const csv = 'act,prompt\nOne,1\nTwo,2\nThree,3\n';
      await flushUsage(w.owner);
      await assert.rejects(w.owner.importPrompts({ body: { format: 'awesome-csv', data: csv } }), (e: Error & { code?: string }) => e.code === 'limit_exceeded');
      const { rows } = await app.backend.pool.query<{ n: string }>('SELECT count(*) AS n FROM prompt WHERE workspace_id = $1', [w.id]);
      // Each imported prompt is its own transaction, so the ones that fit stay (see the report).
      assert.ok(Number(rows[0]!.n) <= 2);
    });
  });
});
