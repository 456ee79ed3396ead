import type { Role, Scope } from '@rocqet/sdk';
import type pg from 'pg';
import { poolQuery } from '../../db/sql.js';
import type { Actor } from '../actor.js';
import { DomainError, fail } from '../errors.js';
import { lowerRole, scopesWithin } from '../policy.js';
import { hashTokenSecret, looksLikeTokenSecret } from './secret.js';

interface TokenRow {
  token_id: string;
  workspace_id: string;
  membership_id: string;
  user_id: string;
  role: Role;
  scopes: Scope[];
  email: string;
  name: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  minted_by_id: string;
  /** The creator's role in the token's workspace now; null once they left it. */
  minter_role: Role | null;
}

/** Last-use time is written at most this often per token, so reads stay free of writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const TOKEN_QUERY = `
  SELECT t.id AS token_id, t.workspace_id, t.membership_id, m.user_id, m.role::text AS role, t.scopes,
         u.email, u.name, t.expires_at, t.revoked_at, t.last_used_at,
         COALESCE(t.created_by_id, m.user_id) AS minted_by_id, mm.role::text AS minter_role
    FROM api_token t
    JOIN membership m ON m.id = t.membership_id
    JOIN app_user u ON u.id = m.user_id
    LEFT JOIN membership mm ON mm.workspace_id = t.workspace_id AND mm.user_id = COALESCE(t.created_by_id, m.user_id)
   WHERE t.secret_hash = $1`;
const TOKEN_BY_ID = TOKEN_QUERY.replace('t.secret_hash = $1', 't.id = $1');
const TOKENS_BY_IDS = TOKEN_QUERY.replace('t.secret_hash = $1', 't.id = ANY($1::uuid[])');

/**
 * Resolves a bearer secret to the acting member, or refuses with the precise reason. Authority is decided now, not
 * when the token was made: its scopes as far as the member's current role allows, and no further than its creator's
 * current role (whoever created a token for someone else holds its secret, so it never outlives or outranks them).
 * One indexed query, straight on the pool: it runs on every request, and the ORM's per-query cost was the largest
 * part of a read's time (bench api).
 */
export async function authenticateToken(pool: pg.Pool, secret: string, now = new Date()): Promise<Actor> {
  if (!looksLikeTokenSecret(secret)) fail('invalid_token', 'the API token is not valid');
  const { rows } = await poolQuery<TokenRow>(pool, TOKEN_QUERY, [Buffer.from(hashTokenSecret(secret))]);
  return actorOf(pool, rows[0], now);
}

/** The acting member of a token known by id (a redeemed collab ticket), with the same checks as a bearer secret. */
export async function authenticateTokenId(pool: pg.Pool, tokenId: string, now = new Date()): Promise<Actor> {
  const { rows } = await poolQuery<TokenRow>(pool, TOKEN_BY_ID, [tokenId]);
  return actorOf(pool, rows[0], now);
}

export interface TokenAuthority {
  actor: Actor;
  expiresAt: Date | null;
}

/**
 * What tokens known by id may do now, for connections they opened earlier (feed streams, collab sockets): each one's
 * acting member as `authenticateToken` would decide it at this moment, or the refusal a request would get. A token
 * that is gone (its member left: the row went with the membership) is `invalid_token`. One query for them all, and no
 * last-use write: checking is not using.
 */
export async function currentAuthority(pool: pg.Pool, tokenIds: string[], now = new Date()): Promise<Map<string, TokenAuthority | DomainError>> {
  const out = new Map<string, TokenAuthority | DomainError>();
  if (tokenIds.length === 0) return out;
  const { rows } = await poolQuery<TokenRow>(pool, TOKENS_BY_IDS, [tokenIds]);
  for (const id of tokenIds) out.set(id, new DomainError('invalid_token', 'the API token no longer exists: its member left the workspace'));
  for (const row of rows) {
    try {
      out.set(row.token_id, { actor: actorOf(pool, row, now, false), expiresAt: row.expires_at });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      out.set(row.token_id, err);
    }
  }
  return out;
}

function actorOf(pool: pg.Pool, row: TokenRow | undefined, now: Date, touch = true): Actor {
  if (!row) fail('invalid_token', 'the API token is not valid');
  if (row.revoked_at) fail('token_revoked', `the API token was revoked at ${row.revoked_at.toISOString()}`);
  if (row.expires_at && row.expires_at <= now) {
    fail('token_expired', `the API token expired at ${row.expires_at.toISOString()}`);
  }
  if (!row.minter_role) fail('token_revoked', 'the API token was revoked: the member who created it left the workspace');
  const role = lowerRole(row.role, row.minter_role);
  if (touch && (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS)) {
    // Fire and forget: a lost update of a last-use time is harmless, a write on every read is not.
    pool.query('UPDATE api_token SET last_used_at = $1 WHERE id = $2', [now, row.token_id]).catch(() => {});
  }
  return {
    workspaceId: row.workspace_id,
    userId: row.user_id,
    membershipId: row.membership_id,
    tokenId: row.token_id,
    mintedByUserId: row.minted_by_id,
    role,
    scopes: scopesWithin(row.scopes, role),
    email: row.email,
    name: row.name,
  };
}
