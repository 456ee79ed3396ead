import assert from 'node:assert/strict';
import type { ProblemCode } from '@rocqet/sdk';
import type { TestApp, TestWorkspace } from '../support/app.js';
import { addMemberWithToken, type TestMember } from '../support/api.js';
import { allCommits, flushUsage, headOf, refusedNow, usePromptsApp } from '../support/prompts.js';
import { expectDbUnchanged } from '../support/snapshot.js';

describe('prompts: branches, tags, diff, merge, revert', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let editor: TestMember;
  let admin: TestMember;

  usePromptsApp((f) => ({ app, ws, editor, admin } = f));

  const refusedCall = (call: () => Promise<unknown>, code: ProblemCode) => refusedNow(app, ws.owner, call, code);

  let n = 0;
  /** A prompt with a linear history of these texts on main; returns it and the commit ids, oldest first. */
  async function promptWith(...texts: string[]) {
    const p = await ws.owner.createPrompt({ body: { title: `Refs ${++n}`, content: texts[0]! } });
    const ids = [p.commit.id];
    for (const text of texts.slice(1)) {
      ids.push((await ws.owner.commit({ params: { prompt: p.id }, body: { content: text, message: `to ${text.slice(0, 10)}`, parent: ids.at(-1)! } })).id);
    }
    return { id: p.id, ids };
  }

  const commitOn = (prompt: string, branch: string, parent: string, content: string, message = 'edit') =>
    ws.owner.commit({ params: { prompt }, body: { content, message, branch, parent } });
  const textAt = async (prompt: string, ref: string) => (await ws.owner.getCommit({ params: { prompt, ref } })).content;

  describe('branches', () => {
    it('creates branches from a branch, a tag, #seq and a commit id (default: the default branch); lists them by name', async () => {
      const { id, ids } = await promptWith('a\n', 'b\n', 'c\n');
      await ws.owner.createTag({ params: { prompt: id }, body: { name: 'v1', ref: ids[0]! } });
      const fromDefault = await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'from-default' } });
      const fromTag = await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'from-tag', from: 'v1' } });
      const fromSeq = await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'from-seq', from: '#2' } });
      const fromId = await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'feature/x', from: ids[1]! } });
      const fromBranch = await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'from-branch', from: 'from-tag' } });
      assert.equal(fromDefault.head.id, ids[2]);
      assert.equal(fromTag.head.id, ids[0]);
      assert.equal(fromSeq.head.id, ids[1]);
      assert.equal(fromId.head.id, ids[1]);
      assert.equal(fromBranch.head.id, ids[0]);
      assert.equal(fromDefault.isDefault, false);

      const list = await ws.owner.listBranches({ params: { prompt: id } });
      assert.deepEqual(
        list.items.map((b) => [b.name, b.head.id, b.isDefault]),
        [
          ['feature/x', ids[1], false],
          ['from-branch', ids[0], false],
          ['from-default', ids[2], false],
          ['from-seq', ids[1], false],
          ['from-tag', ids[0], false],
          ['main', ids[2], true],
        ],
      );
      // A commit on a branch moves only that branch, and not the prompt's head text.
      const c = await commitOn(id, 'from-tag', ids[0]!, 'a2\n');
      assert.equal(await headOf(ws.owner, id, 'from-tag'), c.id);
      assert.equal(await headOf(ws.owner, id, 'from-branch'), ids[0]);
      const prompt = await ws.owner.getPrompt({ params: { prompt: id } });
      assert.equal(prompt.content, 'c\n');
      assert.equal(prompt.headCommitId, ids[2]);
      assert.equal((await ws.owner.getPrompt({ params: { prompt: id }, query: { ref: 'from-tag' } })).content, 'a2\n');
    });

    it('refuses a duplicate name, an unknown source ref and a malformed name, writing nothing', async () => {
      const { id } = await promptWith('x\n');
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'dup' } });
      await refusedCall(() => ws.owner.createBranch({ params: { prompt: id }, body: { name: 'dup' } }), 'already_exists');
      await refusedCall(() => ws.owner.createBranch({ params: { prompt: id }, body: { name: 'main' } }), 'already_exists');
      await refusedCall(() => ws.owner.createBranch({ params: { prompt: id }, body: { name: 'new', from: 'nope' } }), 'ref_not_found');
      await refusedCall(() => ws.owner.createBranch({ params: { prompt: id }, body: { name: 'new', from: '#9' } }), 'ref_not_found');
      for (const name of ['#x', 'a..b', 'a//b', 'trailing/', 'has space', '-lead', 'dot.']) {
        await refusedCall(() => ws.owner.createBranch({ params: { prompt: id }, body: { name } }), 'validation_failed');
      }
    });

    it('renames a branch; renaming the default branch renames the default too, and commits follow it', async () => {
      const { id, ids } = await promptWith('r1\n', 'r2\n');
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'topic' } });
      const renamed = await ws.owner.renameBranch({ params: { prompt: id, name: 'topic' }, body: { name: 'topic-2' } });
      assert.equal(renamed.name, 'topic-2');
      assert.equal(renamed.head.id, ids[1]);
      assert.equal(renamed.isDefault, false);
      await refusedCall(() => ws.owner.getCommit({ params: { prompt: id, ref: 'topic' } }), 'ref_not_found');

      const main = await ws.owner.renameBranch({ params: { prompt: id, name: 'main' }, body: { name: 'trunk' } });
      assert.equal(main.isDefault, true);
      assert.equal(main.name, 'trunk');
      const prompt = await ws.owner.getPrompt({ params: { prompt: id } });
      assert.equal(prompt.defaultBranch, 'trunk');
      assert.equal(prompt.ref, 'trunk');
      assert.deepEqual(
        (await ws.owner.listBranches({ params: { prompt: id } })).items.map((b) => [b.name, b.isDefault]),
        [['topic-2', false], ['trunk', true]],
      );
      // A commit without a branch goes to the (renamed) default branch and refreshes the head text.
      const c = await ws.owner.commit({ params: { prompt: id }, body: { content: 'r3\n', message: 'r3', parent: ids[1]! } });
      assert.equal(await headOf(ws.owner, id, 'trunk'), c.id);
      assert.equal((await ws.owner.getPrompt({ params: { prompt: id } })).content, 'r3\n');
      await refusedCall(() => ws.owner.deleteBranch({ params: { prompt: id, name: 'trunk' } }), 'default_branch');
      // Renaming to the same name is a no-op; renaming onto another branch or an unknown one is refused.
      assert.equal((await ws.owner.renameBranch({ params: { prompt: id, name: 'trunk' }, body: { name: 'trunk' } })).name, 'trunk');
      await refusedCall(() => ws.owner.renameBranch({ params: { prompt: id, name: 'trunk' }, body: { name: 'topic-2' } }), 'already_exists');
      await refusedCall(() => ws.owner.renameBranch({ params: { prompt: id, name: 'gone' }, body: { name: 'x' } }), 'ref_not_found');
    });

    it('deletes a branch (its commits stay readable by id); the default branch → 409 default_branch; unknown → ref_not_found', async () => {
      const { id, ids } = await promptWith('d1\n');
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'doomed' } });
      const c = await commitOn(id, 'doomed', ids[0]!, 'on doomed\n');
      await ws.owner.deleteBranch({ params: { prompt: id, name: 'doomed' } });
      assert.deepEqual((await ws.owner.listBranches({ params: { prompt: id } })).items.map((b) => b.name), ['main']);
      assert.equal(await textAt(id, c.id), 'on doomed\n');
      await refusedCall(() => ws.owner.deleteBranch({ params: { prompt: id, name: 'main' } }), 'default_branch');
      await refusedCall(() => ws.owner.deleteBranch({ params: { prompt: id, name: 'doomed' } }), 'ref_not_found');
      // An editor may delete branches.
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'editors' } });
      await editor.client.deleteBranch({ params: { prompt: id, name: 'editors' } });
    });
  });

  describe('tags', () => {
    it('tags any ref; a tag never moves without force; force by an admin moves it, by an editor → forbidden', async () => {
      const { id, ids } = await promptWith('t1\n', 't2\n', 't3\n');
      const onDefault = await ws.owner.createTag({ params: { prompt: id }, body: { name: 'head', message: 'the head' } });
      assert.equal(onDefault.commit.id, ids[2]);
      assert.equal(onDefault.message, 'the head');
      await editor.client.createTag({ params: { prompt: id }, body: { name: 'v1', ref: '#1' } });
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'b' , from: ids[1]! } });
      await ws.owner.createTag({ params: { prompt: id }, body: { name: 'on-branch', ref: 'b' } });
      await ws.owner.createTag({ params: { prompt: id }, body: { name: 'on-tag', ref: 'v1' } });
      await ws.owner.createTag({ params: { prompt: id }, body: { name: 'on-id', ref: ids[1]! } });
      const tags = await ws.owner.listTags({ params: { prompt: id } });
      assert.deepEqual(
        tags.items.map((t) => [t.name, t.commit.id]),
        [
          ['head', ids[2]],
          ['on-branch', ids[1]],
          ['on-id', ids[1]],
          ['on-tag', ids[0]],
          ['v1', ids[0]],
        ],
      );

      const moving = await refusedCall(() => ws.owner.createTag({ params: { prompt: id }, body: { name: 'v1', ref: '#2' } }), 'tag_immutable');
      assert.equal(moving.problem?.commit, ids[0]);
      // Re-tagging the same commit is still a move request: refused the same way.
      await refusedCall(() => ws.owner.createTag({ params: { prompt: id }, body: { name: 'v1', ref: '#1' } }), 'tag_immutable');
      await refusedCall(
        () => editor.client.createTag({ params: { prompt: id }, body: { name: 'v1', ref: '#2', force: true } }),
        'forbidden',
      );
      const moved = await admin.client.createTag({ params: { prompt: id }, body: { name: 'v1', ref: '#2', force: true, message: 'moved' } });
      assert.equal(moved.commit.id, ids[1]);
      assert.equal(moved.message, 'moved');
      assert.equal(await textAt(id, 'v1'), 't2\n');
      const { rows } = await app.backend.pool.query<{ action: string; changes: { before: { commit: string }; after: { commit: string } } }>(
        `SELECT action, changes FROM audit_entry WHERE resource_id = $1 AND action = 'tag.move'`,
        [id],
      );
      assert.equal(rows.length, 1, 'the forced move is audited');
      assert.equal(rows[0]!.changes.before.commit, ids[0]);
      assert.equal(rows[0]!.changes.after.commit, ids[1]);
      // The owner (an admin too) may force; moving a branch-named tag is impossible since names never clash.
      await ws.owner.createTag({ params: { prompt: id }, body: { name: 'v1', ref: '#3', force: true } });
      assert.equal(await textAt(id, 'v1'), 't3\n');
    });

    it('deleting a tag needs an admin: editor → forbidden; admin deletes; unknown → ref_not_found', async () => {
      const { id } = await promptWith('del\n');
      await ws.owner.createTag({ params: { prompt: id }, body: { name: 'keep' } });
      await refusedCall(() => editor.client.deleteTag({ params: { prompt: id, name: 'keep' } }), 'forbidden');
      await admin.client.deleteTag({ params: { prompt: id, name: 'keep' } });
      assert.deepEqual((await ws.owner.listTags({ params: { prompt: id } })).items, []);
      await refusedCall(() => ws.owner.getCommit({ params: { prompt: id, ref: 'keep' } }), 'ref_not_found');
      await refusedCall(() => admin.client.deleteTag({ params: { prompt: id, name: 'keep' } }), 'ref_not_found');
      await refusedCall(() => ws.owner.createTag({ params: { prompt: id }, body: { name: 'x', ref: 'nope' } }), 'ref_not_found');
    });
  });

  describe('diff', () => {
    it('between two refs: unified text, hunks with word-level detail, and stats', async () => {
      const { id, ids } = await promptWith('alpha\nbeta gamma delta\nepsilon\n', 'alpha\nbeta GAMMA delta\nepsilon\nzeta\n');
      await ws.owner.createTag({ params: { prompt: id }, body: { name: 'old', ref: ids[0]! } });
      const d = await ws.owner.diff({ params: { prompt: id }, query: { from: 'old' } });
      assert.equal(d.from.id, ids[0]);
      assert.equal(d.to.id, ids[1]);
      assert.deepEqual(d.stats, { additions: 2, deletions: 1 });
      assert.equal(d.hunks.length, 1);
      const hunk = d.hunks[0]!;
      assert.deepEqual([hunk.oldStart, hunk.oldLines, hunk.newStart, hunk.newLines], [1, 3, 1, 4]);
      assert.deepEqual(
        hunk.lines.map((l) => [l.op, l.text]),
        [
          [' ', 'alpha'],
          ['-', 'beta gamma delta'],
          ['+', 'beta GAMMA delta'],
          [' ', 'epsilon'],
          ['+', 'zeta'],
        ],
      );
      const removed = hunk.lines[1]!.words!;
      const added = hunk.lines[2]!.words!;
      assert.deepEqual(removed.filter((w) => w.op === '-').map((w) => w.text), ['gamma']);
      assert.deepEqual(added.filter((w) => w.op === '+').map((w) => w.text), ['GAMMA']);
      assert.equal(removed.map((w) => w.text).join(''), 'beta gamma delta');
      assert.equal(added.map((w) => w.text).join(''), 'beta GAMMA delta');
      assert.equal(hunk.lines[4]!.words, undefined, 'an added line without a removed partner has no word detail');
      assert.match(d.unified, /^-beta gamma delta$/m);
      assert.match(d.unified, /^\+beta GAMMA delta$/m);
      assert.match(d.unified, /^\+zeta$/m);
      assert.match(d.unified, /^@@ -1,3 \+1,4 @@$/m);

      // Reversed, the stats swap; context 0 keeps only changed lines.
      const back = await ws.owner.diff({ params: { prompt: id }, query: { from: 'main', to: '#1', context: 0 } });
      assert.deepEqual(back.stats, { additions: 1, deletions: 2 });
      assert.ok(back.hunks.every((h) => h.lines.every((l) => l.op !== ' ')));
      // The same ref twice: no hunks, empty unified text.
      const same = await ws.owner.diff({ params: { prompt: id }, query: { from: ids[1]!, to: 'main' } });
      assert.deepEqual(same.hunks, []);
      assert.equal(same.unified, '');
      assert.deepEqual(same.stats, { additions: 0, deletions: 0 });
      await refusedCall(() => ws.owner.diff({ params: { prompt: id }, query: { from: 'nope' } }), 'ref_not_found');
      await refusedCall(() => ws.owner.diff({ params: { prompt: id }, query: { from: 'main', context: 101 } }), 'validation_failed');
    });
  });

  describe('merge', () => {
    const base = 'l1\nl2\nl3\nl4\nl5\n';

    it('fast-forwards main to a branch ahead of it, then says up_to_date', async () => {
      const { id, ids } = await promptWith(base);
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'ff' } });
      const f1 = await commitOn(id, 'ff', ids[0]!, base + 'l6\n');
      const f2 = await commitOn(id, 'ff', f1.id, base + 'l6\nl7\n');
      const m = await ws.owner.merge({ params: { prompt: id }, body: { source: 'ff' } });
      assert.equal(m.result, 'fast_forward');
      assert.equal(m.commit.id, f2.id);
      assert.equal(await headOf(ws.owner, id, 'main'), f2.id);
      const prompt = await ws.owner.getPrompt({ params: { prompt: id } });
      assert.equal(prompt.content, base + 'l6\nl7\n');
      assert.equal(prompt.headCommitId, f2.id);
      // Up to date writes nothing at all.
      await flushUsage(ws.owner);
      const again = await expectDbUnchanged(app.backend.pool, () => ws.owner.merge({ params: { prompt: id }, body: { source: 'ff' } }));
      assert.equal(again.result, 'up_to_date');
      assert.equal(again.commit.id, f2.id);
      // main into ff: ff already has everything.
      const back = await ws.owner.merge({ params: { prompt: id }, body: { source: 'main', target: 'ff' } });
      assert.equal(back.result, 'up_to_date');
      assert.equal((await allCommits(ws.owner, id)).length, 3, 'no commit was made');
    });

    it('a clean three-way merge makes one commit with two parents and the merged text', async () => {
      const { id, ids } = await promptWith(base);
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'feature' } });
      const theirs = await commitOn(id, 'feature', ids[0]!, 'L1 changed on feature\nl2\nl3\nl4\nl5\n', 'feature edit');
      const ours = await commitOn(id, 'main', ids[0]!, 'l1\nl2\nl3\nl4\nL5 changed on main\n', 'main edit');
      const m = await ws.owner.merge({ params: { prompt: id }, body: { source: 'feature' } });
      assert.equal(m.result, 'merged');
      assert.equal(m.commit.parentId, ours.id);
      assert.equal(m.commit.mergeParentId, theirs.id);
      assert.equal(m.commit.seq, 4);
      assert.equal(m.commit.message, "Merge branch 'feature' into main");
      const merged = 'L1 changed on feature\nl2\nl3\nl4\nL5 changed on main\n';
      assert.equal(await textAt(id, m.commit.id), merged);
      assert.equal((await ws.owner.getPrompt({ params: { prompt: id } })).content, merged);
      assert.equal(await headOf(ws.owner, id, 'feature'), theirs.id, 'the source branch does not move');
      // History of main walks both parents.
      assert.deepEqual((await allCommits(ws.owner, id)).map((c) => c.id), [m.commit.id, ours.id, theirs.id, ids[0]]);
      // Merging again: up to date; the feature branch can now fast-forward to the merge.
      assert.equal((await ws.owner.merge({ params: { prompt: id }, body: { source: 'feature' } })).result, 'up_to_date');
      const ff = await ws.owner.merge({ params: { prompt: id }, body: { source: 'main', target: 'feature', message: 'sync' } });
      assert.equal(ff.result, 'fast_forward');
      assert.equal(ff.commit.id, m.commit.id);
    });

    it('merges into a non-default branch without touching the prompt head text; custom message kept', async () => {
      const { id, ids } = await promptWith(base);
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'dev' } });
      const onMain = await commitOn(id, 'main', ids[0]!, 'main first\nl2\nl3\nl4\nl5\n');
      const onDev = await commitOn(id, 'dev', ids[0]!, 'l1\nl2\nl3\nl4\nl5\ndev last\n');
      const m = await ws.owner.merge({ params: { prompt: id }, body: { source: 'main', target: 'dev', message: 'bring main in' } });
      assert.equal(m.result, 'merged');
      assert.equal(m.commit.message, 'bring main in');
      assert.equal(m.commit.parentId, onDev.id);
      assert.equal(m.commit.mergeParentId, onMain.id);
      assert.equal(await textAt(id, 'dev'), 'main first\nl2\nl3\nl4\nl5\ndev last\n');
      const prompt = await ws.owner.getPrompt({ params: { prompt: id } });
      assert.equal(prompt.content, 'main first\nl2\nl3\nl4\nl5\n');
      assert.equal(prompt.headCommitId, onMain.id);
    });

    it('a conflicting merge → 409 merge_conflict with the hunks, nothing written; resolving with parent + mergeParent', async () => {
      const { id, ids } = await promptWith(base);
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'rival' } });
      const theirs = await commitOn(id, 'rival', ids[0]!, 'l1\nl2\nTHEIRS\nl4\nl5\n');
      const ours = await commitOn(id, 'main', ids[0]!, 'l1\nl2\nOURS\nl4\nl5\n');
      const err = await refusedCall(() => ws.owner.merge({ params: { prompt: id }, body: { source: 'rival' } }), 'merge_conflict');
      const problem = err.problem as unknown as {
        base: string;
        parent: string;
        mergeParent: string;
        conflicts: { baseStart: number; baseLines: string[]; ours: string[]; theirs: string[] }[];
        textWithMarkers: string;
      };
      assert.equal(problem.base, ids[0]);
      assert.equal(problem.parent, ours.id);
      assert.equal(problem.mergeParent, theirs.id);
      assert.deepEqual(problem.conflicts, [{ baseStart: 3, baseLines: ['l3'], ours: ['OURS'], theirs: ['THEIRS'] }]);
      assert.match(problem.textWithMarkers, /^<<<<<<< .*\nOURS\n=======\nTHEIRS\n>>>>>>> /m);
      assert.equal(await headOf(ws.owner, id, 'main'), ours.id);

      const resolved = await ws.owner.commit({
        params: { prompt: id },
        body: { content: 'l1\nl2\nOURS and THEIRS\nl4\nl5\n', message: 'resolve', parent: ours.id, mergeParent: theirs.id },
      });
      assert.equal(resolved.parentId, ours.id);
      assert.equal(resolved.mergeParentId, theirs.id);
      assert.deepEqual((await allCommits(ws.owner, id)).map((c) => c.id), [resolved.id, ours.id, theirs.id, ids[0]]);
      assert.equal((await ws.owner.merge({ params: { prompt: id }, body: { source: 'rival' } })).result, 'up_to_date');
      // A resolution may even keep our text unchanged: with a mergeParent that is not "no changes".
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'rival2', from: ids[0]! } });
      const t2 = await commitOn(id, 'rival2', ids[0]!, 'l1\nl2\nOTHER\nl4\nl5\n');
      const keep = await ws.owner.commit({
        params: { prompt: id },
        body: { content: 'l1\nl2\nOURS and THEIRS\nl4\nl5\n', message: 'keep ours', parent: resolved.id, mergeParent: t2.id },
      });
      assert.equal(keep.mergeParentId, t2.id);
      assert.equal(keep.contentHash, resolved.contentHash);
    });

    it('refuses merging a branch into itself, unknown branches and tags as source', async () => {
      const { id } = await promptWith(base);
      await ws.owner.createTag({ params: { prompt: id }, body: { name: 'tagged' } });
      await refusedCall(() => ws.owner.merge({ params: { prompt: id }, body: { source: 'main' } }), 'validation_failed');
      await refusedCall(() => ws.owner.merge({ params: { prompt: id }, body: { source: 'nope' } }), 'ref_not_found');
      await refusedCall(() => ws.owner.merge({ params: { prompt: id }, body: { source: 'tagged' } }), 'ref_not_found');
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'src' } });
      await refusedCall(() => ws.owner.merge({ params: { prompt: id }, body: { source: 'src', target: 'nope' } }), 'ref_not_found');
    });
  });

  describe('revert', () => {
    it('makes a new commit whose text is the old one; reverting to the current text → no_changes; stale parent → head_moved', async () => {
      const { id, ids } = await promptWith('first text\n', 'second text\n', 'third text\n');
      const r = await ws.owner.revert({ params: { prompt: id }, body: { to: '#1', parent: ids[2]! } });
      assert.equal(r.seq, 4);
      assert.equal(r.parentId, ids[2]);
      assert.equal(r.mergeParentId, null);
      assert.equal(r.message, 'Revert to #1: Create Refs ' + n);
      assert.equal(await textAt(id, r.id), 'first text\n');
      assert.equal((await ws.owner.getPrompt({ params: { prompt: id } })).content, 'first text\n');
      await refusedCall(() => ws.owner.revert({ params: { prompt: id }, body: { to: ids[0]!, parent: r.id } }), 'no_changes');
      await refusedCall(() => ws.owner.revert({ params: { prompt: id }, body: { to: '#2', parent: ids[2]! } }), 'head_moved');
      await refusedCall(() => ws.owner.revert({ params: { prompt: id }, body: { to: 'nope', parent: r.id } }), 'ref_not_found');
      // On another branch, with a message.
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'side', from: '#3' } });
      const side = await ws.owner.revert({ params: { prompt: id }, body: { to: '#2', branch: 'side', parent: ids[2]!, message: 'back to 2' } });
      assert.equal(side.message, 'back to 2');
      assert.equal(await textAt(id, 'side'), 'second text\n');
      assert.equal(await textAt(id, 'main'), 'first text\n');
      const { rows } = await app.backend.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM audit_entry WHERE resource_id = $1 AND action = 'prompt.revert'`,
        [id],
      );
      assert.equal(Number(rows[0]!.n), 2);
    });

    it('a viewer-role token cannot merge or revert (insufficient_scope)', async () => {
      const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
      const { id, ids } = await promptWith('v\n', 'w\n');
      await ws.owner.createBranch({ params: { prompt: id }, body: { name: 'vb', from: '#1' } });
      await refusedCall(() => viewer.client.merge({ params: { prompt: id }, body: { source: 'vb' } }), 'insufficient_scope');
      await refusedCall(() => viewer.client.revert({ params: { prompt: id }, body: { to: '#1', parent: ids[1]! } }), 'insufficient_scope');
      await refusedCall(() => viewer.client.createTag({ params: { prompt: id }, body: { name: 'nope' } }), 'insufficient_scope');
    });
  });
});
