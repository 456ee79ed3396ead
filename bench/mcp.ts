/**
 * `npm run bench -- mcp [N]`: prompts/get over Streamable HTTP (the SDK's real Client, 2026-07-28 era, and 2025 with
 * a session; MCP cache on, and off on a second backend on the same database) against the same render done by a
 * direct HTTP call to the API, interleaved in the same run; then list_changed driven by the change feed after a plain
 * HTTP commit by another token.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createClient } from '@rocqet/sdk';
import { loadConfig } from '../backend/src/config.js';
import { startBackend, type Backend } from '../backend/src/server.js';
import { benchWorkspace, scratchDatabase } from './lib/database.js';
import { machine, today } from './lib/machine.js';

const doc = ['---', 'variables:', '  name:', '    description: who', '  lang:', '    enum: [en, fr]', '    default: en', '---', 'Hello {{name}} in {{lang}}.', ''].join('\n');

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 1000) / 1000;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

async function mcpClient(url: string, token: string, era: 'legacy' | 'modern'): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client(
    { name: 'bench', version: '1' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(url + '/mcp'), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return { client, transport };
}

export async function run(args: string[]): Promise<object> {
  const n = Number(args[0] ?? 500);
  const database = await scratchDatabase('rocqet_bench_mcp');
  let backend: Backend | undefined;
  let uncachedBackend: Backend | undefined;
  try {
    const start = (env: Record<string, string>) =>
      startBackend({
        ...loadConfig({ ROCQET_EMBEDDER: 'off', ...env }),
        host: '127.0.0.1',
        port: 0,
        databaseUrl: database.url,
        logLevel: 'silent',
        rateLimit: { limit: 1_000_000_000, windowMs: 60_000 },
        validateResponses: false,
      });
    backend = await start({});
    // The same backend code on the same database with the MCP cache off: prompts/get reads and renders over the API.
    uncachedBackend = await start({ ROCQET_MCP_CACHE: 'off' });
    const ws = await benchWorkspace(backend.db, 'pro');
    const api = createClient({ baseUrl: backend.url, token: ws.secret });
    const prompt = await api.createPrompt({ body: { title: 'Greeter', slug: 'greeter', content: doc } });
    const modern = await mcpClient(backend.url, ws.secret, 'modern');
    const legacy = await mcpClient(backend.url, ws.secret, 'legacy');
    const uncached = await mcpClient(uncachedBackend.url, ws.secret, 'modern');

    const direct = () => api.render({ params: { prompt: 'greeter' }, body: { values: { name: 'Ada' } } });
    const get = (c: Client) => () => c.getPrompt({ name: 'greeter', arguments: { name: 'Ada' } });
    const viaModern = get(modern.client);
    const viaLegacy = get(legacy.client);
    const viaUncached = get(uncached.client);
    for (let i = 0; i < 50; i++) for (const call of [direct, viaModern, viaLegacy, viaUncached]) await call();

    const t: Record<'direct' | 'modern' | 'legacy' | 'uncached', number[]> = { direct: [], modern: [], legacy: [], uncached: [] };
    for (let i = 0; i < n; i++) {
      // Interleaved, so load from other processes on the machine falls on all four alike.
      for (const [key, call] of [['direct', direct], ['uncached', viaUncached], ['modern', viaModern], ['legacy', viaLegacy]] as const) {
        const s = process.hrtime.bigint();
        await call();
        t[key].push(ms(s));
      }
    }

    // list_changed from a commit made through another MCP session (the path that works without the feed).
    const watcher = await mcpClient(backend.url, ws.secret, 'legacy');
    const lc: number[] = [];
    let parent = prompt.commit.id;
    for (let i = 0; i < 30; i++) {
      const heard = new Promise<void>((resolve) => watcher.client.setNotificationHandler('notifications/prompts/list_changed', () => resolve()));
      const s = process.hrtime.bigint();
      const r = await legacy.client.callTool({
        name: 'commit_prompt',
        arguments: { path: 'greeter', content: doc + `\n${i}\n`, message: `bench ${i}`, parent },
      });
      parent = ((r.structuredContent as { commit: { id: string } }).commit).id;
      await heard;
      lc.push(ms(s));
    }
    // list_changed from a commit made over the plain HTTP API by another token, through the change feed.
    const other = createClient({
      baseUrl: backend.url,
      token: (await api.createToken({ body: { name: 'bench writer', scopes: ['read', 'write'] } })).secret,
    });
    const feedLc: number[] = [];
    for (let i = 0; i < 100; i++) {
      const heard = new Promise<void>((resolve) => watcher.client.setNotificationHandler('notifications/prompts/list_changed', () => resolve()));
      const s = process.hrtime.bigint();
      parent = (await other.commit({ params: { prompt: 'greeter' }, body: { content: doc + `\nhttp ${i}\n`, message: `http ${i}`, parent } })).id;
      await heard;
      feedLc.push(ms(s));
    }
    await watcher.transport.terminateSession().catch(() => {});
    await watcher.client.close();
    await legacy.transport.terminateSession().catch(() => {});
    await legacy.client.close();
    await modern.client.close();
    await uncached.client.close();

    const d = sorted(t.direct);
    const u = sorted(t.uncached);
    const m = sorted(t.modern);
    const l = sorted(t.legacy);
    const c = sorted(lc);
    return {
      bench: 'mcp',
      date: today(),
      n,
      get_prompt_p50_ms: percentile(u, 50),
      get_prompt_p99_ms: percentile(u, 99),
      cached_get_prompt_p50_ms: percentile(m, 50),
      cached_get_prompt_p99_ms: percentile(m, 99),
      baseline_http_p50_ms: percentile(d, 50),
      baseline_http_p99_ms: percentile(d, 99),
      list_changed_p50_ms: percentile(sorted(feedLc), 50),
      list_changed_p99_ms: percentile(sorted(feedLc), 99),
      legacy_session_get_prompt_p50_ms: percentile(l, 50),
      legacy_session_get_prompt_p99_ms: percentile(l, 99),
      list_changed_from_mcp_commit_p50_ms: percentile(c, 50),
      list_changed_from_mcp_commit_p99_ms: percentile(c, 99),
      note:
        'All 2026-07-28 era (one HTTP exchange, a server instance per request) unless legacy_*. get_prompt_* is the MCP ' +
        'cache off (ROCQET_MCP_CACHE=off: the prompt is rendered by the backend over the API, one request); ' +
        'cached_get_prompt_* the default, rendered from the feed-invalidated cache with the sdk renderPrompt and counted ' +
        'in batches; legacy_session_* the same cached call in a 2025-11-25 session. list_changed_* is a commit over ' +
        'the HTTP API by another token until list_changed reaches an MCP session (through the feed; includes the ' +
        'commit). list_changed_from_mcp_commit_* is commit_prompt in one MCP session until list_changed in another.',
      machine: machine(database.serverVersion),
    };
  } finally {
    await uncachedBackend?.close();
    await backend?.close();
    await database.drop();
  }
}
