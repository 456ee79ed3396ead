import type pg from 'pg';
import type { Logger } from 'pino';
import type { Actor } from '../domain/actor.js';
import { latestCursor, readEntries, type FeedEntry } from './entries.js';
import { folderScope, matches, mayRead, type FeedFilter } from './filter.js';

export interface Subscriber {
  /** Who reads: what they may see is decided per entry, so a lowered role applies from the next entry on. */
  actor: Actor;
  filter: FeedFilter;
  /** The last id this subscriber has passed (delivered or filtered out). */
  cursor: bigint;
  deliver(entry: FeedEntry): void;
  /** Ends the subscriber's stream (the process is shutting down). */
  close(): void;
  /** A part of this process following the feed (authority, drafts), not a client's stream. */
  internal?: boolean;
}

interface WorkspaceFeed {
  subscribers: Set<Subscriber>;
  pumping: boolean;
  again: boolean;
}

const BATCH = 200;
const RETRY_MS = 1_000;

/**
 * Fans a workspace's committed audit entries out to its subscribers in this process. A wake-up (NOTIFY from any
 * process, or a local commit) only says "look": the hub reads the entries from the database by cursor, one reader per
 * workspace at a time, so a lost, late or duplicated wake-up can delay an event but never drop or repeat one.
 */
export class FeedHub {
  private readonly feeds = new Map<string, WorkspaceFeed>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private closed = false;
  private gate: ((workspaceId: string, entry: FeedEntry) => Promise<void> | undefined) | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    private readonly onDelivered: (n: number) => void = () => {},
  ) {}

  /** Registers before reading, so nothing committed after `sub.cursor` can slip between catch-up and live events. */
  subscribe(sub: Subscriber): () => void {
    if (this.closed) {
      sub.close();
      return () => {};
    }
    const ws = sub.actor.workspaceId;
    let feed = this.feeds.get(ws);
    if (!feed) this.feeds.set(ws, (feed = { subscribers: new Set(), pumping: false, again: false }));
    feed.subscribers.add(sub);
    this.wake(ws);
    return () => {
      feed.subscribers.delete(sub);
      if (feed.subscribers.size === 0 && !feed.pumping && this.feeds.get(ws) === feed) this.feeds.delete(ws);
    };
  }

  /**
   * After delivering an entry for which `gate` returns a promise, the workspace's later entries wait for it: what
   * subscribers may see after a role change is decided with the new role (feed/authority.ts).
   */
  holdAfter(gate: (workspaceId: string, entry: FeedEntry) => Promise<void> | undefined): void {
    this.gate = gate;
  }

  /** Clients' streams open on this process. */
  get size(): number {
    let n = 0;
    for (const f of this.feeds.values()) for (const s of f.subscribers) if (!s.internal) n++;
    return n;
  }

  /**
   * Follows a workspace's entries from now on for a part of this process (the same cursor reads as a client's
   * stream, so across processes through NOTIFY): `onEntry` sees every entry matching `filter` committed after the
   * returned promise resolves, in order. Entries are read as the workspace's owner would: everything.
   */
  async follow(workspaceId: string, filter: FeedFilter, onEntry: (entry: FeedEntry) => void): Promise<() => void> {
    const cursor = await latestCursor(this.pool, workspaceId);
    return this.subscribe({
      actor: { workspaceId, userId: '', membershipId: '', tokenId: null, role: 'owner', scopes: ['read'], email: '', name: 'rocqet' },
      filter,
      cursor,
      deliver: onEntry,
      close: () => {},
      internal: true,
    });
  }

  wake(workspaceId: string): void {
    const feed = this.feeds.get(workspaceId);
    if (!feed || this.closed) return;
    if (feed.pumping) {
      feed.again = true;
      return;
    }
    feed.pumping = true;
    void this.pump(workspaceId, feed);
  }

  /** After the NOTIFY connection was lost: anything may have committed meanwhile. */
  wakeAll(): void {
    for (const ws of this.feeds.keys()) this.wake(ws);
  }

  /** Ends every stream; clients reconnect (to another process) and resume from their last id. */
  close(): void {
    this.closed = true;
    for (const t of this.retries) clearTimeout(t);
    for (const feed of [...this.feeds.values()]) for (const sub of [...feed.subscribers]) sub.close();
    this.feeds.clear();
  }

  private async pump(ws: string, feed: WorkspaceFeed): Promise<void> {
    try {
      do {
        feed.again = false;
        const subs = [...feed.subscribers];
        if (subs.length === 0) break;
        const from = subs.reduce((min, s) => (s.cursor < min ? s.cursor : min), subs[0]!.cursor);
        const { entries, folders } = await readEntries(this.pool, ws, from, BATCH);
        if (entries.length === BATCH) feed.again = true;
        let delivered = 0;
        const scopes = new Map(subs.map((sub) => [sub, sub.filter.folder && entries.length ? folderScope(sub.filter.folder, folders) : undefined]));
        // Entry by entry across subscribers, so a gate (an authority change being applied) holds back what follows it.
        for (const entry of entries) {
          let fresh = false;
          for (const sub of subs) {
            if (!feed.subscribers.has(sub) || entry.id <= sub.cursor) continue;
            sub.cursor = entry.id;
            fresh = true;
            if (mayRead(sub.actor, entry) && matches(sub.filter, entry, scopes.get(sub))) {
              sub.deliver(entry);
              delivered++;
            }
          }
          const held = fresh ? this.gate?.(ws, entry) : undefined;
          if (held) await held;
        }
        if (delivered) this.onDelivered(delivered);
      } while (feed.again && !this.closed);
    } catch (err) {
      if (!this.closed) {
        this.logger.warn({ err, workspaceId: ws }, 'feed: reading new entries failed; retrying');
        const t = setTimeout(() => {
          this.retries.delete(t);
          this.wake(ws);
        }, RETRY_MS);
        this.retries.add(t);
      }
    } finally {
      feed.pumping = false;
      if (feed.subscribers.size === 0 && this.feeds.get(ws) === feed) this.feeds.delete(ws);
    }
  }
}
