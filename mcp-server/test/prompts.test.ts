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

describe('MCP prompts: pagination, the default ref and pinned refs', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let greeterId: string;
  before(async () => {
    app = await startTestApp({ ROCQET_MCP_PAGE_SIZE: '3', ROCQET_MCP_DEFAULT_REF: 'production' });
    ws = await app.workspace();
    const g = await ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', content: greeter } });
    greeterId = g.id;
    await ws.owner.createBranch({ params: { prompt: g.id }, body: { name: 'production' } });
    await ws.owner.commit({
      params: { prompt: g.id },
      body: { content: greeter.replace('Hello', 'Hi'), message: 'less formal on main', parent: g.commit.id },
    });
    for (let i = 0; i < 7; i++) await ws.owner.createPrompt({ body: { title: `Plain ${i}`, slug: `plain-${i}`, content: `Plain text ${i}\n` } });
  });
  after(() => app?.close());

  for (const era of eras) {
    it(`${era}: pages of 3 cover all 8 prompts once, in the same order every time`, async () => {
      const client = await connect(app.url, { era, token: ws.ownerToken });
      try {
        const walk = async () => {
          const names: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            // listPrompts() without a cursor walks every page itself; ask for one page at a time.
            const page = cursor ? await client.listPrompts({ cursor }) : await client.request({ method: 'prompts/list', params: {} });
            assert.ok(page.prompts.length <= 3, `a page of ${page.prompts.length}`);
            names.push(...page.prompts.map((p) => p.name));
            cursor = page.nextCursor;
            pages++;
          } while (cursor);
          return { names, pages };
        };
        const first = await walk();
        assert.equal(first.pages, 3);
        assert.equal(new Set(first.names).size, 8);
        assert.deepEqual((await walk()).names, first.names);
        assert.deepEqual((await client.listPrompts()).prompts.map((p) => p.name), first.names, 'the aggregated list is the same');
        await assert.rejects(client.listPrompts({ cursor: 'garbage' }), (err: unknown) => err instanceof ProtocolError && err.code === -32602);
      } finally {
        await client.close();
      }
    });

    it(`${era}: served at production when the prompt has it, else its default branch; path@ref pins`, async () => {
      const client = await connect(app.url, { era, token: ws.ownerToken });
      try {
        const prod = await client.getPrompt({ name: 'greeter', arguments: { name: 'A' } });
        assert.equal((prod.messages[0]?.content as { text: string }).text, 'Hello A in en.\n');
        assert.equal(prod._meta?.['rocqet/ref'], 'production');
        const main = await client.getPrompt({ name: 'greeter@main', arguments: { name: 'A' } });
        assert.equal((main.messages[0]?.content as { text: string }).text, 'Hi A in en.\n');
        assert.equal(main._meta?.['rocqet/ref'], 'main');
        const first = await client.getPrompt({ name: 'greeter@#1', arguments: { name: 'A' } });
        assert.equal(first._meta?.['rocqet/seq'], 1);
        const plain = await client.getPrompt({ name: 'plain-1' });
        assert.equal(plain._meta?.['rocqet/ref'], 'main', 'no production branch: the default branch');
        await assert.rejects(client.getPrompt({ name: 'greeter@nope', arguments: { name: 'A' } }), (err: unknown) => err instanceof ProtocolError && err.code === -32602);
        const listed = (await client.listPrompts()).prompts.find((p) => p.name === 'greeter');
        assert.equal(listed?._meta?.['rocqet/ref'], 'production');
        assert.ok(greeterId);
      } finally {
        await client.close();
      }
    });
  }
});
