import * as awarenessProtocol from 'y-protocols/awareness';
import { WebSocket } from 'ws';
import type { Actor } from '../domain/actor.js';
import { CloseEvents, NOW_READ_ONLY_REASON, READ_ONLY_REASON, type CloseEvent } from './closeCodes.js';
import type { CollabDocument } from './document.js';
import {
  allAwarenessMessage,
  decodeMessage,
  encodeAwareness,
  isEmptyUpdate,
  permissionDeniedMessage,
  syncStep1Message,
  syncStep2Message,
} from './protocol.js';

/** What the server says about a connected member in awareness (`state.user`), whatever the client claimed. */
export interface CollabUser {
  id: string;
  name: string;
  color: string;
  role: string;
  readOnly: boolean;
}

/** One client's websocket on one document: its identity, its rights, and the awareness states it controls. */
export class Connection {
  /** The awareness client ids this connection set; removed for everyone when it goes. */
  readonly controlled = new Set<number>();
  lastSeen = Date.now();
  private closed = false;
  private deniedOnce = false;

  constructor(
    readonly ws: WebSocket,
    readonly document: CollabDocument,
    public actor: Actor,
    public user: CollabUser,
    private readonly limits: { maxMessageBytes: number },
    private readonly onClosed: (conn: Connection) => void,
  ) {
    ws.on('close', () => this.closed || this.finish());
    ws.on('error', () => this.close(CloseEvents.Internal));
  }

  get canWrite(): boolean {
    return !this.user.readOnly;
  }

  /**
   * The member's role or token changed while connected. Lowered below editing, the connection stays open read-only and
   * is told at once (the y-protocols auth message a stock provider logs); raised, it may edit again. Awareness states it
   * sets from now on carry the new role.
   */
  setAuthority(actor: Actor, readOnly: boolean): void {
    const was = this.user.readOnly;
    this.actor = actor;
    this.user = { ...this.user, role: actor.role, readOnly };
    if (readOnly && !was) {
      this.deniedOnce = true;
      this.send(permissionDeniedMessage(NOW_READ_ONLY_REASON));
    } else if (!readOnly) this.deniedOnce = false;
  }

  /** The server's half of the sync handshake, then everyone's awareness. */
  start(): void {
    this.send(syncStep1Message(this.document.doc));
    if (this.document.awareness.getStates().size > 0) this.send(allAwarenessMessage(this.document.awareness));
  }

  send(message: Uint8Array): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(message, (err) => err && this.close(CloseEvents.Internal));
  }

  /** One message from the client. A bad one closes this connection only; the document never sees it. */
  receive(data: Uint8Array): void {
    if (this.closed) return;
    this.lastSeen = Date.now();
    if (data.byteLength > this.limits.maxMessageBytes) return this.close(CloseEvents.MessageTooLarge);
    let message;
    try {
      message = decodeMessage(data);
    } catch {
      return this.close(CloseEvents.MalformedMessage);
    }
    const doc = this.document;
    try {
      switch (message.type) {
        case 'syncStep1':
          this.send(syncStep2Message(doc.doc, message.stateVector));
          break;
        case 'update':
          if (this.canWrite) doc.applyClientUpdate(this, message.update);
          else if (!isEmptyUpdate(message.update)) this.denyWrite();
          break;
        case 'awareness': {
          const mine = message.entries
            .filter((e) => doc.mayControl(this, e.clientID))
            .map((e) => ({ ...e, state: this.stamp(e.state) }));
          if (mine.length > 0) awarenessProtocol.applyAwarenessUpdate(doc.awareness, encodeAwareness(mine), this);
          break;
        }
        case 'queryAwareness':
          this.send(allAwarenessMessage(doc.awareness));
          break;
        case 'auth':
          break;
      }
    } catch {
      this.close(CloseEvents.MalformedMessage);
    }
  }

  /** Names, roles and colours come from the member, so no one appears as someone else; a client may pick a colour. */
  private stamp(state: unknown): unknown {
    if (state === null || typeof state !== 'object') return state;
    const claimed = (state as { user?: unknown }).user;
    const color =
      claimed && typeof claimed === 'object' && typeof (claimed as { color?: unknown }).color === 'string'
        ? (claimed as { color: string }).color.slice(0, 32)
        : this.user.color;
    return { ...state, user: { ...this.user, color } };
  }

  /**
   * A read-only member's edit is dropped (applied nowhere, relayed to no one) and the client told once, with the
   * y-protocols auth message (a stock provider logs it); the connection stays open and keeps receiving.
   */
  private denyWrite(): void {
    if (this.deniedOnce) return;
    this.deniedOnce = true;
    this.send(permissionDeniedMessage(READ_ONLY_REASON));
  }

  close(event: CloseEvent): void {
    if (this.closed) return;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(event.code, event.reason);
      // A peer that never answers the close handshake must not hold the slot.
      setTimeout(() => this.ws.terminate(), 2_000).unref();
    }
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.controlled.size > 0) {
      awarenessProtocol.removeAwarenessStates(this.document.awareness, [...this.controlled], this);
    }
    this.onClosed(this);
  }
}
