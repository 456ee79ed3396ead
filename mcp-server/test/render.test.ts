import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ProtocolError, type Client, type Prompt } from '@modelcontextprotocol/client';
import { RocqetError, type Client as Api } from '@rocqet/sdk';
import { sharedDataDir } from '../../backend/test/search/support/dataset.js';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { send } from '../../backend/test/support/api.js';
import { connect, eras, greeter, hangUp } from './support.js';

async function allPaths(api: Api): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listPrompts({ query: { limit: 200, ...(cursor ? { cursor } : {}) } });
    out.push(...page.items.map((p) => p.path));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

async function allMcpPrompts(client: Client): Promise<Map<string, Prompt>> {
  const out = new Map<string, Prompt>();
  let cursor: string | undefined;
  do {
    const page = await client.listPrompts(cursor ? { cursor } : {});
    for (const p of page.prompts) out.set(p.name, p);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** What a render came to: its text, or the problem (backend) / the argument error (MCP) it was refused with. */
type Outcome = { text: string } | { refused: string; names: string[] };

async function viaBackend(api: Api, prompt: string, values: Record<string, string>): Promise<Outcome> {
  try {
    return { text: (await api.render({ params: { prompt }, body: { values } })).text };
  } catch (err) {
    if (!(err instanceof RocqetError)) throw err;
    const p: Record<string, unknown> = err.problem ?? {};
    const names = Array.isArray(p.missing) ? p.missing.map(String) : typeof p.variable === 'string' ? [p.variable] : [];
    return { refused: err.code, names };
  }
}

async function viaMcp(client: Client, name: string, values: Record<string, string>): Promise<Outcome> {
  try {
    const r = await client.getPrompt({ name, arguments: values });
    return { text: (r.messages[0]!.content as { text: string }).text };
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    const data = (err.data ?? {}) as { missing?: string[]; argument?: string };
    const refused = /Missing required/.test(err.message) ? 'missing_variables' : /Invalid value/.test(err.message) ? 'invalid_variable_value' : `mcp ${err.code}: ${err.message}`;
    return { refused, names: data.missing ?? (data.argument ? [data.argument] : []) };
  }
}

async function mapLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

describe('MCP prompts/get renders from the feed-invalidated cache: the backend’s output, counted by the backend', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app?.close());

  it('every prompt of the demo library (awesome-chatgpt-prompts.csv) renders to the backend’s text, with and without values', async function () {
    let csv: string;
    try {
      csv = readFileSync(path.join(sharedDataDir, 'awesome-chatgpt-prompts.csv'), 'utf8');
    } catch {
      console.warn(`    skipped: ${sharedDataDir}/awesome-chatgpt-prompts.csv is not there (the demo library)`);
      return this.skip();
    }
    this.timeout(600_000);
    const ws = await app.workspace();
    const report = await ws.owner.importPrompts({ body: { format: 'awesome-csv', data: csv } });
    assert.ok(report.created > 1000, JSON.stringify(report).slice(0, 300));
    const client = await connect(app.url, { era: 'modern', token: ws.ownerToken });
    try {
      const paths = await allPaths(ws.owner);
      const prompts = await allMcpPrompts(client);
      assert.equal(prompts.size, paths.length);
      let withArguments = 0;
      const differences: string[] = [];
      await mapLimited(paths, 6, async (p) => {
        const args = prompts.get(p)?.arguments ?? [];
        if (args.length) withArguments++;
        const filled = Object.fromEntries(args.map((a) => [a.name, `‹${a.name} ✓›`]));
        for (const values of args.length ? [filled, {}] : [{}]) {
          const [backend, mcp] = [await viaBackend(ws.owner, p, values), await viaMcp(client, p, values)];
          if (JSON.stringify(backend) !== JSON.stringify(mcp)) differences.push(`${p} ${JSON.stringify(values)}: backend ${JSON.stringify(backend).slice(0, 200)} ≠ mcp ${JSON.stringify(mcp).slice(0, 200)}`);
        }
      });
      assert.deepEqual(differences, []);
      // The library has placeholders (and odd ones: {{/if}}, {{CGI-1.output}}), so both branches ran.
      assert.ok(withArguments >= 5, `${withArguments} prompts with arguments`);
    } finally {
      await hangUp(client);
    }
  });

  describe('usage', () => {
    let ws: TestWorkspace;
    let promptId: string;
    before(async () => {
      ws = await app.workspace();
      promptId = (await ws.owner.createPrompt({ body: { title: 'Counted', slug: 'counted', content: greeter } })).id;
    });

    // The backend writes its counters every few seconds; topPrompts writes them first.
    const renders = async () => (await ws.owner.topPrompts({ query: { by: 'renders', limit: 100 } })).items.find((p) => p.id === promptId)?.usage.renders ?? 0;
    const reportRequests = async () => {
      const metrics = (await send(app, 'GET', '/metrics')).text;
      return metrics
        .split('\n')
        .filter((l) => l.startsWith('rocqet_http_request_duration_seconds_count') && l.includes('route="/v1/usage/renders"'))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    };

    it('renders done from the cache (prompts/get and render_prompt, both eras) reach the render counter exactly, in few requests', async () => {
      const before = await reportRequests();
      let expected = 0;
      for (const era of eras) {
        const client = await connect(app.url, { era, token: ws.ownerToken });
        try {
          for (let i = 0; i < 20; i++) {
            await client.getPrompt({ name: 'counted', arguments: { name: `n${i}` } });
            expected++;
          }
          await client.callTool({ name: 'render_prompt', arguments: { path: 'counted', values: { name: 'Tool' } } });
          expected++;
          // Refused renders count nothing, as on the backend.
          await assert.rejects(client.getPrompt({ name: 'counted', arguments: {} }));
          await assert.rejects(client.getPrompt({ name: 'counted', arguments: { name: 'x', lang: 'xx' } }));
        } finally {
          await hangUp(client);
        }
      }
      // The backend's own render route still counts its own renders.
      await ws.owner.render({ params: { prompt: promptId }, body: { values: { name: 'direct' } } });
      expected++;
      const end = Date.now() + 10_000;
      while ((await renders()) < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await renders(), expected);
      // Nothing is reported twice: after another report interval the count has not moved.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(await renders(), expected);
      // 42 renders, reported in batches (one a second at most), not one request each.
      const requests = (await reportRequests()) - before;
      assert.ok(requests >= 1 && requests <= 10, `${requests} report requests for ${expected - 1} renders`);
    });
  });
});
