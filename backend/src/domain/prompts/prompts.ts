import { parsePrompt } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail, notFound } from '../errors.js';
import { decodeCursor, paginate, TimeIdKey } from '../pagination.js';
import { requireRole, requireWrite } from '../policy.js';
import { holdFolder } from '../folders/folders.js';
import { findPrompt, type PromptRow } from './resolve.js';
import { slugify } from './slug.js';
import { writeCommit, type CommitRow } from './store.js';
import { onPromptChanged } from './hooks.js';

export interface CreatePromptInput {
  title: string;
  slug?: string | undefined;
  description?: string | undefined;
  tags?: string[] | undefined;
  folderId?: string | null | undefined;
  content: string;
  message?: string | undefined;
  /** Imports keep the original author date. */
  createdAt?: Date | undefined;
  originId?: string | undefined;
}

async function requireFolder(tx: Tx, workspaceId: string, folderId: string | null) {
  if (folderId) await holdFolder(tx, workspaceId, folderId);
}

async function slugTaken(tx: Tx | Db, workspaceId: string, folderId: string | null, slug: string, except?: string) {
  return !!(await tx.prompt.findFirst({
    where: { workspaceId, folderId, slug, deletedAt: null, ...(except ? { id: { not: except } } : {}) },
    select: { id: true },
  }));
}

/** Validates the document's front matter; a bad one is refused with the line and column. */
export function checkDocument(content: string): void {
  parsePrompt(content);
}

export async function lockWorkspaceQuota(tx: Tx, workspaceId: string, adding: number) {
  const rows = await tx.$queryRaw<{ max_prompts: number; live: bigint }[]>`
    SELECT w.max_prompts,
           (SELECT count(*) FROM prompt p WHERE p.workspace_id = w.id AND p.deleted_at IS NULL) AS live
      FROM workspace w WHERE w.id = ${workspaceId}::uuid FOR UPDATE`;
  const row = rows[0] ?? notFound('workspace');
  if (Number(row.live) + adding > row.max_prompts) {
    fail('limit_exceeded', `this workspace's plan allows ${row.max_prompts} prompts; upgrade it to add more`, {
      limit: row.max_prompts,
    });
  }
}

export async function createPrompt(
  tx: Tx,
  actor: Actor,
  input: CreatePromptInput,
): Promise<{ prompt: PromptRow; commit: CommitRow }> {
  requireWrite(actor, 'creating prompts');
  checkDocument(input.content);
  const folderId = input.folderId ?? null;
  await requireFolder(tx, actor.workspaceId, folderId);
  await lockWorkspaceQuota(tx, actor.workspaceId, 1);
  const slug = input.slug ?? slugify(input.title);
  if (await slugTaken(tx, actor.workspaceId, folderId, slug)) {
    fail('already_exists', `a prompt with slug "${slug}" already exists in this folder`);
  }
  const created = await tx.prompt.create({
    data: {
      workspaceId: actor.workspaceId,
      folderId,
      slug,
      title: input.title,
      description: input.description ?? '',
      tags: dedupe(input.tags ?? []),
      headText: input.content,
      createdById: actor.userId,
      nextSeq: 2,
      originId: input.originId ?? null,
      ...(input.createdAt ? { createdAt: input.createdAt, updatedAt: input.createdAt } : {}),
    },
  });
  const commit = await writeCommit(tx, {
    workspaceId: actor.workspaceId,
    promptId: created.id,
    seq: 1,
    text: input.content,
    message: input.message ?? `Create ${input.title}`,
    parent: null,
    author: { id: actor.userId, name: actor.name, tokenId: actor.tokenId },
    createdAt: input.createdAt,
  });
  await tx.branch.create({
    data: { workspaceId: actor.workspaceId, promptId: created.id, name: 'main', headId: commit.id },
  });
  const prompt = await tx.prompt.update({ where: { id: created.id }, data: { headCommitId: commit.id } });
  await recordAudit(tx, actor, {
    action: 'prompt.create',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: {
      after: { slug, title: prompt.title, folderId, tags: prompt.tags, commit: commit.id, size: commit.size },
    },
  });
  await onPromptChanged(tx, prompt);
  return { prompt, commit };
}

function dedupe(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.toLowerCase()))];
}

export interface ListPromptsQuery {
  limit: number;
  cursor?: string | undefined;
  folder?: string | undefined;
  root?: boolean | undefined;
  tag?: string[] | undefined;
  deleted?: boolean | undefined;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listPrompts(db: Db, actor: Actor, q: ListPromptsQuery) {
  const after = decodeCursor(q.cursor, TimeIdKey);
  const rows = await db.prompt.findMany({
    where: {
      workspaceId: actor.workspaceId,
      deletedAt: q.deleted ? { not: null } : null,
      ...(q.folder ? { folderId: q.folder } : q.root ? { folderId: null } : {}),
      ...(q.tag?.length ? { tags: { hasEvery: q.tag } } : {}),
      ...(after
        ? { OR: [{ createdAt: { lt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { lt: after[1] } }] }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: q.limit + 1,
  });
  return paginate(rows, q.limit, (r) => [r.createdAt.toISOString(), r.id]);
}

export interface UpdatePromptInput {
  title?: string | undefined;
  slug?: string | undefined;
  description?: string | undefined;
  tags?: string[] | undefined;
  folderId?: string | null | undefined;
}

export async function updatePrompt(
  tx: Tx,
  actor: Actor,
  ref: string,
  input: UpdatePromptInput,
  precondition?: (current: PromptRow) => Promise<void> | void,
): Promise<PromptRow> {
  requireWrite(actor, 'changing prompts');
  const before = await findPrompt(tx, actor.workspaceId, ref, { lock: true });
  await precondition?.(before);
  const folderId = input.folderId === undefined ? before.folderId : input.folderId;
  const slug = input.slug ?? before.slug;
  if (folderId !== before.folderId) await requireFolder(tx, actor.workspaceId, folderId);
  if ((folderId !== before.folderId || slug !== before.slug) && (await slugTaken(tx, actor.workspaceId, folderId, slug, before.id))) {
    fail('already_exists', `a prompt with slug "${slug}" already exists in that folder`);
  }
  const data = {
    title: input.title ?? before.title,
    slug,
    description: input.description ?? before.description,
    tags: input.tags ? dedupe(input.tags) : before.tags,
    folderId,
  };
  const changed = Object.entries(data).filter(
    ([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k as keyof typeof data]),
  );
  if (!changed.length) return before;
  const prompt = await tx.prompt.update({ where: { id: before.id }, data: { ...data, updatedAt: new Date() } });
  await recordAudit(tx, actor, {
    action: folderId !== before.folderId ? 'prompt.move' : 'prompt.update',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: {
      before: Object.fromEntries(changed.map(([k]) => [k, before[k as keyof typeof data]])),
      after: Object.fromEntries(changed),
    },
  });
  await onPromptChanged(tx, prompt);
  return prompt;
}

export async function deletePrompt(tx: Tx, actor: Actor, ref: string): Promise<void> {
  requireWrite(actor, 'deleting prompts');
  const prompt = await findPrompt(tx, actor.workspaceId, ref, { lock: true });
  const now = new Date();
  await tx.prompt.update({ where: { id: prompt.id }, data: { deletedAt: now, updatedAt: now } });
  await recordAudit(tx, actor, {
    action: 'prompt.delete',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: { before: { deletedAt: null }, after: { deletedAt: now } },
  });
}

export async function restorePrompt(tx: Tx, actor: Actor, ref: string): Promise<PromptRow> {
  requireRole(actor, 'admin', 'restoring prompts');
  const before = await findPrompt(tx, actor.workspaceId, ref, { deleted: 'only', lock: true });
  await lockWorkspaceQuota(tx, actor.workspaceId, 1);
  if (await slugTaken(tx, actor.workspaceId, before.folderId, before.slug, before.id)) {
    fail('already_exists', `another prompt now uses the slug "${before.slug}" there; rename or move that one first`);
  }
  const prompt = await tx.prompt.update({ where: { id: before.id }, data: { deletedAt: null, updatedAt: new Date() } });
  await recordAudit(tx, actor, {
    action: 'prompt.restore',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: { before: { deletedAt: before.deletedAt }, after: { deletedAt: null } },
  });
  await onPromptChanged(tx, prompt);
  return prompt;
}
