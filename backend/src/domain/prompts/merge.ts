import type { Db, Tx } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail } from '../errors.js';
import { requireWrite } from '../policy.js';
import { diffTexts, isAncestor, lowestCommonAncestor, mergeTexts } from '../versions/index.js';
import { appendCommit, commitOnBranch, moveBranch } from './commits.js';
import { findBranch, findPrompt, resolveRef } from './resolve.js';
import { commitColumns, readText } from './store.js';

/** The prompt's commit graph, small enough to hold: ids, parents and seq. */
async function loadGraph(db: Db | Tx, promptId: string) {
  const rows = await db.commit.findMany({
    where: { promptId },
    select: { id: true, parentId: true, mergeParentId: true, seq: true },
  });
  const parents = new Map(rows.map((r) => [r.id, [r.parentId, r.mergeParentId].filter((p): p is string => !!p)]));
  const seqs = new Map(rows.map((r) => [r.id, r.seq]));
  return {
    parentsOf: (id: string) => parents.get(id) ?? [],
    seqOf: (id: string) => seqs.get(id) ?? 0,
  };
}

export async function diffRefs(db: Db, actor: Actor, promptRef: string, q: { from: string; to?: string | undefined; context: number }) {
  const prompt = await findPrompt(db, actor.workspaceId, promptRef);
  const [from, to] = await Promise.all([resolveRef(db, prompt, q.from), resolveRef(db, prompt, q.to)]);
  const [a, b] = await Promise.all([readText(db, from.id), readText(db, to.id)]);
  const label = (ref: string, seq: number) => `${prompt.slug}@${ref} (#${seq})`;
  return {
    from,
    to,
    ...diffTexts(a, b, { context: q.context, aLabel: label(q.from, from.seq), bLabel: label(q.to ?? prompt.defaultBranch, to.seq) }),
  };
}

/**
 * Merges branch `source` into `target`: nothing to do when target already contains source; a fast-forward when
 * target is an ancestor of source; otherwise a three-way merge from the lowest common ancestor, committed with two
 * parents when clean, and refused with the conflicting hunks (writing nothing) when not.
 */
export async function mergeBranches(
  tx: Tx,
  actor: Actor,
  promptRef: string,
  input: { source: string; target?: string | undefined; message?: string | undefined },
) {
  requireWrite(actor, 'merging');
  const prompt = await findPrompt(tx, actor.workspaceId, promptRef, { lock: true });
  const targetName = input.target ?? prompt.defaultBranch;
  if (targetName === input.source) fail('validation_failed', 'source and target are the same branch');
  const source = await findBranch(tx, prompt.id, input.source, true);
  const target = await findBranch(tx, prompt.id, targetName, true);
  const graph = await loadGraph(tx, prompt.id);
  const headOf = (id: string) => tx.commit.findUniqueOrThrow({ where: { id }, select: commitColumns });

  if (isAncestor(source.headId, target.headId, graph.parentsOf)) {
    return { result: 'up_to_date' as const, commit: await headOf(target.headId) };
  }
  if (isAncestor(target.headId, source.headId, graph.parentsOf)) {
    const head = await headOf(source.headId);
    await moveBranch(tx, prompt, target, head);
    await recordAudit(tx, actor, {
      action: 'prompt.merge',
      resourceType: 'prompt',
      resourceId: prompt.id,
      changes: { kind: 'fast_forward', source: input.source, target: targetName, before: { head: target.headId }, after: { head: head.id } },
    });
    return { result: 'fast_forward' as const, commit: head };
  }
  const baseId = lowestCommonAncestor(target.headId, source.headId, graph.parentsOf, graph.seqOf);
  const [base, ours, theirs] = await Promise.all([
    baseId ? readText(tx, baseId) : Promise.resolve(''),
    readText(tx, target.headId),
    readText(tx, source.headId),
  ]);
  const merged = mergeTexts(base, ours, theirs);
  if (!merged.clean) {
    fail('merge_conflict', `merging "${input.source}" into "${targetName}" conflicts in ${merged.conflicts.length} place(s); commit the resolved text on "${targetName}" with parent and mergeParent`, {
      base: baseId,
      parent: target.headId,
      mergeParent: source.headId,
      conflicts: merged.conflicts,
      textWithMarkers: merged.textWithMarkers,
    });
  }
  const parent = await headOf(target.headId);
  const commit = await appendCommit(tx, actor, prompt, parent, {
    text: merged.text,
    message: input.message ?? `Merge branch '${input.source}' into ${targetName}`,
    mergeParentId: source.headId,
  });
  await moveBranch(tx, prompt, target, commit, merged.text);
  await recordAudit(tx, actor, {
    action: 'prompt.merge',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: {
      kind: 'merge',
      source: input.source,
      target: targetName,
      base: baseId,
      before: { head: target.headId },
      after: { head: commit.id, seq: commit.seq },
    },
  });
  return { result: 'merged' as const, commit };
}

/** A new commit on a branch whose text is an older ref's. */
export async function revertTo(
  tx: Tx,
  actor: Actor,
  promptRef: string,
  input: { to: string; branch?: string | undefined; parent: string; message?: string | undefined },
) {
  requireWrite(actor, 'reverting');
  const prompt = await findPrompt(tx, actor.workspaceId, promptRef, { lock: true });
  const target = await resolveRef(tx, prompt, input.to);
  const text = await readText(tx, target.id);
  return commitOnBranch(tx, actor, prompt, {
    content: text,
    message: input.message ?? `Revert to #${target.seq}: ${target.message.split('\n')[0]}`,
    branch: input.branch,
    parent: input.parent,
    action: 'prompt.revert',
  });
}
