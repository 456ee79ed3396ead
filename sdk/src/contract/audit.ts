import { z } from 'zod';
import { Id, Limit, Cursor, Text, Timestamp, page } from './common.js';
import { route } from './route.js';

export const AuditEntry = z.object({
  id: z.string().describe('monotonic per installation; the change feed cursor'),
  action: z.string().describe('for example folder.create, member.update, prompt.commit'),
  resourceType: z.string(),
  resourceId: z.string(),
  actor: z.object({
    userId: Id.nullable().describe('the member the token acts as'),
    tokenId: Id.nullable(),
    email: z.string().nullable(),
    mintedByUserId: Id.nullable().describe('who created the token, and so holds its secret: the person behind the entry'),
    mintedByEmail: z.string().nullable(),
  }),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  changes: z.record(z.string(), z.unknown()),
  createdAt: Timestamp,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const auditRoutes = {
  listAudit: route({
    method: 'GET',
    path: '/v1/audit',
    summary: 'The audit log, newest first (owners and admins)',
    tag: 'Audit',
    scope: 'read',
    query: z.strictObject({
      limit: Limit,
      cursor: Cursor.optional(),
      actor: Id.optional().describe('user id: what they did, and what was done through tokens they created for others'),
      action: Text.min(1).max(100).optional().describe('exact action, or a prefix ending in "." (folder.)'),
      resourceType: Text.min(1).max(50).optional(),
      resourceId: Text.min(1).max(100).optional(),
      since: Timestamp.optional(),
      until: Timestamp.optional(),
    }),
    response: page(AuditEntry),
    status: 200,
    problems: ['invalid_cursor', 'forbidden'],
  }),
};
