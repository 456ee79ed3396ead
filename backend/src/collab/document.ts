import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Actor } from '../domain/actor.js';
import type { DraftTarget } from '../domain/collab/drafts.js';
import { draftBase } from '../domain/collab/yjs.js';
import { CloseEvents, type CloseEvent } from './closeCodes.js';
import type { Connection } from './connection.js';
import { awarenessMessage, updateMessage } from './protocol.js';

/** Transaction origins that are not a local client: the stored state, the server's own edits, another process. */
export const LOADED = Symbol('loaded');
export const SERVER = Symbol('server');
export const REMOTE = Symbol('remote');

/** What a document needs from the process around it (persistence, other processes, metrics). */
export interface DocumentHooks {
  /** Stores the state; false when the branch is gone. */
  save(target: DraftTarget, draft: { state: Uint8Array; base: string; editors: Actor[] }): Promise<boolean>;
  /** Whether this process is the one that stores (and rebases) this document now. */
  isPrimary(doc: CollabDocument): boolean;
  /** An update or awareness change made here, for the other processes. */
  published?(doc: CollabDocument, kind: 'update' | 'awareness', payload: Uint8Array): void;
  onUpdate?(): void;
  onError(err: unknown, doing: string): void;
}

/**
 * One branch draft held in memory: the Yjs document, its awareness, the connections editing it, and debounced
 * persistence. Every change, whoever made it, passes through the document's update event, which relays it to the
 * other connections and to other processes and schedules the save.
 */
export class CollabDocument {
  readonly doc = new Y.Doc();
  readonly awareness = new awarenessProtocol.Awareness(this.doc);
  readonly connections = new Set<Connection>();
  /** Connections, API calls and loads holding the document open; at zero it is stored and dropped. */
  holders = 0;
  /** Upper bound of the encoded state's size: grows by each update, recomputed when it crosses the limit. */
  private size = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private editors = new Map<string, Actor>();
  private closed = false;
  /** The update being applied while something waits in the store (see apply). */
  private completing: Uint8Array | undefined;
  /** Serialises the server's own edits (rebases onto new heads) of this document. */
  serverEdits: Promise<unknown> = Promise.resolve();

  constructor(
    readonly target: DraftTarget,
    state: Uint8Array,
    private readonly hooks: DocumentHooks,
    private readonly limits: { persistMs: number; maxDocumentBytes: number },
  ) {
    this.awareness.setLocalState(null);
    Y.applyUpdate(this.doc, state, LOADED);
    this.size = state.byteLength;
    this.doc.on('update', (update: Uint8Array, origin: unknown) => this.onUpdate(update, origin));
    this.awareness.on('update', (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) =>
      this.onAwareness(changes, origin),
    );
  }

  get base(): string | undefined {
    return draftBase(this.doc);
  }

  private onUpdate(update: Uint8Array, origin: unknown): void {
    if (origin === LOADED) return;
    const message = updateMessage(update);
    // An update that completed waiting edits holds more than its sender sent: the sender gets it too.
    const completing = this.completing;
    for (const c of this.connections) if (c !== origin || completing) c.send(message);
    if (origin !== REMOTE) this.hooks.published?.(this, 'update', update);
    else if (completing) {
      // What this update holds beyond the other process's own payload was made here, and it has never seen it.
      this.hooks.published?.(this, 'update', Y.diffUpdate(update, Y.encodeStateVectorFromUpdate(completing)));
    }
    this.hooks.onUpdate?.();
    this.markDirty();
  }

  private onAwareness(changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown): void {
    const changed = [...changes.added, ...changes.updated, ...changes.removed];
    const conn = [...this.connections].find((c) => c === origin);
    for (const id of [...changes.added, ...changes.updated]) {
      // A member's reconnect takes its client id over from the socket the server has not seen drop yet.
      for (const c of this.connections) if (c !== conn) c.controlled.delete(id);
      conn?.controlled.add(id);
    }
    for (const id of changes.removed) for (const c of this.connections) c.controlled.delete(id);
    const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed);
    const message = awarenessMessage(update);
    for (const c of this.connections) if (c !== origin) c.send(message);
    if (origin !== REMOTE) this.hooks.published?.(this, 'awareness', update);
  }

  /**
   * Whether a connection may set this awareness client id: one no one holds, or one its own member holds (the same
   * client reconnecting). States are stamped with their member by whichever process received them, so this holds for
   * ids set through other processes too. Another member's cursor, or the server's own id, is never taken over.
   */
  mayControl(conn: Connection, clientID: number): boolean {
    if (clientID === this.doc.clientID) return false;
    const current = this.awareness.getStates().get(clientID) as { user?: { id?: unknown } } | undefined;
    return current === undefined || current.user?.id === conn.user.id;
  }

  /** A client's update, within the document size limit; refused updates change nothing and close the sender. */
  applyClientUpdate(conn: Connection, update: Uint8Array): void {
    if (this.size + update.byteLength > this.limits.maxDocumentBytes) {
      this.size = Y.encodeStateAsUpdate(this.doc).byteLength;
      if (this.size + update.byteLength > this.limits.maxDocumentBytes) {
        conn.close(CloseEvents.DocumentTooLarge);
        return;
      }
    }
    this.editors.set(conn.actor.userId, conn.actor);
    this.apply(update, conn);
  }

  /**
   * Applies an update. Structs and deletions that build on what this document does not have yet wait in its store
   * (pending) until an update brings it; they are then integrated in that update's transaction, under its origin,
   * and the update event holds them too. So while something waits, an update is relayed to its own sender as well,
   * and another process's update is published back with what it completed (onUpdate). `size` grows by the update (an
   * upper bound of what it adds; the limit check re-encodes before refusing).
   */
  private apply(update: Uint8Array, origin: unknown): void {
    const waiting = this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null;
    this.completing = waiting ? update : undefined;
    try {
      Y.applyUpdate(this.doc, update, origin);
    } finally {
      this.completing = undefined;
    }
    this.size += update.byteLength;
  }

  /** Another process's update or awareness change (already checked there). */
  applyRemote(kind: 'update' | 'awareness', payload: Uint8Array): void {
    if (kind === 'update') {
      this.apply(payload, REMOTE);
    } else awarenessProtocol.applyAwarenessUpdate(this.awareness, payload, REMOTE);
  }

  markDirty(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => void this.flush(), this.limits.persistMs);
  }

  /**
   * Stores the state now if it changed since the last save and this process is the one that stores it. Saves run
   * one at a time; a failed save leaves the document dirty for the next attempt.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.saving = this.saving.then(async () => {
      if (!this.dirty || !this.hooks.isPrimary(this)) return;
      const base = this.base;
      if (!base) return;
      this.dirty = false;
      const editors = [...this.editors.values()];
      this.editors.clear();
      const state = Y.encodeStateAsUpdate(this.doc);
      this.size = state.byteLength;
      try {
        if (!(await this.hooks.save(this.target, { state, base, editors }))) this.closeAll(CloseEvents.BranchNotFound);
      } catch (err) {
        for (const e of editors) if (!this.editors.has(e.userId)) this.editors.set(e.userId, e);
        this.hooks.onError(err, 'storing a draft');
        if (!this.closed) this.markDirty();
      }
    });
    return this.saving;
  }

  closeAll(event: CloseEvent): void {
    for (const c of [...this.connections]) c.close(event);
  }

  /** Stores what is unsaved and frees the document. */
  async destroy(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    this.awareness.destroy();
    this.doc.destroy();
  }
}
