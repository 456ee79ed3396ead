import { LONE_SURROGATE } from '@rocqet/sdk';
import type { Tx } from '../db/prisma.js';
import { appendAudit } from '../feed/append.js';
import type { Actor } from './actor.js';

export interface AuditRecord {
  action: string;
  resourceType: string;
  resourceId: string;
  /** What changed: `{ before, after }` for updates, the new state for creates, the old one for deletes. */
  changes?: Record<string, unknown>;
  /** Defaults to the actor's workspace (creating a workspace audits into the new one). */
  workspaceId?: string;
}

/**
 * Appends the audit entry inside the mutation's own transaction: if this insert fails, the change rolls back with it.
 * Inside `inTransaction` the insert is deferred to just before COMMIT (feed/append.ts says why: feed order).
 */
export async function recordAudit(tx: Tx, actor: Actor | null, entry: AuditRecord): Promise<void> {
  await appendAudit(tx, {
    workspaceId: entry.workspaceId ?? actor?.workspaceId ?? fail(),
    actorUserId: actor?.userId ?? null,
    actorTokenId: actor?.tokenId ?? null,
    actorMintedById: actor?.mintedByUserId ?? null,
    ip: actor?.ip ?? null,
    userAgent: actor?.userAgent?.slice(0, 512) ?? null,
    requestId: actor?.requestId ?? null,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    changes: toJson(entry.changes ?? {}),
  });
}

function fail(): never {
  throw new Error('audit entry without a workspace');
}

/** Every lone UTF-16 surrogate (the contract's rule, global): JSON.stringify escapes one as \udXXX, which jsonb refuses. */
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * Dates and bigints become strings so the entry stores as JSON; lone surrogates become U+FFFD, as they do in the text
 * columns the change itself went to (so a change is never refused only because its audit entry could not be stored).
 */
function toJson(value: Record<string, unknown>): object {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? v.replace(LONE_SURROGATES, '\ufffd') : v,
    ),
  ) as object;
}
