import type { FeedEvent, FeedSubject } from '@rocqet/sdk';
import type pg from 'pg';
import { poolQuery } from '../db/sql.js';
import { fail } from '../domain/errors.js';
import { listFolders, type FolderWithPath } from '../domain/folders/folders.js';
import { promptPath } from '../domain/prompts/resolve.js';
import { presentAudit, type AuditRow } from '../http/present.js';

/** One committed audit entry as the feed delivers it, with the folders it touches (for the subtree filter). */
export interface FeedEntry {
  id: bigint;
  event: FeedEvent;
  /** Folders the entry is about or moved between; a folder filter matches when one is in its subtree. */
  folderIds: string[];
  /** Paths of folders the entry is about that may no longer exist (a deleted folder). */
  folderPaths: string[];
}

/** The audit row the presenter takes, as this query returns it (id as text), with the prompt it is about. */
type EntryRow = Omit<AuditRow, 'id' | 'changes'> & {
  id: string;
  changes: Record<string, unknown>;
  promptSlug: string | null;
  promptFolderId: string | null;
};

const ENTRIES_QUERY = `
  SELECT a.id::text AS id, a.action, a.resource_type AS "resourceType", a.resource_id AS "resourceId",
         a.actor_user_id AS "actorUserId", a.actor_token_id AS "actorTokenId",
         a.actor_minted_by_id AS "actorMintedById", u.email, m.email AS "mintedByEmail", a.ip, a.user_agent AS "userAgent",
         a.request_id AS "requestId", a.changes, a.created_at AS "createdAt",
         p.slug AS "promptSlug", p.folder_id::text AS "promptFolderId"
    FROM audit_entry a
    LEFT JOIN app_user u ON u.id = a.actor_user_id
    LEFT JOIN app_user m ON m.id = a.actor_minted_by_id
    LEFT JOIN prompt p ON a.resource_type = 'prompt' AND p.workspace_id = a.workspace_id
                      AND p.id = CASE WHEN a.resource_id ~ '^[0-9a-f-]{36}$' THEN a.resource_id::uuid END
   WHERE a.workspace_id = $1::uuid AND a.id > $2::bigint
   ORDER BY a.id
   LIMIT $3`;

/**
 * The workspace's entries after `cursor`, oldest first. Every entry the query can see has a smaller id than any entry
 * still to commit (feed/append.ts), so the largest id returned is a safe next cursor.
 */
export interface FeedBatch {
  entries: FeedEntry[];
  /** The workspace's folders when the batch was read (for subtree filters). */
  folders: Map<string, FolderWithPath>;
}

export async function readEntries(pool: pg.Pool, workspaceId: string, cursor: bigint, limit: number): Promise<FeedBatch> {
  // One round trip: the folders (for paths and subtrees) are read beside the entries, not after them.
  const [{ rows }, folders] = await Promise.all([
    poolQuery<EntryRow>(pool, ENTRIES_QUERY, [workspaceId, cursor.toString(), limit]),
    listFolders(pool, workspaceId),
  ]);
  const folderById = new Map(folders.map((f) => [f.id, f]));
  return { entries: rows.map((r) => entryOf(r, folderById)), folders: folderById };
}

function entryOf(r: EntryRow, folders: Map<string, FolderWithPath>): FeedEntry {
  const changes = r.changes;
  const before = record(changes.before);
  const after = record(changes.after);
  const folderIds = new Set<string>();
  const folderPaths: string[] = [];
  let subject: FeedSubject;
  if (r.resourceType === 'prompt') {
    const prompt = r.promptSlug === null ? undefined : { slug: r.promptSlug, folderId: r.promptFolderId };
    const folderId = prompt?.folderId ?? null;
    for (const id of [folderId, before.folderId, after.folderId]) if (typeof id === 'string') folderIds.add(id);
    subject = {
      promptId: r.resourceId,
      path: prompt ? promptPath(prompt, folders) : null,
      folderId,
      branch: str(changes.branch) ?? str(changes.target) ?? str(after.branch) ?? str(before.branch),
      tag: str(after.tag) ?? str(before.tag),
    };
  } else if (r.resourceType === 'folder') {
    folderIds.add(r.resourceId);
    for (const id of [before.parentId, after.parentId]) if (typeof id === 'string') folderIds.add(id);
    if (Array.isArray(changes.deletedFolders)) for (const id of changes.deletedFolders) if (typeof id === 'string') folderIds.add(id);
    for (const p of [before.path, after.path]) if (typeof p === 'string') folderPaths.push(p);
    subject = { promptId: null, path: folders.get(r.resourceId)?.path ?? str(before.path), folderId: r.resourceId, branch: null, tag: null };
  } else if (r.resourceType === 'run') {
    // A run is about the prompt it ran: a feed filtered by prompt hears its runs (runs are audited once, at the end).
    subject = { promptId: str(changes.promptId), path: str(changes.path), folderId: null, branch: null, tag: null };
  } else {
    subject = { promptId: null, path: null, folderId: null, branch: null, tag: null };
  }
  const { promptSlug: _slug, promptFolderId: _folder, ...audit } = r;
  return {
    id: BigInt(r.id),
    event: { ...presentAudit({ ...audit, id: BigInt(r.id) }), subject },
    folderIds: [...folderIds],
    folderPaths,
  };
}

/** Where a subscription without a cursor starts: after everything committed so far. */
export async function latestCursor(pool: pg.Pool, workspaceId: string): Promise<bigint> {
  const { rows } = await poolQuery<{ id: string | null }>(
    pool,
    `SELECT max(id)::text AS id FROM audit_entry WHERE workspace_id = $1::uuid`,
    [workspaceId],
  );
  return BigInt(rows[0]?.id ?? 0);
}

/**
 * A cursor resumes only from an event this workspace's feed still replays: one of its own entries, younger than the
 * replay window. Anything else (too old, another workspace's id, an id never handed out) would silently lose events,
 * so it is refused and the client resynchronises.
 */
export async function checkCursor(pool: pg.Pool, workspaceId: string, cursor: bigint, replayMs: number): Promise<void> {
  const { rows } = await pool.query<{ kept: boolean }>(
    `SELECT created_at > now() - make_interval(secs => $3::double precision / 1000) AS kept
       FROM audit_entry WHERE workspace_id = $1::uuid AND id = $2::bigint`,
    [workspaceId, cursor.toString(), replayMs],
  );
  const row = rows[0];
  if (!row) fail('feed_cursor_expired', `event ${cursor} is not an event of this workspace's feed; subscribe again without a cursor and reload what you cached`);
  if (!row.kept) {
    fail('feed_cursor_expired', `event ${cursor} is older than the feed's replay window (${Math.round(replayMs / 3_600_000)} h); subscribe again without a cursor and reload what you cached`);
  }
}

function record(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
