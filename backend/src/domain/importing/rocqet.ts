import type { ExportDocument, ImportReport } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { notFound } from '../errors.js';
import { listFolders, type FolderWithPath } from '../folders/folders.js';
import { requireWrite } from '../policy.js';
import { moveBranch } from '../prompts/commits.js';
import { onPromptChanged } from '../prompts/hooks.js';
import { lockWorkspaceQuota } from '../prompts/prompts.js';
import { parentState, writeCommit } from '../prompts/store.js';
import { decodeVersion, isAncestor } from '../versions/index.js';
import { readRocqetExport, type RocqetPrompt, type RocqetRead } from './readRocqet.js';
import { emptyReport, IMPORT_TX, requireRoomFor, type ImportOptions } from './report.js';
import { slicer } from './slices.js';

/** Every version of a prompt, decoded from its stored chains in one pass over its commits. */
async function allVersions(db: Db, promptId: string) {
  const rows = await db.commit.findMany({ where: { promptId }, orderBy: { seq: 'asc' } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const texts = new Map<string, string>();
  for (const row of rows) {
    const chain: Buffer[] = [];
    let at: typeof row | undefined = row;
    while (at && at.kind === 'delta') {
      chain.unshift(Buffer.from(at.payload));
      at = at.parentId ? byId.get(at.parentId) : undefined;
    }
    if (!at) throw new Error(`commit ${row.id} has a broken chain`);
    texts.set(row.id, decodeVersion(Buffer.from(at.payload), chain));
  }
  return { rows, texts };
}

/** The workspace, or one folder's subtree, as JSON with full history. Deleted prompts are left out. */
export async function exportWorkspace(db: Db, actor: Actor, folderId?: string): Promise<ExportDocument> {
  const workspace = await db.workspace.findUniqueOrThrow({ where: { id: actor.workspaceId } });
  const folders = await listFolders(db, actor.workspaceId);
  let scope = folders;
  if (folderId) {
    const root = folders.find((f) => f.id === folderId) ?? notFound('folder');
    scope = folders.filter((f) => f.id === root.id || f.path.startsWith(root.path + '/'));
  }
  const byId = new Map(folders.map((f) => [f.id, f]));
  const prompts = await db.prompt.findMany({
    where: {
      workspaceId: actor.workspaceId,
      deletedAt: null,
      ...(folderId ? { folderId: { in: scope.map((f) => f.id) } } : {}),
    },
    orderBy: { createdAt: 'asc' },
  });
  const out: ExportDocument['prompts'] = [];
  for (const p of prompts) {
    const { rows, texts } = await allVersions(db, p.id);
    const [branches, tags] = await Promise.all([
      db.branch.findMany({ where: { promptId: p.id }, orderBy: { name: 'asc' } }),
      db.tag.findMany({ where: { promptId: p.id }, orderBy: { name: 'asc' } }),
    ]);
    const folderPath = p.folderId ? (byId.get(p.folderId)?.path ?? null) : null;
    out.push({
      id: p.id,
      path: folderPath ? `${folderPath}/${p.slug}` : p.slug,
      folderPath,
      slug: p.slug,
      title: p.title,
      description: p.description,
      tags: p.tags,
      defaultBranch: p.defaultBranch,
      commits: rows.map((c) => ({
        id: c.id,
        seq: c.seq,
        parentId: c.parentId,
        mergeParentId: c.mergeParentId,
        message: c.message,
        authorName: c.authorName,
        createdAt: c.createdAt.toISOString(),
        content: texts.get(c.id)!,
      })),
      branches: branches.map((b) => ({ name: b.name, head: b.headId })),
      versionTags: tags.map((t) => ({ name: t.name, commit: t.commitId, message: t.message })),
    });
  }
  return {
    format: 'rocqet-export',
    version: 1,
    exportedAt: new Date().toISOString(),
    workspace: { id: workspace.id, slug: workspace.slug },
    folders: scope.map((f) => f.path),
    prompts: out,
  };
}

async function ensureFolder(tx: Tx, actor: Actor, base: FolderWithPath | null, path: string | null, cache: Map<string, string>) {
  if (!path) return base?.id ?? null;
  let parentId = base?.id ?? null;
  let key = base?.path ?? '';
  for (const name of path.split('/')) {
    key = key ? `${key}/${name}` : name;
    let id = cache.get(key);
    if (!id) {
      const found = await tx.folder.findFirst({ where: { workspaceId: actor.workspaceId, parentId, name } });
      if (found) id = found.id;
      else {
        id = (await tx.folder.create({ data: { workspaceId: actor.workspaceId, parentId, name } })).id;
        await recordAudit(tx, actor, {
          action: 'folder.create',
          resourceType: 'folder',
          resourceId: id,
          changes: { after: { name, parentId }, via: 'import' },
        });
      }
      cache.set(key, id);
    }
    parentId = id;
  }
  return parentId;
}

/**
 * Imports a checked Rocqet export (readRocqetExport), all in one transaction. Prompts and commits remember the ids
 * they had in the exporting workspace, so importing the same file again creates nothing twice, and importing a later
 * export adds only what is new.
 */
export async function importRocqetRead(db: Db, actor: Actor, read: RocqetRead, opts: ImportOptions = {}): Promise<ImportReport> {
  requireWrite(actor, 'importing');
  const report = emptyReport('rocqet-json');
  report.skipped.push(...read.skipped);
  const folders = await listFolders(db, actor.workspaceId);
  const base = opts.folderId ? (folders.find((f) => f.id === opts.folderId) ?? notFound('folder')) : null;
  const known = new Set(
    (
      await db.prompt.findMany({
        where: { workspaceId: actor.workspaceId, originId: { in: read.prompts.map((p) => p.id) } },
        select: { originId: true },
      })
    ).map((p) => p.originId),
  );
  await requireRoomFor(db, actor.workspaceId, read.prompts.filter((p) => !known.has(p.id)).length);
  await inTransaction(
    db,
    async (tx) => {
      const folderCache = new Map<string, string>();
      // The folders of the file, empty ones included.
      for (const path of read.folders) await ensureFolder(tx, actor, base, path, folderCache);
      const slice = slicer();
      for (const [i, p] of read.prompts.entries()) {
        opts.onProgress?.(i, read.prompts.length);
        await slice();
        await importOne(tx, actor, p, base, folderCache, report);
      }
    },
    IMPORT_TX,
  );
  return report;
}

/** Checks and imports an export document (the API checks it off the event loop first). */
export function importRocqetExport(db: Db, actor: Actor, doc: ExportDocument, opts: ImportOptions = {}): Promise<ImportReport> {
  return importRocqetRead(db, actor, readRocqetExport(doc), opts);
}

interface Stored {
  id: string;
  chainLength: number;
  /** Its text, when this import wrote it (a commit stored before is read back from its chain). */
  text?: string;
}

async function importOne(
  tx: Tx,
  actor: Actor,
  p: RocqetPrompt,
  base: FolderWithPath | null,
  folderCache: Map<string, string>,
  report: ImportReport,
) {
  let prompt = await tx.prompt.findFirst({ where: { workspaceId: actor.workspaceId, originId: p.id } });
  const isNew = !prompt;
  if (prompt) await tx.$executeRaw`SELECT 1 FROM prompt WHERE id = ${prompt.id}::uuid FOR UPDATE`;
  const known = prompt
    ? await tx.commit.findMany({ where: { promptId: prompt.id, originId: { not: null } }, select: { id: true, originId: true, chainLength: true } })
    : [];
  const idOf = new Map<string, Stored>(known.map((c) => [c.originId!, c]));
  // A parent the file lacks must be one an earlier import of this prompt stored; otherwise the history is cut.
  const missing = p.outsideParents.find((id) => !idOf.has(id));
  if (missing) {
    report.skipped.push({
      item: p.path,
      field: 'commits',
      reason: `a commit names the parent ${missing}, which is neither in the file nor imported before`,
    });
    return;
  }
  if (!prompt) {
    await lockWorkspaceQuota(tx, actor.workspaceId, 1);
    const folderId = await ensureFolder(tx, actor, base, p.folderPath, folderCache);
    const clash = await tx.prompt.findFirst({ where: { workspaceId: actor.workspaceId, folderId, slug: p.slug, deletedAt: null } });
    if (clash) {
      report.skipped.push({ item: p.path, reason: 'another prompt already has this path here' });
      return;
    }
    prompt = await tx.prompt.create({
      data: {
        workspaceId: actor.workspaceId,
        folderId,
        slug: p.slug,
        title: p.title,
        description: p.description,
        tags: p.tags,
        defaultBranch: p.defaultBranch,
        createdById: actor.userId,
        originId: p.id,
      },
    });
  }
  let added = 0;
  for (const c of p.commits) {
    if (idOf.has(c.id)) continue;
    const parent = c.parentId ? idOf.get(c.parentId)! : null;
    const seqRows = await tx.$queryRaw<{ seq: number }[]>`
      UPDATE prompt SET next_seq = next_seq + 1 WHERE id = ${prompt.id}::uuid RETURNING next_seq - 1 AS seq`;
    const row = await writeCommit(tx, {
      workspaceId: actor.workspaceId,
      promptId: prompt.id,
      seq: seqRows[0]!.seq,
      text: c.content,
      message: c.message,
      // The delta is made against the parent's stored text, never against what the file says it was.
      parent: parent
        ? parent.text === undefined
          ? await parentState(tx, parent)
          : { id: parent.id, text: parent.text, chainLength: parent.chainLength, chainBytes: await chainBytesOf(tx, parent.id) }
        : null,
      mergeParentId: c.mergeParentId ? idOf.get(c.mergeParentId)!.id : null,
      author: { id: actor.userId, name: c.authorName, tokenId: actor.tokenId },
      createdAt: c.createdAt,
      originId: c.id,
    });
    idOf.set(c.id, { id: row.id, chainLength: row.chainLength, text: c.content });
    added++;
  }
  report.commits += added;
  const graph = await tx.commit.findMany({ where: { promptId: prompt.id }, select: { id: true, parentId: true, mergeParentId: true } });
  const parents = new Map(graph.map((g) => [g.id, [g.parentId, g.mergeParentId].filter((x): x is string => !!x)]));
  const parentsOf = (id: string) => parents.get(id) ?? [];
  for (const b of p.branches) {
    const head = idOf.get(b.head)!;
    const current = await tx.branch.findFirst({ where: { promptId: prompt.id, name: b.name } });
    if (!current) {
      await tx.branch.create({ data: { workspaceId: actor.workspaceId, promptId: prompt.id, name: b.name, headId: head.id } });
    } else if (current.headId !== head.id) {
      if (isAncestor(current.headId, head.id, parentsOf)) {
        const fresh = await tx.prompt.findUniqueOrThrow({ where: { id: prompt.id } });
        await moveBranch(tx, fresh, current, head, head.text);
      } else report.skipped.push({ item: `${p.path}@${b.name}`, reason: 'the branch here has diverged; left as it is' });
    }
  }
  if (isNew) {
    // Checked when the file was read: the default branch is one of the file's, and its head a commit of the file.
    const head = idOf.get(p.branches.find((b) => b.name === p.defaultBranch)!.head)!;
    prompt = await tx.prompt.update({ where: { id: prompt.id }, data: { headCommitId: head.id, headText: head.text! } });
    await onPromptChanged(tx, prompt);
  }
  for (const t of p.versionTags) {
    const commit = idOf.get(t.commit)!;
    const current = await tx.tag.findFirst({ where: { promptId: prompt.id, name: t.name } });
    if (!current) {
      await tx.tag.create({
        data: { workspaceId: actor.workspaceId, promptId: prompt.id, name: t.name, commitId: commit.id, message: t.message, createdById: actor.userId },
      });
    } else if (current.commitId !== commit.id) {
      report.skipped.push({ item: `${p.path}@${t.name}`, reason: 'a tag of that name points elsewhere here' });
    }
  }
  if (isNew) report.created++;
  else if (added) report.updated++;
  else report.unchanged++;
  if (isNew || added) {
    await recordAudit(tx, actor, {
      action: 'prompt.import',
      resourceType: 'prompt',
      resourceId: prompt.id,
      changes: { format: 'rocqet-json', origin: p.id, commits: added, created: isNew },
    });
  }
}

async function chainBytesOf(tx: Tx, commitId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ n: bigint | null }[]>`
    WITH RECURSIVE chain AS (
      SELECT id, parent_id, kind, length(payload) AS bytes FROM prompt_commit WHERE id = ${commitId}::uuid
      UNION ALL
      SELECT c.id, c.parent_id, c.kind, length(c.payload) FROM prompt_commit c JOIN chain ON c.id = chain.parent_id
       WHERE chain.kind = 'delta'
    )
    SELECT sum(bytes) FILTER (WHERE kind = 'delta') AS n FROM chain`;
  return Number(rows[0]?.n ?? 0);
}
