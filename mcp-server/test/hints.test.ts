import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/client';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { addMemberWithToken } from '../../backend/test/support/api.js';
import { connect, eras, greeter, hangUp } from './support.js';

const MODERN = '2026-07-28';

/** One 2026-07-28 JSON-RPC request as it goes on the wire, and its result as it comes back (no client in between). */
async function modernRpc(url: string, token: string, method: string, params: Record<string, unknown> = {}, name?: string) {
  const res = await fetch(url + '/mcp', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        },
      },
    }),
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('event-stream')
    ? JSON.parse(text.split('\n').filter((l) => l.startsWith('data: ')).pop()!.slice(6))
    : JSON.parse(text);
  assert.ok(json.result, `${method}: ${text.slice(0, 300)}`);
  return json.result as Record<string, unknown>;
}

describe('MCP cache hints (2026-07-28 ttlMs / cacheScope) and icons', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let commitId: string;
  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    commitId = (await ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', content: greeter } })).commit.id;
  });
  after(() => app?.close());

  it('per-token results are private; only what is the same for every caller is public; a text at a commit id is long-lived', async () => {
    const hint = (r: Record<string, unknown>) => [r.ttlMs, r.cacheScope];
    const t = ws.ownerToken;
    assert.deepEqual(hint(await modernRpc(app.url, t, 'prompts/list')), [5_000, 'private']);
    assert.deepEqual(hint(await modernRpc(app.url, t, 'resources/list')), [5_000, 'private']);
    assert.deepEqual(hint(await modernRpc(app.url, t, 'tools/list')), [30_000, 'private']);
    assert.deepEqual(hint(await modernRpc(app.url, t, 'resources/templates/list')), [3_600_000, 'public']);
    assert.deepEqual(hint(await modernRpc(app.url, t, 'server/discover')), [3_600_000, 'public']);
    const read = (uri: string) => modernRpc(app.url, t, 'resources/read', { uri }, uri);
    assert.deepEqual(hint(await read('rocqet://prompts/greeter')), [5_000, 'private']);
    assert.deepEqual(hint(await read('rocqet://prompts/greeter@main')), [5_000, 'private']);
    assert.deepEqual(hint(await read(`rocqet://prompts/greeter@${commitId}`)), [3_600_000, 'private']);
    assert.deepEqual(hint(await read('rocqet://prompts/greeter@%231')), [3_600_000, 'private']);
    assert.deepEqual(hint(await read('rocqet://history/greeter')), [5_000, 'private']);
  });

  it('two tokens get different tool lists (write tools only with the write scope): tools/list is never public', async () => {
    const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
    const names = async (token: string) => {
      const r = await modernRpc(app.url, token, 'tools/list');
      assert.equal(r.cacheScope, 'private');
      return (r.tools as { name: string }[]).map((x) => x.name).sort();
    };
    const [owner, reader] = [await names(ws.ownerToken), await names(viewer.token)];
    assert.ok(owner.includes('commit_prompt') && !reader.includes('commit_prompt'), `${owner} / ${reader}`);
  });

  for (const era of eras) {
    describe(`${era} era`, () => {
      let client: Client;
      before(async () => {
        client = await connect(app.url, { era, token: ws.ownerToken });
      });
      after(() => client && hangUp(client));

      it('icons on the server, every prompt, resource, template and tool', async () => {
        const hasIcons = (what: string, x: { icons?: { src: string; mimeType?: string }[] } | undefined) => {
          assert.ok(x?.icons?.length, `${what} has no icons`);
          for (const icon of x.icons) {
            assert.match(icon.src, /^data:image\/svg\+xml;base64,/);
            assert.match(Buffer.from(icon.src.split(',')[1]!, 'base64').toString(), /^<svg /);
          }
        };
        hasIcons('server', client.getServerVersion() as never);
        for (const p of (await client.listPrompts()).prompts) hasIcons(`prompt ${p.name}`, p);
        for (const r of (await client.listResources()).resources) hasIcons(`resource ${r.uri}`, r);
        for (const r of (await client.listResourceTemplates()).resourceTemplates) hasIcons(`template ${r.uriTemplate}`, r);
        const tools = (await client.listTools()).tools;
        assert.ok(tools.length >= 10);
        for (const tool of tools) hasIcons(`tool ${tool.name}`, tool);
      });
    });
  }

  it('2025-era answers carry no cache fields', async () => {
    // A 2025 stateless request (no session): what an old client or proxy would see.
    const res = await fetch(app.url + '/mcp', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ws.ownerToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'prompts/list', params: {} }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.doesNotMatch(text, /ttlMs|cacheScope/);
    assert.match(text, /greeter/);
  });
});
