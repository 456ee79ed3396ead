import type { Tx } from '../../db/prisma.js';

/**
 * Called inside the transaction of every change to what search indexes (the default branch's text, title,
 * description, tags, folder, restore), so derived state is scheduled atomically with the change.
 */
export async function onPromptChanged(_tx: Tx, _prompt: { id: string; workspaceId: string }): Promise<void> {
  // The search index job is enqueued here once search lands (enqueueIndexJob).
}
