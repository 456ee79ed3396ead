/**
 * `npm run bench -- mcp [N]`: prompts/get over Streamable HTTP (the SDK's real Client, 2026-07-28 era, and 2025 with
 * a session) against the same render done by a direct HTTP call to the API, interleaved in the same run on one
 * backend; then list_changed driven by the change feed after a plain HTTP commit by another token.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createClient } from '@rocqet/sdk';
import { loadConfig } from '../backend/src/config.js';
import { bootstrapWorkspace } from '../backend/src/domain/workspaces/workspaces.js';
import { startBackend, type Backend } from '../backend/src/server.js';
import { scratchDatabase } from './lib/database.js';
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
  try {
    backend = await startBackend({
      ...loadConfig({ ROCQET_EMBEDDER: 'off' }),
      host: '127.0.0.1',
      port: 0,
      databaseUrl: database.url,
      logLevel: 'silent',
      rateLimit: { limit: 1_000_000_000, windowMs: 60_000 },
      validateResponses: false,
    });
    const ws = await bootstrapWorkspace(backend.db, {
      slug: 'bench',
      name: 'Bench',
      type: 'team',
      plan: 'pro',
      owner: { email: 'bench@rocqet.local', name: 'Bench' },
    });
    const api = createClient({ baseUrl: backend.url, token: ws.secret });
    const prompt = await api.createPrompt({ body: { title: 'Greeter', slug: 'greeter', content: doc } });
    const modern = await mcpClient(backend.url, ws.secret, 'modern');
    const legacy = await mcpClient(backend.url, ws.secret, 'legacy');

    const direct = () => api.render({ params: { prompt: 'greeter' }, body: { values: { name: 'Ada' } } });
    const viaModern = () => modern.client.getPrompt({ name: 'greeter', arguments: { name: 'Ada' } });
    const viaLegacy = () => legacy.client.getPrompt({ name: 'greeter', arguments: { name: 'Ada' } });
    for (let i = 0; i < 50; i++) await Promise.all([direct(), viaModern(), viaLegacy()].map((p) => p.then(() => undefined)));

    const t: Record<'direct' | 'modern' | 'legacy', number[]> = { direct: [], modern: [], legacy: [] };
    for (let i = 0; i < n; i++) {
      // Interleaved, so load from other processes on the machine falls on all three alike.
      let s = process.hrtime.bigint();
      await direct();
      t.direct.push(ms(s));
      s = process.hrtime.bigint();
      await viaModern();
      t.modern.push(ms(s));
      s = process.hrtime.bigint();
      await viaLegacy();
      t.legacy.push(ms(s));
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
    // prompts/get again with the feed-invalidated cache warm (the default): the render itself is still the backend's.
    const cached: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = process.hrtime.bigint();
      await viaModern();
      cached.push(ms(s));
    }
    await watcher.transport.terminateSession().catch(() => {});
    await watcher.client.close();
    await legacy.transport.terminateSession().catch(() => {});
    await legacy.client.close();
    await modern.client.close();

    const d = sorted(t.direct);
    const m = sorted(t.modern);
    const l = sorted(t.legacy);
    const c = sorted(lc);
    return {
      bench: 'mcp',
      date: today(),
      n,
      get_prompt_p50_ms: percentile(m, 50),
      get_prompt_p99_ms: percentile(m, 99),
      cached_get_prompt_p50_ms: percentile(sorted(cached), 50),
      baseline_http_p50_ms: percentile(d, 50),
      baseline_http_p99_ms: percentile(d, 99),
      list_changed_p50_ms: percentile(sorted(feedLc), 50),
      list_changed_p99_ms: percentile(sorted(feedLc), 99),
      legacy_session_get_prompt_p50_ms: percentile(l, 50),
      legacy_session_get_prompt_p99_ms: percentile(l, 99),
      list_changed_from_mcp_commit_p50_ms: percentile(c, 50),
      list_changed_from_mcp_commit_p99_ms: percentile(c, 99),
      note:
        'get_prompt_* is the 2026-07-28 era (one HTTP exchange, a fresh server instance per request). prompts/get renders ' +
        'on the backend (so usage is counted there), so the prompt cache does not shorten it: cached_get_prompt is the same ' +
        'call with the cache warm. list_changed_* is a commit over the HTTP API by another token until list_changed reaches ' +
        'an MCP session (through the feed; includes the commit). list_changed_from_mcp_commit_* is commit_prompt in one ' +
        'MCP session until list_changed in another.',
      machine: machine(database.serverVersion),
    };
  } finally {
    await backend?.close();
    await database.drop();
  }
}
