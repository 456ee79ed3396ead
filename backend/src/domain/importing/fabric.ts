import type { ImportReport } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { appendCommit, moveBranch } from '../prompts/commits.js';
import { createPrompt } from '../prompts/prompts.js';
import { findBranch, findPrompt } from '../prompts/resolve.js';
import { commitColumns, type CommitRow } from '../prompts/store.js';
import { contentHash } from '../versions/index.js';
import { readFabricJsonl, type FabricEntry, type FabricRead } from './readFabric.js';
import { emptyReport, IMPORT_TX, requireRoomFor, type ImportOptions } from './report.js';
import { slicer } from './slices.js';

/**
 * Imports histories read from a fabric file (readFabricJsonl), all in one transaction: every version replayed as a
 * commit on main with its message and original date. Re-importing appends only versions the prompt does not have yet.
 */
export async function importFabricEntries(db: Db, actor: Actor, read: FabricRead, opts: ImportOptions = {}): Promise<ImportReport> {
  const report = emptyReport('fabric-jsonl');
  report.skipped.push(...read.skipped);
  const folderId = opts.folderId ?? null;
  const slugs = [...new Set(read.entries.map((e) => e.slug))];
  const present = new Set(
    (
      await db.prompt.findMany({
        where: { workspaceId: actor.workspaceId, folderId, deletedAt: null, slug: { in: slugs } },
        select: { slug: true },
      })
    ).map((p) => p.slug),
  );
  await requireRoomFor(db, actor.workspaceId, slugs.filter((s) => !present.has(s)).length);
  await inTransaction(
    db,
    async (tx) => {
      const slice = slicer();
      for (const [i, entry] of read.entries.entries()) {
        opts.onProgress?.(i, read.entries.length);
        await slice();
        await importHistory(tx, actor, entry, folderId, report);
      }
    },
    IMPORT_TX,
  );
  return report;
}

async function importHistory(tx: Tx, actor: Actor, entry: FabricEntry, folderId: string | null, report: ImportReport) {
  const { versions, slug } = entry;
  const exists = await tx.prompt.findFirst({ where: { workspaceId: actor.workspaceId, folderId, slug, deletedAt: null } });
  let start = 0;
  let prompt;
  if (!exists) {
    const first = versions[0]!;
    ({ prompt } = await createPrompt(tx, actor, {
      title: entry.name,
      slug,
      folderId,
      content: first.content,
      message: first.message,
      createdAt: first.createdAt,
    }));
    report.created++;
    report.commits++;
    start = 1;
    if (versions.length === 1) return;
  } else {
    prompt = await findPrompt(tx, actor.workspaceId, exists.id, { lock: true });
    const have = await tx.commit.findMany({ where: { promptId: prompt.id }, select: { contentHash: true }, orderBy: { seq: 'asc' } });
    const hashes = have.map((c) => Buffer.from(c.contentHash).toString('hex'));
    while (start < versions.length && hashes[start] === contentHash(versions[start]!.content).toString('hex')) start++;
    if (start < hashes.length && start < versions.length) {
      report.skipped.push({ item: `line ${entry.line} "${entry.name}"`, reason: 'its history here differs from the file; left as it is' });
      return;
    }
    if (start === versions.length) {
      report.unchanged++;
      return;
    }
    report.updated++;
  }
  const branch = await findBranch(tx, prompt.id, prompt.defaultBranch, true);
  let parent: CommitRow = await tx.commit.findUniqueOrThrow({ where: { id: branch.headId }, select: commitColumns });
  for (const v of versions.slice(start)) {
    parent = await appendCommit(tx, actor, prompt, parent, { text: v.content, message: v.message, createdAt: v.createdAt });
    report.commits++;
  }
  await moveBranch(tx, prompt, branch, parent, versions[versions.length - 1]!.content);
  await recordAudit(tx, actor, {
    action: 'prompt.import',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: { format: 'fabric-jsonl', commits: versions.length - start, after: { head: parent.id, seq: parent.seq } },
  });
}

/** Reads and imports fabric JSONL text. */
export function importFabricJsonl(db: Db, actor: Actor, text: string, opts: ImportOptions = {}): Promise<ImportReport> {
  return importFabricEntries(db, actor, readFabricJsonl(text), opts);
}
