import { DisplayName, FolderName, PromptSlug, RefName, TagName, type ExportDocument, type ImportReport } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { DomainError, notFound } from '../errors.js';
import { listFolders, type FolderWithPath } from '../folders/folders.js';
import { requireWrite } from '../policy.js';
import { moveBranch } from '../prompts/commits.js';
import { onPromptChanged } from '../prompts/hooks.js';
import { lockWorkspaceQuota } from '../prompts/prompts.js';
import { isAncestor } from '../versions/index.js';
import { decodeVersion } from '../versions/index.js';
import { writeCommit } from '../prompts/store.js';
import { emptyReport, requireRoomFor, skipsItem, type Progress } from './report.js';

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

/** A folder path of the file: every segment must be a name the folders API would accept. */
function validFolderPath(path: string): boolean {
  return path.split('/').every((name) => name === name.trim() && FolderName.safeParse(name).success);
}

/**
 * The file is not trusted: what the API would refuse (a bad slug, folder or ref name, a default branch the prompt
 * lacks) is refused here too, so an import cannot make prompts the rest of the API cannot handle.
 */
function checkPrompt(p: ExportDocument['prompts'][number]): { tags: string[] } {
  const invalid = (why: string): never => {
    throw new DomainError('import_invalid', why);
  };
  if (!PromptSlug.safeParse(p.slug).success) invalid(`"${p.slug}" is not a valid slug`);
  if (p.folderPath !== null && !validFolderPath(p.folderPath)) invalid(`"${p.folderPath}" is not a valid folder path`);
  if (!DisplayName.max(200).safeParse(p.title).success || p.title !== p.title.trim()) invalid('the title is empty or too long');
  if (p.description.length > 2_000) invalid('the description is longer than 2,000 characters');
  const tags = p.tags.map((t) => TagName.safeParse(t));
  if (tags.length > 20 || tags.some((t) => !t.success)) invalid('the tags are not valid');
  const names = [...p.branches.map((b) => b.name), ...p.versionTags.map((t) => t.name)];
  for (const name of names) if (!RefName.safeParse(name).success) invalid(`"${name}" is not a valid branch or tag name`);
  if (new Set(names).size !== names.length) invalid('a branch or tag name is used twice');
  if (!p.branches.some((b) => b.name === p.defaultBranch)) invalid(`the default branch "${p.defaultBranch}" is not one of its branches`);
  return { tags: [...new Set(tags.map((t) => t.data!))] };
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
 * Imports a Rocqet export. Prompts and commits remember the ids they had in the exporting workspace, so importing
 * the same file again creates nothing twice, and importing a later export adds only what is new.
 */
export async function importRocqetExport(
  db: Db,
  actor: Actor,
  doc: ExportDocument,
  opts: { folderId?: string | null | undefined; onProgress?: Progress } = {},
): Promise<ImportReport> {
  requireWrite(actor, 'importing');
  const report = emptyReport('rocqet-json');
  const folders = await listFolders(db, actor.workspaceId);
  const base = opts.folderId ? (folders.find((f) => f.id === opts.folderId) ?? notFound('folder')) : null;
  const known = new Set(
    (
      await db.prompt.findMany({
        where: { workspaceId: actor.workspaceId, originId: { in: doc.prompts.map((p) => p.id) } },
        select: { originId: true },
      })
    ).map((p) => p.originId),
  );
  await requireRoomFor(db, actor.workspaceId, doc.prompts.filter((p) => !known.has(p.id)).length);
  const folderCache = new Map<string, string>();
  // The folders of the file, empty ones included.
  const folderPaths = doc.folders.filter((path) => {
    if (validFolderPath(path)) return true;
    report.skipped.push({ item: `folder "${path}"`, reason: 'not a valid folder path' });
    return false;
  });
  if (folderPaths.length) {
    try {
      await inTransaction(db, async (tx) => {
        for (const path of folderPaths) await ensureFolder(tx, actor, base, path, folderCache);
      });
    } catch (err) {
      folderCache.clear();
      throw err;
    }
  }
  for (const [i, p] of doc.prompts.entries()) {
    opts.onProgress?.(i, doc.prompts.length);
    try {
      await inTransaction(db, (tx) => importOne(tx, actor, p, base, folderCache, report), { timeoutMs: 300_000 });
    } catch (err) {
      folderCache.clear();
      if (!skipsItem(err)) throw err;
      report.skipped.push({ item: p.path, reason: err.message });
    }
  }
  return report;
}

async function importOne(
  tx: Tx,
  actor: Actor,
  p: ExportDocument['prompts'][number],
  base: FolderWithPath | null,
  folderCache: Map<string, string>,
  report: ImportReport,
) {
  const { tags } = checkPrompt(p);
  let prompt = await tx.prompt.findFirst({ where: { workspaceId: actor.workspaceId, originId: p.id } });
  const isNew = !prompt;
  const commits = [...p.commits].sort((a, b) => a.seq - b.seq);
  if (!commits.length) {
    report.skipped.push({ item: p.path, reason: 'has no commits' });
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
        tags,
        defaultBranch: p.defaultBranch,
        createdById: actor.userId,
        originId: p.id,
      },
    });
  } else {
    await tx.$executeRaw`SELECT 1 FROM prompt WHERE id = ${prompt.id}::uuid FOR UPDATE`;
  }
  const known = await tx.commit.findMany({
    where: { promptId: prompt.id, originId: { not: null } },
    select: { id: true, originId: true, chainLength: true },
  });
  const idOf = new Map(known.map((c) => [c.originId!, c]));
  const textOf = new Map(commits.map((c) => [c.id, c.content]));
  let added = 0;
  for (const c of commits) {
    if (idOf.has(c.id)) continue;
    const parent = c.parentId ? idOf.get(c.parentId) : undefined;
    if (c.parentId && !parent) throw new DomainError('import_invalid', `commit ${c.id} names a parent the file lacks`);
    const chainBytes = parent ? await chainBytesOf(tx, parent.id) : 0;
    const seqRows = await tx.$queryRaw<{ seq: number }[]>`
      UPDATE prompt SET next_seq = next_seq + 1 WHERE id = ${prompt.id}::uuid RETURNING next_seq - 1 AS seq`;
    const row = await writeCommit(tx, {
      workspaceId: actor.workspaceId,
      promptId: prompt.id,
      seq: seqRows[0]!.seq,
      text: c.content,
      message: c.message,
      parent: parent && c.parentId
        ? { id: parent.id, text: textOf.get(c.parentId)!, chainLength: parent.chainLength, chainBytes }
        : null,
      mergeParentId: c.mergeParentId ? (idOf.get(c.mergeParentId)?.id ?? null) : null,
      author: { id: actor.userId, name: c.authorName, tokenId: actor.tokenId },
      createdAt: new Date(c.createdAt),
      originId: c.id,
    });
    idOf.set(c.id, { id: row.id, originId: c.id, chainLength: row.chainLength });
    added++;
  }
  report.commits += added;
  const graph = await tx.commit.findMany({ where: { promptId: prompt.id }, select: { id: true, parentId: true, mergeParentId: true } });
  const parents = new Map(graph.map((g) => [g.id, [g.parentId, g.mergeParentId].filter((x): x is string => !!x)]));
  const parentsOf = (id: string) => parents.get(id) ?? [];
  for (const b of p.branches) {
    const head = idOf.get(b.head);
    if (!head) continue;
    const current = await tx.branch.findFirst({ where: { promptId: prompt.id, name: b.name } });
    if (!current) {
      await tx.branch.create({ data: { workspaceId: actor.workspaceId, promptId: prompt.id, name: b.name, headId: head.id } });
    } else if (current.headId !== head.id) {
      if (isAncestor(current.headId, head.id, parentsOf)) {
        const fresh = await tx.prompt.findUniqueOrThrow({ where: { id: prompt.id } });
        await moveBranch(tx, fresh, current, head);
      } else report.skipped.push({ item: `${p.path}@${b.name}`, reason: 'the branch here has diverged; left as it is' });
    }
  }
  const defaultHead = p.branches.find((b) => b.name === p.defaultBranch);
  const defaultRow = defaultHead ? idOf.get(defaultHead.head) : undefined;
  if (isNew && defaultRow && defaultHead) {
    prompt = await tx.prompt.update({
      where: { id: prompt.id },
      data: { headCommitId: defaultRow.id, headText: textOf.get(defaultHead.head)! },
    });
    await onPromptChanged(tx, prompt);
  }
  for (const t of p.versionTags) {
    const commit = idOf.get(t.commit);
    if (!commit) continue;
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
