import assert from 'node:assert/strict';
import { COMMON_LEXEME_FREQUENCY, isAdvancedQuery, lexicalQuery } from '../../src/search/search.js';

// The full-text query plan (no database): which terms select candidates, and their idf.
describe('full-text query plan', () => {
  const common = COMMON_LEXEME_FREQUENCY * 2;

  it('plain queries: any term selects, except terms too common to tell prompts apart (they still score)', () => {
    const q = lexicalQuery('', [{ t: "'write'", f: common }, { t: "'dentist'", f: 0.002 }, { t: "'tooth'", f: null }], false);
    assert.equal(q.match, "'dentist' | 'tooth'");
    assert.deepEqual(q.terms, ["'write'", "'dentist'", "'tooth'"]);
    assert.equal(q.headline, "'write' | 'dentist' | 'tooth'");
    // idf falls as a term gets commoner; an unlisted term counts as rare.
    assert.ok((q.idf[2] as number) > (q.idf[1] as number) && (q.idf[1] as number) > (q.idf[0] as number) && (q.idf[0] as number) > 0);
  });

  it('when every term is common, all of them select', () => {
    assert.equal(lexicalQuery('', [{ t: "'act'", f: common }, { t: "'write'", f: common }], false).match, "'act' | 'write'");
  });

  it('advanced queries: the web-search query, as written, selects', () => {
    assert.ok(isAdvancedQuery('terminal -linux') && isAdvancedQuery('"linux terminal"') && isAdvancedQuery('dentist or magician'));
    assert.ok(!isAdvancedQuery('keep me going when I lack drive'));
    const q = lexicalQuery("'termin' & !'linux'", [{ t: "'termin'", f: 0.01 }, { t: "'linux'", f: 0.01 }], true);
    assert.equal(q.match, "'termin' & !'linux'");
    assert.equal(q.advanced, true);
  });
});
