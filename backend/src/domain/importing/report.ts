import type { ImportReport } from '@rocqet/sdk';
import type { Db } from '../../db/prisma.js';
import { fail } from '../errors.js';

export function emptyReport(format: ImportReport['format']): ImportReport {
  return { format, created: 0, updated: 0, unchanged: 0, commits: 0, skipped: [], renamed: [] };
}

export type Progress = (done: number, total: number) => void;

export interface ImportOptions {
  folderId?: string | null | undefined;
  onProgress?: Progress;
}

/**
 * An import writes everything it keeps in one transaction, so that one that fails (a plan limit reached meanwhile, a
 * concurrent writer taking a path) leaves nothing behind. The route allows 10 minutes; so does the transaction.
 */
export const IMPORT_TX = { timeoutMs: 600_000 };

/**
 * Refuses an import whose new prompts would pass the plan's limit before anything is written, with a message that
 * says so. (createPrompt checks the limit again under a lock, for concurrent writers.)
 */
export async function requireRoomFor(db: Db, workspaceId: string, adding: number): Promise<void> {
  if (adding <= 0) return;
  const [workspace, live] = await Promise.all([
    db.workspace.findUniqueOrThrow({ where: { id: workspaceId }, select: { maxPrompts: true } }),
    db.prompt.count({ where: { workspaceId, deletedAt: null } }),
  ]);
  if (live + adding > workspace.maxPrompts) {
    fail(
      'limit_exceeded',
      `this import adds ${adding} prompts; the plan allows ${workspace.maxPrompts} and ${live} exist. Nothing was imported`,
      { limit: workspace.maxPrompts, existing: live, adding },
    );
  }
}
