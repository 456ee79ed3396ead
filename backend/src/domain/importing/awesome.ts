import type { ImportReport } from '@rocqet/sdk';
import type { Db } from '../../db/prisma.js';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../actor.js';
import { fail } from '../errors.js';
import { createPrompt } from '../prompts/prompts.js';
import { slugify } from '../prompts/slug.js';
import { parseCsv } from './csv.js';
import { emptyReport, requireRoomFor, skipsItem, type Progress } from './report.js';

interface Row {
  line: number;
  title: string;
  content: string;
  tags: string[];
}

/** Reads the awesome-chatgpt-prompts CSV (act, prompt, for_devs, type, contributor) into importable rows. */
export function readAwesomeCsv(text: string, report: ImportReport): Row[] {
  const [header, ...rows] = parseCsv(text);
  const columns = header?.fields.map((f) => f.trim().toLowerCase()) ?? [];
  const at = (name: string) => columns.indexOf(name);
  const [act, prompt, forDevs, type] = [at('act'), at('prompt'), at('for_devs'), at('type')];
  if (act < 0 || prompt < 0) fail('import_invalid', 'the CSV needs "act" and "prompt" columns');
  const out: Row[] = [];
  for (const { line, fields } of rows) {
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    const item = `line ${line}`;
    if (fields.length !== columns.length) {
      report.skipped.push({ item, reason: `has ${fields.length} fields, the header has ${columns.length}` });
      continue;
    }
    const title = (fields[act] ?? '').replace(/\s+/g, ' ').trim();
    const content = (fields[prompt] ?? '').trim();
    if (!title) report.skipped.push({ item, reason: 'empty title (act)' });
    else if (!content) report.skipped.push({ item: `${item} "${title}"`, reason: 'empty prompt' });
    else if (title.length > 200) report.skipped.push({ item, reason: 'title longer than 200 characters' });
    else if (content.length > 200_000) report.skipped.push({ item: `${item} "${title}"`, reason: 'prompt too long' });
    else {
      const tags = new Set<string>();
      const kind = type >= 0 ? (fields[type] ?? '').trim().toLowerCase() : '';
      if (kind && /^[^\s,/]{1,50}$/.test(kind)) tags.add(kind);
      if (forDevs >= 0 && /^(true|yes|1)$/i.test((fields[forDevs] ?? '').trim())) tags.add('dev');
      out.push({ line, title, content, tags: [...tags] });
    }
  }
  return out;
}

/**
 * Imports the CSV, one transaction per prompt. Exact duplicates (same title and text) are skipped; a title that
 * repeats with a different text is kept under a numbered title; a prompt already at that path is left alone.
 */
export async function importAwesomeCsv(
  db: Db,
  actor: Actor,
  text: string,
  opts: { folderId?: string | null | undefined; onProgress?: Progress } = {},
): Promise<ImportReport> {
  const report = emptyReport('awesome-csv');
  const rows = readAwesomeCsv(text, report);
  const seen = new Map<string, { line: number; content: string; count: number }>();
  const existing = new Map(
    (
      await db.prompt.findMany({
        where: { workspaceId: actor.workspaceId, folderId: opts.folderId ?? null, deletedAt: null },
        select: { slug: true, headText: true },
      })
    ).map((p) => [p.slug, p.headText]),
  );
  const planned: { row: Row; title: string; slug: string }[] = [];
  for (const row of rows) {
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
  let done = 0;
  for (const { row, title, slug } of planned) {
    opts.onProgress?.(done++, planned.length);
    try {
      await inTransaction(db, (tx) =>
        createPrompt(tx, actor, {
          title,
          slug,
          tags: row.tags,
          folderId: opts.folderId ?? null,
          content: row.content,
          message: `Import from awesome-chatgpt-prompts (line ${row.line})`,
        }),
      );
      report.created++;
      report.commits++;
    } catch (err) {
      if (!skipsItem(err)) throw err;
      report.skipped.push({ item: `line ${row.line} "${title}"`, reason: err.message });
    }
  }
  opts.onProgress?.(planned.length, planned.length);
  return report;
}
