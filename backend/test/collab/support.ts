// Helpers for the collab tests: stock y-websocket providers and raw websockets against a real backend.
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createClient, DRAFT_TEXT, type Client } from '@rocqet/sdk';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { bootstrapWorkspace } from '../../src/domain/workspaces/workspaces.js';
import { startBackend, type Backend } from '../../src/server.js';
import { freshDatabase } from '../support/db.js';

/** A `ws` WebSocket that sends an Authorization header: how a Node client authenticates a stock provider. */
export function wsWithToken(token: string): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
    }
  } as unknown as typeof WebSocket;
}

export interface Editor {
  doc: Y.Doc;
  text: Y.Text;
  provider: WebsocketProvider;
  destroy(): void;
}

/** A stock y-websocket provider on a draft, connected and synced. */
export async function joinDraft(
  serverUrl: string,
  room: string,
  auth: { token: string } | { ticket: string },
  opts: { connect?: boolean } = {},
): Promise<Editor> {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(serverUrl, room, doc, {
    WebSocketPolyfill: ('token' in auth ? wsWithToken(auth.token) : WebSocket) as never,
    params: 'ticket' in auth ? { ticket: auth.ticket } : {},
    disableBc: true,
    connect: opts.connect ?? true,
  });
  const editor = { doc, text: doc.getText(DRAFT_TEXT), provider, destroy: () => (provider.destroy(), doc.destroy()) };
  if (opts.connect ?? true) await synced(editor);
  return editor;
}

export function synced(e: Editor, timeoutMs = 10_000): Promise<void> {
  if (e.provider.synced) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('provider did not sync')), timeoutMs);
    e.provider.once('sync', () => (clearTimeout(timer), resolve()));
  });
}

/** Polls until `check` holds (the thing being waited for arrives over the network). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens a raw websocket and answers how the server closed it. */
export function closeOf(url: string, headers: Record<string, string> = {}): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const timer = setTimeout(() => (ws.terminate(), reject(new Error(`no close from ${url}`))), 10_000);
    ws.on('close', (code, reason) => (clearTimeout(timer), resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
  });
}

/** A prompt with a known text, and the y-websocket room of its main branch. */
export async function draftPrompt(client: Client, content: string, slug?: string) {
  const p = await client.createPrompt({ body: { title: slug ?? `Draft ${Math.random().toString(36).slice(2, 8)}`, ...(slug ? { slug } : {}), content } });
  return { prompt: p, room: `${p.id}/main`, head: p.commit.id };
}

export interface Child {
  url: string;
  collabUrl: string;
  proc: import('node:child_process').ChildProcess;
  /** SIGTERM: the graceful stop (drafts stored). */
  stop(): Promise<void>;
  /** SIGKILL: nothing runs after it. */
  kill(): Promise<void>;
}

/** A backend in a child process on `databaseUrl` (with Redis when given). */
export async function startChild(env: Record<string, string>): Promise<Child> {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const script = fileURLToPath(new URL('./child.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    env: { ...process.env, ROCQET_EMBEDDER: 'off', RATE_LIMIT: '100000', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    proc.once('exit', (code) => reject(new Error(`child exited with ${code} before listening`)));
  });
  const { url, collabUrl } = JSON.parse(first) as { url: string; collabUrl: string };
  return {
    url,
    collabUrl,
    proc,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Backends in this process on one fresh database (with Redis when given), and a workspace owner's token. */
export async function backendsOnOneDatabase(count: number, env: Record<string, string> = {}) {
  const database = await freshDatabase();
  const config = { ...loadConfig({ ...process.env, RATE_LIMIT: '100000', ROCQET_VALIDATE_RESPONSES: '1', ...env }), port: 0, databaseUrl: database.url };
  const backends: Backend[] = [];
  for (let i = 0; i < count; i++) backends.push(await startBackend(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })));
  const created = await bootstrapWorkspace(backends[0]!.db, {
    slug: `collab-${Math.random().toString(36).slice(2, 8)}`,
    name: 'Collab',
    type: 'team',
    plan: 'pro',
    owner: { email: 'owner@example.com', name: 'Owner' },
  });
  return {
    backends,
    token: created.secret,
    client: (i = 0) => createClient({ baseUrl: backends[i]!.url, token: created.secret }),
    async close() {
      await Promise.all(backends.map((b) => b.close()));
      await database.drop();
    },
  };
}

/** A small seeded PRNG (mulberry32), so a failing random run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RawClient {
  doc: Y.Doc;
  text: Y.Text;
  /** The reasons of the server's y-protocols auth messages (permission-denied). */
  denied: string[];
  /** How the server closed the socket. */
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/**
 * A y-websocket client written out by hand (sync + updates, no awareness), to read what a stock provider only logs:
 * the server's auth messages and its close frame. Resolves once it has synced.
 */
export async function rawClient(url: string, token: string): Promise<RawClient> {
  const sock = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const doc = new Y.Doc();
  const denied: string[] = [];
  let synced = false;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    sock.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  sock.on('error', () => {});
  sock.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    const type = decoding.readVarUint(d);
    if (type === 0) {
      const step = decoding.readVarUint(d);
      if (step !== 0) Y.applyUpdate(doc, decoding.readVarUint8Array(d), 'server');
      if (step === 1) synced = true;
    } else if (type === 2) {
      decoding.readVarUint(d);
      denied.push(decoding.readVarString(d));
    }
  });
  doc.on('update', (u: Uint8Array, origin: unknown) => {
    if (origin === 'server' || sock.readyState !== WebSocket.OPEN) return;
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint8Array(e, u);
    sock.send(encoding.toUint8Array(e));
  });
  await new Promise((resolve, reject) => {
    sock.once('open', resolve);
    sock.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
  });
  const hello = encoding.createEncoder();
  encoding.writeVarUint(hello, 0);
  syncProtocol.writeSyncStep1(hello, doc);
  sock.send(encoding.toUint8Array(hello));
  await until(() => synced, 'the raw client to sync');
  return { doc, text: doc.getText(DRAFT_TEXT), denied, closed, close: () => sock.close() };
}
