import type pg from 'pg';

/**
 * Records an Events API delivery; false when this event id was already handled (a retry, X-Slack-Retry-Num). One
 * statement, so two processes receiving the same retry agree on which one handles it.
 */
export async function firstDelivery(pool: pg.Pool, eventId: string): Promise<boolean> {
  const { rowCount } = await pool.query('INSERT INTO slack_event_seen (event_id) VALUES ($1) ON CONFLICT DO NOTHING', [eventId]);
  return rowCount === 1;
}

/** Slack stops retrying after about an hour; a day of ids is plenty. */
export async function pruneDeliveries(pool: pg.Pool): Promise<void> {
  await pool.query("DELETE FROM slack_event_seen WHERE seen_at < now() - interval '1 day'");
  await pool.query("DELETE FROM slack_pending_text WHERE created_at < now() - interval '1 day'");
}

export async function notePromptUse(
  pool: pg.Pool,
  teamId: string,
  slackUserId: string,
  prompt: { id: string; path: string; title: string },
): Promise<void> {
  await pool.query(
    `INSERT INTO slack_recent_prompt (team_id, slack_user_id, prompt_id, path, title, used_at) VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (team_id, slack_user_id, prompt_id) DO UPDATE SET path = EXCLUDED.path, title = EXCLUDED.title, used_at = now()`,
    [teamId, slackUserId, prompt.id, prompt.path, prompt.title],
  );
}

export async function recentPrompts(pool: pg.Pool, teamId: string, slackUserId: string, limit: number) {
  const { rows } = await pool.query<{ prompt_id: string; path: string; title: string }>(
    `SELECT prompt_id, path, title FROM slack_recent_prompt WHERE team_id = $1 AND slack_user_id = $2
      ORDER BY used_at DESC LIMIT $3`,
    [teamId, slackUserId, limit],
  );
  return rows.map((r) => ({ id: r.prompt_id, path: r.path, title: r.title }));
}

export async function savePendingText(pool: pg.Pool, teamId: string, slackUserId: string, text: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO slack_pending_text (team_id, slack_user_id, text) VALUES ($1, $2, $3) RETURNING id',
    [teamId, slackUserId, text],
  );
  return rows[0]!.id;
}

export async function takePendingText(pool: pg.Pool, id: string, teamId: string, slackUserId: string): Promise<string | undefined> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
  const { rows } = await pool.query<{ text: string }>(
    'SELECT text FROM slack_pending_text WHERE id = $1 AND team_id = $2 AND slack_user_id = $3',
    [id, teamId, slackUserId],
  );
  return rows[0]?.text;
}

export async function dropPendingText(pool: pg.Pool, id: string): Promise<void> {
  await pool.query('DELETE FROM slack_pending_text WHERE id = $1', [id]);
}
