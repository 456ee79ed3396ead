import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { webSearchText } from '../../src/search/websearch.js';
import { adminUrl } from '../support/db.js';
import { SEARCH_PIECES } from '../support/edgeInputs.js';

describe('web-search text: what websearch_to_tsquery is given', function () {
  this.timeout(60_000);
  let db: pg.Client;
  before(async () => {
    db = new pg.Client({ connectionString: adminUrl });
    await db.connect();
  });
  after(() => db?.end());

  /** Parses as the search does (English, then back from text as the candidates query casts it). */
  const parse = (q: string) =>
    db.query(`SELECT websearch_to_tsquery('english', $1)::text::tsquery::text AS e, websearch_to_tsquery('simple', $1)::text::tsquery::text AS s`, [
      webSearchText(q),
    ]);

  it('keeps the syntax people write: words, "phrases", -excluded, or', () => {
    assert.equal(webSearchText('"red apples" -pears or autumn'), '"red apples" -pears or autumn');
    assert.equal(webSearchText('well-known gpt-4 v1.2 a@b.c'), 'well-known gpt-4 v1.2 a@b.c');
    assert.equal(webSearchText('-"a b" x'), '-"a b" x');
  });

  it('drops what the parser would read as operators: runs of hyphens, !, &, parentheses, empty phrases', () => {
    assert.equal(webSearchText('-'.repeat(33)), '');
    assert.equal(webSearchText(`${'- '.repeat(40)}x`), 'x');
    assert.equal(webSearchText(`a${'-!'.repeat(40)}b`), 'a b');
    assert.equal(webSearchText('!x & (y | z) <-> w:*'), 'x y z w');
    assert.equal(webSearchText('"" "-" x'), 'x');
  });

  it('the strings PostgreSQL answered "tsquery stack too small" to now parse', async () => {
    for (const q of ['-'.repeat(33), `${'-'.repeat(33)}x`, `${'- '.repeat(40)}x`, `${'-!'.repeat(40)}x`, `a${'-&'.repeat(40)}b`, `${'-\u3000'.repeat(40)}x`]) {
      await parse(q);
    }
  });

  it('property: any text of operators, spaces and words parses, in English and simple', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...SEARCH_PIECES), { maxLength: 250 }), async (pieces) => {
        await parse(pieces.join(''));
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 500 }).map((s) => s.replaceAll('\u0000', '')), async (q) => {
        await parse(q);
      }),
      { numRuns: 100 },
    );
  });
});
