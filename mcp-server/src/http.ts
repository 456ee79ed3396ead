import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  legacyStatelessFallback,
  WebStandardStreamableHTTPServerTransport,
  type McpHttpHandler,
  type McpRequestContext,
} from '@modelcontextprotocol/server';
import { createClient, RocqetError, type Client, type Me } from '@rocqet/sdk';
import { LibraryChanges, type LibraryChange } from './changes.js';
import { checkHostAndOrigin, type OriginPolicy } from './guards.js';
import { PromptCaches } from './caches.js';
import { followFeeds } from './live.js';
import { promptUri } from './names.js';
import { readBody, sendJsonRpcError, sendWebResponse, toWebRequest } from './nodeHttp.js';
import { RecentValues } from './recent.js';
import { buildServer, type ServerOptions, type Session } from './server.js';

export interface McpHttpOptions extends ServerOptions, OriginPolicy {
  /** Where the backend's API is; a function when it depends on the request (mounted in the backend itself). */
  backendUrl: string | ((req: IncomingMessage) => string);
  /** How long a backend call may take before the tool says the backend is slow; default 10 s. */
  backendTimeoutMs?: number;
  /** Open 2025-era sessions at most, in all (default 1000) and per token (default 20). */
  maxSessions?: number;
  maxSessionsPerToken?: number;
  /** A session nobody used for this long is closed (default 30 min). */
  sessionIdleMs?: number;
  /** The largest request body (default 1 MiB). */
  maxBodyBytes?: number;
  /** How often renders done from the cache are reported to the backend's counters, per token (default 1 s). */
  reportRendersEveryMs?: number;
  /** How long a token's identity is trusted before it is asked again (default 30 s). */
  authCacheMs?: number;
  changes?: LibraryChanges;
  log?: (message: string, extra?: Record<string, unknown>) => void;
}

export interface McpHttpEndpoint {
  /** Answers one HTTP request to the MCP endpoint (POST, GET, DELETE). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  readonly changes: LibraryChanges;
  sessionCount(): number;
  close(): Promise<void>;
}

interface Caller {
  token: string;
  tokenKey: string;
  me: Me;
  client: Client;
}

interface LegacySession {
  transport: WebStandardStreamableHTTPServerTransport;
  tokenKey: string;
  idle: NodeJS.Timeout;
  /** Requests (and the GET notification stream) being answered: a session in use never expires. */
  inflight: number;
  stop: () => void;
}

/** A challenge that names our realm only: no resource_metadata, so clients do not start an OAuth flow we lack. */
const CHALLENGE = 'Bearer realm="rocqet"';

/**
 * The Streamable HTTP endpoint: 2026-07-28 requests are served per request (createMcpHandler, one handler per
 * workspace so change notifications never cross tenants); 2025-era clients get sessions (Mcp-Session-Id), which is
 * what lets list_changed reach them. Every request is authenticated with the caller's Rocqet token.
 */
export function createMcpHttpEndpoint(options: McpHttpOptions): McpHttpEndpoint {
  const changes = options.changes ?? new LibraryChanges();
  const shared = { memo: new Map<string, unknown>(), recent: new RecentValues() };
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const maxSessions = options.maxSessions ?? 1000;
  const maxPerToken = options.maxSessionsPerToken ?? 20;
  const authCacheMs = options.authCacheMs ?? 30_000;
  const log = options.log ?? (() => {});
  const sessions = new Map<string, LegacySession>();
  const modern = new Map<string, McpHttpHandler>();
  const identities = new Map<string, { me: Me; at: number }>();
  let closed = false;
  const feeds = followFeeds(changes, (m) => log(m));
  const caches = new PromptCaches(200, options.reportRendersEveryMs ?? 1_000, (m) => log(m));

  // One sdk client per token and backend address, not one per request: a request's own work is then only its call.
  const clients = new Map<string, Client>();
  const clientFor = (req: IncomingMessage, token: string, tokenKey: string) => {
    const baseUrl = typeof options.backendUrl === 'function' ? options.backendUrl(req) : options.backendUrl;
    const key = `${tokenKey}\0${baseUrl}`;
    let client = clients.get(key);
    if (!client) {
      client = createClient({ baseUrl, token, timeoutMs: options.backendTimeoutMs ?? 10_000, userAgent: 'rocqet-mcp' });
      clients.set(key, client);
      if (clients.size > 10_000) clients.delete(clients.keys().next().value!);
    }
    return client;
  };

  const sessionFor = (caller: Caller, era: 'legacy' | 'modern'): Session => {
    const reads = options.cache === false ? undefined : caches.forToken(caller.tokenKey, caller.client);
    return {
    client: caller.client,
    me: caller.me,
    era,
    shared,
    cache: reads?.cache,
    renders: reads?.renders,
    options,
    // With the feed followed, the write comes back through it; reporting it here as well would notify twice.
    changed: (change) => {
      if (!feeds.following(caller.me.workspaceId)) changes.report({ ...change, workspaceId: caller.me.workspaceId });
    },
    };
  };

  async function authenticate(req: IncomingMessage, res: ServerResponse): Promise<Caller | undefined> {
    const header = req.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      sendJsonRpcError(res, 401, -32001, 'send a Rocqet API token: Authorization: Bearer rq_…', { 'www-authenticate': CHALLENGE });
      return undefined;
    }
    const token = match[1];
    const tokenKey = createHash('sha256').update(token).digest('hex');
    const client = clientFor(req, token, tokenKey);
    const known = identities.get(tokenKey);
    if (known && Date.now() - known.at < authCacheMs) return { token, tokenKey, me: known.me, client };
    try {
      const me = await client.me();
      identities.set(tokenKey, { me, at: Date.now() });
      feeds.follow(client, me);
      if (identities.size > 10_000) identities.delete(identities.keys().next().value!);
      return { token, tokenKey, me, client };
    } catch (err) {
      identities.delete(tokenKey);
      if (err instanceof RocqetError && err.status === 401) {
        caches.drop(tokenKey);
        for (const key of clients.keys()) if (key.startsWith(`${tokenKey}\0`)) clients.delete(key);
      }
      if (err instanceof RocqetError && err.status === 401) {
        const description = err.message.replaceAll('"', "'");
        sendJsonRpcError(res, 401, -32001, `${err.code}: ${err.message}`, {
          'www-authenticate': `${CHALLENGE}, error="invalid_token", error_description="${description}"`,
        });
      } else if (err instanceof RocqetError && err.code === 'rate_limited') {
        sendJsonRpcError(res, 429, -32000, err.message);
      } else {
        log('mcp: cannot check the token with the backend', { err: (err as Error).message });
        sendJsonRpcError(res, 503, -32000, `the Rocqet backend cannot be reached to check the token: ${(err as Error).message}`, {
          'retry-after': '5',
        });
      }
      return undefined;
    }
  }

  function modernHandler(caller: Caller): McpHttpHandler {
    let handler = modern.get(caller.me.workspaceId);
    if (!handler) {
      const workspaceId = caller.me.workspaceId;
      handler = createMcpHandler((ctx: McpRequestContext) => buildServer(sessionFor(callerOf(ctx), 'modern')), {
        legacy: 'reject',
        maxRequestBodySize: maxBody,
        onerror: (err) => log('mcp: modern request failed', { err: err.message }),
      });
      modern.set(workspaceId, handler);
    }
    return handler;
  }

  const callers = new WeakMap<object, Caller>();
  const callerOf = (ctx: McpRequestContext): Caller => {
    const caller = ctx.authInfo ? callers.get(ctx.authInfo) : undefined;
    if (!caller) throw new Error('unauthenticated request reached the MCP factory');
    return caller;
  };
  const authInfoOf = (caller: Caller) => {
    const info = { token: caller.token, clientId: caller.me.userId, scopes: [...caller.me.scopes] };
    callers.set(info, caller);
    return info;
  };

  const legacyStateless = legacyStatelessFallback((ctx) => buildServer(sessionFor(callerOf(ctx), 'legacy')), undefined, {
    maxRequestBodySize: maxBody,
  });

  function touch(id: string, s: LegacySession): void {
    clearTimeout(s.idle);
    s.idle = setTimeout(() => {
      if (s.inflight > 0) return touch(id, s);
      log('mcp: session expired', { session: id });
      void s.transport.close();
    }, idleMs);
    s.idle.unref();
  }

  async function openSession(caller: Caller, request: Request, parsed: unknown, res: ServerResponse): Promise<void> {
    const mine = [...sessions.values()].filter((s) => s.tokenKey === caller.tokenKey).length;
    if (sessions.size >= maxSessions || mine >= maxPerToken) {
      sendJsonRpcError(res, 503, -32000, `too many open MCP sessions${mine >= maxPerToken ? ' for this token' : ''}; close one (DELETE) or retry later`, {
        'retry-after': '30',
      });
      return;
    }
    const session = sessionFor(caller, 'legacy');
    const server = buildServer(session);
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: maxBody,
      onsessioninitialized: (id) => {
        const stop = changes.onLibraryChanged((change) => notifyLegacy(change, caller.me.workspaceId, server, session.subscriptions));
        const s: LegacySession = { transport, tokenKey: caller.tokenKey, idle: setTimeout(() => {}, 0), inflight: 0, stop };
        sessions.set(id, s);
        touch(id, s);
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      const s = id ? sessions.get(id) : undefined;
      if (id && s) {
        clearTimeout(s.idle);
        s.stop();
        sessions.delete(id);
      }
    };
    await server.connect(transport);
    await sendWebResponse(res, await transport.handleRequest(request, { parsedBody: parsed, authInfo: authInfoOf(caller) }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (closed) return sendJsonRpcError(res, 503, -32000, 'the MCP endpoint is shutting down');
    const refused = checkHostAndOrigin(req, options);
    if (refused) return sendJsonRpcError(res, 403, -32000, `Forbidden: ${refused}`);
    const method = req.method ?? 'GET';
    if (!['POST', 'GET', 'DELETE'].includes(method)) {
      return sendJsonRpcError(res, 405, -32000, 'Method not allowed: use POST, GET or DELETE', { allow: 'POST, GET, DELETE' });
    }
    const caller = await authenticate(req, res);
    if (!caller) return;
    let body: Buffer | undefined;
    if (method === 'POST') {
      body = await readBody(req, maxBody);
      if (!body) return sendJsonRpcError(res, 413, -32600, `the request body is larger than ${maxBody} bytes`, { connection: 'close' });
    }
    let parsed: unknown;
    if (body) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return sendJsonRpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
      }
    }
    const aborter = new AbortController();
    res.on('close', () => aborter.abort());
    const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/mcp'}`;
    const request = toWebRequest(req, url, body, aborter.signal);
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const s = sessions.get(sessionId);
      if (!s) return sendJsonRpcError(res, 404, -32001, 'Session not found: start a new one with initialize');
      // A session belongs to the token that opened it: another token cannot ride on it.
      if (s.tokenKey !== caller.tokenKey) return sendJsonRpcError(res, 404, -32001, 'Session not found: start a new one with initialize');
      s.inflight++;
      try {
        return await sendWebResponse(res, await s.transport.handleRequest(request, { parsedBody: parsed, authInfo: authInfoOf(caller) }));
      } finally {
        s.inflight--;
        touch(sessionId, s);
      }
    }
    if (method !== 'POST') return sendJsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    // With the body already parsed the SDK classifies from it, so the request needs no copy of its body stream.
    if (await isLegacyRequest(request, parsed, { maxRequestBodySize: maxBody })) {
      if (isInitializeRequest(parsed)) return openSession(caller, request, parsed, res);
      return sendWebResponse(res, await legacyStateless(request, { parsedBody: parsed, authInfo: authInfoOf(caller) }));
    }
    return sendWebResponse(res, await modernHandler(caller).fetch(request, { parsedBody: parsed, authInfo: authInfoOf(caller) }));
  }

  const stopModern = changes.onLibraryChanged((change) => {
    const handler = modern.get(change.workspaceId);
    if (!handler) return;
    if (change.listChanged) {
      handler.notify.promptsChanged();
      handler.notify.resourcesChanged();
    }
    for (const path of change.paths) handler.notify.resourceUpdated(promptUri(path));
  });

  return {
    changes,
    async handle(req, res) {
      try {
        await handle(req, res);
      } catch (err) {
        log('mcp: request failed', { err: (err as Error).message });
        if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal error');
        else res.end();
      }
    },
    sessionCount: () => sessions.size,
    async close() {
      closed = true;
      stopModern();
      feeds.close();
      await caches.close();
      await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => {})));
      await Promise.all([...modern.values()].map((h) => h.close().catch(() => {})));
      modern.clear();
    },
  };
}

/** 2025-era delivery: unsolicited list_changed, and resources/updated only for URIs this session subscribed to. */
export function notifyLegacy(
  change: LibraryChange,
  workspaceId: string,
  server: ReturnType<typeof buildServer>,
  subscriptions: Set<string> | undefined,
): void {
  if (change.workspaceId !== workspaceId || !server.isConnected()) return;
  if (change.listChanged) {
    void server.sendPromptListChanged();
    void server.sendResourceListChanged();
  }
  for (const uri of subscriptions ?? []) {
    const hit = change.paths.some((p) => uri === promptUri(p)) || (change.folders ?? []).some((f) => uri.startsWith(promptUri(f) + '/'));
    if (hit) void server.server.sendResourceUpdated({ uri }).catch(() => {});
  }
}
