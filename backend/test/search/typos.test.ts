import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded/index.js';
import { migrate } from '../../src/db/migrate.js';
import { createPrisma, type Db } from '../../src/db/prisma.js';
import { search, type SearchParams, type SearchResult } from '../../src/search/search.js';
import { analyzeQuery, editDistance, typoBudget } from '../../src/search/typos.js';
import { freshDatabase } from '../support/db.js';
import { loadCsvPrompts, loadDevQueries, sharedDataDir } from './support/dataset.js';
import { insertPrompts, makeWorkspace } from './support/load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const haveData = existsSync(path.join(sharedDataDir, 'awesome-chatgpt-prompts.csv')) && existsSync(path.join(sharedDataDir, 'search-dev-queries.json'));

describe('typos: edit distance and budgets', () => {
  it('counts an adjacent transposition as one typo (optimal string alignment), over code points', () => {
    assert.equal(editDistance('linux', 'linux', 2), 0);
    assert.equal(editDistance('lniux', 'linux', 2), 1);
    assert.equal(editDistance('linx', 'linux', 2), 1);
    assert.equal(editDistance('linuxx', 'linux', 2), 1);
    assert.equal(editDistance('kinux', 'linux', 2), 1);
    assert.equal(editDistance('lnx', 'linux', 2), 2);
    assert.equal(editDistance('abc', 'xyz', 1), 2); // capped at max + 1
    assert.equal(editDistance('çevirmn', 'çevirmen', 1), 1);
    assert.equal(editDistance('😀ab', '😀ba', 1), 1);
  });

  it('allows no typo under 4 characters, one up to 6, two from 7 (Typesense defaults), none in words with digits', () => {
    assert.deepEqual(['a', 'job', 'jobs', 'linux', 'travel', 'english', 'translator', 'gpt4', '2024', 'çevirmen'].map(typoBudget), [0, 0, 1, 1, 1, 2, 2, 0, 0, 2]);
  });
});

(haveData ? describe : describe.skip)('typos: search over the demo library (PostgreSQL)', function () {
  this.timeout(180_000);
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  let db: Db;
  let workspaceId: string;
  const prompts = haveData ? loadCsvPrompts() : [];

  const run = (q: string, extra: Partial<SearchParams> = {}, typoTolerance = true): Promise<SearchResult> =>
    search(db, { workspaceId }, { q, mode: 'fulltext', limit: 10, ...extra }, { typoTolerance });
  const titles = (r: SearchResult) => r.items.map((i) => i.title);

  before(async () => {
    database = await freshDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    db = createPrisma(pool);
    ({ workspaceId } = await makeWorkspace(db, 'typos'));
    await insertPrompts(db, workspaceId, prompts, { enqueue: false });
    await db.$executeRawUnsafe('VACUUM ANALYZE prompt');
  });
  after(async () => {
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  describe('correctly spelt queries', () => {
    it('return exactly what main returned before typo tolerance (dev queries, full text, first 20 and total)', async () => {
      const before = JSON.parse(readFileSync(path.join(here, 'fixtures', 'dev-fulltext-before-typos.json'), 'utf8')) as {
        queries: { query: number; total: number; items: [number, number][] }[];
      };
      const queries = loadDevQueries();
      const rowOf = (slug: string) => Number(slug.slice(slug.lastIndexOf('-') + 1));
      for (const b of before.queries) {
        const q = (queries[b.query] as { q: string }).q;
        const r = await run(q, { limit: 20 });
        assert.equal(r.total, b.total, q);
        assert.equal(r.corrected, null, q);
        // Same scores in the same order; prompts of equal score may come in another order (ties go by id, a uuid).
        assert.deepEqual(r.items.map((i) => i.score), b.items.map(([, s]) => s), q);
        const key = (rows: [number, number][]) => rows.map(([row, s]) => `${s}:${row}`).sort();
        assert.deepEqual(key(r.items.map((i) => [rowOf(i.slug), i.score])), key(b.items), q);
      }
    });

    it('with typo tolerance on or off give the same answer', async () => {
      for (const { q } of loadDevQueries().slice(0, 10)) {
        const [on, off] = [await run(q, { limit: 20 }), await run(q, { limit: 20 }, false)];
        assert.deepEqual(on, off, q);
      }
    });
  });

  describe('each kind of typo, in one word and in every word', () => {
    const cases: [string, string, string][] = [
      // [kind, misspelt query, title]
      ['deletion', 'Linux Termnal', 'Linux Terminal'],
      ['transposition', 'Linux Temrinal', 'Linux Terminal'],
      ['substitution', 'Linux Terminel', 'Linux Terminal'],
      ['insertion', 'Linux Termsinal', 'Linux Terminal'],
      ['deletion, every word', 'linx termnal', 'Linux Terminal'],
      ['transposition, every word', 'tarvel gudie', 'Travel Guide'],
      ['substitution, every word', 'Englush Translatpr and Improvet', 'English Translator and Improver'],
      ['insertion, every word', 'Etherreum Developper', 'Ethereum Developer'],
      ['mixed, every word', 'travle gide', 'Travel Guide'],
      ['first letter deleted', 'inux terminal', 'Linux Terminal'],
      ['first letter substituted', 'kinux terminal', 'Linux Terminal'],
      ['first letters transposed', 'ilnux terminal', 'Linux Terminal'],
      ['letter inserted before the first', 'alinux terminal', 'Linux Terminal'],
      ['two typos in a long word', 'Ethreum Develoepr', 'Ethereum Developer'],
    ];
    for (const [kind, q, title] of cases) {
      it(`${kind}: "${q}" finds "${title}" first and says what it searched for`, async () => {
        const r = await run(q);
        assert.equal(titles(r)[0], title, JSON.stringify(titles(r)));
        assert.equal(r.corrected?.toLowerCase(), title.toLowerCase());
      });
    }

    it('keeps the way a word was written in the correction', async () => {
      assert.equal((await run('Etherium Developer')).corrected, 'Ethereum Developer');
      assert.equal((await run('LINX terminal')).corrected, 'LINUX terminal');
    });

    it('does not correct a word found by its stem ("terminall" holds the stem of "terminal")', async () => {
      const r = await run('Linux Terminall');
      assert.equal(titles(r)[0], 'Linux Terminal');
      assert.equal(r.corrected, null);
    });
  });

  describe('what is not corrected', () => {
    it('leaves words under 4 letters alone', async () => {
      const a = await analyzeQuery(db, workspaceId, 'jbo zzq');
      assert.deepEqual(a.expansions.filter((e) => e.kind === 'typo'), []);
      assert.equal((await run('jbo')).corrected, null);
    });

    it('leaves a word the library lacks as typed when the best match holds no correction of it', async () => {
      // "tooth" is no word of this library; "booth" is one typo away but the best match is about dental hygiene.
      const r = await run('tooth pain and dental hygiene');
      assert.equal(r.corrected, null);
      const off = await run('tooth pain and dental hygiene', {}, false);
      assert.deepEqual(r, off);
    });

    it('leaves a correctly spelt word the library lacks as typed when the rest of the query matches as typed', async () => {
      // Its own small library: "taxes" is in no prompt, "tales" (one typo away, rare, so high on idf) is in one
      // that holds nothing else of the query; the bookkeeping prompt holds the rest of it.
      const small = await makeWorkspace(db, 'typos-taxes');
      await insertPrompts(db, small.workspaceId, [
        { row: 1, title: 'Bookkeeper', content: 'Keep the books of a small business: invoices, receipts and a monthly bookkeeping summary.', tags: [], contributor: '' },
        { row: 2, title: 'Storyteller', content: 'Tell tales to children.', tags: [], contributor: '' },
        { row: 3, title: 'Marketing Plan', content: 'Plan the marketing of a business launch.', tags: [], contributor: '' },
      ], { enqueue: false });
      const inSmall = (q: string, typoTolerance = true) =>
        search(db, { workspaceId: small.workspaceId }, { q, mode: 'fulltext', limit: 10 }, { typoTolerance });
      for (const q of ['bookkeeping and taxes for a small business', 'taxes for a small business']) {
        const r = await inSmall(q);
        assert.equal(r.corrected, null, q);
        assert.deepEqual(r, await inSmall(q, false), q);
        assert.equal(titles(r)[0], 'Bookkeeper', q);
      }
      // Misspelt words of the same library are still corrected, and so is a query that matches nothing as typed.
      assert.equal((await inSmall('bookeeping and taxes for a small business')).corrected, 'bookkeeping and taxes for a small business');
      assert.equal((await inSmall('storytellre')).corrected, 'storyteller');
      assert.equal((await inSmall('taxes')).corrected, 'tales');
    });

    it('takes a query with web-search syntax literally', async () => {
      const r = await run('"linx termnal"');
      assert.equal(r.corrected, null);
      assert.equal(r.total, 0);
    });
  });

  describe('prefix search on the last word', () => {
    for (const [q, title] of [
      ['linux termi', 'Linux Terminal'],
      ['travel gu', 'Travel Guide'],
      ['ethereum dev', 'Ethereum Developer'],
      ['linux t', 'Linux Terminal'],
    ] as const) {
      it(`"${q}" finds "${title}" first, without reporting a correction`, async () => {
        const r = await run(q);
        assert.equal(titles(r)[0], title, JSON.stringify(titles(r)));
        assert.equal(r.corrected, null);
      });
    }

    it('only the last word, and only when the query ends with it', async () => {
      const a = await analyzeQuery(db, workspaceId, 'termi linux');
      assert.ok(a.expansions.every((e) => e.kind !== 'prefix' || e.token === 1));
      const b = await analyzeQuery(db, workspaceId, 'linux termi.');
      assert.deepEqual(b.expansions.filter((e) => e.kind === 'prefix'), []);
    });
  });

  describe('other languages', () => {
    it('finds non-English prompts as typed, misspelt and by prefix', async () => {
      const turkish = prompts.find((p) => /Çevirmeni/.test(p.title));
      assert.ok(turkish, 'the data set has a Turkish translator prompt');
      assert.ok(titles(await run('çevirmeni')).includes(turkish.title));
      const misspelt = await run('çevirmnei');
      assert.ok(titles(misspelt).includes(turkish.title), JSON.stringify(titles(misspelt)));
      assert.equal(misspelt.corrected, 'çevirmeni');
      assert.ok(titles(await run('çevirm')).includes(turkish.title));
      const french = prompts.find((p) => /Énergétique/.test(p.title));
      assert.ok(french);
      assert.ok(titles(await run('Analyse Énergétique')).includes(french.title));
      assert.ok(titles(await run('Analyse Énergétiqeu')).includes(french.title));
    });
  });

  describe('inputs that must not fail', () => {
    for (const q of ['a:* & b | !c', "te'st:*", '!!!', '---', '∑ ∆ ≈', '(((', 'a'.repeat(500), `${'word '.repeat(99)}word`, 'x', '"', '-', 'or', 'çe', '😀']) {
      it(`answers ${JSON.stringify(q.length > 40 ? `${q.slice(0, 40)}…` : q)}`, async () => {
        for (const mode of ['fulltext', 'hybrid'] as const) {
          const r = await run(q, { mode });
          assert.ok(Array.isArray(r.items));
          assert.ok(r.corrected === null || typeof r.corrected === 'string');
        }
      });
    }
  });

  describe('the vocabulary (table search_word) follows every write', () => {
    async function drift(): Promise<number> {
      const [row] = await db.$queryRaw<{ n: bigint }[]>`
        WITH truth AS (
          SELECT p.workspace_id, w AS word, count(*)::int AS ndoc
            FROM prompt p CROSS JOIN rocqet_search_words(p.title, p.tags, p.description, p.head_text) AS w
           WHERE p.deleted_at IS NULL GROUP BY 1, 2)
        SELECT count(*) AS n FROM truth t FULL JOIN search_word s ON s.workspace_id = t.workspace_id AND s.word = t.word
         WHERE t.ndoc IS DISTINCT FROM s.ndoc`;
      return Number(row?.n);
    }
    const ndoc = async (word: string, ws = workspaceId) =>
      (await db.$queryRaw<{ ndoc: number }[]>`SELECT ndoc FROM search_word WHERE workspace_id = ${ws}::uuid AND word = ${word}`)[0]?.ndoc ?? 0;

    it('holds every word of the live prompts with its prompt count', async () => {
      assert.equal(await drift(), 0);
      assert.ok((await ndoc('linux')) > 0);
    });

    it('on insert, edit, soft delete, restore, move to another workspace and delete', async () => {
      const other = await makeWorkspace(db, 'typos-other');
      const [id] = await insertPrompts(db, workspaceId, [{ row: 99_001, title: 'Quokka Wrangler', content: 'zorbulating quokkas', tags: ['fauna'], contributor: '' }]);
      assert.equal(await ndoc('quokka'), 1);
      assert.equal(await ndoc('zorbulating'), 1);
      // Search finds the new word and corrects to it at once (no job).
      assert.equal((await run('zorbulatng')).corrected, 'zorbulating');
      await db.$executeRaw`UPDATE prompt SET head_text = 'frobnicating quokkas' WHERE id = ${id}::uuid`;
      assert.equal(await ndoc('zorbulating'), 0);
      assert.equal(await ndoc('frobnicating'), 1);
      await db.$executeRaw`UPDATE prompt SET view_count = view_count + 1, updated_at = now() WHERE id = ${id}::uuid`;
      await db.$executeRaw`UPDATE prompt SET deleted_at = now() WHERE id = ${id}::uuid`;
      assert.equal(await ndoc('quokka'), 0);
      assert.equal((await run('frobnicatng')).corrected, null);
      await db.$executeRaw`UPDATE prompt SET deleted_at = NULL WHERE id = ${id}::uuid`;
      assert.equal(await ndoc('quokka'), 1);
      await db.$executeRaw`UPDATE prompt SET workspace_id = ${other.workspaceId}::uuid, folder_id = NULL WHERE id = ${id}::uuid`;
      assert.equal(await ndoc('quokka'), 0);
      assert.equal(await ndoc('quokka', other.workspaceId), 1);
      assert.equal(await drift(), 0);
      await db.$executeRaw`DELETE FROM prompt WHERE id = ${id}::uuid`;
      assert.equal(await ndoc('quokka', other.workspaceId), 0);
      assert.equal(await drift(), 0);
    });

    it('a rolled-back write leaves it as it was; a deleted workspace takes its words along', async () => {
      await assert.rejects(
        db.$transaction(async (tx) => {
          await tx.$executeRaw`UPDATE prompt SET title = title || ' Xylophonist' WHERE workspace_id = ${workspaceId}::uuid AND title = 'Linux Terminal'`;
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal(await ndoc('xylophonist'), 0);
      const gone = await makeWorkspace(db, 'typos-gone');
      await insertPrompts(db, gone.workspaceId, prompts.slice(0, 50), { enqueue: false });
      assert.ok((await ndoc('linux', gone.workspaceId)) >= 0);
      await db.$executeRaw`DELETE FROM workspace WHERE id = ${gone.workspaceId}::uuid`;
      const [left] = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM search_word WHERE workspace_id = ${gone.workspaceId}::uuid`;
      assert.equal(Number(left?.n), 0);
      assert.equal(await drift(), 0);
    });

    it('concurrent writers of one workspace all commit', async () => {
      const rows = prompts.slice(100, 116);
      await Promise.all(
        rows.map((p, i) =>
          db.$transaction(async (tx) => {
            await insertPrompts(tx as unknown as Db, workspaceId, [{ ...p, row: 99_100 + i }], { enqueue: false });
          }),
        ),
      );
      assert.equal(await drift(), 0);
    });
  });
});

// The embedded database `npm start` runs without DATABASE_URL: PGlite needs fuzzystrmatch loaded for the vocabulary.
(haveData ? describe : describe.skip)('typos: on the embedded database (PGlite)', function () {
  this.timeout(300_000);
  let embedded: EmbeddedPostgres | undefined;
  let pool: pg.Pool | undefined;
  let dataDir = '';
  after(async () => {
    await pool?.end();
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, keeps the vocabulary and corrects typos there too', async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'rocqet-typos-'));
    embedded = await startEmbeddedPostgres({ dataDir });
    pool = new pg.Pool({ connectionString: embedded.url, max: 2 });
    await migrate(pool);
    const db = createPrisma(pool);
    const { workspaceId } = await makeWorkspace(db, 'typos-pglite');
    await insertPrompts(db, workspaceId, loadCsvPrompts().slice(0, 40), { enqueue: false });
    const r = await search(db, { workspaceId }, { q: 'linx termnal', mode: 'fulltext', limit: 5 });
    assert.equal(r.items[0]?.title, 'Linux Terminal');
    assert.equal(r.corrected, 'linux terminal');
    assert.equal((await search(db, { workspaceId }, { q: 'linux termi', mode: 'fulltext', limit: 5 })).items[0]?.title, 'Linux Terminal');
    await db.$disconnect();
  });
});
