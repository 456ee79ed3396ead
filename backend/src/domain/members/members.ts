import type { Role } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail, notFound } from '../errors.js';
import { decodeCursor, paginate, TimeIdKey } from '../pagination.js';
import { maxScopes, requireAuthorityOver, requireCanGrant } from '../policy.js';

/** Serialises membership changes of one workspace, so limits and the last-owner rule hold under concurrency. */
async function lockWorkspace(tx: Tx, workspaceId: string) {
  const rows = await tx.$queryRaw<{ max_members: number }[]>`
    SELECT max_members FROM workspace WHERE id = ${workspaceId}::uuid FOR UPDATE`;
  return rows[0] ?? notFound('workspace');
}

export async function listMembers(db: Db, actor: Actor, page: { limit: number; cursor?: string | undefined }) {
  const after = decodeCursor(page.cursor, TimeIdKey);
  const rows = await db.membership.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(after
        ? { OR: [{ createdAt: { gt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { gt: after[1] } }] }
        : {}),
    },
    include: { user: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: page.limit + 1,
  });
  return paginate(rows, page.limit, (r) => [r.createdAt.toISOString(), r.id]);
}

export async function addMember(tx: Tx, actor: Actor, input: { email: string; name?: string | undefined; role: Role }) {
  requireCanGrant(actor, input.role, 'adding a member');
  const { max_members } = await lockWorkspace(tx, actor.workspaceId);
  const count = await tx.membership.count({ where: { workspaceId: actor.workspaceId } });
  const email = input.email.toLowerCase();
  const existing = await tx.user.findUnique({ where: { email } });
  if (existing && (await tx.membership.findFirst({ where: { workspaceId: actor.workspaceId, userId: existing.id } }))) {
    fail('already_exists', `${email} is already a member`);
  }
  if (count >= max_members) {
    fail('limit_exceeded', `this workspace's plan allows ${max_members} member(s); upgrade it to add more`, {
      limit: max_members,
    });
  }
  const user =
    existing ?? (await tx.user.create({ data: { email, name: input.name ?? email.split('@')[0] ?? email } }));
  const member = await tx.membership.create({
    data: { workspaceId: actor.workspaceId, userId: user.id, role: input.role },
    include: { user: true },
  });
  await recordAudit(tx, actor, {
    action: 'member.add',
    resourceType: 'member',
    resourceId: member.id,
    changes: { after: { email, role: input.role } },
  });
  return member;
}

async function ownersLeftWithout(tx: Tx, workspaceId: string, memberId: string) {
  return tx.membership.count({ where: { workspaceId, role: 'owner', id: { not: memberId } } });
}

export async function updateMember(tx: Tx, actor: Actor, id: string, input: { role: Role }) {
  requireCanGrant(actor, input.role, "changing a member's role");
  await lockWorkspace(tx, actor.workspaceId);
  const before = await tx.membership.findFirst({ where: { id, workspaceId: actor.workspaceId }, include: { user: true } });
  if (!before) notFound('member');
  requireAuthorityOver(actor, before, "changing a member's role");
  if (before.role === input.role) return before;
  if (before.role === 'owner' && (await ownersLeftWithout(tx, actor.workspaceId, id)) === 0) {
    fail('last_owner', 'this is the last owner; make someone else an owner first');
  }
  const member = await tx.membership.update({
    where: { id },
    data: { role: input.role, updatedAt: new Date() },
    include: { user: true },
  });
  // Authentication already stops a token at its member's current role; narrowing the stored scopes too keeps the
  // token list truthful and keeps a later promotion from reviving what the demotion took away.
  const allowed = maxScopes(input.role);
  await tx.$executeRaw`
    UPDATE api_token SET scopes = ARRAY(SELECT unnest(scopes) INTERSECT SELECT unnest(${allowed}::text[]))
     WHERE membership_id = ${id}::uuid AND NOT scopes <@ ${allowed}::text[]`;
  await recordAudit(tx, actor, {
    action: 'member.update',
    resourceType: 'member',
    resourceId: id,
    changes: { before: { role: before.role }, after: { role: input.role } },
  });
  return member;
}

export async function removeMember(tx: Tx, actor: Actor, id: string, now = new Date()): Promise<void> {
  await lockWorkspace(tx, actor.workspaceId);
  const before = await tx.membership.findFirst({ where: { id, workspaceId: actor.workspaceId }, include: { user: true } });
  if (!before) notFound('member');
  requireAuthorityOver(actor, before, 'removing a member');
  if (before.role === 'owner' && (await ownersLeftWithout(tx, actor.workspaceId, id)) === 0) {
    fail('last_owner', 'this is the last owner; make someone else an owner first');
  }
  // Its tokens go with it (ON DELETE CASCADE), so they stop working at once. So do the tokens it created for others:
  // it still holds their secrets. (Authentication refuses them anyway; revoking them shows it in the token list.)
  const revoked = await tx.$queryRaw<{ id: string }[]>`
    UPDATE api_token SET revoked_at = ${now}
     WHERE workspace_id = ${actor.workspaceId}::uuid AND created_by_id = ${before.userId}::uuid
       AND membership_id <> ${id}::uuid AND revoked_at IS NULL
    RETURNING id`;
  await tx.membership.delete({ where: { id } });
  await recordAudit(tx, actor, {
    action: 'member.remove',
    resourceType: 'member',
    resourceId: id,
    changes: {
      before: { email: before.user.email, role: before.role },
      ...(revoked.length ? { revokedTokens: revoked.map((r) => r.id).sort() } : {}),
    },
  });
}
