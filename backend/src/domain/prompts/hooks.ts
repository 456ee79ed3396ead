import { afterCommit, committedEvents } from '../../db/transaction.js';
import type { Db, Tx } from '../../db/prisma.js';
import { enqueueIndexJob } from '../../search/jobs.js';

/**
 * Called inside the transaction of every change to what search indexes (the default branch's text, title,
 * description, tags, folder, restore), so the embedding job is scheduled atomically with the change: a rollback
 * leaves no job, a commit never lacks one. Full text needs nothing: it is a generated column.
 */
export async function onPromptChanged(tx: Tx, prompt: { id: string; workspaceId: string }): Promise<void> {
  await enqueueIndexJob(tx, prompt.workspaceId, prompt.id);
}

export interface BranchMoved {
  workspaceId: string;
  promptId: string;
  branchId: string;
  head: string;
}

export const BRANCH_MOVED = 'branchMoved';

/**
 * Called wherever a branch head moves (commit, merge, revert, import). Once the transaction has committed, live
 * drafts of the branch merge the new head in (collab/); a rolled-back move tells no one.
 */
export function onBranchMoved(tx: Tx, moved: BranchMoved): void {
  afterCommit(tx, (db) => committedEvents(db).emit(BRANCH_MOVED, moved));
}

export function followBranchMoves(db: Db, listener: (moved: BranchMoved) => void): () => void {
  const bus = committedEvents(db);
  bus.on(BRANCH_MOVED, listener);
  return () => bus.off(BRANCH_MOVED, listener);
}
