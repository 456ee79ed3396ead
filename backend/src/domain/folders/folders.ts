import type { Tx } from '../../db/prisma.js';
import { sqlRows, type Queryable } from '../../db/sql.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail, notFound } from '../errors.js';
import { requireWrite } from '../policy.js';

export interface FolderRow {
  id: string;
  name: string;
  parentId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type FolderWithPath = FolderRow & { path: string };

/** The workspace's folders with their paths, parents before children, siblings by name. */
export const FOLDERS_QUERY = `
  SELECT id, name, parent_id AS "parentId", created_at AS "createdAt", updated_at AS "updatedAt"
    FROM folder WHERE workspace_id = $1::uuid`;

export async function listFolders(db: Queryable, workspaceId: string): Promise<FolderWithPath[]> {
  const rows = await sqlRows<FolderRow>(db, FOLDERS_QUERY, [workspaceId]);
  return withPaths(rows);
}

export function withPaths(rows: FolderRow[]): FolderWithPath[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const paths = new Map<string, string>();
  const pathOf = (row: FolderRow): string => {
    const known = paths.get(row.id);
    if (known !== undefined) return known;
    const parent = row.parentId ? byId.get(row.parentId) : undefined;
    const path = parent ? `${pathOf(parent)}/${row.name}` : row.name;
    paths.set(row.id, path);
    return path;
  };
  return rows
    .map((r) => ({ ...r, path: pathOf(r) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function getFolder(db: Queryable, workspaceId: string, id: string): Promise<FolderWithPath> {
  const folder = (await listFolders(db, workspaceId)).find((f) => f.id === id);
  return folder ?? notFound('folder');
}

/** Folder moves of one workspace run one at a time, so two crossing moves cannot build a cycle. */
async function lockFolderTree(tx: Tx, workspaceId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${'folders:' + workspaceId}, 0))`;
}

/**
 * Finds a folder that something is being put into and holds it (FOR KEY SHARE) until the transaction ends: a delete
 * of it waits for this transaction and then sees what was put there; a delete that came first leaves nothing to find.
 * Either way the answer is the domain's own (trashed with the folder, or 404), never a foreign-key failure at insert.
 */
export async function holdFolder(tx: Tx, workspaceId: string, id: string): Promise<void> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM folder WHERE id = ${id}::uuid AND workspace_id = ${workspaceId}::uuid FOR KEY SHARE`;
  if (!rows.length) notFound('folder');
}

async function requireParent(tx: Tx, workspaceId: string, parentId: string | null | undefined) {
  if (!parentId) return;
  if (!(await tx.folder.findFirst({ where: { id: parentId, workspaceId } }))) notFound('parent folder');
}

async function requireFreeName(tx: Tx, workspaceId: string, parentId: string | null, name: string, self?: string) {
  const clash = await tx.folder.findFirst({ where: { workspaceId, parentId, name, ...(self ? { id: { not: self } } : {}) } });
  if (clash) fail('already_exists', `a folder named "${name}" already exists there`);
}

export async function createFolder(tx: Tx, actor: Actor, input: { name: string; parentId?: string | null | undefined }) {
  requireWrite(actor, 'creating folders');
  await lockFolderTree(tx, actor.workspaceId);
  const parentId = input.parentId ?? null;
  await requireParent(tx, actor.workspaceId, parentId);
  await requireFreeName(tx, actor.workspaceId, parentId, input.name);
  const folder = await tx.folder.create({ data: { workspaceId: actor.workspaceId, parentId, name: input.name } });
  await recordAudit(tx, actor, {
    action: 'folder.create',
    resourceType: 'folder',
    resourceId: folder.id,
    changes: { after: { name: folder.name, parentId } },
  });
  return getFolder(tx, actor.workspaceId, folder.id);
}

export async function updateFolder(
  tx: Tx,
  actor: Actor,
  id: string,
  input: { name?: string | undefined; parentId?: string | null | undefined },
) {
  requireWrite(actor, 'changing folders');
  await lockFolderTree(tx, actor.workspaceId);
  const all = await listFolders(tx, actor.workspaceId);
  const before = all.find((f) => f.id === id) ?? notFound('folder');
  const parentId = input.parentId === undefined ? before.parentId : input.parentId;
  const name = input.name ?? before.name;
  if (parentId !== before.parentId) {
    await requireParent(tx, actor.workspaceId, parentId);
    const parentOf = new Map(all.map((f) => [f.id, f.parentId]));
    for (let at: string | null | undefined = parentId; at; at = parentOf.get(at)) {
      if (at === id) fail('folder_cycle', `cannot move "${before.path}" into its own subtree`);
    }
  }
  if (parentId === before.parentId && name === before.name) return before;
  await requireFreeName(tx, actor.workspaceId, parentId, name, id);
  await tx.folder.update({ where: { id }, data: { name, parentId, updatedAt: new Date() } });
  const after = await getFolder(tx, actor.workspaceId, id);
  await recordAudit(tx, actor, {
    action: input.parentId !== undefined && parentId !== before.parentId ? 'folder.move' : 'folder.rename',
    resourceType: 'folder',
    resourceId: id,
    changes: {
      before: { name: before.name, parentId: before.parentId, path: before.path },
      after: { name: after.name, parentId: after.parentId, path: after.path },
    },
  });
  return after;
}

/**
 * Deletes a folder. A folder holding subfolders or live prompts is refused unless `recursive`; then its whole
 * subtree goes and its prompts move to the trash (soft-deleted, restorable to the root).
 */
export async function deleteFolder(tx: Tx, actor: Actor, id: string, recursive: boolean): Promise<void> {
  requireWrite(actor, 'deleting folders');
  await lockFolderTree(tx, actor.workspaceId);
  const all = await listFolders(tx, actor.workspaceId);
  const folder = all.find((f) => f.id === id) ?? notFound('folder');
  const subtree = all.filter((f) => f.id === id || f.path.startsWith(folder.path + '/')).map((f) => f.id);
  // Wait for transactions that hold a folder of the subtree (holdFolder) to finish, and keep new ones out: the
  // prompts read below are then all the prompts there are.
  await tx.$executeRaw`SELECT 1 FROM folder WHERE id = ANY(${subtree}::uuid[]) FOR UPDATE`;
  const livePrompts = await tx.prompt.findMany({
    where: { workspaceId: actor.workspaceId, folderId: { in: subtree }, deletedAt: null },
    select: { id: true },
  });
  if (!recursive && (subtree.length > 1 || livePrompts.length > 0)) {
    fail('folder_not_empty', `"${folder.path}" holds ${subtree.length - 1} folder(s) and ${livePrompts.length} prompt(s); delete with recursive=true to trash them`, {
      folders: subtree.length - 1,
      prompts: livePrompts.length,
    });
  }
  const now = new Date();
  // Trashed prompts keep their history; they leave the folder so it can go.
  await tx.prompt.updateMany({
    where: { workspaceId: actor.workspaceId, folderId: { in: subtree }, deletedAt: null },
    data: { deletedAt: now, folderId: null, updatedAt: now },
  });
  await tx.prompt.updateMany({
    where: { workspaceId: actor.workspaceId, folderId: { in: subtree } },
    data: { folderId: null },
  });
  await tx.folder.deleteMany({ where: { id: { in: subtree }, workspaceId: actor.workspaceId } });
  await recordAudit(tx, actor, {
    action: 'folder.delete',
    resourceType: 'folder',
    resourceId: id,
    changes: {
      before: { name: folder.name, parentId: folder.parentId, path: folder.path },
      deletedFolders: subtree,
      trashedPrompts: livePrompts.map((p) => p.id),
    },
  });
}
