import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import { createClient, createPromptCache, type Me, type PromptCache } from '@rocqet/sdk';
import { LibraryChanges } from './changes.js';
import { notifyLegacy } from './http.js';
import { followFeeds } from './live.js';
import { promptUri } from './names.js';
import { RecentValues } from './recent.js';
import { RenderReports } from './usage.js';
import { buildServer, type ServerOptions, type Session } from './server.js';

export interface StdioOptions extends ServerOptions {
  url: string;
  token: string;
  backendTimeoutMs?: number;
  /** How often renders done from the cache are reported to the backend's counters (default 1 s). */
  reportRendersEveryMs?: number;
  changes?: LibraryChanges;
  log?: (message: string) => void;
}

/**
 * The stdio server (`npx rocqet-mcp`): one connection, either era (the opening exchange decides). stdout carries
 * protocol messages only; everything said to a person goes to `log` (stderr).
 */
export function serveRocqetStdio(options: StdioOptions): StdioServerHandle {
  const client = createClient({ baseUrl: options.url, token: options.token, timeoutMs: options.backendTimeoutMs ?? 10_000, userAgent: 'rocqet-mcp' });
  const shared = { memo: new Map<string, unknown>(), recent: new RecentValues() };
  const changes = options.changes ?? new LibraryChanges();
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const feeds = followFeeds(changes, log);
  let cache: PromptCache | undefined;
  const renders = new RenderReports(client, options.reportRendersEveryMs ?? 1_000, log);
  let me: Promise<Me> | undefined;
  const identity = (): Promise<Me> => {
    me ??= client.me().catch((err: Error) => {
      me = undefined;
      throw err;
    });
    return me;
  };
  const handle = serveStdio(async ({ era }) => {
    let who: Me;
    try {
      who = await identity();
      feeds.follow(client, who);
    } catch (err) {
      // Keep serving: every call will say what is wrong (unreachable backend, bad token) as a tool error.
      log(`rocqet-mcp: cannot identify the token at ${options.url}: ${(err as Error).message}`);
      who = { userId: '', email: '', name: '', workspaceId: '', role: 'viewer', tokenId: null, scopes: ['read'] };
    }
    const session: Session = {
      client,
      me: who,
      era,
      shared,
      cache: options.cache === false ? undefined : (cache ??= createPromptCache(client)),
      renders,
      options,
      // With the feed followed, the write comes back through it; reporting it here as well would notify twice.
      changed: (change) => {
        if (!feeds.following(who.workspaceId)) changes.report({ ...change, workspaceId: who.workspaceId });
      },
    };
    const server = buildServer(session);
    // serveStdio routes the instance's own notifications onto a 2026-era subscriptions/listen stream.
    changes.onLibraryChanged((change) => {
      if (era === 'legacy') return notifyLegacy(change, who.workspaceId, server, session.subscriptions);
      if (change.workspaceId !== who.workspaceId || !server.isConnected()) return;
      if (change.listChanged) {
        void server.sendPromptListChanged();
        void server.sendResourceListChanged();
      }
      for (const path of change.paths) void server.server.sendResourceUpdated({ uri: promptUri(path) }).catch(() => {});
    });
    return server;
  });
  // Counts not yet reported go out before the process ends.
  return {
    ...handle,
    close: async () => {
      await renders.close();
      cache?.close();
      feeds.close();
      await handle.close();
    },
  };
}
