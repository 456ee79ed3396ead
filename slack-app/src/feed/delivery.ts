import type { FeedEvent, Subscription } from '@rocqet/sdk';
import type pg from 'pg';
import { libraryClient } from '../access.js';
import { feedEventBlocks } from '../blocks/cards.js';
import { getTeamLink } from '../store/links.js';
import { claimEvent, listSubscriptions, passEvent, type ChannelSubscription } from '../store/subscriptions.js';
import type { Deps } from '../handlers/context.js';

/** One PostgreSQL advisory lock decides which process posts: the others wait to take over when it goes. */
const DELIVERY_LOCK = 7_202_612_020_001n;

const TYPES = ['prompt.create', 'prompt.commit', 'prompt.merge', 'prompt.revert', 'tag.create', 'tag.move', 'folder'];

interface TeamStream {
  teamId: string;
  feed: Subscription;
  subs: ChannelSubscription[];
  /** folder id → parent id, to tell whether an event's folder lies under a subscribed one. */
  tree: Map<string, string | null> | undefined;
  queue: Promise<void>;
  token: string;
}

export interface DeliveryOptions {
  /** How often ownership is tried and subscriptions are re-read (ms). */
  pollMs?: number;
  /** Called after each event is handled (tests and the bench wait on it). */
  onHandled?(event: FeedEvent, posted: number): void;
}

/**
 * Channel notifications from the change feed. The process holding the advisory lock follows one feed stream per
 * linked team, resumed after the smallest cursor of its subscriptions, and handles events one at a time in feed
 * order: each matching subscription claims the event (its cursor moves past it) and then posts it, so an event is
 * posted at most once per channel even if two processes ever overlap, and a restart resumes where the cursors are.
 */
export class FeedDelivery {
  private lock: pg.PoolClient | undefined;
  private streams = new Map<string, TeamStream>();
  private failed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;
  private readonly pollMs: number;

  constructor(
    private readonly deps: Deps,
    private readonly options: DeliveryOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 5_000;
  }

  get isOwner(): boolean {
    return Boolean(this.lock);
  }

  start(): this {
    this.schedule(0);
    return this;
  }

  /** Subscriptions changed: look again now rather than at the next poll. */
  refresh(): void {
    if (!this.closed) this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking = (this.ticking ?? Promise.resolve()).then(() => this.tick()).catch((err: unknown) => {
        this.deps.log('warn', 'feed delivery tick failed', { err: String(err) });
      });
      void this.ticking.finally(() => {
        if (!this.closed) this.schedule(this.pollMs);
      });
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    if (this.lock) {
      try {
        await this.lock.query('SELECT 1');
      } catch {
        this.loseOwnership('the lock connection failed');
      }
    }
    if (!this.lock) await this.tryOwn();
    if (this.lock) await this.reconcile();
  }

  private async tryOwn(): Promise<void> {
    const client = await this.deps.pool.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [DELIVERY_LOCK.toString()]);
      if (!rows[0]?.ok || this.closed) {
        client.release();
        return;
      }
    } catch (err) {
      client.release(true);
      throw err;
    }
    client.on('error', () => this.loseOwnership('the lock connection dropped'));
    this.lock = client;
    this.deps.log('info', 'slack feed delivery: this process posts channel notifications');
  }

  private loseOwnership(why: string): void {
    if (!this.lock) return;
    this.deps.log('warn', `slack feed delivery: ownership lost (${why})`);
    this.lock.release(true);
    this.lock = undefined;
    for (const s of this.streams.values()) s.feed.close();
    this.streams.clear();
  }

  private async reconcile(): Promise<void> {
    const subs = await listSubscriptions(this.deps.pool);
    const byTeam = new Map<string, ChannelSubscription[]>();
    for (const s of subs) byTeam.set(s.teamId, [...(byTeam.get(s.teamId) ?? []), s]);
    for (const [teamId, stream] of this.streams) {
      if (!byTeam.has(teamId)) {
        stream.feed.close();
        this.streams.delete(teamId);
      }
    }
    for (const [teamId, teamSubs] of byTeam) {
      const existing = this.streams.get(teamId);
      if (existing) {
        existing.subs = teamSubs;
        continue;
      }
      const failedAt = this.failed.get(teamId);
      if (failedAt && Date.now() - failedAt < 60_000) continue;
      await this.open(teamId, teamSubs);
    }
  }

  private async open(teamId: string, subs: ChannelSubscription[]): Promise<void> {
    const link = await getTeamLink(this.deps.pool, this.deps.box(), teamId);
    if (!link) return;
    const cursors = subs.map((s) => s.cursor).filter((c): c is string => c !== null).map(BigInt);
    const after = cursors.length ? cursors.reduce((a, b) => (a < b ? a : b)).toString() : undefined;
    const client = libraryClient({ ...this.deps, timeoutMs: 30_000 }, link.readerToken);
    const stream: TeamStream = { teamId, subs, tree: undefined, queue: Promise.resolve(), token: link.readerToken, feed: undefined as never };
    stream.feed = client.events.subscribe({
      ...(after ? { after } : {}),
      filters: { types: TYPES },
      onEvent: (event) => {
        stream.queue = stream.queue.then(() => this.handle(stream, event)).catch((err: unknown) => {
          this.deps.log('warn', 'feed event not delivered', { id: event.id, err: String(err) });
        });
      },
      onResync: () => this.deps.log('warn', 'slack feed: the cursor was older than the feed keeps; carrying on from now', { teamId }),
      onError: (err) => {
        this.deps.log('warn', 'slack feed stopped', { teamId, err: err.message });
        this.streams.delete(teamId);
        this.failed.set(teamId, Date.now());
      },
    });
    this.streams.set(teamId, stream);
  }

  private async handle(stream: TeamStream, event: FeedEvent): Promise<void> {
    if (!this.lock || this.streams.get(stream.teamId) !== stream) return;
    if (event.action.startsWith('folder.')) {
      stream.tree = undefined;
      await passEvent(this.deps.pool, stream.teamId, event.id, []);
      return;
    }
    const matching: ChannelSubscription[] = [];
    for (const sub of stream.subs) if (await this.covers(stream, sub, event.subject.folderId)) matching.push(sub);
    let posted = 0;
    for (const sub of matching) {
      if (sub.cursor !== null && BigInt(sub.cursor) >= BigInt(event.id)) continue;
      if (!(await claimEvent(this.deps.pool, sub.id, event.id))) continue;
      sub.cursor = event.id;
      try {
        const bot = await this.deps.bot(sub.teamId);
        const { text, blocks } = feedEventBlocks(event, this.deps.config.publicUrl);
        await bot.client.chat.postMessage({ token: bot.token, channel: sub.channelId, text, blocks });
        posted++;
      } catch (err) {
        this.deps.log('warn', 'channel notification failed', { channel: sub.channelId, event: event.id, err: String(err) });
      }
    }
    await passEvent(this.deps.pool, stream.teamId, event.id, matching.map((s) => s.id));
    this.options.onHandled?.(event, posted);
  }

  private async covers(stream: TeamStream, sub: ChannelSubscription, folderId: string | null): Promise<boolean> {
    if (sub.folderId === null) return true;
    if (folderId === null) return false;
    if (!stream.tree || !stream.tree.has(folderId)) {
      const folders = await libraryClient(this.deps, stream.token).listFolders();
      stream.tree = new Map(folders.items.map((f) => [f.id, f.parentId]));
    }
    for (let at: string | null | undefined = folderId, hops = 0; at && hops < 1000; at = stream.tree.get(at), hops++) {
      if (at === sub.folderId) return true;
    }
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.ticking?.catch(() => {});
    for (const s of this.streams.values()) {
      s.feed.close();
      await s.queue.catch(() => {});
    }
    this.streams.clear();
    if (this.lock) {
      await this.lock.query('SELECT pg_advisory_unlock($1)', [DELIVERY_LOCK.toString()]).catch(() => {});
      this.lock.release();
      this.lock = undefined;
    }
  }
}
