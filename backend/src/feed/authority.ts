import type pg from 'pg';
import type { Logger } from 'pino';
import type { Actor } from '../domain/actor.js';
import { DomainError } from '../domain/errors.js';
import { currentAuthority } from '../domain/tokens/authenticate.js';
import type { FeedHub } from './hub.js';

/** A long-lived connection (feed stream, collab socket) opened with a token, told when what it may do changes. */
export interface LiveSession {
  /** The actor it was opened with; the watch replaces it before each `changed`. */
  actor: Actor;
  /** The token may still read, with another role or other scopes (`actor` keeps the connection's origin fields). */
  changed(actor: Actor): void;
  /** The token may no longer be used (revoked, expired, its member or creator gone) or may no longer read. */
  refused(reason: DomainError): void;
}

/** The audit entries that change what an open connection may do (feed/hub.ts reads them, from every process). */
const AUTHORITY_ACTIONS = ['token.revoke', 'member.update', 'member.remove'];

interface Watched {
  sessions: Set<LiveSession>;
  /** The workspace's follower: resolves once entries committed from then on are seen. */
  following: Promise<() => void>;
  /** Re-checks of one workspace run one at a time, so an older answer never overwrites a newer one. */
  checking: Promise<void>;
  expiry?: { at: number; timer: NodeJS.Timeout };
}

/**
 * Keeps open connections to the authority a request would have now, not only when they opened (the rules are
 * domain/tokens/authenticate.ts's). Three triggers: a token or membership change in the workspace (its audit entry
 * reaches every process through the feed, NOTIFY included), a token's expiry (a timer at the earliest one), and a
 * periodic re-check of everything (`recheckMs`) for what leaves no entry. Each re-check of a workspace is one query
 * for all its open connections' tokens.
 */
export class AuthorityWatch {
  private readonly watched = new Map<string, Watched>();
  private readonly sweep: NodeJS.Timeout;
  private closed = false;


  constructor(
    private readonly pool: pg.Pool,
    private readonly feed: FeedHub,
    private readonly logger: Logger,
    private readonly recheckMs: number,
  ) {
    this.sweep = setInterval(() => {
      for (const ws of this.watched.keys()) this.recheck(ws);
    }, recheckMs);
    this.sweep.unref();
    // The feed delivers nothing after an authority change until the open connections it affects are re-checked.
    feed.holdAfter((ws, entry) => (AUTHORITY_ACTIONS.includes(entry.event.action) ? this.recheck(ws) : undefined));
  }

  /**
   * Watches a session from now on. Whatever changed between its admission and this call is caught by a re-check made
   * once the workspace's follower is in place.
   */
  watch(session: LiveSession): () => void {
    const ws = session.actor.workspaceId;
    let w = this.watched.get(ws);
    if (!w) {
      // The follower keeps the workspace's entries read even where no client streams them (collab sockets only); the
      // hub's gate does the re-check.
      const following = this.feed.follow(ws, { types: AUTHORITY_ACTIONS }, () => {});
      const created: Watched = { sessions: new Set(), following, checking: Promise.resolve() };
      following.catch((err: unknown) => this.logger.warn({ err, workspaceId: ws }, 'authority: following the feed failed'));
      this.watched.set(ws, (w = created));
    }
    w.sessions.add(session);
    const mine = w;
    void mine.following.then(
      () => this.recheck(ws, [session]),
      () => this.recheck(ws, [session]),
    );
    return () => {
      mine.sessions.delete(session);
      if (mine.sessions.size > 0 || this.watched.get(ws) !== mine) return;
      this.watched.delete(ws);
      clearTimeout(mine.expiry?.timer);
      void mine.following.then((stop) => stop(), () => {});
    };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweep);
    for (const w of this.watched.values()) {
      clearTimeout(w.expiry?.timer);
      void w.following.then((stop) => stop(), () => {});
    }
    this.watched.clear();
  }

  private recheck(ws: string, only?: LiveSession[]): Promise<void> | undefined {
    const w = this.watched.get(ws);
    if (!w || this.closed) return undefined;
    w.checking = w.checking.then(() => this.check(w, only)).catch((err: unknown) => {
      this.logger.warn({ err, workspaceId: ws }, 'authority: re-checking open connections failed; the next sweep retries');
    });
    return w.checking;
  }

  private async check(w: Watched, only?: LiveSession[]): Promise<void> {
    const sessions = (only ?? [...w.sessions]).filter((s) => w.sessions.has(s));
    const tokenIds = [...new Set(sessions.map((s) => s.actor.tokenId).filter((t): t is string => t !== null))];
    if (tokenIds.length === 0) return;
    const now = new Date();
    const found = await currentAuthority(this.pool, tokenIds, now);
    let nextExpiry = Infinity;
    for (const s of sessions) {
      if (!w.sessions.has(s) || s.actor.tokenId === null) continue;
      const current = found.get(s.actor.tokenId);
      if (!current || current instanceof DomainError) {
        w.sessions.delete(s);
        s.refused(current ?? new DomainError('invalid_token', 'the API token is not valid'));
        continue;
      }
      if (!current.actor.scopes.includes('read')) {
        w.sessions.delete(s);
        s.refused(new DomainError('insufficient_scope', `this token may no longer read the workspace (it has ${current.actor.scopes.join(', ') || 'no scopes'})`));
        continue;
      }
      const next = current.actor;
      if (current.expiresAt) nextExpiry = Math.min(nextExpiry, current.expiresAt.getTime());
      if (next.role !== s.actor.role || next.scopes.join() !== s.actor.scopes.join() || next.mintedByUserId !== s.actor.mintedByUserId) {
        s.actor = { ...s.actor, role: next.role, scopes: next.scopes, mintedByUserId: next.mintedByUserId ?? null };
        s.changed(s.actor);
      }
    }
    this.scheduleExpiry(w, nextExpiry);
  }

  /** One timer per workspace, at the earliest expiry among its tokens (the periodic sweep covers anything later). */
  private scheduleExpiry(w: Watched, at: number): void {
    if (!Number.isFinite(at) || (w.expiry && w.expiry.at <= at)) return;
    clearTimeout(w.expiry?.timer);
    const ws = [...this.watched.entries()].find(([, v]) => v === w)?.[0];
    if (!ws) return;
    // setTimeout takes at most 2^31-1 ms; the sweep re-schedules anything further away.
    const delay = Math.min(Math.max(0, at - Date.now()) + 5, 2 ** 31 - 1);
    const timer = setTimeout(() => {
      if (w.expiry?.timer === timer) w.expiry = undefined;
      this.recheck(ws);
    }, delay);
    timer.unref();
    w.expiry = { at, timer };
  }
}
