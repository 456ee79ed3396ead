import type { Tx } from '../db/prisma.js';

/** The NOTIFY channel that wakes every backend's feed; the payload is `<workspaceId>:<last audit id>`, a hint only. */
export const FEED_CHANNEL = 'rocqet_feed';

/** Advisory locks come in two key spaces; this class id keeps the feed's out of everyone else's (folders, migrate). */
const FEED_LOCK_CLASS = 0x52_46_44; // "RFD"

export interface AuditRow {
  workspaceId: string;
  actorUserId: string | null;
  actorTokenId: string | null;
  /** The person behind the acting token (who created it), when that is someone other than the member it acts as. */
  actorMintedById: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  action: string;
  resourceType: string;
  resourceId: string;
  changes: object;
}

/**
 * Audit ids are the feed's cursor, so within a workspace they must be handed out in commit order — a sequence alone
 * does not do that: a transaction that drew id 41 can commit after the one that drew 42, and a reader who saw 42 and
 * moved its cursor past it never sees 41.
 *
 * The append therefore takes a transaction-scoped advisory lock on the workspace before it draws any id, and the lock
 * is released only when the transaction ends. PostgreSQL ends a transaction by writing the commit record, then making
 * it visible (ProcArrayEndTransaction), and only then releasing its locks. So when transaction B gets the lock and
 * draws its ids, every transaction A that drew ids of the same workspace before it has either committed and is visible
 * to every snapshot taken from then on, or has rolled back (its ids are gaps no one will ever fill). Hence, for
 * any snapshot S: if S sees an entry of W with id n, it sees every committed entry of W with an id below n. A reader
 * that runs "entries of W with id > cursor" and advances its cursor to the largest id it got never skips one, and
 * never gets one twice. Rolled-back changes never show: their entries roll back with them.
 *
 * To keep the lock short, entries recorded inside `inTransaction` are buffered and appended as its last statements,
 * just before COMMIT: a long import holds the workspace's append lock for one statement and a commit, not for its
 * whole run. (A transaction opened elsewhere appends at once; still ordered, it only holds the lock longer.)
 * Workspaces are locked in a fixed order so two transactions auditing the same two workspaces cannot deadlock.
 */
const buffers = new WeakMap<Tx, AuditRow[]>();

export function bufferAudits(tx: Tx): void {
  buffers.set(tx, []);
}

export async function appendAudit(tx: Tx, row: AuditRow): Promise<void> {
  const buffer = buffers.get(tx);
  if (buffer) buffer.push(row);
  else await appendNow(tx, [row]);
}

/** Appends what the transaction buffered; returns the workspaces it audited (to wake the local feed after commit). */
export async function flushAudits(tx: Tx): Promise<string[]> {
  const rows = buffers.get(tx) ?? [];
  buffers.delete(tx);
  return appendNow(tx, rows);
}

async function appendNow(tx: Tx, rows: AuditRow[]): Promise<string[]> {
  const byWorkspace = new Map<string, AuditRow[]>();
  for (const r of rows) byWorkspace.set(r.workspaceId, [...(byWorkspace.get(r.workspaceId) ?? []), r]);
  const workspaces = [...byWorkspace.keys()].sort();
  for (const ws of workspaces) {
    const group = byWorkspace.get(ws) ?? [];
    // One statement takes the lock, inserts the group in order and queues the wake-up (NOTIFY is delivered only if
    // this commits). The lock comes before any id: every row the INSERT takes is joined with the lock's one row, so
    // the lock has been taken before the first row reaches the INSERT and draws its id from the sequence.
    await tx.$queryRaw`
      WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(${FEED_LOCK_CLASS}::int, hashtext(${ws})) AS locked),
      ins AS (
        INSERT INTO audit_entry (workspace_id, actor_user_id, actor_token_id, actor_minted_by_id, ip, user_agent,
                                 request_id, action, resource_type, resource_id, changes)
        SELECT ${ws}::uuid, r.actor_user_id, r.actor_token_id, r.actor_minted_by_id, r.ip, r.user_agent, r.request_id, r.action,
               r.resource_type, r.resource_id, r.changes
          FROM unnest(${group.map((r) => r.actorUserId)}::uuid[], ${group.map((r) => r.actorTokenId)}::uuid[],
                      ${group.map((r) => r.actorMintedById)}::uuid[],
                      ${group.map((r) => r.ip)}::text[], ${group.map((r) => r.userAgent)}::text[],
                      ${group.map((r) => r.requestId)}::text[], ${group.map((r) => r.action)}::text[],
                      ${group.map((r) => r.resourceType)}::text[], ${group.map((r) => r.resourceId)}::text[],
                      ${group.map((r) => JSON.stringify(r.changes))}::jsonb[])
               WITH ORDINALITY AS r(actor_user_id, actor_token_id, actor_minted_by_id, ip, user_agent, request_id, action, resource_type,
                                    resource_id, changes, n)
         CROSS JOIN lock
         ORDER BY r.n
        RETURNING id)
      SELECT pg_notify(${FEED_CHANNEL}, ${ws} || ':' || max(id)::text)::text AS notified FROM ins`;
  }
  return workspaces;
}
