/** Ancestry questions over the commit DAG (a commit has zero, one or two parents). */

export type ParentsOf = (id: string) => readonly string[];
export type SeqOf = (id: string) => number;

/** Every ancestor of `id`, itself included, with its distance in parent hops (breadth first). */
function ancestors(id: string, parentsOf: ParentsOf): Map<string, number> {
  const seen = new Map<string, number>([[id, 0]]);
  const queue = [id];
  for (let i = 0; i < queue.length; i++) {
    const current = queue[i]!;
    const depth = seen.get(current)!;
    for (const parent of parentsOf(current)) {
      if (seen.has(parent)) continue;
      seen.set(parent, depth + 1);
      queue.push(parent);
    }
  }
  return seen;
}

function bestCommonAncestors(a: string, b: string, parentsOf: ParentsOf) {
  const ofA = ancestors(a, parentsOf);
  const ofB = ancestors(b, parentsOf);
  const common = [...ofA.keys()].filter((id) => ofB.has(id));
  // Ancestors of a common ancestor are common ancestors too, so any common ancestor that is a proper
  // ancestor of another is the parent of some common ancestor: excluding those parents is enough.
  const dominated = new Set(common.flatMap((id) => parentsOf(id)));
  return { bases: common.filter((id) => !dominated.has(id)), ofA, ofB };
}

/**
 * The best common ancestors of a and b (git's merge bases): common ancestors that are not an
 * ancestor of another common ancestor. More than one only after criss-cross merges.
 */
export function mergeBases(a: string, b: string, parentsOf: ParentsOf): string[] {
  return bestCommonAncestors(a, b, parentsOf).bases;
}

/**
 * The merge base for a three-way merge, or null when the histories share nothing. Among several
 * candidates (criss-cross) the newest by `seqOf` wins; without it, the one closest to both tips.
 */
export function lowestCommonAncestor(a: string, b: string, parentsOf: ParentsOf, seqOf?: SeqOf): string | null {
  const { bases, ofA, ofB } = bestCommonAncestors(a, b, parentsOf);
  if (bases.length <= 1) return bases[0] ?? null;
  if (seqOf) return bases.reduce((best, id) => (seqOf(id) > seqOf(best) ? id : best));
  const distance = (id: string) => ofA.get(id)! + ofB.get(id)!;
  // Ties fall back to the id so the answer never depends on traversal order.
  return bases.reduce((best, id) => {
    const d = distance(id) - distance(best);
    return d < 0 || (d === 0 && id < best) ? id : best;
  });
}

/**
 * Whether `a` is `b` or one of its ancestors (then merging b into a is a fast-forward). With `seqOf`
 * (parents always have a lower seq) the walk skips everything older than `a`.
 */
export function isAncestor(a: string, b: string, parentsOf: ParentsOf, seqOf?: SeqOf): boolean {
  if (a === b) return true;
  const floor = seqOf?.(a);
  const seen = new Set([b]);
  const stack = [b];
  while (stack.length > 0) {
    for (const parent of parentsOf(stack.pop()!)) {
      if (parent === a) return true;
      if (seen.has(parent) || (floor !== undefined && seqOf!(parent) < floor)) continue;
      seen.add(parent);
      stack.push(parent);
    }
  }
  return false;
}
