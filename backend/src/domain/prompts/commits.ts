import { Seq } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail } from '../errors.js';
import { decodeCursor, paginate } from '../pagination.js';
import { requireWrite } from '../policy.js';
import { contentHash } from '../versions/index.js';
import { onBranchMoved, onPromptChanged } from './hooks.js';
import { checkDocument } from './prompts.js';
import { findBranch, findPrompt, resolveRef, type PromptRow } from './resolve.js';
import { commitColumns, parentState, readText, writeCommit, type CommitRow } from './store.js';

export interface CommitInput {
  content: string;
  message: string;
  branch?: string | undefined;
  parent: string;
  mergeParent?: string | undefined;
  createdAt?: Date | undefined;
  originId?: string | undefined;
  /** Imports and reverts say which action to audit. */
  action?: string;
  /** The text is a collaborative draft's (audited as such). */
  fromDraft?: boolean;
}

/**
 * Commits a text on a branch. The branch row is locked and its head compared with the caller's `parent`: if
 * someone else committed meanwhile, nothing is written and the answer names the current head.
 */
export async function commitOnBranch(tx: Tx, actor: Actor, promptRef: string | PromptRow, input: CommitInput) {
  requireWrite(actor, 'committing');
  checkDocument(input.content);
  const prompt =
    typeof promptRef === 'string' ? await findPrompt(tx, actor.workspaceId, promptRef, { lock: true }) : promptRef;
  const branchName = input.branch ?? prompt.defaultBranch;
  const branch = await findBranch(tx, prompt.id, branchName, true);
  if (branch.headId !== input.parent) {
    fail('head_moved', `"${branchName}" is now at another commit; rebase or merge onto it and commit again`, {
      branch: branchName,
      head: branch.headId,
      parent: input.parent,
    });
  }
  const parent = await tx.commit.findUniqueOrThrow({ where: { id: branch.headId }, select: commitColumns });
  if (input.mergeParent) {
    const other = await tx.commit.findFirst({ where: { id: input.mergeParent, promptId: prompt.id }, select: { id: true } });
    if (!other) fail('ref_not_found', 'mergeParent is not a commit of this prompt');
    if (other.id === parent.id) fail('validation_failed', 'mergeParent must differ from parent');
  } else if (Buffer.from(parent.contentHash).equals(contentHash(input.content))) {
    fail('no_changes', `the text is the same as "${branchName}" already has`);
  }
  const commit = await appendCommit(tx, actor, prompt, parent, {
    text: input.content,
    message: input.message,
    mergeParentId: input.mergeParent ?? null,
    createdAt: input.createdAt,
    originId: input.originId,
  });
  // The text is at hand: the prompt's head text is not read back from the revlog.
  await moveBranch(tx, prompt, branch, commit, input.content);
  await recordAudit(tx, actor, {
    action: input.action ?? 'prompt.commit',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: {
      branch: branchName,
      before: { head: parent.id },
      after: { head: commit.id, seq: commit.seq, size: commit.size, message: commit.message },
      ...(input.mergeParent ? { mergeParent: input.mergeParent } : {}),
      ...(input.fromDraft ? { fromDraft: true } : {}),
    },
  });
  return commit;
}

/** Writes the next commit of a prompt on top of `parent` (the prompt row must be locked by the caller). */
export async function appendCommit(
  tx: Tx,
  actor: Actor,
  prompt: PromptRow,
  parent: CommitRow | null,
  c: { text: string; message: string; mergeParentId?: string | null; createdAt?: Date | undefined; originId?: string | undefined },
): Promise<CommitRow> {
  const seqRows = await tx.$queryRaw<{ seq: number }[]>`
    UPDATE prompt SET next_seq = next_seq + 1 WHERE id = ${prompt.id}::uuid RETURNING next_seq - 1 AS seq`;
  const seq = seqRows[0]?.seq ?? fail('not_found', 'prompt not found');
  return writeCommit(tx, {
    workspaceId: prompt.workspaceId,
    promptId: prompt.id,
    seq,
    text: c.text,
    message: c.message,
    parent: parent ? await parentState(tx, parent) : null,
    mergeParentId: c.mergeParentId ?? null,
    author: { id: actor.userId, name: actor.name, tokenId: actor.tokenId },
    createdAt: c.createdAt,
    originId: c.originId ?? null,
  });
}

/** Points a branch at a commit; the default branch also refreshes the prompt's denormalised head text. */
export async function moveBranch(
  tx: Tx,
  prompt: PromptRow,
  branch: { id: string; name: string },
  commit: { id: string },
  text?: string,
) {
  // Plain statements without RETURNING: on every commit's path, and nothing here needs the rows back.
  const now = new Date();
  await tx.$executeRaw`UPDATE branch SET head_id = ${commit.id}::uuid, updated_at = ${now} WHERE id = ${branch.id}::uuid`;
  onBranchMoved(tx, { workspaceId: prompt.workspaceId, promptId: prompt.id, branchId: branch.id, head: commit.id });
  if (branch.name === prompt.defaultBranch) {
    const headText = text ?? (await readText(tx, commit.id));
    await tx.$executeRaw`
      UPDATE prompt SET head_commit_id = ${commit.id}::uuid, head_text = ${headText}, updated_at = ${now} WHERE id = ${prompt.id}::uuid`;
    await onPromptChanged(tx, prompt);
  }
}

/** The commits reachable from a ref, newest first (by seq), across merge parents too. */
export async function listHistory(db: Db, actor: Actor, promptRef: string, q: { ref?: string | undefined; limit: number; cursor?: string | undefined }) {
  const prompt = await findPrompt(db, actor.workspaceId, promptRef);
  const start = await resolveRef(db, prompt, q.ref);
  const before = decodeCursor(q.cursor, Seq);
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH RECURSIVE reach AS (
      SELECT id, parent_id, merge_parent_id, seq FROM prompt_commit WHERE id = ${start.id}::uuid
      UNION
      SELECT c.id, c.parent_id, c.merge_parent_id, c.seq
        FROM prompt_commit c JOIN reach r ON c.id = r.parent_id OR c.id = r.merge_parent_id
    )
    SELECT id FROM reach WHERE ${before ?? 2_147_483_647} > seq ORDER BY seq DESC LIMIT ${q.limit + 1}`;
  const commits = await db.commit.findMany({
    where: { id: { in: rows.map((r) => r.id) } },
    select: commitColumns,
    orderBy: { seq: 'desc' },
  });
  return paginate(commits, q.limit, (c) => c.seq);
}
