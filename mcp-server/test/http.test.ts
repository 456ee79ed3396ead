import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { createMcpHttpEndpoint, type McpHttpEndpoint } from '../src/index.js';
import { connect, eras, hangUp } from './support.js';

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
}

/** node:http, because fetch will not send a Host header of our choosing. */
function postWithHost(url: string, host: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { host, authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(initialize));
  });
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('MCP over Streamable HTTP: authentication, DNS rebinding, bad messages, sessions, a backend that fails', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let mcp: string;
  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    await ws.owner.createPrompt({ body: { title: 'Plain', slug: 'plain', content: 'Plain\n' } });
    mcp = app.url + '/mcp';
  });
  after(() => app?.close());

  it('no token or a bad one: 401 with a Bearer challenge that names no OAuth metadata', async () => {
    const none = await post(mcp, JSON.stringify(initialize));
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="rocqet"');
    assert.equal(((await none.json()) as { error: { code: number } }).error.code, -32001);
    const bad = await post(mcp, JSON.stringify(initialize), { authorization: 'Bearer rq_live_thisTokenWasNeverIssued000000000000' });
    assert.equal(bad.status, 401);
    const challenge = bad.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm="rocqet", error="invalid_token"/);
    assert.ok(!/resource_metadata|authorization_uri/i.test(challenge), challenge);
    for (const era of eras) {
      await assert.rejects(connect(app.url, { era, token: 'rq_live_thisTokenWasNeverIssued000000000000' }), /invalid_token|401/i);
    }
  });

  it('a foreign Origin or Host is refused before anything runs (DNS rebinding)', async () => {
    const evil = await post(mcp, JSON.stringify(initialize), { authorization: `Bearer ${ws.ownerToken}`, origin: 'https://evil.example' });
    assert.equal(evil.status, 403);
    assert.equal(await postWithHost(mcp, 'evil.example:80', ws.ownerToken), 403);
    const local = await post(mcp, JSON.stringify(initialize), { authorization: `Bearer ${ws.ownerToken}`, origin: 'http://localhost:5173' });
    assert.equal(local.status, 200);
  });

  it('malformed JSON, a message that is not JSON-RPC, and an oversized body get JSON-RPC errors; the server keeps serving', async () => {
    const auth = { authorization: `Bearer ${ws.ownerToken}` };
    const broken = await post(mcp, '{"jsonrpc": "2.0", "id": 1, "method": ', auth);
    assert.equal(broken.status, 400);
    assert.equal(((await broken.json()) as { error: { code: number } }).error.code, -32700);
    const notRpc = await post(mcp, JSON.stringify({ hello: 'world' }), auth);
    assert.ok(notRpc.status >= 400 && notRpc.status < 500, `status ${notRpc.status}`);
    const big = await post(mcp, JSON.stringify({ ...initialize, padding: 'x'.repeat(2 * 1024 * 1024) }), auth);
    assert.equal(big.status, 413);
    for (const era of eras) {
      const client = await connect(app.url, { era, token: ws.ownerToken });
      assert.ok((await client.listPrompts()).prompts.some((p) => p.name === 'plain'));
      await client.close();
    }
  });

  describe('a standalone endpoint: session limits, expiry, tokens bound to sessions, a backend down or slow', () => {
    let endpoint: McpHttpEndpoint;
    let standalone: { server: Server; url: string };
    let proxy: { server: Server; url: string };
    // The backend behind a switch: up (forwarded), down (connections dropped) or slow (never answered).
    let backendIs: 'up' | 'down' | 'slow' = 'up';
    before(async () => {
      proxy = await listen(async (req, res) => {
        if (backendIs === 'down') return void req.socket.destroy();
        if (backendIs === 'slow') return;
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)),
        ) as Record<string, string>;
        const answer = await fetch(app.url + req.url, {
          method: req.method ?? 'GET',
          headers,
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        });
        const out: Record<string, string> = {};
        answer.headers.forEach((v, k) => {
          if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)) out[k] = v;
        });
        res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
      });
      endpoint = createMcpHttpEndpoint({
        backendUrl: proxy.url,
        backendTimeoutMs: 500,
        sessionIdleMs: 400,
        maxSessionsPerToken: 2,
      });
      standalone = await listen((req, res) => void endpoint.handle(req, res));
    });
    after(async () => {
      await endpoint?.close();
      standalone?.server.close();
      proxy?.server.closeAllConnections();
      proxy?.server.close();
    });

    it('a token opens at most 2 sessions; a session nobody uses expires and its id is then unknown (404)', async () => {
      const a = await connect(standalone.url, { era: 'legacy', token: ws.ownerToken });
      const b = await connect(standalone.url, { era: 'legacy', token: ws.ownerToken });
      await assert.rejects(connect(standalone.url, { era: 'legacy', token: ws.ownerToken }), /503|too many/i);
      assert.equal(endpoint.sessionCount(), 2);
      await hangUp(a);
      await hangUp(b);
      assert.equal(endpoint.sessionCount(), 0, 'hanging up ends the session (DELETE)');
      // A session whose client went away without a word (no DELETE, no open stream) expires.
      const res = await post(standalone.url + '/mcp', JSON.stringify(initialize), { authorization: `Bearer ${ws.ownerToken}` });
      const id = res.headers.get('mcp-session-id');
      assert.ok(id);
      await res.body?.cancel();
      assert.equal(endpoint.sessionCount(), 1);
      await new Promise((r) => setTimeout(r, 900));
      assert.equal(endpoint.sessionCount(), 0, 'the idle session expired');
      const after = await post(standalone.url + '/mcp', JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }), {
        authorization: `Bearer ${ws.ownerToken}`,
        'mcp-session-id': id,
        'mcp-protocol-version': '2025-11-25',
      });
      assert.equal(after.status, 404);
    });

    it("a session id is useless with another token", async () => {
      const other = await app.workspace();
      const res = await post(standalone.url + '/mcp', JSON.stringify(initialize), { authorization: `Bearer ${ws.ownerToken}` });
      const id = res.headers.get('mcp-session-id');
      assert.ok(id);
      await res.body?.cancel();
      const list = { jsonrpc: '2.0', id: 2, method: 'prompts/list', params: {} };
      const stolen = await post(standalone.url + '/mcp', JSON.stringify(list), {
        authorization: `Bearer ${other.ownerToken}`,
        'mcp-session-id': id,
        'mcp-protocol-version': '2025-11-25',
      });
      assert.equal(stolen.status, 404);
    });

    for (const era of eras) {
      it(`${era}: a backend that is down or slow gives clear tool errors; the server recovers when it is back`, async () => {
        const client = await connect(standalone.url, { era, token: ws.ownerToken });
        try {
          backendIs = 'down';
          const down = (await client.callTool({ name: 'get_prompt', arguments: { path: 'plain' } })) as CallToolResult;
          assert.equal(down.isError, true);
          assert.match((down.content[0] as { text: string }).text, /^network_error: cannot reach .*\nNext: .*unreachable/s);
          backendIs = 'slow';
          const late = (await client.callTool({ name: 'get_prompt', arguments: { path: 'plain' } })) as CallToolResult;
          assert.equal(late.isError, true);
          assert.match((late.content[0] as { text: string }).text, /^network_error: .*(timeout|aborted)/is);
          backendIs = 'up';
          const back = (await client.callTool({ name: 'get_prompt', arguments: { path: 'plain' } })) as CallToolResult;
          assert.equal(back.isError, undefined);
          assert.equal((back.structuredContent as { content: string }).content, 'Plain\n');
        } finally {
          backendIs = 'up';
          await hangUp(client);
        }
      });
    }
  });
});
