import type { Tx } from '../../db/prisma.js';
import { enqueueIndexJob } from '../../search/jobs.js';

/**
 * Called inside the transaction of every change to what search indexes (the default branch's text, title,
 * description, tags, folder, restore), so the embedding job is scheduled atomically with the change: a rollback
 * leaves no job, a commit never lacks one. Full text needs nothing: it is a generated column.
 */
export async function onPromptChanged(tx: Tx, prompt: { id: string; workspaceId: string }): Promise<void> {
  await enqueueIndexJob(tx, prompt.workspaceId, prompt.id);
}
