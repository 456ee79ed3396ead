import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyDelta, encodeDelta } from '../../src/domain/versions/index.js';
import { applyEdit, edit, editHistory, promptText } from './arbitraries.js';

const roundTrips = (base: string, target: string): void => {
  const out = applyDelta(base, encodeDelta(base, target));
  assert.ok(out === target, `round trip failed: ${JSON.stringify(base)} -> ${JSON.stringify(target)} gave ${JSON.stringify(out)}`);
};

const PROMPT = Array.from({ length: 80 }, (_, i) => `- Step ${i}: summarise section ${i} of the INPUT in ${i % 7} bullet points.`).join('\n') + '\n';

describe('versions/delta', () => {
  it('round-trips edge cases: empty, emoji, CRLF, no final newline, combining marks', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['', 'x'],
      ['x', ''],
      ['a\r\nb\r\n', 'a\r\nB\r\nc'],
      ['no newline', 'no newline\n'],
      ['🚀 launch 👩‍💻', '🚀 launch 👩‍💻 today 🚀'],
      ['e\u0301t\u00e9', 'ete\u0301'],
      [PROMPT, PROMPT.replace('Step 40', 'Stage 40 🚀')],
      [PROMPT, PROMPT + PROMPT],
      ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaabaaaaaaaaaaaaaaaaaaaaaaa'],
    ];
    for (const [base, target] of cases) roundTrips(base, target);
  });

  it('round-trips arbitrary Unicode strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), roundTrips),
      { numRuns: 500 },
    );
  });

  it('round-trips a string against a mutation of itself', () => {
    const mutated = fc.string({ unit: 'grapheme', minLength: 20, maxLength: 400 }).chain((s) =>
      fc.tuple(fc.constant(s), fc.nat({ max: s.length }), fc.nat({ max: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 })),
    );
    fc.assert(
      fc.property(mutated, ([s, at, cut, insert]) => {
        // Slicing by UTF-16 index may split a surrogate pair; keep only well-formed targets.
        const target = s.slice(0, at) + insert + s.slice(at + cut);
        fc.pre(Buffer.from(target, 'utf8').toString('utf8') === target);
        roundTrips(s, target);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips realistic prompt edit sequences', () => {
    fc.assert(
      fc.property(editHistory, (versions) => {
        for (let i = 1; i < versions.length; i++) roundTrips(versions[i - 1]!, versions[i]!);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps small edits small', () => {
    const wordEdit = encodeDelta(PROMPT, PROMPT.replace('section 40', 'chapter 40'));
    assert.ok(wordEdit.length < 30, `word edit delta is ${wordEdit.length} bytes`);
    const inserted = '\n## NEW SECTION\n\nAlways answer in English.\n';
    const paragraph = encodeDelta(PROMPT, PROMPT.replace('- Step 50', `${inserted}- Step 50`));
    assert.ok(paragraph.length < inserted.length + 20, `paragraph insert delta is ${paragraph.length} bytes`);
    assert.ok(encodeDelta(PROMPT, PROMPT).length < 12);
  });

  it('refuses a delta applied to the wrong base or a corrupted delta', () => {
    const delta = encodeDelta(PROMPT, PROMPT.replace('Step 3', 'Step three'));
    assert.throws(() => applyDelta(PROMPT + 'x', delta), /different base/);
    assert.throws(() => applyDelta(PROMPT, delta.subarray(0, delta.length - 1)), RangeError);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const corrupt = Buffer.from(delta);
        const i = at % corrupt.length;
        corrupt[i] = corrupt[i]! ^ flip;
        // Bytes inside literals or copy offsets can change silently (the storage layer's hash catches
        // that); what must never happen is a read outside the buffers or any other kind of failure.
        try {
          assert.equal(typeof applyDelta(PROMPT, corrupt), 'string');
        } catch (err) {
          assert.ok(err instanceof RangeError, String(err));
        }
      }),
    );
  });

  it('rejects text that has no UTF-8 form instead of silently altering it', () => {
    assert.throws(() => encodeDelta('ok', 'broken \uD83D pair'), TypeError);
    assert.throws(() => encodeDelta('\uDE00', 'ok'), TypeError);
  });

  it('property: edits applied through arbitrary prompts round-trip', () => {
    fc.assert(fc.property(promptText, edit, (text, e) => roundTrips(text, applyEdit(text, e))), { numRuns: 300 });
  });
});
