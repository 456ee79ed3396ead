// Property test of the history engine through the API: random sequences of commits, branches and merges on one
// prompt, checked against a model that knows every commit's text and parents.
//
// Texts are SLOTS lines, "s<i>: <word>". A line can only ever equal a line of the same slot, so a line diff between
// two versions keeps exactly the unchanged slots, and a three-way (diff3) merge is predictable by hand: the slots
// either side changed form runs; a run takes the side that changed it, collapses identical changes, and conflicts
// when both sides changed it differently (adjacent edits on different sides are one run, so they conflict too).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RocqetError } from '@rocqet/sdk';
import type { TestApp, TestWorkspace } from '../support/app.js';
import { rejects, startUnlimitedTestApp } from '../support/prompts.js';

const SLOTS = 12;
/** Fixed so the run is reproducible; FC_SEED=<n> explores other sequences. */
const SEED = process.env.FC_SEED === undefined ? 20261125 : Number(process.env.FC_SEED);
const WORDS = ['red', 'green', 'blue', 'cyan'] as const;

type Op =
  | { kind: 'commit'; branch: number; edits: { slot: number; word: string }[] }
  | { kind: 'branch'; from: number; via: 'branch' | 'commit' | 'seq' }
  | { kind: 'merge'; source: number; target: number; resolve: boolean }
  | { kind: 'stale'; branch: number; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('commit' as const),
      branch: fc.nat(20),
      edits: fc.array(fc.record({ slot: fc.nat(SLOTS - 1), word: fc.constantFrom(...WORDS) }), { minLength: 1, maxLength: 2 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('branch' as const), from: fc.nat(50), via: fc.constantFrom('branch' as const, 'commit' as const, 'seq' as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('merge' as const), source: fc.nat(20), target: fc.nat(20), resolve: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale' as const), branch: fc.nat(20), pick: fc.nat(50) }) },
);

const toText = (lines: readonly string[]) => lines.map((w, i) => `s${i}: ${w}\n`).join('');
const toLines = (text: string) => text.split('\n').slice(0, -1).map((l) => l.replace(/^s\d+: /, ''));

class Model {
  texts = new Map<string, string>();
  parents = new Map<string, string[]>();
  seqs = new Map<string, number>();
  order: string[] = [];
  branches = new Map<string, string>();
  nextSeq = 1;

  add(id: string, seq: number, text: string, parents: string[]) {
    assert.equal(seq, this.nextSeq, 'seq continues without gaps');
    this.nextSeq++;
    this.texts.set(id, text);
    this.parents.set(id, parents);
    this.seqs.set(id, seq);
    this.order.push(id);
  }

  ancestors(id: string): Set<string> {
    const seen = new Set([id]);
    const stack = [id];
    while (stack.length) for (const p of this.parents.get(stack.pop()!) ?? []) if (!seen.has(p)) seen.add(p), stack.push(p);
    return seen;
  }

  /** The merge base: among the common ancestors that no other common ancestor descends from, the newest. */
  base(a: string, b: string): string {
    const ofB = this.ancestors(b);
    const common = [...this.ancestors(a)].filter((id) => ofB.has(id));
    const best = common.filter((c) => !common.some((d) => d !== c && this.ancestors(d).has(c)));
    return best.reduce((x, y) => (this.seqs.get(y)! > this.seqs.get(x)! ? y : x));
  }
}

/** diff3 over slot texts: the merged lines, or null on a conflict (and the resolution taking theirs there). */
function merge3(base: string[], ours: string[], theirs: string[]): { merged: string[] | null; resolved: string[] } {
  const merged: string[] = [];
  const resolved: string[] = [];
  let conflict = false;
  let i = 0;
  while (i < SLOTS) {
    if (ours[i] === base[i] && theirs[i] === base[i]) {
      merged.push(base[i]!);
      resolved.push(base[i]!);
      i++;
      continue;
    }
    let end = i;
    while (end < SLOTS && !(ours[end] === base[end] && theirs[end] === base[end])) end++;
    const [b, o, t] = [base.slice(i, end), ours.slice(i, end), theirs.slice(i, end)];
    const same = (x: string[], y: string[]) => x.every((v, k) => v === y[k]);
    if (same(o, b)) merged.push(...t), resolved.push(...t);
    else if (same(t, b) || same(o, t)) merged.push(...o), resolved.push(...o);
    else {
      conflict = true;
      resolved.push(...t);
    }
    i = end;
  }
  return { merged: conflict ? null : merged, resolved };
}

describe('prompts: random histories read back exactly (fast-check)', function () {
  this.timeout(300_000);
  let app: TestApp;
  let ws: TestWorkspace;

  before(async () => {
    app = await startUnlimitedTestApp();
    ws = await app.workspace();
  });
  after(() => app?.close());

  it('commits, branches and merges (clean and conflicting) on random refs: every commit reads back as modelled', async () => {
    let run = 0;
    const stats = { commits: 0, noChanges: 0, branches: 0, ff: 0, upToDate: 0, merged: 0, conflicts: 0, resolved: 0, stale: 0, same: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 6, maxLength: 18 }), async (ops) => {
        const o = ws.owner;
        const initial = toText(Array.from({ length: SLOTS }, () => 'base'));
        const p = await o.createPrompt({ body: { title: `Property run ${++run}`, content: initial } });
        const m = new Model();
        m.add(p.commit.id, p.commit.seq, initial, []);
        m.branches.set('main', p.commit.id);
        const names = () => [...m.branches.keys()];
        const commitBody = (content: string, message: string, branch: string, parent: string, mergeParent?: string) => ({
          params: { prompt: p.id },
          body: { content, message, branch, parent, ...(mergeParent ? { mergeParent } : {}) },
        });

        for (const op of ops) {
          if (op.kind === 'commit') {
            const branch = names()[op.branch % m.branches.size]!;
            const head = m.branches.get(branch)!;
            const lines = toLines(m.texts.get(head)!);
            for (const e of op.edits) lines[e.slot] = e.word;
            const text = toText(lines);
            if (text === m.texts.get(head)) {
              await rejects(o.commit(commitBody(text, 'noop', branch, head)), 'no_changes');
              stats.noChanges++;
              continue;
            }
            const c = await o.commit(commitBody(text, `edit on ${branch}`, branch, head));
            assert.equal(c.parentId, head);
            m.add(c.id, c.seq, text, [head]);
            m.branches.set(branch, c.id);
            stats.commits++;
          } else if (op.kind === 'branch') {
            const name = `b${m.branches.size}`;
            let from: string;
            let expected: string;
            if (op.via === 'branch') {
              from = names()[op.from % m.branches.size]!;
              expected = m.branches.get(from)!;
            } else {
              expected = m.order[op.from % m.order.length]!;
              from = op.via === 'commit' ? expected : `#${m.seqs.get(expected)}`;
            }
            const b = await o.createBranch({ params: { prompt: p.id }, body: { name, from } });
            assert.equal(b.head.id, expected);
            m.branches.set(name, expected);
            stats.branches++;
          } else if (op.kind === 'stale') {
            const branch = names()[op.branch % m.branches.size]!;
            const head = m.branches.get(branch)!;
            const others = m.order.filter((id) => id !== head);
            if (!others.length) continue;
            const err = await rejects(o.commit(commitBody(toText(Array(SLOTS).fill('stale')), 'stale', branch, others[op.pick % others.length]!)), 'head_moved');
            assert.equal(err.problem?.head, head);
            stats.stale++;
          } else {
            // Mostly two different branches; a branch into itself only when there is just the one.
            const size = m.branches.size;
            const source = names()[op.source % size]!;
            const target = size < 2 ? source : names()[(op.source + 1 + (op.target % (size - 1))) % size]!;
            if (source === target) {
              await rejects(o.merge({ params: { prompt: p.id }, body: { source, target } }), 'validation_failed');
              stats.same++;
              continue;
            }
            const s = m.branches.get(source)!;
            const t = m.branches.get(target)!;
            if (m.ancestors(t).has(s)) {
              const r = await o.merge({ params: { prompt: p.id }, body: { source, target } });
              assert.equal(r.result, 'up_to_date');
              assert.equal(r.commit.id, t);
              stats.upToDate++;
            } else if (m.ancestors(s).has(t)) {
              const r = await o.merge({ params: { prompt: p.id }, body: { source, target } });
              assert.equal(r.result, 'fast_forward');
              assert.equal(r.commit.id, s);
              m.branches.set(target, s);
              stats.ff++;
            } else {
              const base = toLines(m.texts.get(m.base(t, s))!);
              const { merged, resolved } = merge3(base, toLines(m.texts.get(t)!), toLines(m.texts.get(s)!));
              if (merged) {
                const r = await o.merge({ params: { prompt: p.id }, body: { source, target } });
                assert.equal(r.result, 'merged');
                assert.equal(r.commit.parentId, t);
                assert.equal(r.commit.mergeParentId, s);
                m.add(r.commit.id, r.commit.seq, toText(merged), [t, s]);
                m.branches.set(target, r.commit.id);
                stats.merged++;
              } else {
                const err = await rejects(o.merge({ params: { prompt: p.id }, body: { source, target } }), 'merge_conflict');
                assert.ok(err instanceof RocqetError);
                assert.equal(err.problem?.parent, t);
                assert.equal(err.problem?.mergeParent, s);
                assert.ok(Array.isArray(err.problem?.conflicts) && (err.problem.conflicts as unknown[]).length > 0);
                stats.conflicts++;
                if (op.resolve) {
                  const text = toText(resolved);
                  const c = await o.commit(commitBody(text, `resolve ${source} into ${target}`, target, t, s));
                  assert.equal(c.mergeParentId, s);
                  m.add(c.id, c.seq, text, [t, s]);
                  m.branches.set(target, c.id);
                  stats.resolved++;
                }
              }
            }
          }
        }

        // Every commit reads back exactly, with its parents; branches and the prompt head are as modelled.
        for (const id of m.order) {
          const got = await o.getCommit({ params: { prompt: p.id, ref: id } });
          assert.equal(got.content, m.texts.get(id), `commit #${m.seqs.get(id)}`);
          assert.equal(got.seq, m.seqs.get(id));
          const [parent = null, mergeParent = null] = m.parents.get(id)!;
          assert.equal(got.parentId, parent);
          assert.equal(got.mergeParentId, mergeParent);
        }
        const branches = await o.listBranches({ params: { prompt: p.id } });
        assert.deepEqual(
          branches.items.map((b) => [b.name, b.head.id]),
          [...m.branches].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        );
        const prompt = await o.getPrompt({ params: { prompt: p.id } });
        assert.equal(prompt.content, m.texts.get(m.branches.get('main')!));
        // History of main is exactly the ancestors of its head, newest first.
        const history = await o.listCommits({ params: { prompt: p.id }, query: { limit: 200 } });
        const expected = [...m.ancestors(m.branches.get('main')!)].sort((a, b) => m.seqs.get(b)! - m.seqs.get(a)!);
        assert.deepEqual(history.items.map((c) => c.id), expected);
      }),
      { numRuns: 20, seed: SEED },
    );
    console.log(`      seed ${SEED}: ${JSON.stringify(stats)}`);
    // With the fixed default seed the runs are known to cover every outcome; another seed may not.
    if (process.env.FC_SEED === undefined) assert.ok(stats.merged > 0 && stats.conflicts > 0 && stats.ff + stats.upToDate > 0, `every kind of merge happened: ${JSON.stringify(stats)}`);
  });
});
