import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Tx } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail } from '../errors.js';
import { findBranch, findPrompt } from '../prompts/resolve.js';
import { authenticateTokenId } from '../tokens/authenticate.js';

const PREFIX = 'rq_tkt_';
export const TICKET_TTL_MS = 60_000;

const hashOf = (secret: string) => createHash('sha256').update(secret).digest();

export function looksLikeTicket(value: string): boolean {
  return value.startsWith(PREFIX) && value.length <= 100;
}

/**
 * A single-use ticket that opens one websocket to one branch's draft for about a minute, for clients that cannot
 * set an Authorization header. It is bound to the caller's token (revoking the token voids it), the prompt and the
 * branch; only its hash is stored.
 */
export async function issueTicket(tx: Tx, actor: Actor, input: { prompt: string; branch?: string | undefined }, now = new Date()) {
  if (!actor.tokenId) fail('unauthenticated', 'tickets are issued to API tokens');
  const prompt = await findPrompt(tx, actor.workspaceId, input.prompt);
  const branch = await findBranch(tx, prompt.id, input.branch ?? prompt.defaultBranch);
  const secret = PREFIX + randomBytes(24).toString('base64url');
  const expiresAt = new Date(now.getTime() + TICKET_TTL_MS);
  await tx.collabTicket.create({
    data: {
      workspaceId: actor.workspaceId,
      tokenId: actor.tokenId,
      promptId: prompt.id,
      branchId: branch.id,
      secretHash: hashOf(secret),
      expiresAt,
    },
  });
  // Spent and expired tickets are worth nothing; this keeps the table at about a minute of issues.
  await tx.collabTicket.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - TICKET_TTL_MS) } } });
  await recordAudit(tx, actor, {
    action: 'collab.ticket.create',
    resourceType: 'prompt',
    resourceId: prompt.id,
    changes: { branch: branch.name, expiresAt },
  });
  return { secret, expiresAt, prompt, branch };
}

/**
 * Spends a ticket: the one UPDATE that checks it also marks it used, so two connections can never share one.
 * Answers the member behind it (checked again: a token revoked since the ticket was issued opens nothing).
 */
export async function redeemTicket(pool: pg.Pool, secret: string, now = new Date()) {
  if (!looksLikeTicket(secret)) fail('invalid_token', 'the ticket is not valid');
  const { rows } = await pool.query<{ token_id: string; prompt_id: string; branch_id: string; expires_at: Date }>(
    `UPDATE collab_ticket SET used_at = $2 WHERE secret_hash = $1 AND used_at IS NULL
     RETURNING token_id, prompt_id, branch_id, expires_at`,
    [hashOf(secret), now],
  );
  const row = rows[0];
  if (!row) fail('invalid_token', 'the ticket is not valid or was already used');
  if (row.expires_at <= now) fail('token_expired', `the ticket expired at ${row.expires_at.toISOString()}`);
  const actor = await authenticateTokenId(pool, row.token_id, now);
  return { actor, promptId: row.prompt_id, branchId: row.branch_id };
}
