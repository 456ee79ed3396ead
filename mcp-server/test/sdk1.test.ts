import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// A stock client of another SDK generation: @modelcontextprotocol/sdk 1.x speaks 2025-era MCP only, as most
// assistants shipped today do. Nothing here is shared with the 2.x packages the server is built on.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, PromptListChangedNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { greeter } from './support.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function until(what: string, pred: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('MCP with a stock @modelcontextprotocol/sdk 1.x client (2025-11-25), both transports', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    await ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', content: greeter, description: 'Say hello' } });
  });
  after(() => app?.close());

  for (const via of ['http', 'stdio'] as const) {
    it(`${via}: prompts, completions, resources, tools, and live notifications after a commit made over HTTP`, async () => {
      const client = new Client({ name: 'sdk1-test', version: '1.0.0' });
      let http: StreamableHTTPClientTransport | undefined;
      if (via === 'http') {
        http = new StreamableHTTPClientTransport(new URL(app.url + '/mcp'), { requestInit: { headers: { authorization: `Bearer ${ws.ownerToken}` } } });
        await client.connect(http);
      } else {
        await client.connect(
          new StdioClientTransport({
            command: process.execPath,
            args: ['--conditions=source', '--import', 'tsx', path.join(root, 'mcp-server', 'src', 'cli.ts')],
            env: { PATH: process.env.PATH ?? '', ROCQET_URL: app.url, ROCQET_TOKEN: ws.ownerToken },
            cwd: root,
            stderr: 'pipe',
          }),
        );
      }
      try {
        assert.equal(client.getServerVersion()?.name, 'rocqet');
        assert.ok(client.getServerCapabilities()?.prompts?.listChanged);

        const { prompts } = await client.listPrompts();
        const g = prompts.find((p) => p.name === 'greeter');
        assert.deepEqual(g?.arguments, [
          { name: 'name', description: 'who to greet', required: true },
          { name: 'lang', description: 'the language — one of: en, fr, de — default: en', required: false },
        ]);
        const got = await client.getPrompt({ name: 'greeter', arguments: { name: 'Ada', lang: 'fr' } });
        assert.deepEqual(got.messages, [{ role: 'user', content: { type: 'text', text: 'Hello Ada in fr.\n' } }]);
        await assert.rejects(client.getPrompt({ name: 'greeter', arguments: {} }), (e: unknown) => e instanceof McpError && e.code === -32602);

        const completed = await client.complete({ ref: { type: 'ref/prompt', name: 'greeter' }, argument: { name: 'lang', value: 'f' } });
        assert.deepEqual(completed.completion.values, ['fr']);

        const read = await client.readResource({ uri: 'rocqet://prompts/greeter' });
        assert.match((read.contents[0] as { text: string }).text, /Hello \{\{name\}\}/);

        const tools = (await client.listTools()).tools;
        const render = tools.find((t) => t.name === 'render_prompt');
        assert.ok(render?.inputSchema.properties && render.outputSchema, JSON.stringify(render));
        const rendered = await client.callTool({ name: 'render_prompt', arguments: { path: 'greeter', values: { name: 'Bo' } } });
        assert.equal((rendered.structuredContent as { text: string }).text, 'Hello Bo in en.\n');
        const failed = await client.callTool({ name: 'get_prompt', arguments: { path: 'nope' } });
        assert.equal(failed.isError, true);

        const seen: string[] = [];
        client.setNotificationHandler(PromptListChangedNotificationSchema, () => void seen.push('list_changed'));
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void seen.push(`updated ${n.params.uri}`));
        await client.subscribeResource({ uri: 'rocqet://prompts/greeter' });
        // The server follows the feed from its first authenticated request; let the stream open before writing.
        await new Promise((r) => setTimeout(r, 300));
        const head = (await ws.owner.getPrompt({ params: { prompt: 'greeter' } })).commit.id;
        await ws.owner.commit({ params: { prompt: 'greeter' }, body: { content: greeter.replace('Hello', 'Hi'), message: `from http (${via})`, parent: head } });
        await until('list_changed and resources/updated', () => seen.includes('list_changed') && seen.includes('updated rocqet://prompts/greeter'));
        const after = await client.getPrompt({ name: 'greeter', arguments: { name: 'Ada' } });
        assert.equal((after.messages[0]!.content as { text: string }).text, 'Hi Ada in en.\n');
        // Put it back for the other transport.
        const now = (await ws.owner.getPrompt({ params: { prompt: 'greeter' } })).commit.id;
        await ws.owner.commit({ params: { prompt: 'greeter' }, body: { content: greeter, message: 'back', parent: now } });
      } finally {
        await http?.terminateSession().catch(() => {});
        await client.close();
      }
    });
  }
});
