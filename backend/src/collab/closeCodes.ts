/**
 * Every reason the collab websocket closes, in one place (Hocuspocus's CloseEvents is the model). The server accepts
 * the upgrade and then closes with one of these, because a refused HTTP upgrade reaches a browser or a stock
 * y-websocket provider only as "connection failed": a close frame carries the code and reason to the client.
 * Codes 4400–4499 mirror HTTP 4xx: y-websocket's provider treats them as permanent and stops reconnecting.
 * Reasons stay under the 123 bytes a close frame allows.
 */
export interface CloseEvent {
  code: number;
  reason: string;
}

export const CloseEvents = {
  BadRequest: { code: 4400, reason: 'bad request: the URL must be /collab/<promptId>/<branch>' },
  MalformedMessage: { code: 4400, reason: 'malformed message: not the y-websocket protocol' },
  Unauthenticated: { code: 4401, reason: 'unauthenticated: send Authorization: Bearer rq_… or ?ticket= from POST /v1/collab/tickets' },
  InvalidToken: { code: 4401, reason: 'unauthenticated: the API token is not valid' },
  TokenExpired: { code: 4401, reason: 'unauthenticated: the API token or ticket has expired' },
  TokenRevoked: { code: 4401, reason: 'unauthenticated: the API token was revoked' },
  InvalidTicket: { code: 4401, reason: 'unauthenticated: the ticket is not valid or was already used' },
  TokenInUrl: { code: 4401, reason: 'unauthenticated: never put an API token in a URL; use a ticket (POST /v1/collab/tickets)' },
  /** An open connection whose member left the workspace: its tokens went with the membership. */
  TokenGone: { code: 4401, reason: 'unauthenticated: the API token no longer exists (its member left the workspace)' },
  Forbidden: { code: 4403, reason: 'forbidden: this token may not open drafts' },
  /** An open connection whose token lost the read scope (a role or scopes lowered). */
  ReadRevoked: { code: 4403, reason: 'forbidden: this token may no longer read this workspace' },
  TicketForOtherDraft: { code: 4403, reason: 'forbidden: the ticket was issued for another prompt or branch' },
  /** A prompt of another workspace is refused like a missing one, as the HTTP API does: ids cannot be probed. */
  PromptNotFound: { code: 4404, reason: 'not found: no such prompt in this workspace (or it was deleted)' },
  BranchNotFound: { code: 4404, reason: 'not found: the prompt has no such branch (or it was deleted)' },
  /** Open connections of a prompt deleted meanwhile; the draft is kept, and restoring the prompt lets them back. */
  PromptDeleted: { code: 4404, reason: 'not found: the prompt was deleted; you can reconnect once it is restored' },
  BranchDeleted: { code: 4404, reason: 'not found: the branch was deleted' },
  Idle: { code: 4408, reason: 'idle: nothing received for too long' },
  MessageTooLarge: { code: 4413, reason: 'too large: a message exceeds the size this server takes' },
  DocumentTooLarge: { code: 4413, reason: 'too large: the draft would exceed the largest document this server keeps' },
  TooManyForToken: { code: 4429, reason: 'too many connections for this token' },
  TooManyForDocument: { code: 4429, reason: 'too many connections to this draft' },
  /** Not a 44xx: the provider reconnects, to this or another process. */
  ShuttingDown: { code: 1001, reason: 'the server is shutting down; reconnect' },
  Internal: { code: 1011, reason: 'internal error; reconnect' },
  /** The client closed while it was being admitted: nothing to tell it. */
  LeftEarly: { code: 1000, reason: 'the client left before it was admitted' },
} as const satisfies Record<string, CloseEvent>;

/** A refusal on the way in (authentication, lookup, limits), carried as an error to the one place that closes. */
export class CollabRefusal extends Error {
  constructor(readonly close: CloseEvent) {
    super(close.reason);
  }
}

/** The y-protocols auth message sent to a read-only member whose update was dropped (the connection stays open). */
export const READ_ONLY_REASON = 'read-only: your role or token cannot edit this draft; your change was not applied';

/** The same message, sent at once to an open connection whose member's role or token was lowered below editing. */
export const NOW_READ_ONLY_REASON = 'read-only: your role or token changed and can no longer edit this draft; later changes will not be applied';
