import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAncestor, lowestCommonAncestor, mergeBases } from '../../src/domain/versions/index.js';

/** Builds a DAG from "child: parent parent" lines; seq is the order of appearance (parents first). */
function dag(spec: string) {
  const parents = new Map<string, string[]>();
  const seq = new Map<string, number>();
  for (const row of spec.trim().split('\n')) {
    const [child, rest = ''] = row.split(':').map((s) => s.trim());
    const ps = rest.split(/\s+/).filter(Boolean);
    for (const p of ps) assert.ok(parents.has(p), `${p} must be declared before ${child}`);
    parents.set(child!, ps);
    seq.set(child!, seq.size);
  }
  return {
    parentsOf: (id: string) => parents.get(id) ?? [],
    seqOf: (id: string) => seq.get(id)!,
    ids: [...parents.keys()],
  };
}

// main: A-B-C-----M-N      feature branches off B: F1-F2, merged into main at M, then G continues feature.
const linear = dag(`
A:
B: A
C: B
F1: B
F2: F1
M: C F2
N: M
G: F2
`);

// Criss-cross: X and Y both merge P and Q, so P and Q are both best common ancestors of X and Y.
const crissCross = dag(`
R:
P: R
Q: R
X: P Q
Y: Q P
`);

describe('versions/dag', () => {
  it('finds the fork point of two branches', () => {
    assert.equal(lowestCommonAncestor('C', 'F2', linear.parentsOf), 'B');
    assert.equal(lowestCommonAncestor('F2', 'C', linear.parentsOf), 'B');
  });

  it('after a merge, the merged-in commit becomes the base', () => {
    // N contains F2 through M; the feature tip G only adds to F2.
    assert.equal(lowestCommonAncestor('N', 'G', linear.parentsOf), 'F2');
  });

  it('returns the other commit when one is an ancestor', () => {
    assert.equal(lowestCommonAncestor('A', 'N', linear.parentsOf), 'A');
    assert.equal(lowestCommonAncestor('M', 'M', linear.parentsOf), 'M');
  });

  it('returns null for unrelated histories', () => {
    const two = dag('A:\nB: A\nZ:\nY: Z');
    assert.equal(lowestCommonAncestor('B', 'Y', two.parentsOf), null);
  });

  it('reports both merge bases of a criss-cross and picks one deterministically', () => {
    assert.deepEqual(mergeBases('X', 'Y', crissCross.parentsOf).sort(), ['P', 'Q']);
    assert.equal(lowestCommonAncestor('X', 'Y', crissCross.parentsOf, crissCross.seqOf), 'Q');
    const reversedSeq = (id: string) => -crissCross.seqOf(id);
    assert.equal(lowestCommonAncestor('X', 'Y', crissCross.parentsOf, reversedSeq), 'P');
    // Without seq: equal distances, so the id breaks the tie, whatever the argument order.
    assert.equal(lowestCommonAncestor('X', 'Y', crissCross.parentsOf), 'P');
    assert.equal(lowestCommonAncestor('Y', 'X', crissCross.parentsOf), 'P');
  });

  it('never returns an ancestor of another common ancestor', () => {
    // B and R are common ancestors of X and Y too, but are dominated by P/Q.
    const bases = mergeBases('X', 'Y', crissCross.parentsOf);
    assert.ok(!bases.includes('R'));
  });

  it('isAncestor detects fast-forwards', () => {
    for (const seqOf of [undefined, linear.seqOf]) {
      assert.equal(isAncestor('B', 'N', linear.parentsOf, seqOf), true);
      assert.equal(isAncestor('F1', 'N', linear.parentsOf, seqOf), true);
      assert.equal(isAncestor('N', 'N', linear.parentsOf, seqOf), true);
      assert.equal(isAncestor('N', 'B', linear.parentsOf, seqOf), false);
      assert.equal(isAncestor('C', 'G', linear.parentsOf, seqOf), false);
      assert.equal(isAncestor('G', 'N', linear.parentsOf, seqOf), false);
    }
  });

  it('property: on random DAGs, merge bases match a brute-force definition', () => {
    // Commit i has one or two parents among commits 0..i-1, so seq = i is a valid topological order.
    const randomDag = fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 30 }).map((rows) => {
      const parents: string[][] = rows.map(([p, q, merge], i) => {
        if (i === 0) return [];
        const a = `c${p % i}`;
        const b = `c${q % i}`;
        return merge && a !== b ? [a, b] : [a];
      });
      return { size: rows.length, parentsOf: (id: string) => parents[Number(id.slice(1))] ?? [] };
    });
    const seqOf = (id: string) => Number(id.slice(1));
    fc.assert(
      fc.property(randomDag, fc.nat(), fc.nat(), ({ size, parentsOf }, x, y) => {
        const a = `c${x % size}`;
        const b = `c${y % size}`;
        const all = Array.from({ length: size }, (_, i) => `c${i}`);
        const common = all.filter((c) => isAncestor(c, a, parentsOf) && isAncestor(c, b, parentsOf));
        const best = common.filter((c) => !common.some((d) => d !== c && isAncestor(c, d, parentsOf)));
        assert.deepEqual(mergeBases(a, b, parentsOf).sort(), best.sort());
        const expected = best.reduce((m, c) => (seqOf(c) > seqOf(m) ? c : m));
        assert.equal(lowestCommonAncestor(a, b, parentsOf, seqOf), expected);
        assert.equal(isAncestor(a, b, parentsOf, seqOf), isAncestor(a, b, parentsOf));
      }),
      { numRuns: 300 },
    );
  });
});
