import assert from 'node:assert/strict';
import { createClient, type ExportDocument, type ProblemCode } from '@rocqet/sdk';
import { parseCsv } from '../../src/domain/importing/csv.js';
import type { TestApp, TestWorkspace } from '../support/app.js';
import { send, type Answer } from '../support/api.js';
import { startUnlimitedTestApp, AWESOME_FILE, allCommits, allPrompts, flushUsage, readShared, refusedNow, refusedRawNow } from '../support/prompts.js';
import { expectDbUnchanged } from '../support/snapshot.js';

/** A valid one-prompt export document of a made-up workspace. */
function doc0(): ExportDocument {
  const commit = '00000000-0000-4000-8000-0000000000c9';
  return {
    format: 'rocqet-export',
    version: 1,
    exportedAt: new Date().toISOString(),
    workspace: { id: '00000000-0000-4000-8000-000000000009', slug: 'made-up' },
    folders: [],
    prompts: [
      {
        id: '00000000-0000-4000-8000-0000000000a9',
        path: 'valid',
        folderPath: null,
        slug: 'valid',
        title: 'Valid',
        description: '',
        tags: ['t'],
        defaultBranch: 'main',
        commits: [{ id: commit, seq: 1, parentId: null, mergeParentId: null, message: 'm', authorName: 'a', createdAt: new Date().toISOString(), content: 'valid\n' }],
        branches: [{ name: 'main', head: commit }],
        versionTags: [{ name: 'v1', commit, message: '' }],
      },
    ],
  };
}

/** What must survive an export and import: everything but ids, with parents named by seq. */
function portable(doc: ExportDocument) {
  return doc.prompts
    .map((p) => {
      const seqOf = new Map(p.commits.map((c) => [c.id, c.seq]));
      const at = (id: string | null) => (id === null ? null : (seqOf.get(id) ?? `missing ${id}`));
      return {
        path: p.path,
        folderPath: p.folderPath,
        slug: p.slug,
        title: p.title,
        description: p.description,
        tags: p.tags,
        defaultBranch: p.defaultBranch,
        commits: [...p.commits]
          .sort((a, b) => a.seq - b.seq)
          .map((c) => ({
            seq: c.seq,
            parent: at(c.parentId),
            mergeParent: at(c.mergeParentId),
            message: c.message,
            authorName: c.authorName,
            createdAt: c.createdAt,
            content: c.content,
          })),
        branches: p.branches.map((b) => ({ name: b.name, head: at(b.head) })),
        versionTags: p.versionTags.map((t) => ({ name: t.name, commit: at(t.commit), message: t.message })),
      };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

describe('prompts: import and export', () => {
  let app: TestApp;

  before(async () => {
    app = await startUnlimitedTestApp();
  });
  after(() => app?.close());

  const refusedCall = (w: TestWorkspace, call: () => Promise<unknown>, code: ProblemCode) => refusedNow(app, w.owner, call, code);
  const refused = (w: TestWorkspace, request: () => Promise<Answer>, status: number, code: ProblemCode) =>
    refusedRawNow(app, w.owner, request, status, code);

  describe('awesome-chatgpt-prompts CSV (real file)', function () {
    let csv: string | null;
    before(function () {
      csv = readShared(AWESOME_FILE);
      if (csv === null) this.skip();
    });

    it('imports ~1.5k prompts: duplicates skipped with reasons, repeated titles renamed, tags from type and for_devs', async function () {
      this.timeout(900_000);
      const text = csv!;
      const w = await app.workspace(undefined, { type: 'enterprise' });
      // One request imports the whole library: longer than the client's default 30 s timeout allows.
      const ws = { ...w, owner: createClient({ baseUrl: app.url, token: w.ownerToken, timeoutMs: 880_000 }) };
      const rows = parseCsv(text);
      const header = rows[0]!.fields;
      assert.deepEqual(header, ['act', 'prompt', 'for_devs', 'type', 'contributor']);
      const data = rows.slice(1).filter((r) => !(r.fields.length === 1 && r.fields[0] === ''));
      assert.equal(data.length, 1529, 'the data README promises 1,529 prompts');

      const started = Date.now();
      const report = await ws.owner.importPrompts({ body: { format: 'awesome-csv', data: text } });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(report.format, 'awesome-csv');
      assert.ok(report.created >= 1400 && report.created <= 1529, `created ${report.created}`);
      assert.equal(report.created + report.skipped.length, data.length, 'every row is either created or skipped');
      assert.equal(report.commits, report.created);
      assert.equal(report.updated, 0);
      assert.equal(report.unchanged, 0);
      assert.ok(report.skipped.length > 0, 'the file has exact duplicates');
      for (const s of report.skipped) {
        assert.match(s.item, /^line \d+/);
        assert.ok(s.reason.length > 0);
      }
      assert.ok(report.skipped.some((s) => /^duplicate of line \d+$/.test(s.reason)));
      assert.ok(report.renamed.length > 0, 'the file repeats titles with different texts');
      for (const r of report.renamed) assert.match(r.as, / \(\d+\)$/);
      console.log(
        `      awesome CSV (${seconds.toFixed(1)} s): created ${report.created}, skipped ${report.skipped.length}, renamed ${report.renamed.length}; reasons: ` +
          [...new Set(report.skipped.map((s) => s.reason.replace(/\d+/g, 'N')))].join(' | '),
      );

      const prompts = await allPrompts(ws.owner);
      assert.equal(prompts.length, report.created);
      const byTitle = new Map(prompts.map((p) => [p.title, p]));
      const renamedLines = new Set(report.renamed.map((r) => Number(/^line (\d+)/.exec(r.item)![1])));
      const skippedLines = new Set(report.skipped.map((s) => Number(/^line (\d+)/.exec(s.item)![1])));
      let devs = 0;
      let checked = 0;
      for (const row of data) {
        if (skippedLines.has(row.line) || renamedLines.has(row.line)) continue;
        const [act, prompt, forDevs, type] = row.fields as [string, string, string, string];
        const p = byTitle.get(act.replace(/\s+/g, ' ').trim());
        assert.ok(p, `line ${row.line} "${act}" was imported`);
        const expectedTags = [type.toLowerCase(), ...(forDevs === 'TRUE' ? ['dev'] : [])];
        assert.deepEqual([...p.tags].sort(), expectedTags.sort(), `tags of "${act}"`);
        if (forDevs === 'TRUE') devs++;
        if (checked++ % 50 === 0) {
          const got = await ws.owner.getPrompt({ params: { prompt: p.id } });
          assert.equal(got.content, prompt.trim());
          assert.match(got.commit.message, new RegExp(`^Import from awesome-chatgpt-prompts \\(line ${row.line}\\)$`));
        }
      }
      const devTagged = await allPrompts(ws.owner, { tag: 'dev' });
      assert.ok(devTagged.length >= devs && devs > 100, `dev-tagged ${devTagged.length}, for_devs rows kept ${devs}`);

      // Importing the same file again creates nothing.
      await flushUsage(ws.owner);
      const again = await ws.owner.importPrompts({ body: { format: 'awesome-csv', data: text } });
      assert.equal(again.created, 0);
      assert.equal(again.commits, 0);
      assert.equal(again.unchanged, report.created);
      assert.equal((await allPrompts(ws.owner)).length, report.created);
    });
  });

  describe('Rocqet JSON export and import', () => {
    let src: TestWorkspace;
    let doc: ExportDocument;
    let ids: { merged: string; linear: string; renamed: string };

    before(async () => {
      src = await app.workspace();
      const o = src.owner;
      const docs = await o.createFolder({ body: { name: 'docs' } });
      const deep = await o.createFolder({ body: { name: 'deep dive', parentId: docs.id } });
      await o.createFolder({ body: { name: 'empty' } });

      // A prompt with branches, a clean merge, a resolved conflict and tags.
      const m = await o.createPrompt({
        body: { title: 'Merged', description: 'has merges', tags: ['x', 'y'], folderId: deep.id, content: 'a\nb\nc\nd\ne\n' },
      });
      await o.createBranch({ params: { prompt: m.id }, body: { name: 'feature' } });
      const f1 = await o.commit({ params: { prompt: m.id }, body: { content: 'A\nb\nc\nd\ne\n', message: 'feature A', branch: 'feature', parent: m.commit.id } });
      const m1 = await o.commit({ params: { prompt: m.id }, body: { content: 'a\nb\nc\nd\nE\n', message: 'main E', parent: m.commit.id } });
      const merge = await o.merge({ params: { prompt: m.id }, body: { source: 'feature' } });
      assert.equal(merge.result, 'merged');
      const f2 = await o.commit({ params: { prompt: m.id }, body: { content: 'A\nb\nFEATURE\nd\ne\n', message: 'feature C', branch: 'feature', parent: f1.id } });
      const m2 = await o.commit({ params: { prompt: m.id }, body: { content: 'A\nb\nMAIN\nd\nE\n', message: 'main C', parent: merge.commit.id } });
      await assert.rejects(o.merge({ params: { prompt: m.id }, body: { source: 'feature' } }), (e: Error & { code?: string }) => e.code === 'merge_conflict');
      await o.commit({
        params: { prompt: m.id },
        body: { content: 'A\nb\nMAIN+FEATURE\nd\nE\n', message: 'resolve', parent: m2.id, mergeParent: f2.id },
      });
      await o.createTag({ params: { prompt: m.id }, body: { name: 'v1', ref: m1.id, message: 'first release' } });
      await o.createTag({ params: { prompt: m.id }, body: { name: 'v2' } });
      await o.createBranch({ params: { prompt: m.id }, body: { name: 'old', from: '#1' } });

      const l = await o.createPrompt({ body: { title: 'Linear', folderId: docs.id, content: 'one\n' } });
      await o.commit({ params: { prompt: l.id }, body: { content: 'one\ntwo ✓\n', message: 'two', parent: l.commit.id } });

      const r = await o.createPrompt({ body: { title: 'Renamed default', content: '---\ndescription: d\n---\nbody\n' } });
      await o.renameBranch({ params: { prompt: r.id, name: 'main' }, body: { name: 'production' } });
      await o.createBranch({ params: { prompt: r.id }, body: { name: 'staging' } });
      await o.commit({ params: { prompt: r.id }, body: { content: '---\ndescription: d\n---\nbody 2\n', message: 'staging', branch: 'staging', parent: r.commit.id } });

      const gone = await o.createPrompt({ body: { title: 'Deleted one', content: 'gone' } });
      await o.deletePrompt({ params: { prompt: gone.id } });

      ids = { merged: m.id, linear: l.id, renamed: r.id };
      doc = await o.exportWorkspace();
    });

    it('exports every live prompt with full history, branches and tags; deleted prompts are left out', () => {
      assert.equal(doc.format, 'rocqet-export');
      assert.equal(doc.version, 1);
      assert.equal(doc.workspace.id, src.id);
      assert.deepEqual([...doc.folders].sort(), ['docs', 'docs/deep dive', 'empty']);
      assert.deepEqual(doc.prompts.map((p) => p.path).sort(), ['docs/deep dive/merged', 'docs/linear', 'renamed-default']);
      const merged = doc.prompts.find((p) => p.id === ids.merged)!;
      assert.equal(merged.commits.length, 7);
      assert.equal(merged.commits.filter((c) => c.mergeParentId).length, 2);
      assert.deepEqual(merged.branches.map((b) => b.name), ['feature', 'main', 'old']);
      assert.deepEqual(merged.versionTags.map((t) => [t.name, t.message]), [['v1', 'first release'], ['v2', '']]);
      assert.equal(merged.commits.at(-1)!.content, 'A\nb\nMAIN+FEATURE\nd\nE\n');
      const renamed = doc.prompts.find((p) => p.id === ids.renamed)!;
      assert.equal(renamed.defaultBranch, 'production');
    });

    it('imports into another workspace: identical texts, history, branches and tags; again → nothing twice', async () => {
      const dst = await app.workspace();
      const report = await dst.owner.importPrompts({ body: { format: 'rocqet-json', data: doc } });
      assert.deepEqual(
        { created: report.created, updated: report.updated, unchanged: report.unchanged, commits: report.commits, skipped: report.skipped },
        { created: 3, updated: 0, unchanged: 0, commits: 7 + 2 + 2, skipped: [] },
      );
      const back = await dst.owner.exportWorkspace();
      assert.deepEqual(portable(back), portable(doc));
      assert.deepEqual([...back.folders].sort(), ['docs', 'docs/deep dive', 'empty'], 'empty folders come along too');

      // Through the ordinary routes too.
      const merged = await dst.owner.getPrompt({ params: { prompt: 'docs/deep dive/merged' } });
      assert.equal(merged.content, 'A\nb\nMAIN+FEATURE\nd\nE\n');
      assert.deepEqual(merged.tags, ['x', 'y']);
      assert.equal(merged.description, 'has merges');
      assert.equal((await dst.owner.getCommit({ params: { prompt: merged.id, ref: 'v1' } })).content, 'a\nb\nc\nd\nE\n');
      const hist = await allCommits(dst.owner, merged.id);
      assert.deepEqual(hist.map((c) => c.seq), [7, 6, 5, 4, 3, 2, 1]);
      const renamed = await dst.owner.getPrompt({ params: { prompt: 'renamed-default' } });
      assert.equal(renamed.defaultBranch, 'production');
      assert.equal(renamed.content, '---\ndescription: d\n---\nbody\n');
      assert.equal((await dst.owner.getCommit({ params: { prompt: renamed.id, ref: 'staging' } })).content, '---\ndescription: d\n---\nbody 2\n');
      // The imported prompt works like any other: commit on it.
      const next = await dst.owner.commit({ params: { prompt: renamed.id }, body: { content: 'new\n', message: 'new', parent: renamed.commit.id } });
      assert.equal(next.seq, 3);

      // The same file again creates nothing and writes nothing.
      const linear = await dst.owner.getPrompt({ params: { prompt: 'docs/linear' } });
      assert.equal(linear.content, 'one\ntwo ✓\n');
      await flushUsage(dst.owner);
      const again = await expectDbUnchanged(app.backend.pool, () =>
        dst.owner.importPrompts({ body: { format: 'rocqet-json', data: doc } }),
      );
      assert.deepEqual(
        { created: again.created, updated: again.updated, unchanged: again.unchanged, commits: again.commits },
        { created: 0, updated: 0, unchanged: 3, commits: 0 },
      );
    });

    it('a later export adds only what is new: new commits appended, branches fast-forwarded', async () => {
      const dst = await app.workspace();
      await dst.owner.importPrompts({ body: { format: 'rocqet-json', data: doc } });
      const head = (await src.owner.getPrompt({ params: { prompt: ids.linear } })).commit.id;
      const extra = await src.owner.commit({ params: { prompt: ids.linear }, body: { content: 'one\ntwo ✓\nthree\n', message: 'three', parent: head } });
      const later = await src.owner.exportWorkspace();
      const report = await dst.owner.importPrompts({ body: { format: 'rocqet-json', data: later } });
      assert.deepEqual(
        { created: report.created, updated: report.updated, unchanged: report.unchanged, commits: report.commits },
        { created: 0, updated: 1, unchanged: 2, commits: 1 },
      );
      const linear = await dst.owner.getPrompt({ params: { prompt: 'docs/linear' } });
      assert.equal(linear.content, 'one\ntwo ✓\nthree\n');
      assert.equal(linear.commit.seq, extra.seq);
      assert.deepEqual(portable(await dst.owner.exportWorkspace()), portable(later));
    });

    it('exports one folder subtree only, and that subtree imports under a chosen folder', async () => {
      const folders = await src.owner.listFolders();
      const docs = folders.items.find((f) => f.path === 'docs')!;
      const deep = folders.items.find((f) => f.path === 'docs/deep dive')!;
      const sub = await src.owner.exportWorkspace({ query: { folder: docs.id } });
      assert.deepEqual([...sub.folders].sort(), ['docs', 'docs/deep dive']);
      assert.deepEqual(sub.prompts.map((p) => p.path).sort(), ['docs/deep dive/merged', 'docs/linear']);
      const deeper = await src.owner.exportWorkspace({ query: { folder: deep.id } });
      assert.deepEqual(deeper.folders, ['docs/deep dive']);
      assert.deepEqual(deeper.prompts.map((p) => p.path), ['docs/deep dive/merged']);
      await refusedCall(src, () => src.owner.exportWorkspace({ query: { folder: '00000000-0000-4000-8000-000000000000' } }), 'not_found');

      const dst = await app.workspace();
      const into = await dst.owner.createFolder({ body: { name: 'imported' } });
      const report = await dst.owner.importPrompts({ body: { format: 'rocqet-json', data: sub, folderId: into.id } });
      assert.equal(report.created, 2);
      const paths = (await allPrompts(dst.owner)).map((p) => p.path).sort();
      assert.deepEqual(paths, ['imported/docs/deep dive/merged', 'imported/docs/linear']);
    });

    it('a prompt whose path is taken by another prompt is skipped with a reason', async () => {
      const dst = await app.workspace();
      const f = await dst.owner.createFolder({ body: { name: 'docs' } });
      await dst.owner.createPrompt({ body: { title: 'Linear', folderId: f.id, content: 'mine' } });
      const report = await dst.owner.importPrompts({ body: { format: 'rocqet-json', data: doc } });
      assert.equal(report.created, 2);
      assert.deepEqual(report.skipped, [{ item: 'docs/linear', reason: 'another prompt already has this path here' }]);
      assert.equal((await dst.owner.getPrompt({ params: { prompt: 'docs/linear' } })).content, 'mine');
    });
  });

  describe('bad input', () => {
    let ws: TestWorkspace;
    before(async () => {
      ws = await app.workspace();
    });

    it('refuses wrong shapes: import_invalid / validation_failed / not_found, writing nothing', async () => {
      const path = '/v1/import';
      const post = (json: unknown) => () => send(app, 'POST', path, { token: ws.ownerToken, json });
      await refused(ws, post({ format: 'xml', data: 'x' }), 400, 'validation_failed');
      await refused(ws, post({ format: 'awesome-csv' }), 400, 'validation_failed');
      await refused(ws, post({ format: 'rocqet-json', data: { format: 'something-else' } }), 400, 'validation_failed');
      await refused(ws, post({ format: 'awesome-csv', data: 'x', extra: true }), 400, 'validation_failed');
      await refused(ws, post({ format: 'awesome-csv', data: 'title,text\nA,B\n' }), 422, 'import_invalid');
      await refused(ws, post({ format: 'awesome-csv', data: '' }), 422, 'import_invalid');
      const exportDoc = await ws.owner.exportWorkspace();
      await refused(ws, post({ format: 'fabric-jsonl', data: exportDoc }), 422, 'import_invalid');
      await refused(ws, post({ format: 'awesome-csv', data: exportDoc }), 422, 'import_invalid');
      await refused(ws, post({ format: 'rocqet-json', data: '{"format":"rocqet-export"}' }), 422, 'import_invalid');
      await refused(ws, post({ format: 'awesome-csv', data: 'act,prompt\nA,B\n', folderId: '00000000-0000-4000-8000-000000000000' }), 404, 'not_found');
    });

    it('junk lines and rows are skipped with reasons, the rest imported', async () => {
      const jsonl = [
        '{"name":"Good one","versions":[{"date":"2024-01-02T03:04:05Z","message":"first","content":"v1\\n"},{"date":"2024-01-03T00:00:00Z","message":"second","content":"v2\\n"}]}',
        'not json',
        '{"name":"No versions","versions":[]}',
        '',
        '{"title":"wrong shape"}',
        '{"name":"Half pair","versions":[{"date":"2024-01-02T03:04:05Z","message":"m","content":"a \\ud800 b"}]}',
      ].join('\n');
      const report = await ws.owner.importPrompts({ body: { format: 'fabric-jsonl', data: jsonl } });
      assert.equal(report.created, 1);
      assert.equal(report.commits, 2);
      assert.deepEqual(report.skipped, [
        { item: 'line 2', reason: 'not valid JSON' },
        { item: 'line 3', reason: 'not a {name, versions} object' },
        { item: 'line 5', reason: 'not a {name, versions} object' },
        { item: 'line 6 "Half pair"', field: 'versions.0.content', reason: 'must be well-formed Unicode (it holds a lone UTF-16 surrogate)' },
      ]);

      const csv = 'act,prompt,for_devs,type\nGood,"Multi\nline, with ""quotes"""' + ',TRUE,TEXT\n,no title,FALSE,TEXT\nNo prompt,,FALSE,TEXT\nToo,many,fields,here,yes\nGood,"Multi\nline, with ""quotes""",FALSE,TEXT\nGood,Different text,FALSE,TEXT\n';
      const r2 = await ws.owner.importPrompts({ body: { format: 'awesome-csv', data: csv } });
      assert.equal(r2.created, 2);
      assert.deepEqual(r2.skipped.map((s) => s.reason), [
        'empty title (act)',
        'empty prompt',
        'has 5 fields, the header has 4',
        'duplicate of line 2',
      ]);
      assert.deepEqual(r2.renamed, [{ item: 'line 9 "Good"', as: 'Good (2)', reason: 'title already used on line 2' }]);
      const good = await ws.owner.getPrompt({ params: { prompt: 'good' } });
      assert.equal(good.content, 'Multi\nline, with "quotes"');
      assert.deepEqual([...good.tags].sort(), ['dev', 'text']);
      assert.equal((await ws.owner.getPrompt({ params: { prompt: 'good-2' } })).content, 'Different text');

      // A Rocqet document naming a parent it lacks: that prompt is skipped, others imported.
      const broken: ExportDocument = {
        format: 'rocqet-export',
        version: 1,
        exportedAt: new Date().toISOString(),
        workspace: { id: '00000000-0000-4000-8000-000000000001', slug: 'x' },
        folders: [],
        prompts: [
          {
            id: '00000000-0000-4000-8000-0000000000a1',
            path: 'broken',
            folderPath: null,
            slug: 'broken',
            title: 'Broken',
            description: '',
            tags: [],
            defaultBranch: 'main',
            commits: [
              {
                id: '00000000-0000-4000-8000-0000000000c1',
                seq: 1,
                parentId: '00000000-0000-4000-8000-0000000000ff',
                mergeParentId: null,
                message: 'm',
                authorName: 'a',
                createdAt: new Date().toISOString(),
                content: 'x',
              },
            ],
            branches: [{ name: 'main', head: '00000000-0000-4000-8000-0000000000c1' }],
            versionTags: [],
          },
        ],
      };
      // What the API itself would refuse is refused in a file too: each such prompt is skipped with its reason.
      const valid = doc0();
      const variants: [string, (p: ExportDocument['prompts'][number]) => void, RegExp][] = [
        ['bad slug', (p) => (p.slug = 'Bad Slug!'), /not a valid slug/],
        ['empty folder segment', (p) => (p.folderPath = 'a//b'), /not a valid folder path/],
        ['dot-dot folder', (p) => (p.folderPath = 'a/..'), /not a valid folder path/],
        ['missing default branch', (p) => (p.defaultBranch = 'nope'), /default branch "nope"/],
        ['bad branch name', (p) => (p.branches[0]!.name = '#main'), /not a valid branch or tag name/],
        ['tag named like a branch', (p) => p.versionTags.push({ name: 'main', commit: p.commits[0]!.id, message: '' }), /used twice/],
        ['empty title', (p) => (p.title = ' '), /title/],
      ];
      for (const [what, spoil, reason] of variants) {
        const d = structuredClone(valid);
        spoil(d.prompts[0]!);
        await flushUsage(ws.owner);
        const r = await expectDbUnchanged(app.backend.pool, () => ws.owner.importPrompts({ body: { format: 'rocqet-json', data: d } }), what);
        assert.equal(r.created, 0, what);
        assert.equal(r.skipped.length, 1, what);
        const { field, reason: why } = r.skipped[0]!;
        assert.match(field ? `${field}: ${why}` : why, reason, what);
      }
      const ok = await ws.owner.importPrompts({ body: { format: 'rocqet-json', data: valid } });
      assert.equal(ok.created, 1, 'the unspoilt document imports');
      const badFolders = structuredClone(valid);
      badFolders.folders = ['fine', 'not/ ok', ''];
      badFolders.prompts = [];
      const rf = await ws.owner.importPrompts({ body: { format: 'rocqet-json', data: badFolders } });
      assert.deepEqual(rf.skipped.map((s) => s.item), ['folder "not/ ok"', 'folder ""']);
      assert.ok((await ws.owner.listFolders()).items.some((f) => f.path === 'fine'));

      await flushUsage(ws.owner);
      const r3 = await expectDbUnchanged(app.backend.pool, () => ws.owner.importPrompts({ body: { format: 'rocqet-json', data: broken } }));
      assert.equal(r3.created, 0);
      assert.equal(r3.skipped.length, 1);
      assert.match(r3.skipped[0]!.reason, /parent/);
    });
  });
});
