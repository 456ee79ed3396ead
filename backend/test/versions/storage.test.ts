import assert from 'node:assert/strict';
import fc from 'fast-check';
import { contentHash, decodeVersion, encodeVersion, MAX_CHAIN, type StoredVersion } from '../../src/domain/versions/index.js';
import { editHistory } from './arbitraries.js';

type Row = StoredVersion & { chainBytes: number };

/** Stores a linear history the way the database would and returns the rows. */
function store(versions: readonly string[]): Row[] {
  const rows: Row[] = [];
  versions.forEach((text, i) => {
    const prev = rows[i - 1];
    rows.push(encodeVersion(text, prev && { text: versions[i - 1]!, chainLength: prev.chainLength, chainBytes: prev.chainBytes }));
  });
  return rows;
}

function read(rows: readonly Row[], i: number): string {
  let s = i;
  while (rows[s]!.kind !== 'snapshot') s--;
  return decodeVersion(rows[s]!.payload, rows.slice(s + 1, i + 1).map((r) => r.payload));
}

const PROMPT = Array.from({ length: 60 }, (_, i) => `${i}. Extract the ${i}th most surprising idea from the INPUT.`).join('\n');

describe('versions/storage', () => {
  it('stores the first version as a snapshot with a format tag', () => {
    const row = encodeVersion(PROMPT);
    assert.equal(row.kind, 'snapshot');
    assert.equal(row.chainLength, 0);
    assert.equal(row.chainBytes, 0);
    assert.equal(row.size, Buffer.byteLength(PROMPT));
    assert.equal(row.payload[0], 0x02);
    assert.ok(row.payload.length < PROMPT.length / 2);
    assert.equal(decodeVersion(row.payload, []), PROMPT);
  });

  it('keeps tiny and empty texts uncompressed rather than larger', () => {
    for (const text of ['', 'a', '🚀']) {
      const row = encodeVersion(text);
      assert.equal(row.payload[0], 0x01);
      assert.equal(row.payload.length, 1 + Buffer.byteLength(text));
      assert.equal(decodeVersion(row.payload, []), text);
    }
  });

  it('stores small edits as deltas and starts a new snapshot after MAX_CHAIN deltas', () => {
    const versions = Array.from({ length: 2 * MAX_CHAIN + 3 }, (_, i) => PROMPT.replace(`${i}th`, `${i}th (edited)`));
    const rows = store(versions);
    assert.deepEqual(
      rows.map((r) => r.chainLength),
      [0, ...Array.from({ length: MAX_CHAIN }, (_, i) => i + 1), 0, ...Array.from({ length: MAX_CHAIN }, (_, i) => i + 1), 0],
    );
    for (const r of rows) assert.equal(r.kind, r.chainLength === 0 ? 'snapshot' : 'delta');
    assert.ok(rows[1]!.payload.length < 40, `delta is ${rows[1]!.payload.length} bytes`);
    versions.forEach((text, i) => assert.equal(read(rows, i), text));
  });

  it('stores a snapshot once the deltas outweigh one', () => {
    const rewrite = 'Completely different prompt: translate the INPUT into French, keeping its tone.';
    const [, second] = store([PROMPT, rewrite]);
    assert.equal(second!.kind, 'snapshot');
    assert.equal(second!.chainBytes, 0);
  });

  it('rejects chains longer than MAX_CHAIN and payloads of the wrong kind', () => {
    const rows = store(Array.from({ length: 3 }, (_, i) => PROMPT + '\n'.repeat(i)));
    assert.equal(rows[1]!.kind, 'delta');
    assert.throws(() => decodeVersion(rows[0]!.payload, Array(MAX_CHAIN + 1).fill(rows[1]!.payload)), RangeError);
    assert.throws(() => decodeVersion(rows[1]!.payload, []), /not a snapshot/);
    assert.throws(() => decodeVersion(rows[0]!.payload, [rows[0]!.payload]), /not a delta/);
    assert.throws(() => decodeVersion(rows[0]!.payload, [rows[2]!.payload]), /different base/);
  });

  it('property: random edit chains read back byte for byte with consistent chain bookkeeping', () => {
    fc.assert(
      fc.property(editHistory, (versions) => {
        const rows = store(versions);
        let chainBytes = 0;
        rows.forEach((row, i) => {
          chainBytes = row.kind === 'snapshot' ? 0 : chainBytes + row.payload.length;
          assert.equal(row.chainBytes, chainBytes);
          assert.equal(row.chainLength, row.kind === 'snapshot' ? 0 : rows[i - 1]!.chainLength + 1);
          assert.ok(row.chainLength <= MAX_CHAIN);
          assert.equal(row.size, Buffer.byteLength(versions[i]!));
          const text = read(rows, i);
          assert.ok(text === versions[i], `version ${i} differs`);
          assert.deepEqual(contentHash(text), contentHash(versions[i]!));
        });
      }),
      { numRuns: 150 },
    );
  });
});
