import assert from 'node:assert/strict';
import pg from 'pg';
import { createPrisma, type Db } from '../../src/db/prisma.js';
import { ANALYZED_AT_SQL, lexemeLiteral, lexemeShares, shareOf } from '../../src/search/lexemeStats.js';
import { COMMON_LEXEME_FREQUENCY, search } from '../../src/search/search.js';
import { freshDatabase } from '../support/db.js';
import { insertPrompts, makeWorkspace } from './support/load.js';

const prompt = (row: number, title: string, content: string) => ({ row, title, content, tags: [] as string[], contributor: '' });

describe('search: the lexeme statistics kept in process', function () {
  this.timeout(60_000);
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  let db: Db;
  let workspaceId: string;

  const analyzedAt = async () => (await db.$queryRawUnsafe<{ at: string | null }[]>(`SELECT ${ANALYZED_AT_SQL} AS at`))[0]!.at;
  const pgShare = async (lexeme: string) =>
    (await db.$queryRawUnsafe<{ f: number | null }[]>(
      `SELECT (most_common_elem_freqs)[array_position(most_common_elems::text::text[], $1)] AS f
         FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'prompt' AND attname = 'search_tsv'`,
      lexeme,
    ))[0]?.f ?? null;

  before(async () => {
    database = await freshDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = createPrisma(pool);
    ({ workspaceId } = await makeWorkspace(db, 'lexeme-stats'));
    const prompts = Array.from({ length: 40 }, (_, i) => prompt(i, `Helper ${i}`, i < 3 ? 'Explain zebras to a child.' : `Plan the week, item ${i}.`));
    await insertPrompts(db, workspaceId, prompts, { enqueue: false });
  });
  after(async () => {
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  it('holds what pg_stats says, read again only once the table has been analysed since', async () => {
    const key = {};
    const never = await analyzedAt();
    const empty = await lexemeShares(key, db, never);
    assert.equal(empty.shares.size, 0);
    assert.equal(shareOf(empty, 'zebra', 0.001), 0.001, 'no statistics: the default share');

    await db.$executeRawUnsafe('ANALYZE prompt');
    const at = await analyzedAt();
    assert.notEqual(at, never);
    const copy = await lexemeShares(key, db, at);
    assert.notEqual(copy, empty);
    assert.equal(shareOf(copy, 'zebra', 0.001), await pgShare('zebra'));
    assert.ok(Math.abs(shareOf(copy, 'zebra', 0.001) - 3 / 40) < 0.01);
    assert.ok(shareOf(copy, 'plan', 0.001) > COMMON_LEXEME_FREQUENCY);
    // Unlisted: rare, but never more common than the least common listed lexeme.
    assert.ok(shareOf(copy, 'unlisted', 1) <= Math.min(...copy.shares.values()));

    const noQuery = { $queryRawUnsafe: () => Promise.reject(new Error('read pg_stats again')) } as unknown as Db;
    assert.equal(await lexemeShares(key, noQuery, at), copy, 'the same analysis: the copy, no query');
    await assert.rejects(lexemeShares(key, noQuery, at, Date.now() + 120_000), /read pg_stats again/, 'too old: read again');
  });

  it('a search just after ANALYZE ranks with the new statistics', async () => {
    await db.$executeRawUnsafe('ANALYZE prompt');
    const before = await search(db, { workspaceId }, { q: 'zebras plan', mode: 'fulltext' });
    // "plan" was in 37 of 40 prompts (too common to select); now it is in one, and selects it.
    await db.$executeRawUnsafe(`UPDATE prompt SET head_text = 'Nothing to see.' WHERE head_text LIKE 'Plan the week%' AND slug <> 'helper-3-3'`);
    await db.$executeRawUnsafe('ANALYZE prompt');
    const after = await search(db, { workspaceId }, { q: 'zebras plan', mode: 'fulltext' });
    assert.ok(before.items.every((i) => ['Helper 0', 'Helper 1', 'Helper 2'].includes(i.title)), JSON.stringify(before.items.map((i) => i.title)));
    assert.ok(after.items.some((i) => i.title === 'Helper 3'), JSON.stringify(after.items.map((i) => i.title)));
  });

  it('quotes a lexeme as a tsquery literal that matches exactly that lexeme', async () => {
    for (const l of ["o'neil", 'back\\slash', 'plain', "''", 'a:b & c']) {
      const [r] = await db.$queryRawUnsafe<{ same: boolean; other: boolean }[]>(
        `SELECT array_to_tsvector(ARRAY[$2]) @@ $1::tsquery AS same, array_to_tsvector(ARRAY['plain2']) @@ $1::tsquery AS other`,
        lexemeLiteral(l),
        l,
      );
      assert.deepEqual(r, { same: true, other: false }, l);
    }
  });
});
