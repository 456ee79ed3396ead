import assert from 'node:assert/strict';
import pg from 'pg';
import { createPrisma, type Db } from '../../src/db/prisma.js';
import { DomainError } from '../../src/domain/errors.js';
import { LocalEmbedder } from '../../src/search/embedder/index.js';
import { indexStatus, startIndexWorker } from '../../src/search/jobs.js';
import { QueryVectorCache } from '../../src/search/queryCache.js';
import { search, type SearchItem, type SearchParams, type SearchResult } from '../../src/search/search.js';
import { freshDatabase } from '../support/db.js';
import { loadCsvPrompts, loadDevQueries, type CsvPrompt } from './support/dataset.js';
import { insertPrompts, makeWorkspace } from './support/load.js';

// The first 120 prompts of awesome-chatgpt-prompts.csv, embedded for real by the local model through the index
// worker, in two workspaces; folders, authors and dates spread over them for the filters.
describe('search over real prompts (PostgreSQL, local embedder)', function () {
  this.timeout(180_000);
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  let db: Db;
  let embedder: LocalEmbedder;
  let ws: { workspaceId: string; userId: string };
  let other: { workspaceId: string; userId: string };
  let secondAuthor: string;
  const subset = loadCsvPrompts().slice(0, 120);
  const idsA = new Map<string, CsvPrompt>();
  const idOf = new Map<string, string>(); // title → id in workspace A (first occurrence)
  const folders: Record<'dev' | 'tools' | 'writing', string> = { dev: '', tools: '', writing: '' };
  const old = new Date('2025-01-01T00:00:00Z');

  const run = (params: SearchParams, workspaceId = ws.workspaceId): Promise<SearchResult> =>
    search(db, { workspaceId }, { limit: 10, ...params }, { embedder });
  const titles = (r: SearchResult) => r.items.map((i) => i.title);
  async function all(params: SearchParams): Promise<SearchItem[]> {
    const out: SearchItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await run({ ...params, limit: 100, cursor });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }

  before(async () => {
    database = await freshDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
    db = createPrisma(pool);
    ws = await makeWorkspace(db, 'search-a');
    other = await makeWorkspace(db, 'search-b');
    secondAuthor = (await db.user.create({ data: { email: 'second@example.com', name: 'Second' } })).id;
    const mk = async (name: string, parentId: string | null) =>
      (await db.folder.create({ data: { workspaceId: ws.workspaceId, name, parentId } })).id;
    folders.dev = await mk('Dev', null);
    folders.tools = await mk('Tools', folders.dev);
    folders.writing = await mk('Writing', null);
    // Rows 0–39 in Dev, 40–59 in Dev/Tools, 60–79 in Writing, the rest at the root; odd rows by the second author;
    // rows under 30 last changed in 2025.
    const groups: [CsvPrompt[], string | null][] = [
      [subset.slice(0, 40), folders.dev],
      [subset.slice(40, 60), folders.tools],
      [subset.slice(60, 80), folders.writing],
      [subset.slice(80), null],
    ];
    for (const [group, folderId] of groups) {
      for (const parity of [0, 1]) {
        const part = group.filter((p) => p.row % 2 === parity);
        const ids = await insertPrompts(db, ws.workspaceId, part, {
          folderId,
          createdById: parity ? secondAuthor : ws.userId,
          updatedAt: (p) => (p.row < 30 ? old : new Date()),
        });
        part.forEach((p, i) => {
          idsA.set(ids[i] as string, p);
          if (!idOf.has(p.title)) idOf.set(p.title, ids[i] as string);
        });
      }
    }
    await insertPrompts(db, other.workspaceId, subset, { createdById: other.userId });
    embedder = new LocalEmbedder({ workers: 2 });
    const worker = startIndexWorker({ db, embedder, batchSize: 64, reconcile: false });
    await worker.drain();
    await worker.stop();
    await db.$executeRawUnsafe('ANALYZE prompt');
  });
  after(async () => {
    await embedder?.close();
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  it('indexed everything: no pending job, every prompt embedded', async () => {
    const status = await indexStatus(db, ws.workspaceId, embedder.model);
    assert.deepEqual([status.pending, status.embedded, status.total], [0, subset.length, subset.length]);
  });

  describe('full text', () => {
    it('ranks a title match first, marks the words in the snippet', async () => {
      const r = await run({ q: 'linux terminal', mode: 'fulltext' });
      assert.equal(r.mode, 'fulltext');
      assert.equal(r.items[0]?.title, 'Linux Terminal');
      assert.ok(r.items[0]?.matchedBy.includes('fulltext'));
      assert.match(r.items[0]?.snippet ?? '', /<mark>linux<\/mark> <mark>terminal<\/mark>/i);
      assert.equal(r.items[0]?.path, `Dev/${r.items[0]?.slug}`);
    });

    it('understands web-search syntax: "phrases", -exclusion and or', async () => {
      const phrase = await all({ q: '"linux terminal"', mode: 'fulltext' });
      assert.ok(phrase.length >= 1);
      const hasPhrase = async (id: string, tsq: string) =>
        (await db.$queryRaw<{ ok: boolean }[]>`SELECT search_tsv @@ websearch_to_tsquery('english', ${tsq}) AS ok FROM prompt WHERE id = ${id}::uuid`)[0]?.ok;
      for (const item of phrase.filter((i) => i.matchedBy.includes('fulltext'))) assert.equal(await hasPhrase(item.id, '"linux terminal"'), true);
      const excluded = await all({ q: 'terminal -linux', mode: 'fulltext' });
      const ft = excluded.filter((i) => i.matchedBy.includes('fulltext'));
      assert.ok(ft.length >= 1, 'SQL Terminal and friends');
      assert.ok(ft.every((i) => !/\blinux\b/i.test(idsA.get(i.id)?.content ?? '') && !/linux/i.test(i.title)), ft.map((i) => i.title).join());
      const either = titles(await run({ q: 'dentist or magician', mode: 'fulltext' }));
      assert.ok(either.includes('Dentist') && either.includes('Magician'), either.join());
    });

    it('normalises by length: a long prompt repeating a word does not outrank a short one about it', async () => {
      // BM25's |d| must count what tf counts (occurrences). Counted in distinct lexemes, this 19,000-character prompt
      // (few distinct words, "routing" once per 1,200 characters) looked barely longer than the short one and came first.
      const own = await makeWorkspace(db, 'search-length');
      const paragraph = 'Always check the library documentation first and quote the version you used in the answer. ';
      const section = `${paragraph.repeat(13)}Routing questions go to the framework docs. `;
      const long = section.repeat(16);
      assert.ok(long.length > 19_000 && (long.match(/Routing/g) ?? []).length === 16);
      await insertPrompts(db, own.workspaceId, [
        { row: 900_001, title: 'Documentation Agent', content: long, tags: [], contributor: '' },
        { row: 900_002, title: 'Car Navigation System', content: 'I want you to act as a car navigation system: suggest routing and detours for drivers.', tags: [], contributor: '' },
      ]);
      const r = await run({ q: 'routing', mode: 'fulltext' }, own.workspaceId);
      assert.deepEqual(titles(r), ['Car Navigation System', 'Documentation Agent']);
    });

    it('forgives typos in titles (trigram)', async () => {
      for (const [q, expected] of [
        ['Etherium Develper', 'Ethereum Developer'],
        ['magican', 'Magician'],
        ['screenwritter', 'Screenwriter'],
      ]) {
        const r = await run({ q: q as string, mode: 'fulltext' });
        assert.equal(r.items[0]?.title, expected, `${q} → ${titles(r).join(', ')}`);
        assert.ok(r.items[0]?.matchedBy.includes('trigram'));
      }
    });

    it('escapes HTML in snippets', async () => {
      const id = idOf.get('Magician') as string;
      await db.$executeRaw`UPDATE prompt SET description = 'Magic tricks & sleight of hand: when a < b, "misdirect" the audience' WHERE id = ${id}::uuid`;
      try {
        const r = await run({ q: 'magic tricks', mode: 'fulltext' });
        const item = r.items.find((i) => i.id === id);
        assert.ok(item);
        assert.ok(!/[<>"]/.test(item.snippet.replace(/<\/?mark>/g, '')), item.snippet);
        assert.match(item.snippet, /&amp; sleight/);
        assert.match(item.snippet, /&quot;misdirect&quot;/);
        assert.match(item.snippet, /<mark>Magic<\/mark> <mark>tricks<\/mark>/);
      } finally {
        await db.$executeRaw`UPDATE prompt SET description = '' WHERE id = ${id}::uuid`;
      }
    });
  });

  describe('semantic and hybrid', () => {
    const expectations: [string, string][] = [
      ['write a script for a movie', 'Screenwriter'],
      ['tooth pain and dental hygiene', 'Dentist'],
      ['smart contract that stores a message on the blockchain', 'Ethereum Developer'],
      ['magic tricks for an audience', 'Magician'],
    ];
    for (const mode of ['semantic', 'hybrid'] as const) {
      it(`${mode}: paraphrases find the prompt in the top 3`, async () => {
        for (const [q, expected] of expectations) {
          const r = await run({ q, mode });
          assert.equal(r.mode, mode);
          assert.ok(titles(r).slice(0, 3).includes(expected), `${q} → ${titles(r).slice(0, 5).join(', ')}`);
          assert.ok(r.items.find((i) => i.title === expected)?.matchedBy.includes('semantic'));
        }
      });
    }

    it('semantic below the exact-kNN limit is the exact cosine order over the workspace', async () => {
      const q = 'someone who explains historical events';
      const [v] = await embedder.embed([q]);
      const rows = await db.$queryRaw<{ id: string; e: string }[]>`
        SELECT id::text AS id, embedding::text AS e FROM prompt WHERE workspace_id = ${ws.workspaceId}::uuid AND deleted_at IS NULL`;
      const cos = (e: string) => (JSON.parse(e) as number[]).reduce((s, x, i) => s + x * ((v as Float32Array)[i] as number), 0);
      const byId = new Map(rows.map((r) => [r.id, cos(r.e)]));
      const all = [...byId.values()].sort((a, b) => b - a);
      const got = (await run({ q, mode: 'semantic' })).items.map((i) => byId.get(i.id) as number);
      // Float32 in the database, doubles here: compare with a tolerance rather than by id (near-ties may swap).
      assert.equal(got.length, 10);
      got.forEach((c, i) => assert.ok(i === 0 || c <= (got[i - 1] as number) + 1e-5, `rank ${i + 1} out of order`));
      assert.ok((got[9] as number) >= (all[10] as number) - 1e-5, 'a closer prompt was left out of the top 10');
      assert.ok(Math.abs((got[0] as number) - (all[0] as number)) < 1e-5, 'the closest prompt is not first');
    });

    it('hybrid keeps exact and misspelt title matches on top', async () => {
      assert.equal((await run({ q: 'Etherium Develper' })).items[0]?.title, 'Ethereum Developer');
      assert.equal((await run({ q: 'linux terminal' })).items[0]?.title, 'Linux Terminal');
    });

    // This library (120 prompts) lacks words of the dev queries that the whole demo library has: "taxes" in
    // "bookkeeping and taxes for a small business" is one typo from "tales" (Storyteller), which must not become
    // the text hybrid embeds while the rest of the query matches as typed.
    it('hybrid: a correctly spelt query ranks as it did before typo tolerance (dev queries, tolerance on and off)', async () => {
      for (const { q } of loadDevQueries()) {
        const on = await search(db, ws, { q, limit: 20 }, { embedder });
        const off = await search(db, ws, { q, limit: 20 }, { embedder, typoTolerance: false });
        assert.equal(on.corrected, null, q);
        assert.deepEqual(on, off, q);
      }
    });

    it('hybrid: a query misspelt in every word embeds the correction it reports; semantic mode embeds it as typed', async () => {
      const embedded: string[] = [];
      const recording = {
        model: embedder.model,
        dimensions: embedder.dimensions,
        embed: (texts: string[]) => {
          embedded.push(...texts);
          return embedder.embed(texts);
        },
        close: async () => {},
      };
      const queryCache = new QueryVectorCache();
      const r = await search(db, ws, { q: 'linx termnal', limit: 10 }, { embedder: recording, queryCache });
      assert.equal(r.corrected, 'linux terminal');
      assert.equal(r.items[0]?.title, 'Linux Terminal');
      await search(db, ws, { q: 'linx termnal', mode: 'semantic', limit: 10 }, { embedder: recording, queryCache });
      await search(db, ws, { q: 'linux terminal', limit: 10 }, { embedder: recording, queryCache });
      assert.deepEqual(embedded, ['linux terminal', 'linx termnal']);
    });

    it('hybrid without an embedder runs as full text; semantic without one is refused', async () => {
      const r = await search(db, ws, { q: 'linux terminal' }, { embedder: null });
      assert.equal(r.mode, 'fulltext');
      assert.equal(r.items[0]?.title, 'Linux Terminal');
      await assert.rejects(search(db, ws, { q: 'linux terminal', mode: 'semantic' }, {}), (e: DomainError) => e.code === 'unavailable');
    });
  });

  describe('filters and facets', () => {
    const inA = (pred: (p: CsvPrompt, id: string) => boolean) => new Set([...idsA].filter(([id, p]) => pred(p, id)).map(([id]) => id));

    it('tags: only prompts with all the tags', async () => {
      for (const mode of ['fulltext', 'semantic', 'hybrid'] as const) {
        const items = await all({ q: 'act as a developer', mode, tags: ['dev', 'text'] });
        assert.ok(items.length > 0);
        for (const i of items) assert.ok(i.tags.includes('dev') && i.tags.includes('text'), `${mode}: ${i.title} ${i.tags}`);
      }
      const withDev = await all({ q: 'act as a developer', mode: 'semantic', tags: ['dev'] });
      const expected = inA((p) => p.tags.includes('dev'));
      assert.deepEqual(new Set(withDev.map((i) => i.id)), expected, 'semantic lists every dev prompt (fewer than its depth)');
    });

    it('folder: the folder and its subtree, by id or by path', async () => {
      const byId = await all({ q: 'act as', mode: 'semantic', folder: folders.dev });
      const expected = inA((p) => p.row < 60);
      assert.deepEqual(new Set(byId.map((i) => i.id)), expected);
      assert.ok(byId.some((i) => i.path.startsWith('Dev/Tools/')));
      const byPath = await all({ q: 'act as', mode: 'semantic', folder: 'Dev/Tools' });
      assert.deepEqual(new Set(byPath.map((i) => i.id)), inA((p) => p.row >= 40 && p.row < 60));
      await assert.rejects(run({ q: 'x', folder: 'No/Such' }), (e: DomainError) => e.code === 'not_found');
    });

    it('author and updatedSince', async () => {
      const byAuthor = await all({ q: 'act as', mode: 'semantic', author: secondAuthor });
      assert.deepEqual(new Set(byAuthor.map((i) => i.id)), inA((p) => p.row % 2 === 1));
      assert.ok(byAuthor.every((i) => i.createdById === secondAuthor));
      const recent = await all({ q: 'act as', mode: 'semantic', updatedSince: new Date('2026-01-01T00:00:00Z') });
      assert.deepEqual(new Set(recent.map((i) => i.id)), inA((p) => p.row >= 30));
    });

    it('facets count the whole ranked result set exactly', async () => {
      for (const params of [{ q: 'terminal', mode: 'fulltext' as const }, { q: 'act as', mode: 'semantic' as const, folder: folders.dev }]) {
        const r = await run({ ...params, limit: 5 });
        const items = await all(params);
        assert.equal(r.total, items.length);
        const tags = new Map<string, number>();
        for (const i of items) for (const t of i.tags) tags.set(t, (tags.get(t) ?? 0) + 1);
        assert.deepEqual(new Map(r.facets.tags.map((f) => [f.tag, f.count])), tags);
        const byFolder = new Map<string | null, number>();
        for (const i of items) byFolder.set(i.folderId, (byFolder.get(i.folderId) ?? 0) + 1);
        assert.deepEqual(new Map(r.facets.folders.map((f) => [f.folderId, f.count])), byFolder);
        for (const f of r.facets.folders) {
          assert.equal(f.path, f.folderId === folders.dev ? 'Dev' : f.folderId === folders.tools ? 'Dev/Tools' : f.folderId === folders.writing ? 'Writing' : '');
        }
      }
    });
  });

  it('pages with a cursor: no overlap, same order as one long page; foreign or broken cursors are refused', async () => {
    const long = await run({ q: 'write', mode: 'hybrid', limit: 12 });
    const first = await run({ q: 'write', mode: 'hybrid', limit: 6 });
    assert.ok(first.nextCursor);
    const second = await run({ q: 'write', mode: 'hybrid', limit: 6, cursor: first.nextCursor });
    assert.deepEqual([...first.items, ...second.items].map((i) => i.id), long.items.map((i) => i.id));
    await assert.rejects(run({ q: 'read', mode: 'hybrid', limit: 6, cursor: first.nextCursor }), (e: DomainError) => e.code === 'invalid_cursor');
    await assert.rejects(run({ q: 'write', cursor: 'not-a-cursor' }), (e: DomainError) => e.code === 'invalid_cursor');
  });

  it('rejects empty and over-long queries', async () => {
    await assert.rejects(run({ q: '   ' }), (e: DomainError) => e.code === 'validation_failed');
    await assert.rejects(run({ q: 'x'.repeat(501) }), (e: DomainError) => e.code === 'validation_failed');
  });

  it("never shows another workspace's prompts", async () => {
    const mine = new Set(idsA.keys());
    for (const mode of ['fulltext', 'semantic', 'hybrid'] as const) {
      for (const q of ['linux terminal', 'write a script for a movie', 'Etherium Develper']) {
        const items = await all({ q, mode });
        assert.ok(items.length > 0);
        for (const i of items) assert.ok(mine.has(i.id), `${mode} "${q}" returned ${i.title} of another workspace`);
      }
    }
    const theirs = await run({ q: 'linux terminal' }, other.workspaceId);
    assert.equal(theirs.items[0]?.title, 'Linux Terminal');
    assert.ok(!mine.has(theirs.items[0]?.id ?? ''));
  });

  it('a deleted prompt disappears from every mode', async () => {
    const id = idOf.get('Linux Terminal') as string;
    await db.$executeRaw`UPDATE prompt SET deleted_at = now() WHERE id = ${id}::uuid`;
    try {
      for (const mode of ['fulltext', 'semantic', 'hybrid'] as const) {
        const items = await all({ q: 'linux terminal', mode });
        assert.ok(!items.some((i) => i.id === id), mode);
      }
    } finally {
      await db.$executeRaw`UPDATE prompt SET deleted_at = NULL WHERE id = ${id}::uuid`;
    }
  });

  it('full text follows an edit at once; semantic after the job runs', async () => {
    const id = idOf.get('Accountant') as string;
    await db.$executeRaw`UPDATE prompt SET title = 'Sourdough Bread Baker',
      head_text = 'I want you to act as a sourdough bread baker. Explain how to feed a starter, hydration, proofing and baking times.'
      WHERE id = ${id}::uuid`;
    await db.$executeRaw`INSERT INTO search_job (workspace_id, prompt_id) VALUES (${ws.workspaceId}::uuid, ${id}::uuid)`;
    const fulltext = await run({ q: 'sourdough', mode: 'fulltext' });
    assert.equal(fulltext.items[0]?.id, id);
    const before = await run({ q: 'baking bread at home', mode: 'semantic' });
    assert.equal(before.pending, 1);
    assert.notEqual(before.items[0]?.id, id, 'the old vector (an accountant) does not match bread yet');
    const worker = startIndexWorker({ db, embedder, reconcile: false });
    await worker.drain();
    await worker.stop();
    const after = await run({ q: 'baking bread at home', mode: 'semantic' });
    assert.equal(after.pending, 0);
    assert.equal(after.items[0]?.id, id);
  });
});
