import { DRAFT_BASE_KEY, DRAFT_META, DRAFT_TEXT } from '@rocqet/sdk';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

export interface DraftAddress {
  /** The backend's base URL (http…); the websocket is at `<ws…>/collab`. */
  baseUrl: string;
  promptId: string;
  branch: string;
  token: string;
}

export interface DraftClose {
  code: number;
  reason: string;
}

export type DraftStatus = 'connecting' | 'connected' | 'disconnected' | 'closed';

/** The user fields the server puts in every client's awareness state (from the member, never from the client). */
export interface AwarenessUser {
  id: string;
  name: string;
  color: string;
  role: string;
  readOnly: boolean;
}

/** A cursor in awareness, as y-codemirror and y-monaco put it: relative positions of anchor and head. */
export interface AwarenessCursor {
  anchor: unknown;
  head: unknown;
}

export function collabServerUrl(baseUrl: string): string {
  const u = new URL(baseUrl.replace(/\/+$/, '') + '/collab');
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/**
 * One branch draft, live: a Y.Doc synced through a stock y-websocket provider. In Node the token travels in the
 * Authorization header (a `ws` subclass as the provider's WebSocketPolyfill), never in the URL.
 */
export class DraftSession {
  readonly doc = new Y.Doc();
  readonly text: Y.Text = this.doc.getText(DRAFT_TEXT);
  readonly provider: WebsocketProvider;
  status: DraftStatus = 'connecting';
  closedWith: DraftClose | undefined;
  private readonly listeners = new Set<(s: DraftStatus) => void>();
  private readonly synced: Promise<void>;

  constructor(readonly address: DraftAddress) {
    const token = address.token;
    class AuthorizedWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
      }
    }
    this.provider = new WebsocketProvider(collabServerUrl(address.baseUrl), `${address.promptId}/${address.branch}`, this.doc, {
      WebSocketPolyfill: AuthorizedWebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      maxBackoffTime: 5_000,
    });
    this.synced = new Promise<void>((resolve, reject) => {
      const onSync = (isSynced: boolean) => {
        if (!isSynced) return;
        this.provider.off('sync', onSync);
        resolve();
      };
      this.provider.on('sync', onSync);
      this.provider.on('closed', (event: DraftClose) => reject(new DraftClosedError(event)));
    });
    this.synced.catch(() => undefined);
    this.provider.on('status', ({ status }: { status: 'connected' | 'disconnected' | 'connecting' }) => {
      if (this.status !== 'closed') this.setStatus(status);
    });
    this.provider.on('closed', (event: DraftClose) => {
      this.closedWith = event;
      this.setStatus('closed');
    });
  }

  /** Resolves once the first sync is done; rejects with DraftClosedError when the server refused the draft. */
  ready(): Promise<void> {
    return this.synced;
  }

  /** The commit the server based this draft on (it moves when the branch moves). */
  get base(): string | undefined {
    const base = this.doc.getMap(DRAFT_META).get(DRAFT_BASE_KEY);
    return typeof base === 'string' ? base : undefined;
  }

  /** Resolves when the draft's base is `commitId` (the server rebased it onto a new head). */
  waitForBase(commitId: string, timeoutMs = 10_000): Promise<boolean> {
    if (this.base === commitId) return Promise.resolve(true);
    const meta = this.doc.getMap(DRAFT_META);
    return new Promise((resolve) => {
      const check = () => {
        if (this.base !== commitId) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (value: boolean) => {
        clearTimeout(timer);
        meta.unobserve(check);
        resolve(value);
      };
      meta.observe(check);
    });
  }

  get awareness() {
    return this.provider.awareness;
  }

  /** Everyone else in the draft, with the server-given user and their cursor. */
  peers(): { clientId: number; user: AwarenessUser; cursor: AwarenessCursor | undefined }[] {
    const out: { clientId: number; user: AwarenessUser; cursor: AwarenessCursor | undefined }[] = [];
    for (const [clientId, state] of this.awareness.getStates()) {
      if (clientId === this.doc.clientID) continue;
      const user = (state as { user?: AwarenessUser }).user;
      if (!user || typeof user.name !== 'string') continue;
      out.push({ clientId, user, cursor: (state as { cursor?: AwarenessCursor }).cursor });
    }
    return out;
  }

  onStatus(listener: (s: DraftStatus) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  close(): void {
    this.provider.destroy();
    this.doc.destroy();
    this.setStatus('closed');
  }

  private setStatus(s: DraftStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const l of this.listeners) l(s);
  }
}

export class DraftClosedError extends Error {
  constructor(readonly close: DraftClose) {
    super(close.reason || `the draft connection closed (${close.code})`);
  }
}
