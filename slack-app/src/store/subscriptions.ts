import type pg from 'pg';

export interface ChannelSubscription {
  id: string;
  teamId: string;
  channelId: string;
  workspaceId: string;
  folderId: string | null;
  folderPath: string;
  /** The last feed event id handled; null: none yet. */
  cursor: string | null;
}

interface Row {
  id: string;
  team_id: string;
  channel_id: string;
  workspace_id: string;
  folder_id: string | null;
  folder_path: string;
  cursor: string | null;
}

const of = (r: Row): ChannelSubscription => ({
  id: r.id,
  teamId: r.team_id,
  channelId: r.channel_id,
  workspaceId: r.workspace_id,
  folderId: r.folder_id,
  folderPath: r.folder_path,
  cursor: r.cursor,
});

export async function listSubscriptions(pool: pg.Pool, filter: { teamId?: string; channelId?: string } = {}) {
  const { rows } = await pool.query<Row>(
    `SELECT id, team_id, channel_id, workspace_id, folder_id, folder_path, cursor::text AS cursor
       FROM slack_channel_subscription
      WHERE ($1::text IS NULL OR team_id = $1) AND ($2::text IS NULL OR channel_id = $2)
      ORDER BY created_at, id`,
    [filter.teamId ?? null, filter.channelId ?? null],
  );
  return rows.map(of);
}

/** Adds a subscription starting after `cursor`; false when the channel already follows that folder. */
export async function addSubscription(
  pool: pg.Pool,
  s: Omit<ChannelSubscription, 'id'> & { createdBy: string },
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO slack_channel_subscription (team_id, channel_id, workspace_id, folder_id, folder_path, cursor, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [s.teamId, s.channelId, s.workspaceId, s.folderId, s.folderPath, s.cursor, s.createdBy],
  );
  return rowCount === 1;
}

/** Removes the channel's subscriptions (to one folder, or all); returns the folder paths removed. */
export async function removeSubscriptions(pool: pg.Pool, teamId: string, channelId: string, folderId?: string | null) {
  const { rows } = await pool.query<{ folder_path: string }>(
    `DELETE FROM slack_channel_subscription WHERE team_id = $1 AND channel_id = $2
       AND ($3::boolean IS FALSE OR folder_id IS NOT DISTINCT FROM $4::uuid) RETURNING folder_path`,
    [teamId, channelId, folderId !== undefined, folderId ?? null],
  );
  return rows.map((r) => r.folder_path);
}

/**
 * Claims an event for a subscription by moving its cursor past it: true for exactly one caller, ever, however many
 * processes race (the row's update is atomic). Claiming before posting means an event is never posted twice.
 */
export async function claimEvent(pool: pg.Pool, subscriptionId: string, eventId: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE slack_channel_subscription SET cursor = $2::bigint
      WHERE id = $1 AND (cursor IS NULL OR cursor < $2::bigint)`,
    [subscriptionId, eventId],
  );
  return rowCount === 1;
}

/** Moves every other subscription of the team past an event that was not theirs, so a restart starts near now. */
export async function passEvent(pool: pg.Pool, teamId: string, eventId: string, except: string[]): Promise<void> {
  await pool.query(
    `UPDATE slack_channel_subscription SET cursor = $2::bigint
      WHERE team_id = $1 AND NOT (id = ANY($3::uuid[])) AND (cursor IS NULL OR cursor < $2::bigint)`,
    [teamId, eventId, except],
  );
}
