import assert from 'node:assert/strict';
import { diffTexts } from '../../src/domain/versions/index.js';

describe('versions/diff', () => {
  it('produces exact unified text with labels', () => {
    const { unified, stats } = diffTexts('a\nb\nc\n', 'a\nB\nc\nd\n', { aLabel: 'v1', bLabel: 'v2' });
    assert.equal(unified, '--- v1\n+++ v2\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n');
    assert.deepEqual(stats, { additions: 2, deletions: 1 });
  });

  it('honours the context size and splits distant changes into hunks', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const b = a.replace('line 2\n', 'line two\n').replace('line 17\n', 'line seventeen\n');
    const { hunks, unified } = diffTexts(a, b, { context: 1 });
    assert.deepEqual(
      hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
      [[2, 3, 2, 3], [17, 3, 17, 3]],
    );
    assert.equal(
      unified,
      '--- a\n+++ b\n@@ -2,3 +2,3 @@\n line 1\n-line 2\n+line two\n line 3\n@@ -17,3 +17,3 @@\n line 16\n-line 17\n+line seventeen\n line 18\n',
    );
  });

  it('adds word-level detail to paired changed lines', () => {
    const { hunks } = diffTexts('Summarise the INPUT in 3 bullets.\n', 'Summarise the INPUT in 5 short bullets.\n');
    const [removed, added] = hunks[0]!.lines;
    assert.equal(removed!.op, '-');
    assert.deepEqual(removed!.words!.filter((w) => w.op !== ' ').map((w) => w.text), ['3']);
    assert.deepEqual(added!.words!.filter((w) => w.op !== ' ').map((w) => [w.op, w.text]), [['+', '5'], ['+', 'short ']]);
    // Joining the parts must give back each line exactly.
    assert.equal(removed!.words!.map((w) => w.text).join(''), removed!.text);
    assert.equal(added!.words!.map((w) => w.text).join(''), added!.text);
  });

  it('leaves unpaired additions without word detail', () => {
    const { hunks } = diffTexts('x\n', 'x\nnew line\n');
    assert.deepEqual(hunks[0]!.lines, [{ op: ' ', text: 'x' }, { op: '+', text: 'new line' }]);
  });

  it('marks a missing final newline', () => {
    const { hunks, unified } = diffTexts('a\n', 'a');
    assert.deepEqual(hunks[0]!.lines.map((l) => [l.op, l.text, l.noNewline ?? false]), [['-', 'a', false], ['+', 'a', true]]);
    assert.match(unified, /\+a\n\\ No newline at end of file\n$/);
  });

  it('returns nothing for identical texts', () => {
    assert.deepEqual(diffTexts('same\ntext', 'same\ntext'), { unified: '', hunks: [], stats: { additions: 0, deletions: 0 } });
    assert.deepEqual(diffTexts('', ''), { unified: '', hunks: [], stats: { additions: 0, deletions: 0 } });
  });
});
