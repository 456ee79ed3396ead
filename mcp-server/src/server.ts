import {
  CLIENT_CAPABILITIES_META_KEY,
  McpServer,
  type ClientCapabilities,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Client, Me, PromptCache } from '@rocqet/sdk';
import type { LibraryChange } from './changes.js';
import { completeRequest } from './completions.js';
import { Library } from './library.js';
import { getPrompt, listPrompts } from './prompts.js';
import type { RecentValues } from './recent.js';
import { listResources, readResource, resourceTemplates } from './resources.js';
import { registerReadTools, registerWriteTools } from './tools.js';

export const SERVER_INFO = { name: 'rocqet', title: 'Rocqet prompt library', version: '0.1.0' };

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
    session.cache ? { cache: session.cache } : { memo: session.shared.memo as Map<string, never> },
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
  low.setRequestHandler('resources/read', (req) => readResource(library, req.params.uri));
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
