import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { connect, eras, greeter } from './support.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('rocqet-mcp over stdio (both eras)', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    await ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', content: greeter } });
  });
  after(() => app?.close());

  for (const era of eras) {
    it(`${era}: lists, gets, reads and calls tools with the token from the environment`, async () => {
      const client = await connect(app.url, { era, via: 'stdio', token: ws.ownerToken });
      try {
        assert.equal(client.getProtocolEra(), era);
        assert.deepEqual((await client.listPrompts()).prompts.map((p) => p.name), ['greeter']);
        const got = await client.getPrompt({ name: 'greeter', arguments: { name: 'Ada' } });
        assert.equal((got.messages[0]?.content as { text: string }).text, 'Hello Ada in en.\n');
        const read = await client.readResource({ uri: 'rocqet://prompts/greeter' });
        assert.equal((read.contents[0] as { text: string }).text, greeter);
        const search = (await client.callTool({ name: 'search_prompts', arguments: { query: 'greet' } })) as CallToolResult;
        assert.equal(search.isError, undefined);
      } finally {
        await client.close();
      }
    });
  }

  it('stdout carries only JSON-RPC messages; the banner and logs go to stderr; no token is a clear refusal', async () => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(root, 'mcp-server', 'src', 'cli.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ROCQET_URL: app.url, ROCQET_TOKEN: ws.ownerToken },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    child.stdin.write(JSON.stringify(init) + '\n');
    child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    child.stdin.write('{"jsonrpc":"2.0","id":2,"method":"prompts/list","params":{}}\n');
    child.stdin.write('this is not json\n');
    child.stdin.write('{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{}}\n');
    const deadline = Date.now() + 30_000;
    // Answers come as they are ready (tools/list needs no backend call, prompts/list does): wait for both.
    while (!(out.includes('"id":2') && out.includes('"id":3')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill();
    const lines = out.split('\n').filter(Boolean);
    assert.ok(lines.length >= 3, out);
    for (const line of lines) assert.equal((JSON.parse(line) as { jsonrpc: string }).jsonrpc, '2.0', line);
    assert.match(err, /rocqet-mcp: serving/);

    const bare = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(root, 'mcp-server', 'src', 'cli.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
    });
    let bareErr = '';
    bare.stderr.on('data', (d: Buffer) => (bareErr += d));
    const code = await new Promise<number | null>((resolve) => bare.on('exit', resolve));
    assert.equal(code, 2);
    assert.match(bareErr, /set ROCQET_TOKEN/);
  });
});
