import { z } from 'zod';
import type { Db } from '../db/prisma.js';
import type { Actor } from './actor.js';
import { decodeCursor, paginate } from './pagination.js';
import { requireRole } from './policy.js';

export interface AuditQuery {
  limit: number;
  cursor?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** Newest first; the cursor is the last id seen. */
export async function listAudit(db: Db, actor: Actor, q: AuditQuery) {
  requireRole(actor, 'admin', 'reading the audit log');
  const before = decodeCursor(
    q.cursor,
    z.string().regex(/^\d{1,19}$/).refine((s) => BigInt(s) <= 9_223_372_036_854_775_807n), // a bigint id
  );
  const rows = await db.auditEntry.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(before ? { id: { lt: BigInt(before) } } : {}),
      ...(q.actor ? { OR: [{ actorUserId: q.actor }, { actorMintedById: q.actor }] } : {}),
      // Prisma's startsWith is a LIKE that leaves % and _ live: escape them so a prefix is only a prefix.
      ...(q.action
        ? q.action.endsWith('.')
          ? { action: { startsWith: q.action.replace(/[\\%_]/g, '\\$&') } }
          : { action: q.action }
        : {}),
      ...(q.resourceType ? { resourceType: q.resourceType } : {}),
      ...(q.resourceId ? { resourceId: q.resourceId } : {}),
      ...(q.since || q.until
        ? { createdAt: { ...(q.since ? { gte: new Date(q.since) } : {}), ...(q.until ? { lt: new Date(q.until) } : {}) } }
        : {}),
    },
    orderBy: { id: 'desc' },
    take: q.limit + 1,
  });
  const userIds = [
    ...new Set(rows.flatMap((r) => [r.actorUserId, r.actorMintedById]).filter((id): id is string => id !== null)),
  ];
  const users = userIds.length ? await db.user.findMany({ where: { id: { in: userIds } } }) : [];
  const emails = new Map(users.map((u) => [u.id, u.email]));
  const emailOf = (id: string | null) => (id ? (emails.get(id) ?? null) : null);
  const page = paginate(rows, q.limit, (r) => r.id.toString());
  return {
    ...page,
    items: page.items.map((r) => ({ ...r, email: emailOf(r.actorUserId), mintedByEmail: emailOf(r.actorMintedById) })),
  };
}
