import type { Scope } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail, notFound } from '../errors.js';
import { decodeCursor, paginate, TimeIdKey } from '../pagination.js';
import { maxScopes, personBehind, requireAuthorityOver, requireMayActAs, requireScope } from '../policy.js';
import { newTokenSecret } from './secret.js';

const withMember = { membership: { include: { user: true } } } as const;

export async function listTokens(db: Db, actor: Actor, page: { limit: number; cursor?: string | undefined }) {
  const after = decodeCursor(page.cursor, TimeIdKey);
  const rows = await db.apiToken.findMany({
    where: {
      workspaceId: actor.workspaceId,
      // Seeing everyone's tokens is administration: it takes the admin scope (which is already capped at the role).
      ...(actor.scopes.includes('admin') ? {} : { membershipId: actor.membershipId }),
      ...(after
        ? { OR: [{ createdAt: { gt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { gt: after[1] } }] }
        : {}),
    },
    include: withMember,
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: page.limit + 1,
  });
  return paginate(rows, page.limit, (r) => [r.createdAt.toISOString(), r.id]);
}

export interface CreateTokenInput {
  name: string;
  scopes: Scope[];
  memberId?: string | undefined;
  expiresAt?: string | undefined;
  expiresInDays?: number | undefined;
}

/**
 * A token never carries more than the member it acts as may hold, nor more than the token creating it (whose scopes
 * already stop at its own holder's role). A token for someone else is for members below the creator only, and the
 * creator is recorded: the person behind the acting token, so a token cannot launder who made it by making another.
 */
export async function createToken(tx: Tx, actor: Actor, input: CreateTokenInput, now = new Date()) {
  const memberId = input.memberId ?? actor.membershipId;
  // FOR SHARE: a removal or role change of this member waits for the token, then removes or trims it too; one that
  // came first is what the checks below see.
  await tx.$executeRaw`SELECT 1 FROM membership WHERE id = ${memberId}::uuid AND workspace_id = ${actor.workspaceId}::uuid FOR SHARE`;
  const member = await tx.membership.findFirst({ where: { id: memberId, workspaceId: actor.workspaceId } });
  if (!member) notFound('member');
  if (member.id !== actor.membershipId) requireMayActAs(actor, member, "creating another member's token");
  const allowed = maxScopes(member.role);
  const beyondRole = input.scopes.filter((s) => !allowed.includes(s));
  if (beyondRole.length) {
    fail('forbidden', `a ${member.role} cannot hold the ${beyondRole.join(', ')} scope`);
  }
  const beyondCaller = input.scopes.filter((s) => !actor.scopes.includes(s));
  if (beyondCaller.length) fail('forbidden', `your token cannot grant the ${beyondCaller.join(', ')} scope`);
  const expiresAt = input.expiresAt
    ? new Date(input.expiresAt)
    : input.expiresInDays
      ? new Date(now.getTime() + input.expiresInDays * 86_400_000)
      : null;
  if (expiresAt && expiresAt <= now) fail('validation_failed', 'expiresAt must be in the future');
  // An offset can carry 9999-12-31T23:30-01:00 into year 10000, which no ISO timestamp can show.
  if (expiresAt && expiresAt.getUTCFullYear() > 9999) fail('validation_failed', 'expiresAt must be before the year 10000');
  const { secret, prefix, hash } = newTokenSecret();
  const token = await tx.apiToken.create({
    data: {
      workspaceId: actor.workspaceId,
      membershipId: member.id,
      name: input.name,
      prefix,
      secretHash: hash,
      scopes: input.scopes,
      expiresAt,
      createdById: personBehind(actor),
    },
    include: withMember,
  });
  await recordAudit(tx, actor, {
    action: 'token.create',
    resourceType: 'token',
    resourceId: token.id,
    changes: { after: { name: token.name, prefix, scopes: token.scopes, memberId: member.id, expiresAt } },
  });
  return { token, secret };
}

export async function revokeToken(tx: Tx, actor: Actor, id: string, now = new Date()): Promise<void> {
  const token = await tx.apiToken.findFirst({ where: { id, workspaceId: actor.workspaceId }, include: { membership: true } });
  if (!token) notFound('token');
  // Revoking your own token only ever takes authority away, so any of your tokens may do it; anyone else's is
  // administration.
  if (token.membershipId !== actor.membershipId) {
    requireScope(actor, 'admin');
    requireAuthorityOver(actor, token.membership, "revoking another member's token");
  }
  if (token.revokedAt) return;
  await tx.apiToken.update({ where: { id }, data: { revokedAt: now } });
  await recordAudit(tx, actor, {
    action: 'token.revoke',
    resourceType: 'token',
    resourceId: id,
    changes: { before: { revokedAt: null }, after: { revokedAt: now } },
  });
}
