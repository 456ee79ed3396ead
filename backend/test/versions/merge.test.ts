import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mergeTexts } from '../../src/domain/versions/index.js';
import { editHistory, promptText } from './arbitraries.js';

const text = (lines: readonly string[], finalNewline = true): string =>
  lines.length === 0 ? '' : lines.join('\n') + (finalNewline ? '\n' : '');

type Region = { start: number; end: number; lines: string[]; side: 'ours' | 'theirs' };

/**
 * Base lines are unique and replacement lines never occur in the base, so the line diffs are
 * unambiguous; regions keep at least one untouched line between them, so none are adjacent.
 */
const disjointEdits = fc
  .record({
    n: fc.integer({ min: 0, max: 30 }),
    raw: fc.array(
      fc.record({ start: fc.nat(), len: fc.nat({ max: 3 }), add: fc.nat({ max: 3 }), ours: fc.boolean() }),
      { maxLength: 8 },
    ),
    eol: fc.constantFrom('same', 'ours-drops', 'theirs-drops', 'base-lacks'),
  })
  .map(({ n, raw, eol }) => {
    const base = Array.from({ length: n }, (_, i) => `base line ${i}`);
    const regions: Region[] = [];
    let nextFree = 0;
    const sorted = raw.map((r) => ({ ...r, start: r.start % (n + 1) })).sort((x, y) => x.start - y.start);
    for (const [k, r] of sorted.entries()) {
      const start = Math.max(r.start, nextFree);
      if (start > n) break;
      const end = Math.min(n, start + r.len);
      const side = r.ours ? 'ours' : 'theirs';
      regions.push({ start, end, side, lines: Array.from({ length: r.add }, (_, j) => `${side} edit ${k}.${j}`) });
      nextFree = end + 1;
    }
    return { base, regions, eol };
  });

function apply(base: readonly string[], regions: readonly Region[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const r of regions) {
    out.push(...base.slice(at, r.start), ...r.lines);
    at = r.end;
  }
  return [...out, ...base.slice(at)];
}

describe('versions/merge', () => {
  it('merges edits to different regions', () => {
    const base = 'title\n\nintro\nstep 1\nstep 2\nstep 3\n\noutro\n';
    const ours = 'TITLE\n\nintro\nstep 1\nstep 2\nstep 3\n\noutro\n';
    const theirs = 'title\n\nintro\nstep 1\nstep 2\nstep 3\n\noutro\nappendix\n';
    assert.deepEqual(mergeTexts(base, ours, theirs), { clean: true, text: 'TITLE\n\nintro\nstep 1\nstep 2\nstep 3\n\noutro\nappendix\n' });
  });

  it('treats identical changes on both sides as clean', () => {
    assert.deepEqual(mergeTexts('a\nb\nc\n', 'a\nB\nc\n', 'a\nB\nc\n'), { clean: true, text: 'a\nB\nc\n' });
  });

  it('reports conflicting changes with base line numbers and markers', () => {
    const result = mergeTexts('a\nb\nc\nd\n', 'a\nours\nc\nd\n', 'a\ntheirs\nc\nd\n');
    assert.equal(result.clean, false);
    assert.ok(!result.clean);
    assert.deepEqual(result.conflicts, [{ baseStart: 2, baseLines: ['b'], ours: ['ours'], theirs: ['theirs'] }]);
    assert.equal(result.textWithMarkers, 'a\n<<<<<<< ours\nours\n=======\ntheirs\n>>>>>>> theirs\nc\nd\n');
    const withBase = mergeTexts('a\nb\nc\n', 'a\nX\nc\n', 'a\nY\nc\n', { showBase: true, oursLabel: 'main', theirsLabel: 'feature' });
    assert.ok(!withBase.clean);
    assert.equal(withBase.textWithMarkers, 'a\n<<<<<<< main\nX\n||||||| base\nb\n=======\nY\n>>>>>>> feature\nc\n');
  });

  it('moves lines both sides added identically out of the conflict', () => {
    const result = mergeTexts('a\nz\n', 'a\nsame\nX\nz\n', 'a\nsame\nY\nz\n');
    assert.ok(!result.clean);
    assert.deepEqual(result.conflicts, [{ baseStart: 2, baseLines: [], ours: ['X'], theirs: ['Y'] }]);
    assert.equal(result.textWithMarkers, 'a\nsame\n<<<<<<< ours\nX\n=======\nY\n>>>>>>> theirs\nz\n');
  });

  it('conflicts when both sides insert different lines at the same place, even at the end', () => {
    const result = mergeTexts('a\n', 'a\nb\n', 'a\nc\n');
    assert.ok(!result.clean);
    assert.deepEqual(result.conflicts, [{ baseStart: 2, baseLines: [], ours: ['b'], theirs: ['c'] }]);
  });

  it('handles a last line without newline', () => {
    // Appending after a newline-less last line must not collide with an edit just above it.
    assert.deepEqual(mergeTexts('a\nb', 'a\nb\nc', 'A\nb'), { clean: true, text: 'A\nb\nc' });
    // Adding the final newline on one side and editing on the other.
    assert.deepEqual(mergeTexts('a\nb', 'a\nb\n', 'a\nB'), { clean: true, text: 'a\nB\n' });
    assert.deepEqual(mergeTexts('a\nb\n', 'a\nb\n', 'x\na\nb'), { clean: true, text: 'x\na\nb' });
    assert.deepEqual(mergeTexts('', 'only', ''), { clean: true, text: 'only' });
    const conflict = mergeTexts('a\nb', 'a\nX', 'a\nY');
    assert.ok(!conflict.clean);
    assert.deepEqual(conflict.conflicts, [{ baseStart: 2, baseLines: ['b'], ours: ['X'], theirs: ['Y'] }]);
  });

  it('keeps CRLF line endings intact', () => {
    assert.deepEqual(mergeTexts('a\r\nb\r\nc\r\n', 'A\r\nb\r\nc\r\n', 'a\r\nb\r\nC\r\n'), { clean: true, text: 'A\r\nb\r\nC\r\n' });
  });

  it('property: non-overlapping, non-adjacent edits merge cleanly into the expected text', () => {
    fc.assert(
      fc.property(disjointEdits, ({ base, regions, eol }) => {
        const ours = apply(base, regions.filter((r) => r.side === 'ours'));
        const theirs = apply(base, regions.filter((r) => r.side === 'theirs'));
        const merged = apply(base, regions);
        // An empty text has no last line to lack a newline, so it counts as newline-terminated.
        const eolOf = (lines: readonly string[], wanted: boolean) => lines.length === 0 || wanted;
        const baseEol = eolOf(base, eol !== 'base-lacks');
        const oursEol = eolOf(ours, eol === 'ours-drops' ? false : baseEol);
        const theirsEol = eolOf(theirs, eol === 'theirs-drops' ? false : baseEol);
        // Whichever side changed the final newline decides it.
        const expected = text(merged, oursEol !== baseEol ? oursEol : theirsEol);
        assert.deepEqual(mergeTexts(text(base, baseEol), text(ours, oursEol), text(theirs, theirsEol)), { clean: true, text: expected });
      }),
      { numRuns: 500 },
    );
  });

  it('property: different edits to the same region conflict', () => {
    const overlapping = fc.record({
      n: fc.integer({ min: 1, max: 20 }),
      start: fc.nat(),
      len: fc.nat({ max: 3 }),
      ours: fc.integer({ min: 1, max: 3 }),
      theirs: fc.nat({ max: 3 }),
    });
    fc.assert(
      fc.property(overlapping, ({ n, start: s, len, ours: nOurs, theirs: nTheirs }) => {
        const base = Array.from({ length: n }, (_, i) => `line ${i}`);
        const start = s % (n + 1);
        const end = Math.min(n, start + len);
        fc.pre(nTheirs > 0 || end > start);
        const oursLines = Array.from({ length: nOurs }, (_, i) => `ours ${i}`);
        const theirsLines = Array.from({ length: nTheirs }, (_, i) => `theirs ${i}`);
        const ours = [...base.slice(0, start), ...oursLines, ...base.slice(end)];
        const theirs = [...base.slice(0, start), ...theirsLines, ...base.slice(end)];
        const result = mergeTexts(text(base), text(ours), text(theirs));
        assert.ok(!result.clean, 'expected a conflict');
        assert.deepEqual(result.conflicts, [{ baseStart: start + 1, baseLines: base.slice(start, end), ours: oursLines, theirs: theirsLines }]);
      }),
      { numRuns: 300 },
    );
  });

  it('property: merge(base, x, x) = x, merge(base, base, x) = x, merge(base, x, base) = x', () => {
    const anyText = fc.oneof(promptText, fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: fc.constantFrom('a', 'b', '\n', '\r'), maxLength: 30 }));
    fc.assert(
      fc.property(anyText, anyText, (base, x) => {
        assert.deepEqual(mergeTexts(base, x, x), { clean: true, text: x });
        assert.deepEqual(mergeTexts(base, base, x), { clean: true, text: x });
        assert.deepEqual(mergeTexts(base, x, base), { clean: true, text: x });
      }),
      { numRuns: 500 },
    );
  });

  it('property: one side editing a realistic history merges onto the unchanged other side', () => {
    fc.assert(
      fc.property(editHistory, (versions) => {
        const base = versions[0]!;
        const last = versions[versions.length - 1]!;
        assert.deepEqual(mergeTexts(base, last, base), { clean: true, text: last });
      }),
      { numRuns: 100 },
    );
  });
});
