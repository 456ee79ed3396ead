import type { ImportReport } from '@rocqet/sdk';
import type { Db } from '../../db/prisma.js';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../actor.js';
import { createPrompt } from '../prompts/prompts.js';
import { slugify } from '../prompts/slug.js';
import { readAwesomeCsv, type AwesomeRead, type AwesomeRow } from './readAwesome.js';
import { emptyReport, IMPORT_TX, requireRoomFor, type ImportOptions } from './report.js';
import { slicer } from './slices.js';

/**
 * Imports rows read from the CSV (readAwesomeCsv), all in one transaction: exact duplicates (same title and text) are
 * skipped; a title that repeats with a different text is kept under a numbered title; a prompt already at that path
 * is left alone.
 */
export async function importAwesomeRows(db: Db, actor: Actor, read: AwesomeRead, opts: ImportOptions = {}): Promise<ImportReport> {
  const report = emptyReport('awesome-csv');
  report.skipped.push(...read.skipped);
  const folderId = opts.folderId ?? null;
  const slice = slicer();
  const seen = new Map<string, { line: number; content: string; count: number }>();
  const existing = new Map(
    (
      await db.prompt.findMany({
        where: { workspaceId: actor.workspaceId, folderId, deletedAt: null },
        select: { slug: true, headText: true },
      })
    ).map((p) => [p.slug, p.headText]),
  );
  const planned: { row: AwesomeRow; title: string; slug: string }[] = [];
  for (const row of read.rows) {
    await slice();
    const key = row.title.toLowerCase();
    const first = seen.get(key);
    let title = row.title;
    if (first) {
      if (first.content === row.content) {
        report.skipped.push({ item: `line ${row.line} "${row.title}"`, reason: `duplicate of line ${first.line}` });
        continue;
      }
      first.count++;
      title = `${row.title} (${first.count})`;
      report.renamed.push({ item: `line ${row.line} "${row.title}"`, as: title, reason: `title already used on line ${first.line}` });
    } else seen.set(key, { line: row.line, content: row.content, count: 1 });
    const slug = slugify(title, `prompt-${row.line}`);
    const already = existing.get(slug);
    if (already !== undefined) {
      if (already === row.content) report.unchanged++;
      else report.skipped.push({ item: `line ${row.line} "${title}"`, reason: `a different prompt "${slug}" is already there` });
      continue;
    }
    existing.set(slug, row.content);
    planned.push({ row, title, slug });
  }
  await requireRoomFor(db, actor.workspaceId, planned.length);
  await inTransaction(
    db,
    async (tx) => {
      for (const [done, { row, title, slug }] of planned.entries()) {
        opts.onProgress?.(done, planned.length);
        await createPrompt(tx, actor, { title, slug, tags: row.tags, folderId, content: row.content, message: row.message });
      }
    },
    IMPORT_TX,
  );
  report.created = planned.length;
  report.commits = planned.length;
  opts.onProgress?.(planned.length, planned.length);
  return report;
}

/** Reads and imports the CSV text (the demo's path; the API reads the file off the event loop first). */
export function importAwesomeCsv(db: Db, actor: Actor, text: string, opts: ImportOptions = {}): Promise<ImportReport> {
  return importAwesomeRows(db, actor, readAwesomeCsv(text), opts);
}
