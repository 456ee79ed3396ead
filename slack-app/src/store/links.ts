import type pg from 'pg';
import { aad, type Sealer } from './sealer.js';

export interface TeamLink {
  teamId: string;
  workspaceId: string;
  workspaceName: string;
  adminToken: string;
  readerToken: string;
  readerTokenId: string;
  linkedBySlack: string;
  linkedByUser: string;
}

export interface UserLink {
  teamId: string;
  slackUserId: string;
  workspaceId: string;
  email: string | null;
  memberId: string | null;
  userId: string | null;
  role: string | null;
  tokenId: string | null;
  token: string | null;
  /** Why a mapped member has no token of their own (then they read, never write). */
  whyNoToken: string | null;
  checkedAt: Date;
}

interface TeamRow {
  team_id: string;
  workspace_id: string;
  workspace_name: string;
  sealed_token: string;
  sealed_reader: string;
  reader_token_id: string;
  linked_by_slack: string;
  linked_by_user: string;
}

export async function getTeamLink(pool: pg.Pool, box: Sealer | undefined, teamId: string): Promise<TeamLink | undefined> {
  const { rows } = await pool.query<TeamRow>('SELECT * FROM slack_team_link WHERE team_id = $1', [teamId]);
  const row = rows[0];
  if (!row) return undefined;
  if (!box) throw new Error('ROCQET_SECRET_KEY is not set: the stored link cannot be opened');
  return {
    teamId: row.team_id,
    workspaceId: row.workspace_id,
    workspaceName: row.workspace_name,
    adminToken: box.open(row.sealed_token, aad.teamToken(teamId)),
    readerToken: box.open(row.sealed_reader, aad.teamReader(teamId)),
    readerTokenId: row.reader_token_id,
    linkedBySlack: row.linked_by_slack,
    linkedByUser: row.linked_by_user,
  };
}

/** Links (or re-links) a team; the members resolved under an earlier link are forgotten, since their tokens were its. */
export async function saveTeamLink(pool: pg.Pool, box: Sealer, link: TeamLink): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('DELETE FROM slack_user_link WHERE team_id = $1', [link.teamId]);
    await client.query(
      `INSERT INTO slack_team_link (team_id, workspace_id, workspace_name, sealed_token, sealed_reader, reader_token_id,
                                    linked_by_slack, linked_by_user, linked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (team_id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id, workspace_name = EXCLUDED.workspace_name,
         sealed_token = EXCLUDED.sealed_token, sealed_reader = EXCLUDED.sealed_reader,
         reader_token_id = EXCLUDED.reader_token_id, linked_by_slack = EXCLUDED.linked_by_slack,
         linked_by_user = EXCLUDED.linked_by_user, linked_at = now()`,
      [
        link.teamId,
        link.workspaceId,
        link.workspaceName,
        box.seal(link.adminToken, aad.teamToken(link.teamId)),
        box.seal(link.readerToken, aad.teamReader(link.teamId)),
        link.readerTokenId,
        link.linkedBySlack,
        link.linkedByUser,
      ],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

interface UserRow {
  team_id: string;
  slack_user_id: string;
  workspace_id: string;
  email: string | null;
  member_id: string | null;
  user_id: string | null;
  role: string | null;
  token_id: string | null;
  sealed_token: string | null;
  why_no_token: string | null;
  checked_at: Date;
}

export async function getUserLink(pool: pg.Pool, box: Sealer, teamId: string, slackUserId: string): Promise<UserLink | undefined> {
  const { rows } = await pool.query<UserRow>('SELECT * FROM slack_user_link WHERE team_id = $1 AND slack_user_id = $2', [
    teamId,
    slackUserId,
  ]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    teamId: r.team_id,
    slackUserId: r.slack_user_id,
    workspaceId: r.workspace_id,
    email: r.email,
    memberId: r.member_id,
    userId: r.user_id,
    role: r.role,
    tokenId: r.token_id,
    token: r.sealed_token ? box.open(r.sealed_token, aad.userToken(teamId, slackUserId)) : null,
    whyNoToken: r.why_no_token,
    checkedAt: r.checked_at,
  };
}

export async function saveUserLink(pool: pg.Pool, box: Sealer, u: Omit<UserLink, 'checkedAt'>): Promise<void> {
  await pool.query(
    `INSERT INTO slack_user_link (team_id, slack_user_id, workspace_id, email, member_id, user_id, role, token_id,
                                  sealed_token, why_no_token, checked_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
     ON CONFLICT (team_id, slack_user_id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id, email = EXCLUDED.email,
       member_id = EXCLUDED.member_id, user_id = EXCLUDED.user_id, role = EXCLUDED.role, token_id = EXCLUDED.token_id,
       sealed_token = EXCLUDED.sealed_token, why_no_token = EXCLUDED.why_no_token, checked_at = now()`,
    [
      u.teamId,
      u.slackUserId,
      u.workspaceId,
      u.email,
      u.memberId,
      u.userId,
      u.role,
      u.tokenId,
      u.token ? box.seal(u.token, aad.userToken(u.teamId, u.slackUserId)) : null,
      u.whyNoToken,
    ],
  );
}

export async function forgetUserLink(pool: pg.Pool, teamId: string, slackUserId: string): Promise<void> {
  await pool.query('DELETE FROM slack_user_link WHERE team_id = $1 AND slack_user_id = $2', [teamId, slackUserId]);
}
