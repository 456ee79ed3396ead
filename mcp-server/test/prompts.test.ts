import assert from 'node:assert/strict';
import { ProtocolError, type Client } from '@modelcontextprotocol/client';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { connect, eras, greeter } from './support.js';

describe('MCP prompts: the library as MCP prompts (both eras, Streamable HTTP)', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    const folder = await ws.owner.createFolder({ body: { name: 'team' } });
    await ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', folderId: folder.id, content: greeter, description: 'Say hello' } });
    for (let i = 0; i < 7; i++) await ws.owner.createPrompt({ body: { title: `Plain ${i}`, slug: `plain-${i}`, content: `Plain text ${i}\n` } });
  });
  after(() => app?.close());

  for (const era of eras) {
    describe(`${era} era`, () => {
      let client: Client;
      before(async () => {
        client = await connect(app.url, { era, token: ws.ownerToken });
        assert.equal(client.getProtocolEra(), era);
      });
      after(() => client?.close());

      it('lists every prompt with title, description and arguments from the declared variables', async () => {
        const { prompts } = await client.listPrompts();
        const g = prompts.find((p) => p.name === 'team/greeter');
        assert.ok(g, JSON.stringify(prompts.map((p) => p.name)));
        assert.equal(g.title, 'Greeter');
        assert.equal(g.description, 'Say hello');
        assert.deepEqual(g.arguments, [
          { name: 'name', description: 'who to greet', required: true },
          { name: 'lang', description: 'the language — one of: en, fr, de — default: en', required: false },
        ]);
      });

      it('gets a prompt rendered on the server; _meta names the commit and ref', async () => {
        const r = await client.getPrompt({ name: 'team/greeter', arguments: { name: 'Ada' } });
        assert.deepEqual(r.messages, [{ role: 'user', content: { type: 'text', text: 'Hello Ada in en.\n' } }]);
        assert.equal(r._meta?.['rocqet/ref'], 'main');
        assert.match(String(r._meta?.['rocqet/commit']), /^[0-9a-f-]{36}$/);
        const plain = await client.getPrompt({ name: 'plain-3' });
        assert.equal((plain.messages[0]?.content as { text: string }).text, 'Plain text 3\n');
      });

      it('a missing required argument, a value outside the enum, an unknown argument or prompt → -32602 naming it', async () => {
        const expect32602 = async (call: Promise<unknown>, pattern: RegExp) => {
          await assert.rejects(call, (err: unknown) => {
            assert.ok(err instanceof ProtocolError, String(err));
            assert.equal(err.code, -32602);
            assert.match(err.message, pattern);
            return true;
          });
        };
        await expect32602(client.getPrompt({ name: 'team/greeter', arguments: {} }), /Missing required argument.*name/);
        await expect32602(client.getPrompt({ name: 'team/greeter', arguments: { name: 'x', lang: 'xx' } }), /argument lang/);
        await expect32602(client.getPrompt({ name: 'team/greeter', arguments: { name: 'x', colour: 'red' } }), /Unknown argument.*colour/);
        await expect32602(client.getPrompt({ name: 'team/nope' }), /Unknown prompt team\/nope/);
      });
    });
  }
});
