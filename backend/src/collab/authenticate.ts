import type { IncomingMessage } from 'node:http';
import type pg from 'pg';
import type { Db } from '../db/prisma.js';
import type { Actor } from '../domain/actor.js';
import type { DraftTarget } from '../domain/collab/drafts.js';
import { redeemTicket } from '../domain/collab/tickets.js';
import { DomainError } from '../domain/errors.js';
import { atLeast } from '../domain/policy.js';
import { findBranch, findPrompt } from '../domain/prompts/resolve.js';
import { authenticateToken } from '../domain/tokens/authenticate.js';
import { CloseEvents, CollabRefusal, type CloseEvent } from './closeCodes.js';

export const COLLAB_PATH = '/collab';

/**
 * The draft a URL names. y-websocket's provider connects to `${serverUrl}/${roomname}?params`, so with serverUrl
 * `ws://host/collab` the room is `<prompt>/<branch>`: the first segment is the prompt (its id, or its path
 * URL-encoded as one segment), everything after it the branch (which may hold slashes); no branch means the default.
 */
export function parseRoom(url: string): { prompt: string; branch: string | undefined; query: URLSearchParams } {
  const parsed = new URL(url, 'http://collab.invalid');
  const rest = parsed.pathname.slice(COLLAB_PATH.length + 1);
  if (!parsed.pathname.startsWith(COLLAB_PATH + '/') || rest === '') throw new CollabRefusal(CloseEvents.BadRequest);
  let segments: string[];
  try {
    segments = rest.split('/').map(decodeURIComponent);
  } catch {
    throw new CollabRefusal(CloseEvents.BadRequest);
  }
  const [prompt, ...branch] = segments;
  if (!prompt || prompt.length > 500 || branch.some((s) => s === '')) throw new CollabRefusal(CloseEvents.BadRequest);
  return { prompt, branch: branch.length ? branch.join('/') : undefined, query: parsed.searchParams };
}

export interface Admitted {
  actor: Actor;
  target: DraftTarget;
  readOnly: boolean;
}

const refusals: Partial<Record<DomainError['code'], CloseEvent>> = {
  invalid_token: CloseEvents.InvalidToken,
  token_expired: CloseEvents.TokenExpired,
  token_revoked: CloseEvents.TokenRevoked,
  not_found: CloseEvents.PromptNotFound,
  ref_not_found: CloseEvents.BranchNotFound,
};

/** The one translation from domain refusals to close events; anything else is the server's fault. */
export function closeEventOf(err: unknown): CloseEvent {
  if (err instanceof CollabRefusal) return err.close;
  if (err instanceof DomainError) return refusals[err.code] ?? CloseEvents.Forbidden;
  return CloseEvents.Internal;
}

const losses: Partial<Record<DomainError['code'], CloseEvent>> = {
  token_expired: CloseEvents.TokenExpired,
  token_revoked: CloseEvents.TokenRevoked,
  invalid_token: CloseEvents.TokenGone,
  insufficient_scope: CloseEvents.ReadRevoked,
};

/** How an open connection is closed when its token's authority ends (feed/authority.ts's refusals). */
export function lostAuthorityEvent(err: DomainError): CloseEvent {
  return losses[err.code] ?? CloseEvents.Forbidden;
}

/**
 * Who is connecting, to which draft, with which rights: a bearer token in the Authorization header (Node clients),
 * or a single-use ticket in the query (browsers). A token in the query is refused outright: URLs end up in logs.
 */
export async function admit(req: IncomingMessage, deps: { db: Db; pool: pg.Pool }): Promise<Admitted> {
  const room = parseRoom(req.url ?? '/');
  const ticket = room.query.get('ticket');
  const header = req.headers.authorization;
  let actor: Actor;
  let ticketFor: { promptId: string; branchId: string } | undefined;
  if (['token', 'access_token', 'authorization'].some((k) => room.query.has(k))) throw new CollabRefusal(CloseEvents.TokenInUrl);
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw new CollabRefusal(CloseEvents.Unauthenticated);
    actor = await authenticateToken(deps.pool, match[1]);
  } else if (ticket) {
    try {
      const redeemed = await redeemTicket(deps.pool, ticket);
      actor = redeemed.actor;
      ticketFor = redeemed;
    } catch (err) {
      if (err instanceof DomainError && err.code === 'invalid_token') throw new CollabRefusal(CloseEvents.InvalidTicket);
      throw err;
    }
  } else throw new CollabRefusal(CloseEvents.Unauthenticated);
  if (!actor.scopes.includes('read')) throw new CollabRefusal(CloseEvents.Forbidden);
  const prompt = await findPrompt(deps.db, actor.workspaceId, room.prompt);
  const branch = await findBranch(deps.db, prompt.id, room.branch ?? prompt.defaultBranch);
  if (ticketFor && (ticketFor.promptId !== prompt.id || ticketFor.branchId !== branch.id)) {
    throw new CollabRefusal(CloseEvents.TicketForOtherDraft);
  }
  return {
    actor: { ...actor, ip: req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null },
    target: { workspaceId: prompt.workspaceId, promptId: prompt.id, branchId: branch.id, branchName: branch.name },
    readOnly: !(atLeast(actor.role, 'editor') && actor.scopes.includes('write')),
  };
}
