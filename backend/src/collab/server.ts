import { createHash } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import type { Logger } from 'pino';
import type client from 'prom-client';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { CollabConfig } from '../config.js';
import type { Db } from '../db/prisma.js';
import { inTransaction } from '../db/transaction.js';
import type { Actor } from '../domain/actor.js';
import { loadDraft, saveDraft, type DraftTarget } from '../domain/collab/drafts.js';
import { draftText, rebaseDraft, setDraftBase } from '../domain/collab/yjs.js';
import { fail } from '../domain/errors.js';
import { followBranchMoves, type BranchMoved } from '../domain/prompts/hooks.js';
import { readText } from '../domain/prompts/store.js';
import { atLeast } from '../domain/policy.js';
import type { AuthorityWatch } from '../feed/authority.js';
import type { FeedEntry } from '../feed/entries.js';
import type { FeedHub } from '../feed/hub.js';
import type { ConnectionSlots } from '../http/connectionSlots.js';
import { admit, closeEventOf, COLLAB_PATH, lostAuthorityEvent } from './authenticate.js';
import { CloseEvents, CollabRefusal } from './closeCodes.js';
import { Connection, type CollabUser } from './connection.js';
import { CollabDocument, SERVER, type DocumentHooks } from './document.js';
import { collabMetrics, type CollabMetrics } from './metrics.js';
import { localPeers, type Peers } from './peers.js';

export interface CollabDeps {
  db: Db;
  pool: pg.Pool;
  logger: Logger;
  config: CollabConfig;
  registry: client.Registry;
  /** Other processes serving the same documents (Redis); without them this process serves everything. */
  peers?: Peers;
  feed: FeedHub;
  authority: AuthorityWatch;
  slots: ConnectionSlots;
}

/** Entries that can take an open draft's prompt or branch away (or rename it). */
const DRAFT_TARGET_ACTIONS = ['prompt.delete', 'branch.delete', 'branch.rename'];

function mayEdit(actor: Actor): boolean {
  return atLeast(actor.role, 'editor') && actor.scopes.includes('write');
}

interface Entry {
  holders: number;
  ready: Promise<CollabDocument>;
  doc?: CollabDocument;
}

const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#469990', '#9a6324', '#800000'];

export function colorOf(userId: string): string {
  return PALETTE[createHash('sha256').update(userId).digest()[0]! % PALETTE.length]!;
}

/**
 * The collaborative drafts of this process: websocket upgrades on /collab, the documents they edit, and what the
 * HTTP API asks of drafts (their state, commit from draft). Hocuspocus's split is the model: this server, a
 * Document per branch draft, a Connection per socket, refusals as close events.
 */
export class CollabServer {
  private readonly wss: WebSocketServer;
  private readonly entries = new Map<string, Entry>();
  private readonly followers = new Map<string, { documents: number; following: Promise<() => void> }>();
  private readonly sockets = new Set<WebSocket>();
  private readonly metrics: CollabMetrics;
  private readonly peers: Peers;
  private readonly stopFollowing: () => void;
  private readonly idleSweep: NodeJS.Timeout;
  private closing = false;

  constructor(private readonly deps: CollabDeps) {
    // A generous hard cap; the configured limit is checked per message so the client hears 4413, not 1009.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: deps.config.maxMessageBytes * 4 + 1024 });
    this.peers = deps.peers ?? localPeers();
    this.peers.attach({
      document: (branchId) => this.entries.get(branchId)?.doc,
      branchMoved: (moved) => this.catchUpBranch(moved.branchId),
      becamePrimary: (doc) => {
        doc.markDirty();
        void this.catchUp(doc);
      },
    });
    this.metrics = collabMetrics(deps.registry, {
      documents: () => this.entries.size,
      connections: () => this.sockets.size,
    });
    this.stopFollowing = followBranchMoves(deps.db, (moved) => this.onBranchMoved(moved));
    const idle = deps.config.idleMs;
    this.idleSweep = setInterval(() => this.closeIdle(), Math.max(50, Math.min(idle / 4, 30_000)));
    this.idleSweep.unref();
  }

  /** Serves the collab websocket on the HTTP server's upgrades. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (this.closing || !(path === COLLAB_PATH || path.startsWith(COLLAB_PATH + '/'))) {
        socket.end(`HTTP/1.1 ${this.closing ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      socket.on('error', () => socket.destroy());
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req));
    });
  }

  /**
   * Accepts first, then authenticates: a refusal is a close frame with a code and reason the client can read.
   * Messages that arrive meanwhile wait, in order.
   */
  private onSocket(ws: WebSocket, req: IncomingMessage): void {
    this.sockets.add(ws);
    const early: RawData[] = [];
    let conn: Connection | undefined;
    ws.on('message', (data: RawData) => (conn ? conn.receive(toBytes(data)) : early.push(data)));
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => ws.terminate());
    void (async () => {
      let releaseSlot: (() => void) | undefined;
      try {
        const admitted = await admit(req, this.deps);
        // Counted across processes when there is Redis (a lease per process, so a crash frees its slots).
        const tokenKey = admitted.actor.tokenId ?? admitted.actor.membershipId;
        releaseSlot = (await this.deps.slots.acquire('collab', tokenKey, this.deps.config.maxConnectionsPerToken)) ?? undefined;
        if (!releaseSlot) throw new CollabRefusal(CloseEvents.TooManyForToken);
        const doc = await this.acquire(admitted.target);
        if (ws.readyState !== ws.OPEN) {
          this.release(admitted.target.branchId);
          throw new CollabRefusal(CloseEvents.LeftEarly);
        }
        if (doc.connections.size >= this.deps.config.maxConnectionsPerDocument) {
          this.release(admitted.target.branchId);
          throw new CollabRefusal(CloseEvents.TooManyForDocument);
        }
        const user: CollabUser = {
          id: admitted.actor.userId,
          name: admitted.actor.name,
          color: colorOf(admitted.actor.userId),
          role: admitted.actor.role,
          readOnly: admitted.readOnly,
        };
        const slot = releaseSlot;
        let unwatch = () => {};
        const opened = new Connection(ws, doc, admitted.actor, user, this.deps.config, (c) => {
          doc.connections.delete(c);
          unwatch();
          slot();
          this.release(admitted.target.branchId);
        });
        conn = opened;
        doc.connections.add(opened);
        // The token's authority as it is now, not only as it was at the upgrade (feed/authority.ts).
        unwatch = this.deps.authority.watch({
          actor: admitted.actor,
          changed: (next) => opened.setAuthority(next, !mayEdit(next)),
          refused: (err) => opened.close(lostAuthorityEvent(err)),
        });
        opened.start();
        for (const data of early.splice(0)) opened.receive(toBytes(data));
        void this.stillThere(opened);
      } catch (err) {
        if (!conn) releaseSlot?.();
        const event = closeEventOf(err);
        if (event === CloseEvents.Internal) this.deps.logger.error({ err }, 'collab: opening a connection failed');
        ws.close(event.code, event.reason);
      }
    })();
  }

  /**
   * Follows a workspace's deletions and renames of prompts and branches (from every process, through the feed) while
   * it has drafts open here. Resolves once entries committed from then on are seen.
   */
  private followWorkspace(workspaceId: string): Promise<unknown> {
    let f = this.followers.get(workspaceId);
    if (!f) {
      const following = this.deps.feed.follow(workspaceId, { types: DRAFT_TARGET_ACTIONS }, (entry) => this.onTargetChanged(entry));
      following.catch((err: unknown) => this.deps.logger.warn({ err }, 'collab: following the feed failed'));
      this.followers.set(workspaceId, (f = { documents: 0, following }));
    }
    f.documents++;
    return f.following.catch(() => {});
  }

  private unfollowWorkspace(workspaceId: string): void {
    const f = this.followers.get(workspaceId);
    if (!f || --f.documents > 0) return;
    this.followers.delete(workspaceId);
    void f.following.then((stop) => stop(), () => {});
  }

  /**
   * A deleted prompt closes its drafts' connections (4404; once it is restored they can connect again: the draft is
   * kept); a deleted branch closes its own. A renamed branch keeps its connections: a draft belongs to the branch, not
   * to its name (new connections use the new name).
   */
  private onTargetChanged(entry: FeedEntry): void {
    try {
      this.closeGone(entry);
    } catch (err) {
      this.deps.logger.warn({ err }, 'collab: closing the drafts of a deleted prompt or branch failed');
    }
  }

  private closeGone(entry: FeedEntry): void {
    const promptId = entry.event.subject.promptId;
    if (!promptId) return;
    const docs = this.openDocuments().filter((d) => d.target.promptId === promptId);
    if (docs.length === 0) return;
    if (entry.event.action === 'prompt.delete') {
      for (const d of docs) d.closeAll(CloseEvents.PromptDeleted);
      return;
    }
    void this.refreshBranches(docs).catch((err: unknown) => this.deps.logger.warn({ err }, 'collab: checking branches failed'));
  }

  private openDocuments(): CollabDocument[] {
    return [...this.entries.values()].flatMap((e) => (e.doc ? [e.doc] : []));
  }

  private async refreshBranches(docs: CollabDocument[]): Promise<void> {
    const { rows } = await this.deps.pool.query<{ id: string; name: string }>(
      'SELECT id::text, name FROM branch WHERE id = ANY($1::uuid[])',
      [docs.map((d) => d.target.branchId)],
    );
    const names = new Map(rows.map((r) => [r.id, r.name]));
    for (const d of docs) {
      const name = names.get(d.target.branchId);
      if (name === undefined) d.closeAll(CloseEvents.BranchDeleted);
      else d.target.branchName = name;
    }
  }

  /**
   * Whether the draft a new connection was admitted to still exists now that the workspace's follower is in place:
   * a deletion that committed between its admission and then was seen by no one on its behalf.
   */
  private async stillThere(conn: Connection): Promise<void> {
    const { target } = conn.document;
    try {
      await this.followers.get(target.workspaceId)?.following;
      const { rows } = await this.deps.pool.query<{ deleted: boolean; branch: boolean }>(
        `SELECT p.deleted_at IS NOT NULL AS deleted, EXISTS (SELECT 1 FROM branch b WHERE b.id = $2::uuid) AS branch
           FROM prompt p WHERE p.id = $1::uuid`,
        [target.promptId, target.branchId],
      );
      const row = rows[0];
      if (!row || row.deleted) conn.close(CloseEvents.PromptDeleted);
      else if (!row.branch) conn.close(CloseEvents.BranchDeleted);
    } catch (err) {
      this.deps.logger.warn({ err }, 'collab: checking a new connection\'s draft failed');
    }
  }

  /** Holds a branch's document open, loading it (and catching it up with the branch head) the first time. */
  private async acquire(target: DraftTarget): Promise<CollabDocument> {
    let entry = this.entries.get(target.branchId);
    if (!entry) {
      const created = { holders: 0 } as Entry;
      void this.followWorkspace(target.workspaceId);
      created.ready = this.load(target, created);
      created.ready.catch(() => {
        this.unfollowWorkspace(target.workspaceId);
        if (this.entries.get(target.branchId) === created) this.entries.delete(target.branchId);
      });
      this.entries.set(target.branchId, created);
      entry = created;
    }
    entry.holders++;
    try {
      return await entry.ready;
    } catch (err) {
      entry.holders--;
      throw err;
    }
  }

  private release(branchId: string): void {
    const entry = this.entries.get(branchId);
    if (!entry) return;
    entry.holders--;
    if (entry.holders > 0) return;
    void (async () => {
      const doc = await entry.ready;
      await doc.flush();
      // Someone may have opened it again while it was being stored.
      if (entry.holders > 0 || this.entries.get(branchId) !== entry) return;
      this.entries.delete(branchId);
      this.unfollowWorkspace(doc.target.workspaceId);
      await this.peers.leave(doc);
      await doc.destroy();
    })().catch((err: unknown) => this.deps.logger.error({ err }, 'collab: closing a document failed'));
  }

  private async load(target: DraftTarget, entry: Entry): Promise<CollabDocument> {
    const stored = await loadDraft(this.deps.db, target);
    const hooks: DocumentHooks = {
      save: (t, draft) =>
        inTransaction(this.deps.db, (tx) =>
          saveDraft(tx, draft.editors[0] ?? null, t, { ...draft, editors: draft.editors.map((e) => e.name) }),
        ),
      isPrimary: (doc) => this.peers.isPrimary(doc),
      published: (doc, kind, payload) => this.peers.publish(doc, kind, payload),
      onUpdate: () => this.metrics.update(),
      onError: (err, doing) => this.deps.logger.error({ err }, `collab: ${doing} failed`),
    };
    const doc = new CollabDocument(target, stored.state, hooks, this.deps.config);
    await this.peers.join(doc);
    // Visible to commit events from here on: one that lands while it catches up queues another catch-up, not a miss.
    entry.doc = doc;
    await this.catchUp(doc);
    return doc;
  }

  private onBranchMoved(moved: BranchMoved): void {
    this.peers.announceBranchMoved(moved);
    this.catchUpBranch(moved.branchId);
  }

  private catchUpBranch(branchId: string): void {
    const doc = this.entries.get(branchId)?.doc;
    if (doc) void this.catchUp(doc);
  }

  /**
   * Brings a draft onto its branch's current head, if it is behind and this process is the one that edits it for the
   * server (exactly one process merges a commit into a draft). Runs one at a time per document; the merge itself is
   * synchronous, so no client edit slips between reading the draft and applying the merged text.
   */
  catchUp(doc: CollabDocument): Promise<unknown> {
    doc.serverEdits = doc.serverEdits
      .then(async () => {
        for (;;) {
          if (!this.peers.isPrimary(doc)) return;
          const branch = await this.deps.db.branch.findUnique({ where: { id: doc.target.branchId } });
          if (!branch) return doc.closeAll(CloseEvents.BranchNotFound);
          const base = doc.base;
          if (!base || base === branch.headId) return;
          const [old, head] = await Promise.all([readText(this.deps.db, base), readText(this.deps.db, branch.headId)]);
          if (doc.base !== base) continue;
          rebaseDraft(doc.doc, { text: old }, { id: branch.headId, text: head }, SERVER);
          return;
        }
      })
      .catch((err: unknown) => this.deps.logger.error({ err }, 'collab: merging a commit into a draft failed'));
    return doc.serverEdits;
  }

  /** Runs `fn` on a branch's document, opened for the call if no one has it open. */
  async withDocument<T>(target: DraftTarget, fn: (doc: CollabDocument) => Promise<T> | T): Promise<T> {
    const doc = await this.acquire(target);
    try {
      await this.peers.synced(doc);
      await doc.serverEdits;
      return await fn(doc);
    } finally {
      this.release(target.branchId);
    }
  }

  /**
   * A branch that no one ever opened has no draft yet: it is its head. API calls answer from that without creating
   * one, so a read (or a refused commit) writes nothing.
   */
  private async untouched(target: DraftTarget): Promise<{ text: string; base: string } | undefined> {
    if (this.entries.has(target.branchId)) return undefined;
    if (await this.deps.db.collabDoc.findUnique({ where: { branchId: target.branchId }, select: { branchId: true } })) return undefined;
    const branch = await this.deps.db.branch.findUniqueOrThrow({ where: { id: target.branchId } });
    return { text: await readText(this.deps.db, branch.headId), base: branch.headId };
  }

  /** The draft's text and base as this process holds them, read together, and who is in it. */
  async snapshot(target: DraftTarget) {
    const fresh = await this.untouched(target);
    if (fresh) return { ...fresh, presence: [] };
    return this.withDocument(target, (doc) => ({
      text: draftText(doc.doc).toString(),
      base: doc.base ?? fail('not_found', 'the draft has no base'),
      presence: presenceOf(doc),
    }));
  }

  /**
   * Commits the draft's text on its base (the branch head, unless someone committed meanwhile: then head_moved).
   * The draft then sits on the new commit with its text untouched, edits made during the commit included.
   */
  async commitDraft<C extends { id: string }>(
    target: DraftTarget,
    input: { parent?: string | undefined },
    commit: (draft: { text: string; base: string }) => Promise<C>,
  ): Promise<C> {
    const checked = (base: string) => {
      if (input.parent && input.parent !== base) {
        fail('head_moved', `the draft is based on ${base}, not on the parent given`, { draftBase: base, parent: input.parent });
      }
      return base;
    };
    const fresh = await this.untouched(target);
    if (fresh) return commit({ text: fresh.text, base: checked(fresh.base) });
    return this.withDocument(target, async (doc) => {
      const base = checked(doc.base ?? fail('not_found', 'the draft has no base'));
      const made = await commit({ text: draftText(doc.doc).toString(), base });
      if (doc.base === base) setDraftBase(doc.doc, made.id, SERVER);
      await doc.flush();
      return made;
    });
  }

  private closeIdle(): void {
    const cutoff = Date.now() - this.deps.config.idleMs;
    for (const entry of this.entries.values()) {
      for (const conn of entry.doc?.connections ?? []) if (conn.lastSeen < cutoff) conn.close(CloseEvents.Idle);
    }
  }

  /** Stops taking connections, closes the open ones (1001: clients reconnect elsewhere) and stores every draft. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.idleSweep);
    this.stopFollowing();
    for (const f of this.followers.values()) void f.following.then((stop) => stop(), () => {});
    this.followers.clear();
    for (const entry of this.entries.values()) entry.doc?.closeAll(CloseEvents.ShuttingDown);
    for (const ws of this.sockets) ws.close(CloseEvents.ShuttingDown.code, CloseEvents.ShuttingDown.reason);
    const docs = await Promise.allSettled([...this.entries.values()].map((e) => e.ready));
    await Promise.all(
      docs.map(async (d) => {
        if (d.status !== 'fulfilled') return;
        await d.value.serverEdits;
        await d.value.flush();
      }),
    );
    await this.peers.close();
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Who is in a draft, by member: from awareness, which spans processes (the server stamped each state's user), and
 * this process's connections that have set no awareness state yet (a provider's first, empty state has clock 0,
 * which y-protocols never applies remotely).
 */
export function presenceOf(doc: CollabDocument) {
  const byUser = new Map<string, { userId: string; name: string; color: string; role: string; connections: number }>();
  const count = (user: Partial<CollabUser> | undefined) => {
    if (!user?.id || typeof user.name !== 'string') return;
    const seen = byUser.get(user.id);
    if (seen) seen.connections++;
    else byUser.set(user.id, { userId: user.id, name: user.name, color: user.color ?? colorOf(user.id), role: user.role ?? 'viewer', connections: 1 });
  };
  for (const state of doc.awareness.getStates().values()) count((state as { user?: Partial<CollabUser> }).user);
  for (const conn of doc.connections) if (conn.controlled.size === 0) count(conn.user);
  return [...byUser.values()];
}

