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
import { admit, closeEventOf, COLLAB_PATH } from './authenticate.js';
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
  private readonly perToken = new Map<string, number>();
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
      let tokenKey: string | undefined;
      try {
        const admitted = await admit(req, this.deps);
        tokenKey = admitted.actor.tokenId ?? admitted.actor.membershipId;
        const count = (this.perToken.get(tokenKey) ?? 0) + 1;
        this.perToken.set(tokenKey, count);
        if (count > this.deps.config.maxConnectionsPerToken) throw new CollabRefusal(CloseEvents.TooManyForToken);
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
        const key = tokenKey;
        conn = new Connection(ws, doc, admitted.actor, user, this.deps.config, (c) => {
          doc.connections.delete(c);
          this.perToken.set(key, (this.perToken.get(key) ?? 1) - 1);
          if (this.perToken.get(key)! <= 0) this.perToken.delete(key);
          this.release(admitted.target.branchId);
        });
        doc.connections.add(conn);
        conn.start();
        for (const data of early.splice(0)) conn.receive(toBytes(data));
      } catch (err) {
        if (tokenKey && !conn) {
          this.perToken.set(tokenKey, (this.perToken.get(tokenKey) ?? 1) - 1);
          if (this.perToken.get(tokenKey)! <= 0) this.perToken.delete(tokenKey);
        }
        const event = closeEventOf(err);
        if (event === CloseEvents.Internal) this.deps.logger.error({ err }, 'collab: opening a connection failed');
        ws.close(event.code, event.reason);
      }
    })();
  }

  /** Holds a branch's document open, loading it (and catching it up with the branch head) the first time. */
  private async acquire(target: DraftTarget): Promise<CollabDocument> {
    let entry = this.entries.get(target.branchId);
    if (!entry) {
      const created = { holders: 0 } as Entry;
      created.ready = this.load(target, created);
      created.ready.catch(() => this.entries.get(target.branchId) === created && this.entries.delete(target.branchId));
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

