import { isTemplateError, type ImportReport } from '@rocqet/sdk';
import type { Db } from '../../db/prisma.js';
import { DomainError, fail } from '../errors.js';

export function emptyReport(format: ImportReport['format']): ImportReport {
  return { format, created: 0, updated: 0, unchanged: 0, commits: 0, skipped: [], renamed: [] };
}

export type Progress = (done: number, total: number) => void;

/**
 * Refuses an import whose new prompts would pass the plan's limit before anything is written, so a refused import
 * changes nothing. (Each prompt's own transaction still checks the limit under a lock, for concurrent writers.)
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

/**
 * Whether an error refuses just this item of an import (reported as skipped) rather than the whole import: the
 * domain's refusals and bad front matter do; a plan limit stops everything, and so does anything unexpected.
 */
export function skipsItem(err: unknown): err is Error {
  if (err instanceof DomainError) return err.code !== 'limit_exceeded';
  return isTemplateError(err);
}
