import type { Db, Tx } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail } from '../errors.js';
import { requireRole, requireWrite } from '../policy.js';
import { findBranch, findPrompt, resolveRef } from './resolve.js';
import { commitColumns } from './store.js';

export async function listBranches(db: Db, actor: Actor, promptRef: string) {
  const prompt = await findPrompt(db, actor.workspaceId, promptRef);
  const branches = await db.branch.findMany({ where: { promptId: prompt.id }, orderBy: { name: 'asc' } });
  const heads = await db.commit.findMany({ where: { id: { in: branches.map((b) => b.headId) } }, select: commitColumns });
  const byId = new Map(heads.map((c) => [c.id, c]));
  return branches.map((b) => ({ ...b, head: byId.get(b.headId)!, isDefault: b.name === prompt.defaultBranch }));
}

async function refNameFree(tx: Tx, promptId: string, name: string) {
  if (await tx.branch.findFirst({ where: { promptId, name } })) fail('already_exists', `a branch "${name}" already exists`);
  if (await tx.tag.findFirst({ where: { promptId, name } })) fail('already_exists', `a tag "${name}" already exists`);
}

export async function createBranch(tx: Tx, actor: Actor, promptRef: string, input: { name: string; from?: string | undefined }) {
  requireWrite(actor, 'creating branches');
  const prompt = await findPrompt(tx, actor.workspaceId, promptRef, { lock: true });
  const from = await resolveRef(tx, prompt, input.from);
  await refNameFree(tx, prompt.id, input.name);
  const branch = await tx.branch.create({
    data: { workspaceId: actor.workspaceId, promptId: prompt.id, name: input.name, headId: from.id },
  });
  await recordAudit(tx, actor, {
    action: 'branch.create',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: { after: { branch: input.name, head: from.id, from: input.from ?? prompt.defaultBranch } },
  });
  return { ...branch, head: from, isDefault: false };
}

export async function renameBranch(tx: Tx, actor: Actor, promptRef: string, name: string, newName: string) {
  requireWrite(actor, 'renaming branches');
  const prompt = await findPrompt(tx, actor.workspaceId, promptRef, { lock: true });
  const branch = await findBranch(tx, prompt.id, name, true);
  const head = await tx.commit.findUniqueOrThrow({ where: { id: branch.headId }, select: commitColumns });
  const isDefault = name === prompt.defaultBranch;
  if (newName === name) return { ...branch, head, isDefault };
  await refNameFree(tx, prompt.id, newName);
  const renamed = await tx.branch.update({ where: { id: branch.id }, data: { name: newName, updatedAt: new Date() } });
  if (isDefault) await tx.prompt.update({ where: { id: prompt.id }, data: { defaultBranch: newName } });
  await recordAudit(tx, actor, {
    action: 'branch.rename',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: { before: { branch: name }, after: { branch: newName } },
  });
  return { ...renamed, head, isDefault };
}

export async function deleteBranch(tx: Tx, actor: Actor, promptRef: string, name: string) {
  requireWrite(actor, 'deleting branches');
  const prompt = await findPrompt(tx, actor.workspaceId, promptRef, { lock: true });
  const branch = await findBranch(tx, prompt.id, name, true);
  if (name === prompt.defaultBranch) fail('default_branch', `"${name}" is the default branch; it cannot be deleted`);
  await tx.branch.delete({ where: { id: branch.id } });
  await recordAudit(tx, actor, {
    action: 'branch.delete',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: { before: { branch: name, head: branch.headId } },
  });
}

export async function listTags(db: Db, actor: Actor, promptRef: string) {
  const prompt = await findPrompt(db, actor.workspaceId, promptRef);
  const tags = await db.tag.findMany({ where: { promptId: prompt.id }, orderBy: { name: 'asc' } });
  const commits = await db.commit.findMany({ where: { id: { in: tags.map((t) => t.commitId) } }, select: commitColumns });
  const byId = new Map(commits.map((c) => [c.id, c]));
  return tags.map((t) => ({ ...t, commit: byId.get(t.commitId)! }));
}

/** Tags never move; an admin may force one to, and that move is audited like any other change. */
export async function createTag(
  tx: Tx,
  actor: Actor,
  promptRef: string,
  input: { name: string; ref?: string | undefined; message?: string | undefined; force?: boolean | undefined },
) {
  requireWrite(actor, 'tagging');
  const prompt = await findPrompt(tx, actor.workspaceId, promptRef, { lock: true });
  const commit = await resolveRef(tx, prompt, input.ref);
  const existing = await tx.tag.findFirst({ where: { promptId: prompt.id, name: input.name } });
  if (existing) {
    if (!input.force) {
      fail('tag_immutable', `tag "${input.name}" already points at a commit; tags do not move`, {
        commit: existing.commitId,
      });
    }
    requireRole(actor, 'admin', 'moving a tag');
  } else if (await tx.branch.findFirst({ where: { promptId: prompt.id, name: input.name } })) {
    fail('already_exists', `a branch "${input.name}" already exists`);
  }
  const tag = existing
    ? await tx.tag.update({
        where: { id: existing.id },
        data: { commitId: commit.id, message: input.message ?? existing.message, createdById: actor.userId },
      })
    : await tx.tag.create({
        data: {
          workspaceId: actor.workspaceId,
          promptId: prompt.id,
          name: input.name,
          commitId: commit.id,
          message: input.message ?? '',
          createdById: actor.userId,
        },
      });
  await recordAudit(tx, actor, {
    action: existing ? 'tag.move' : 'tag.create',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: {
      ...(existing ? { before: { tag: input.name, commit: existing.commitId } } : {}),
      after: { tag: input.name, commit: commit.id },
    },
  });
  return { ...tag, commit };
}

export async function deleteTag(tx: Tx, actor: Actor, promptRef: string, name: string) {
  requireRole(actor, 'admin', 'deleting tags');
  const prompt = await findPrompt(tx, actor.workspaceId, promptRef, { lock: true });
  const tag = await tx.tag.findFirst({ where: { promptId: prompt.id, name } });
  if (!tag) fail('ref_not_found', `this prompt has no tag "${name}"`);
  await tx.tag.delete({ where: { id: tag.id } });
  await recordAudit(tx, actor, {
    action: 'tag.delete',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: { before: { tag: name, commit: tag.commitId } },
  });
}
