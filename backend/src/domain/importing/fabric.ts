import type { ImportReport } from '@rocqet/sdk';
import { z } from 'zod';
import type { Db } from '../../db/prisma.js';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { appendCommit, moveBranch } from '../prompts/commits.js';
import { createPrompt } from '../prompts/prompts.js';
import { findBranch, findPrompt } from '../prompts/resolve.js';
import { slugify } from '../prompts/slug.js';
import { commitColumns, type CommitRow } from '../prompts/store.js';
import { contentHash } from '../versions/index.js';
import { emptyReport, requireRoomFor, skipsItem, type Progress } from './report.js';

const FabricLine = z.object({
  name: z.string().min(1).max(200),
  versions: z
    .array(z.object({ commit: z.string().optional(), date: z.string(), message: z.string(), content: z.string() }))
    .min(1),
});

function toDate(s: string): Date | undefined {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * Imports fabric-style histories: one JSON line per prompt, every version replayed as a commit on main with its
 * message and original date. Re-importing appends only versions the prompt does not have yet.
 */
export async function importFabricJsonl(
  db: Db,
  actor: Actor,
  text: string,
  opts: { folderId?: string | null | undefined; onProgress?: Progress } = {},
): Promise<ImportReport> {
  const report = emptyReport('fabric-jsonl');
  const lines = text.split('\n');
  const names = lines.flatMap((l) => {
    try {
      const parsed = FabricLine.safeParse(JSON.parse(l));
      return parsed.success ? [slugify(parsed.data.name)] : [];
    } catch {
      return [];
    }
  });
  const present = new Set(
    (
      await db.prompt.findMany({
        where: { workspaceId: actor.workspaceId, folderId: opts.folderId ?? null, deletedAt: null, slug: { in: names } },
        select: { slug: true },
      })
    ).map((p) => p.slug),
  );
  await requireRoomFor(db, actor.workspaceId, new Set(names.filter((n) => !present.has(n))).size);
  for (let i = 0; i < lines.length; i++) {
    opts.onProgress?.(i, lines.length);
    const raw = lines[i]!.trim();
    if (!raw) continue;
    let entry: z.infer<typeof FabricLine>;
    try {
      entry = FabricLine.parse(JSON.parse(raw));
    } catch (err) {
      report.skipped.push({ item: `line ${i + 1}`, reason: err instanceof z.ZodError ? 'not a {name, versions} object' : 'not valid JSON' });
      continue;
    }
    try {
      await importHistory(db, actor, entry, opts.folderId ?? null, report);
    } catch (err) {
      if (!skipsItem(err)) throw err;
      report.skipped.push({ item: `line ${i + 1} "${entry.name}"`, reason: err.message });
    }
  }
  return report;
}

async function importHistory(
  db: Db,
  actor: Actor,
  entry: z.infer<typeof FabricLine>,
  folderId: string | null,
  report: ImportReport,
) {
  const slug = slugify(entry.name);
  // Consecutive identical versions are one text: keep the first.
  const versions = entry.versions.filter((v, i, all) => i === 0 || all[i - 1]!.content !== v.content);
  await inTransaction(db, async (tx) => {
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
        message: first.message || `Import ${entry.name}`,
        createdAt: toDate(first.date),
      }));
      report.created++;
      report.commits++;
      start = 1;
    } else {
      prompt = await findPrompt(tx, actor.workspaceId, exists.id, { lock: true });
      const have = await tx.commit.findMany({ where: { promptId: prompt.id }, select: { contentHash: true }, orderBy: { seq: 'asc' } });
      const hashes = have.map((c) => Buffer.from(c.contentHash).toString('hex'));
      while (start < versions.length && hashes[start] === contentHash(versions[start]!.content).toString('hex')) start++;
      if (start < hashes.length && start < versions.length) {
        report.skipped.push({ item: entry.name, reason: 'its history here differs from the file; left as it is' });
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
      parent = await appendCommit(tx, actor, prompt, parent, {
        text: v.content,
        message: v.message || 'Update',
        createdAt: toDate(v.date),
      });
      report.commits++;
    }
    await moveBranch(tx, prompt, branch, parent, versions[versions.length - 1]!.content);
    await recordAudit(tx, actor, {
      action: 'prompt.import',
      resourceType: 'prompt',
      resourceId: prompt.id,
      changes: { format: 'fabric-jsonl', commits: versions.length - start, after: { head: parent.id, seq: parent.seq } },
    });
  }, { timeoutMs: 300_000 });
}
