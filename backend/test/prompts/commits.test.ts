import assert from 'node:assert/strict';
import { RocqetError, type ProblemCode } from '@rocqet/sdk';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { addMemberWithToken, MISSING_ID, ownerToken, send, type Answer, type TestMember } from '../support/api.js';
import { pathOf } from '../support/refusals.js';
import { allCommits, headOf, httpGet, refusedNow, refusedRawNow, sha256Hex } from '../support/prompts.js';

describe('prompts: commits and history', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let other: TestWorkspace;
  let editor: TestMember;
  let viewer: TestMember;

  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    other = await app.workspace();
    editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
    viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
  });
  after(() => app?.close());

  // Refusals must leave the database as it was; pending view counts are flushed first so the periodic flush cannot
  // land inside the check.
  const refusedCall = (a: TestApp, call: () => Promise<unknown>, code: ProblemCode) => refusedNow(a, ws.owner, call, code);
  const refused = (a: TestApp, request: () => Promise<Answer>, status: number, code: ProblemCode) =>
    refusedRawNow(a, ws.owner, request, status, code);

  let n = 0;
  async function newPrompt(content = 'first\n', client = ws.owner) {
    const title = `Prompt ${++n}`;
    return client.createPrompt({ body: { title, content } });
  }

  describe('create, commit, history', () => {
    it('the text becomes commit #1 on main; commits chain with seq 1..n; history is newest first and pages by cursor', async () => {
      const p = await newPrompt('v1\n');
      assert.equal(p.commit.seq, 1);
      assert.equal(p.commit.parentId, null);
      assert.equal(p.commit.mergeParentId, null);
      assert.equal(p.commit.message, `Create ${p.title}`);
      assert.equal(p.commit.contentHash, sha256Hex('v1\n'));
      assert.equal(p.commit.size, 3);
      assert.equal(p.content, 'v1\n');
      assert.equal(p.ref, 'main');
      assert.equal(p.defaultBranch, 'main');
      assert.equal(p.headCommitId, p.commit.id);

      const ids = [p.commit.id];
      const texts = ['v1\n'];
      for (let i = 2; i <= 12; i++) {
        const text = `v${i}\nnaïve ✓ ${'x'.repeat(i)}\n`;
        const c = await ws.owner.commit({
          params: { prompt: p.id },
          body: { content: text, message: `edit ${i}`, parent: ids[ids.length - 1]! },
        });
        assert.equal(c.seq, i);
        assert.equal(c.parentId, ids[ids.length - 1]);
        assert.equal(c.mergeParentId, null);
        assert.equal(c.message, `edit ${i}`);
        assert.equal(c.contentHash, sha256Hex(text));
        assert.equal(c.size, Buffer.byteLength(text, 'utf8'));
        ids.push(c.id);
        texts.push(text);
      }

      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await ws.owner.listCommits({ params: { prompt: p.id }, query: { limit: 5, ...(cursor ? { cursor } : {}) } });
        pages.push(page.items.map((c) => c.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(pages.map((pg) => pg.length), [5, 5, 2]);
      assert.deepEqual(pages.flat(), [...ids].reverse());
      const all = await allCommits(ws.owner, p.id);
      assert.deepEqual(all.map((c) => c.seq), [12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

      for (const [i, id] of ids.entries()) {
        const got = await ws.owner.getCommit({ params: { prompt: p.id, ref: id } });
        assert.equal(got.content, texts[i]);
        assert.equal(got.seq, i + 1);
      }
      const head = await ws.owner.getPrompt({ params: { prompt: p.id } });
      assert.equal(head.content, texts[11]);
      assert.equal(head.headCommitId, ids[11]);
      assert.equal(head.commit.id, ids[11]);
    });

    it('history of an older ref only walks back from it', async () => {
      const p = await newPrompt('a\n');
      const c2 = await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'b\n', message: 'b', parent: p.commit.id } });
      await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'c\n', message: 'c', parent: c2.id } });
      const hist = await allCommits(ws.owner, p.id, '#2');
      assert.deepEqual(hist.map((c) => c.id), [c2.id, p.commit.id]);
    });

    it('a garbled cursor → 400 invalid_cursor', async () => {
      const p = await newPrompt();
      await refusedCall(app, () => ws.owner.listCommits({ params: { prompt: p.id }, query: { cursor: 'not-a-cursor' } }), 'invalid_cursor');
    });

    it('the prompt is addressable by id and by path, also in a folder', async () => {
      const folder = await ws.owner.createFolder({ body: { name: 'Team Notes' } });
      const sub = await ws.owner.createFolder({ body: { name: 'sub', parentId: folder.id } });
      const p = await ws.owner.createPrompt({ body: { title: 'Deep', slug: 'deep-one', folderId: sub.id, content: 'x\n' } });
      assert.equal(p.path, 'Team Notes/sub/deep-one');
      const c = await ws.owner.commit({ params: { prompt: p.path }, body: { content: 'y\n', message: 'by path', parent: p.commit.id } });
      assert.equal(c.seq, 2);
      const byPath = await ws.owner.getCommit({ params: { prompt: 'Team Notes/sub/deep-one', ref: 'main' } });
      assert.equal(byPath.id, c.id);
      assert.equal(byPath.content, 'y\n');
    });
  });

  describe('ETag and If-None-Match', () => {
    it('getPrompt answers 304 to its own ETag, 200 to a stale one, and a new ETag after a commit', async () => {
      const p = await newPrompt('etag\n');
      const path = pathOf('getPrompt', { prompt: p.id });
      const auth = { authorization: `Bearer ${ws.ownerToken}` };
      // Views are counted in memory and flushed every few seconds; a flush between two reads changes the usage in
      // the representation (and so the ETag). Retry only when the body really differs.
      let first = await httpGet(app, path, auth);
      let again = await httpGet(app, path, { ...auth, 'if-none-match': String(first.headers.etag) });
      for (let attempt = 0; again.status === 200 && attempt < 3; attempt++) {
        assert.notEqual(again.text, first.text, 'a 200 to a matching If-None-Match must carry a different representation');
        first = again;
        again = await httpGet(app, path, { ...auth, 'if-none-match': String(first.headers.etag) });
      }
      assert.equal(first.status, 200);
      const etag = String(first.headers.etag);
      assert.match(etag, /^"[^"]+"$/);
      assert.equal(again.status, 304);
      assert.equal(again.text, '');

      const stale = await httpGet(app, path, { ...auth, 'if-none-match': '"stale"' });
      assert.equal(stale.status, 200);

      await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'etag 2\n', message: 'm', parent: p.commit.id } });
      const after = await httpGet(app, path, { ...auth, 'if-none-match': etag });
      assert.equal(after.status, 200, 'the old ETag no longer matches after a commit');
      assert.equal((JSON.parse(after.text) as { content: string }).content, 'etag 2\n');
      assert.notEqual(after.headers.etag, etag);
    });

    it('getCommit and listCommits answer 304 to their ETag', async () => {
      const p = await newPrompt('commit etag\n');
      const auth = { authorization: `Bearer ${ws.ownerToken}` };
      for (const path of [pathOf('getCommit', { prompt: p.id, ref: p.commit.id }), pathOf('listCommits', { prompt: p.id })]) {
        const first = await httpGet(app, path, auth);
        assert.equal(first.status, 200);
        const again = await httpGet(app, path, { ...auth, 'if-none-match': String(first.headers.etag) });
        assert.equal(again.status, 304, path);
      }
    });
  });

  describe('ref resolution', () => {
    it('resolves commit id, #seq, tag and branch; commit id wins over a same-named branch or tag', async () => {
      const p = await newPrompt('one\n');
      const c1 = p.commit;
      const c2 = await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'two\n', message: '2', parent: c1.id } });
      const c3 = await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'three\n', message: '3', parent: c2.id } });
      await ws.owner.createTag({ params: { prompt: p.id }, body: { name: 'v1', ref: '#1' } });
      await ws.owner.createBranch({ params: { prompt: p.id }, body: { name: 'feature', from: c2.id } });

      const at = async (ref: string) => (await ws.owner.getCommit({ params: { prompt: p.id, ref } })).id;
      assert.equal(await at(c1.id), c1.id);
      assert.equal(await at('#2'), c2.id);
      assert.equal(await at('#3'), c3.id);
      assert.equal(await at('v1'), c1.id);
      assert.equal(await at('feature'), c2.id);
      assert.equal(await at('main'), c3.id);
      assert.equal((await ws.owner.getPrompt({ params: { prompt: p.id }, query: { ref: 'v1' } })).content, 'one\n');

      // A branch and a tag named like commit ids: the commit id is looked up first.
      await ws.owner.createBranch({ params: { prompt: p.id }, body: { name: c1.id, from: c3.id } });
      await ws.owner.createTag({ params: { prompt: p.id }, body: { name: c2.id, ref: c3.id } });
      assert.equal(await at(c1.id), c1.id);
      assert.equal(await at(c2.id), c2.id);
      // A uuid that is not a commit of this prompt falls through to the branch of that name.
      const q = await newPrompt('other prompt\n');
      await ws.owner.createBranch({ params: { prompt: p.id }, body: { name: q.commit.id, from: '#2' } });
      assert.equal(await at(q.commit.id), c2.id);
    });

    it('a tag and a branch can never share a name: already_exists both ways, nothing written', async () => {
      const p = await newPrompt('names\n');
      await ws.owner.createTag({ params: { prompt: p.id }, body: { name: 'release' } });
      await ws.owner.createBranch({ params: { prompt: p.id }, body: { name: 'dev' } });
      await refusedCall(app, () => ws.owner.createBranch({ params: { prompt: p.id }, body: { name: 'release' } }), 'already_exists');
      await refusedCall(app, () => ws.owner.createTag({ params: { prompt: p.id }, body: { name: 'dev' } }), 'already_exists');
      await refusedCall(
        app,
        () => ws.owner.renameBranch({ params: { prompt: p.id, name: 'dev' }, body: { name: 'release' } }),
        'already_exists',
      );
    });

    it('unknown refs → 404 ref_not_found (getCommit, getPrompt, listCommits, commit on an unknown branch)', async () => {
      const p = await newPrompt('refs\n');
      await refusedCall(app, () => ws.owner.getCommit({ params: { prompt: p.id, ref: 'nope' } }), 'ref_not_found');
      await refusedCall(app, () => ws.owner.getCommit({ params: { prompt: p.id, ref: '#2' } }), 'ref_not_found');
      await refusedCall(app, () => ws.owner.getCommit({ params: { prompt: p.id, ref: MISSING_ID } }), 'ref_not_found');
      await refusedCall(app, () => ws.owner.getPrompt({ params: { prompt: p.id }, query: { ref: 'nope' } }), 'ref_not_found');
      await refusedCall(app, () => ws.owner.listCommits({ params: { prompt: p.id }, query: { ref: 'nope' } }), 'ref_not_found');
      await refusedCall(
        app,
        () => ws.owner.commit({ params: { prompt: p.id }, body: { content: 'x\n', message: 'm', branch: 'nope', parent: p.commit.id } }),
        'ref_not_found',
      );
      // Another prompt's commit is not a ref of this one.
      const q = await newPrompt('q\n');
      await refusedCall(app, () => ws.owner.getCommit({ params: { prompt: p.id, ref: q.commit.id } }), 'ref_not_found');
    });
  });

  describe('concurrency', () => {
    it('20 concurrent commits on the same head: exactly one 201, 19 × 409 head_moved naming the new head; seq has no gaps', async () => {
      const p = await newPrompt('race\n');
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          ws.owner.commit({ params: { prompt: p.id }, body: { content: `racer ${i}\n`, message: `racer ${i}`, parent: p.commit.id } }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, `winners: ${won.length}; errors: ${lost.map((l) => String(l.reason)).join('; ')}`);
      assert.equal(lost.length, 19);
      const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof ws.owner.commit>>>).value;
      assert.equal(winner.seq, 2);
      for (const l of lost) {
        assert.ok(l.reason instanceof RocqetError, String(l.reason));
        assert.equal(l.reason.code, 'head_moved');
        assert.equal(l.reason.status, 409);
        assert.equal(l.reason.problem?.head, winner.id);
        assert.equal(l.reason.problem?.parent, p.commit.id);
      }
      const hist = await allCommits(ws.owner, p.id);
      assert.deepEqual(hist.map((c) => c.seq), [2, 1]);
      const { rows } = await app.backend.pool.query<{ seq: number }>(
        'SELECT seq FROM prompt_commit WHERE prompt_id = $1 ORDER BY seq',
        [p.id],
      );
      assert.deepEqual(rows.map((r) => r.seq), [1, 2]);
      // The next commit continues the sequence without a gap.
      const next = await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'after\n', message: 'after', parent: winner.id } });
      assert.equal(next.seq, 3);
      const { rows: audits } = await app.backend.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM audit_entry WHERE resource_id = $1 AND action = 'prompt.commit'`,
        [p.id],
      );
      assert.equal(Number(audits[0]!.n), 2, 'one audit entry per commit that happened');
    });

    it('10 concurrent creates of the same slug: one 201, nine already_exists', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => ws.owner.createPrompt({ body: { title: 'Same Slug Race', content: `racer ${i}` } })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as RocqetError).code, 'already_exists', String(r.reason));
      }
      const { rows } = await app.backend.pool.query(
        `SELECT id FROM prompt WHERE workspace_id = $1 AND slug = 'same-slug-race'`,
        [ws.id],
      );
      assert.equal(rows.length, 1);
    });

    it('concurrent branch and tag creations of one name: exactly one lands, the rest already_exists', async () => {
      const p = await newPrompt('names race\n');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          i % 2
            ? ws.owner.createBranch({ params: { prompt: p.id }, body: { name: 'contested' } })
            : ws.owner.createTag({ params: { prompt: p.id }, body: { name: 'contested' } }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.ok(['already_exists', 'tag_immutable'].includes((r.reason as RocqetError).code), String(r.reason));
      }
      const { rows } = await app.backend.pool.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM branch WHERE prompt_id = $1 AND name = 'contested')
              + (SELECT count(*) FROM tag WHERE prompt_id = $1 AND name = 'contested') AS n`,
        [p.id],
      );
      assert.equal(Number(rows[0]!.n), 1);
    });

    it('concurrent commits on different branches all land, with distinct consecutive seqs', async () => {
      const p = await newPrompt('fan\n');
      for (let i = 0; i < 8; i++) await ws.owner.createBranch({ params: { prompt: p.id }, body: { name: `b${i}` } });
      const made = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          ws.owner.commit({ params: { prompt: p.id }, body: { content: `b${i}\n`, message: `b${i}`, branch: `b${i}`, parent: p.commit.id } }),
        ),
      );
      assert.deepEqual(made.map((c) => c.seq).sort((a, b) => a - b), [2, 3, 4, 5, 6, 7, 8, 9]);
      for (let i = 0; i < 8; i++) {
        const got = await ws.owner.getCommit({ params: { prompt: p.id, ref: `b${i}` } });
        assert.equal(got.content, `b${i}\n`);
      }
    });
  });

  describe('refusals change nothing', () => {
    it('a commit that changes nothing → 422 no_changes', async () => {
      const p = await newPrompt('same\n');
      await refusedCall(
        app,
        () => ws.owner.commit({ params: { prompt: p.id }, body: { content: 'same\n', message: 'noop', parent: p.commit.id } }),
        'no_changes',
      );
    });

    it('a missing or blank message → 400 validation_failed at body.message', async () => {
      const p = await newPrompt('msg\n');
      const path = pathOf('commit', { prompt: p.id });
      const a = await refused(app, () => send(app, 'POST', path, { token: ws.ownerToken, json: { content: 'x\n', parent: p.commit.id } }), 400, 'validation_failed');
      assert.deepEqual(a.errors?.map((e) => e.path), ['body.message']);
      const b = await refused(
        app,
        () => send(app, 'POST', path, { token: ws.ownerToken, json: { content: 'x\n', message: '   ', parent: p.commit.id } }),
        400,
        'validation_failed',
      );
      assert.deepEqual(b.errors?.map((e) => e.path), ['body.message']);
      await refused(app, () => send(app, 'POST', path, { token: ws.ownerToken, json: { content: 'x\n', message: 'm' } }), 400, 'validation_failed');
      await refused(
        app,
        () => send(app, 'POST', path, { token: ws.ownerToken, json: { content: 'x\n', message: 'm', parent: p.commit.id, extra: 1 } }),
        400,
        'validation_failed',
      );
    });

    it('a stale parent → 409 head_moved with the current head', async () => {
      const p = await newPrompt('s1\n');
      const c2 = await ws.owner.commit({ params: { prompt: p.id }, body: { content: 's2\n', message: 's2', parent: p.commit.id } });
      const err = await refusedCall(
        app,
        () => ws.owner.commit({ params: { prompt: p.id }, body: { content: 's3\n', message: 's3', parent: p.commit.id } }),
        'head_moved',
      );
      assert.equal(err.problem?.head, c2.id);
      assert.equal(err.problem?.branch, 'main');
      // Even a parent that is not a commit at all.
      await refusedCall(
        app,
        () => ws.owner.commit({ params: { prompt: p.id }, body: { content: 's3\n', message: 's3', parent: MISSING_ID } }),
        'head_moved',
      );
    });

    it('bad front matter → 422 invalid_front_matter with line and column (commit and create)', async () => {
      const p = await newPrompt('fm\n');
      const bad = '---\ndescription: ok\nvariables: 3\n---\nHello\n';
      const err = await refusedCall(
        app,
        () => ws.owner.commit({ params: { prompt: p.id }, body: { content: bad, message: 'bad', parent: p.commit.id } }),
        'invalid_front_matter',
      );
      assert.equal(err.problem?.line, 3);
      assert.equal(typeof err.problem?.column, 'number');
      const yaml = '---\nfoo: : bar\n---\nx\n';
      const err2 = await refusedCall(app, () => ws.owner.createPrompt({ body: { title: 'Bad YAML', content: yaml } }), 'invalid_front_matter');
      assert.equal(err2.problem?.line, 2);
      assert.equal(err2.problem?.column, 6);
    });

    it('a text that is not well-formed Unicode (a lone surrogate, which JSON can carry) → 400 validation_failed, not a 500', async () => {
      const p = await newPrompt('unicode\n');
      await refusedCall(
        app,
        () => ws.owner.commit({ params: { prompt: p.id }, body: { content: 'half \ud800 a pair', message: 'm', parent: p.commit.id } }),
        'validation_failed',
      );
      await refusedCall(app, () => ws.owner.createPrompt({ body: { title: 'Lone', content: '\udc00 trailing half' } }), 'validation_failed');
      // Whole pairs are fine and read back exactly.
      const c = await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'pair 😀 \r\n', message: 'm', parent: p.commit.id } });
      assert.equal((await ws.owner.getCommit({ params: { prompt: p.id, ref: c.id } })).content, 'pair 😀 \r\n');
    });

    it('a merge resolution naming an unknown mergeParent → ref_not_found; mergeParent equal to parent → validation_failed', async () => {
      const p = await newPrompt('mp\n');
      await refusedCall(
        app,
        () => ws.owner.commit({ params: { prompt: p.id }, body: { content: 'x\n', message: 'm', parent: p.commit.id, mergeParent: MISSING_ID } }),
        'ref_not_found',
      );
      await refusedCall(
        app,
        () => ws.owner.commit({ params: { prompt: p.id }, body: { content: 'x\n', message: 'm', parent: p.commit.id, mergeParent: p.commit.id } }),
        'validation_failed',
      );
    });

    it('a viewer holding a write-scope token committing → 403 insufficient_scope (a scope beyond the current role counts for nothing)', async () => {
      const p = await newPrompt('roles\n');
      // The API never issues a viewer a write scope (and demoting a member trims their tokens), so the token is
      // given one in SQL: authentication must still stop it at the member's current role.
      const demoted = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
      await ws.owner.updateMember({ params: { id: demoted.member.id }, body: { role: 'viewer' } });
      const { rows } = await app.backend.pool.query<{ scopes: string[] }>('SELECT scopes FROM api_token WHERE id = $1', [demoted.tokenId]);
      assert.deepEqual(rows[0]?.scopes, ['read'], 'demotion trims the token to what a viewer may hold');
      await app.backend.pool.query(`UPDATE api_token SET scopes = '{read,write}' WHERE id = $1`, [demoted.tokenId]);
      await refusedCall(
        app,
        () => demoted.client.commit({ params: { prompt: p.id }, body: { content: 'v\n', message: 'v', parent: p.commit.id } }),
        'insufficient_scope',
      );
      await refusedCall(app, () => demoted.client.createPrompt({ body: { title: 'Nope', content: 'x' } }), 'insufficient_scope');
      await refusedCall(app, () => demoted.client.createBranch({ params: { prompt: p.id }, body: { name: 'nope' } }), 'insufficient_scope');
      await refusedCall(app, () => demoted.client.deletePrompt({ params: { prompt: p.id } }), 'insufficient_scope');
      await refusedCall(app, () => demoted.client.updatePrompt({ params: { prompt: p.id }, body: { title: 'x' } }), 'insufficient_scope');
      await refusedCall(app, () => demoted.client.createTag({ params: { prompt: p.id }, body: { name: 't' } }), 'insufficient_scope');
      await refusedCall(app, () => demoted.client.merge({ params: { prompt: p.id }, body: { source: 'x' } }), 'insufficient_scope');
      await refusedCall(app, () => demoted.client.renameBranch({ params: { prompt: p.id, name: 'main' }, body: { name: 'x' } }), 'insufficient_scope');
      await refusedCall(app, () => demoted.client.deleteBranch({ params: { prompt: p.id, name: 'main' } }), 'insufficient_scope');
      // Authority is checked before the refs are looked up: a missing ref does not turn the refusal into "not found".
      await refusedCall(app, () => demoted.client.revert({ params: { prompt: p.id }, body: { to: 'nope', parent: p.commit.id } }), 'insufficient_scope');
      await refusedCall(app, () => demoted.client.importPrompts({ body: { format: 'awesome-csv', data: 'act,prompt\nA,B\n' } }), 'insufficient_scope');
      // The viewer can read.
      assert.equal((await viewer.client.getPrompt({ params: { prompt: p.id } })).content, 'roles\n');
    });

    it('a read-scope token → 403 insufficient_scope (the viewer’s own token and an owner’s read-only one)', async () => {
      const p = await newPrompt('scopes\n');
      await refusedCall(
        app,
        () => viewer.client.commit({ params: { prompt: p.id }, body: { content: 'v\n', message: 'v', parent: p.commit.id } }),
        'insufficient_scope',
      );
      const readOnly = await ownerToken(app, ws, ['read']);
      await refusedCall(
        app,
        () => readOnly.client.commit({ params: { prompt: p.id }, body: { content: 'v\n', message: 'v', parent: p.commit.id } }),
        'insufficient_scope',
      );
      // An editor may commit.
      const c = await editor.client.commit({ params: { prompt: p.id }, body: { content: 'e\n', message: 'e', parent: p.commit.id } });
      assert.equal(c.author.id, editor.member.userId);
    });

    it("another workspace's prompt is 404 not_found by id and by path, for reads and writes", async () => {
      const folder = await other.owner.createFolder({ body: { name: 'theirs' } });
      const theirs = await other.owner.createPrompt({ body: { title: 'Secret', slug: 'secret', folderId: folder.id, content: 's\n' } });
      for (const ref of [theirs.id, 'theirs/secret']) {
        await refusedCall(app, () => ws.owner.getPrompt({ params: { prompt: ref } }), 'not_found');
        await refusedCall(app, () => ws.owner.listCommits({ params: { prompt: ref } }), 'not_found');
        await refusedCall(app, () => ws.owner.getCommit({ params: { prompt: ref, ref: theirs.commit.id } }), 'not_found');
        await refusedCall(
          app,
          () => ws.owner.commit({ params: { prompt: ref }, body: { content: 'mine\n', message: 'm', parent: theirs.commit.id } }),
          'not_found',
        );
        await refusedCall(app, () => ws.owner.deletePrompt({ params: { prompt: ref } }), 'not_found');
      }
      await refusedCall(app, () => ws.owner.getPrompt({ params: { prompt: MISSING_ID } }), 'not_found');
      await refusedCall(app, () => ws.owner.getPrompt({ params: { prompt: 'no/such/path' } }), 'not_found');
      assert.equal((await headOf(other.owner, theirs.id)), theirs.commit.id, 'their prompt is untouched');
    });
  });
});
