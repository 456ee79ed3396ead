import {
  CLIENT_CAPABILITIES_META_KEY,
  McpServer,
  type CacheHint,
  type ClientCapabilities,
  type ReadResourceResult,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Client, Me, PromptCache } from '@rocqet/sdk';
import type { RenderReports } from './usage.js';
import type { LibraryChange } from './changes.js';
import { completeRequest } from './completions.js';
import { ICONS } from './icons.js';
import { Library } from './library.js';
import { parseResourceUri } from './names.js';
import { META, getPrompt, listPrompts } from './prompts.js';
import type { RecentValues } from './recent.js';
import { listResources, readResource, resourceTemplates } from './resources.js';
import { registerReadTools, registerWriteTools } from './tools.js';

export const SERVER_INFO = { name: 'rocqet', title: 'Rocqet prompt library', version: '0.1.0', icons: ICONS };

const HOUR = 3_600_000;
/** How long a listing of the library may be reused: changes reach listeners within a second and evict it sooner. */
export const LIBRARY_TTL_MS = 5_000;
/** How long the tool list may be: it follows the token's scopes, whose identity this server trusts for 30 s. */
export const TOOLS_TTL_MS = 30_000;

/**
 * 2026-07-28 cache hints (ttlMs / cacheScope; 2025-era answers carry none). The library is per token (what a token
 * may read, and the write tools only for the write scope), so everything about it is private: a shared cache must
 * not hand one token's list to another. Only what is the same for every caller is public: the server's identity and
 * capabilities, and the URI templates. The library changes whenever anyone commits, and the server pushes that
 * (list_changed, resources/updated on subscriptions/listen) rather than expiring anything; a short TTL bounds what a
 * client that does not listen keeps. A text at a commit id never changes (see `pinned`).
 */
export const CACHE_HINTS: Partial<Record<'server/discover' | 'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list' | 'resources/read', CacheHint>> = {
  'server/discover': { ttlMs: HOUR, cacheScope: 'public' },
  'resources/templates/list': { ttlMs: HOUR, cacheScope: 'public' },
  'tools/list': { ttlMs: TOOLS_TTL_MS, cacheScope: 'private' },
  'prompts/list': { ttlMs: LIBRARY_TTL_MS, cacheScope: 'private' },
  'resources/list': { ttlMs: LIBRARY_TTL_MS, cacheScope: 'private' },
  'resources/read': { ttlMs: LIBRARY_TTL_MS, cacheScope: 'private' },
};

/** A read that names commits, not refs that move: a prompt at a commit id or #seq, a diff between two commit ids. */
export function pinned(uri: string, result: ReadResourceResult): boolean {
  const address = parseResourceUri(uri);
  const meta = result.contents[0]?._meta ?? {};
  if (address?.kind === 'prompt') return address.ref !== undefined && (address.ref === meta[META.commit] || /^#\d+$/.test(address.ref));
  if (address?.kind === 'diff') return address.from === meta.from && address.to === meta.to;
  return false;
}

export interface ServerOptions {
  /** The ref prompts are served at unless a name pins one (`path@ref`): a branch or tag such as `production`. */
  defaultRef?: string | undefined;
  pageSize?: number;
  /** Serve reads from the sdk's feed-invalidated prompt cache (default on); off, every read is a conditional GET. */
  cache?: boolean;
}


export interface Session {
  client: Client;
  me: Me;
  era: 'legacy' | 'modern';
  shared: { memo: Map<string, unknown>; recent: RecentValues };
  /** The feed-invalidated cache of this caller's token (absent with the cache off). */
  cache?: PromptCache | undefined;
  /** Where renders done from that cache are counted, to be reported to the backend in batches. */
  renders?: Pick<RenderReports, 'count'> | undefined;
  options: ServerOptions;
  /** 2025-era resource subscriptions of this session (URIs); 2026-era ones live on subscriptions/listen streams. */
  subscriptions?: Set<string>;
  /** Called after this session changed the library, so every other session hears it. */
  changed?: (change: Omit<LibraryChange, 'workspaceId'>) => void;
}

export const INSTRUCTIONS =
  'Rocqet is the team’s versioned prompt library. Find prompts with search_prompts, read them with get_prompt, fill ' +
  'their variables with render_prompt. Prompts are also offered as MCP prompts named by their path (path@ref pins a version).';

/** One MCP server instance for one caller: prompts, resources, completions and tools over the sdk client. */
export function buildServer(session: Session): McpServer {
  const library = new Library(
    session.client,
    session.me,
    session.cache ? { cache: session.cache, ...(session.renders ? { renders: session.renders } : {}) } : { memo: session.shared.memo as Map<string, never> },
    session.options.defaultRef,
  );
  const pageSize = session.options.pageSize ?? 50;
  const server = new McpServer(SERVER_INFO, {
    capabilities: {
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      completions: {},
    },
    instructions: INSTRUCTIONS,
    cacheHints: CACHE_HINTS,
  });
  const low = server.server;
  const canElicit = (ctx: ServerContext): boolean => {
    const caps: ClientCapabilities | undefined =
      session.era === 'modern'
        ? (ctx.mcpReq.envelope as Record<string, ClientCapabilities | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY]
        : low.getClientCapabilities();
    return Boolean(caps?.elicitation);
  };
  registerReadTools(server, library, canElicit);
  if (library.canWrite()) registerWriteTools(server, library, (change) => session.changed?.(change));

  low.setRequestHandler('prompts/list', (req) => listPrompts(library, req.params?.cursor, pageSize));
  low.setRequestHandler('prompts/get', (req) => getPrompt(library, session.shared.recent, req.params.name, req.params.arguments ?? {}));
  low.setRequestHandler('resources/list', (req) => listResources(library, req.params?.cursor, pageSize));
  low.setRequestHandler('resources/templates/list', () => ({ resourceTemplates }));
  low.setRequestHandler('resources/read', async (req) => {
    const read = await readResource(library, req.params.uri);
    return session.era === 'modern' && pinned(req.params.uri, read) ? { ...read, ttlMs: HOUR, cacheScope: 'private' as const } : read;
  });
  low.setRequestHandler('completion/complete', (req) => completeRequest(library, session.shared.recent, req.params));
  if (session.era === 'legacy') {
    const subs = (session.subscriptions ??= new Set());
    low.setRequestHandler('resources/subscribe', (req) => {
      subs.add(req.params.uri);
      return {};
    });
    low.setRequestHandler('resources/unsubscribe', (req) => {
      subs.delete(req.params.uri);
      return {};
    });
  }
  return server;
}
