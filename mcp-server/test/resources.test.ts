import assert from 'node:assert/strict';
import { ProtocolError, type Client } from '@modelcontextprotocol/client';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { connect, eras, greeter } from './support.js';

describe('MCP resources, templates and completions', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let first: string;
  let second: string;
  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    const folder = await ws.owner.createFolder({ body: { name: 'team' } });
    const g = await ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', folderId: folder.id, content: greeter } });
    first = g.commit.id;
    second = (await ws.owner.commit({ params: { prompt: g.id }, body: { content: greeter.replace('Hello', 'Hi'), message: 'hi', parent: first } })).id;
    await ws.owner.createBranch({ params: { prompt: g.id }, body: { name: 'feature/x', from: first } });
    await ws.owner.createTag({ params: { prompt: g.id }, body: { name: 'v1', ref: first } });
  });
  after(() => app?.close());

  for (const era of eras) {
    describe(`${era} era`, () => {
      let client: Client;
      before(async () => {
        client = await connect(app.url, { era, token: ws.ownerToken });
      });
      after(() => client?.close());

      it('lists prompts as resources with lastModified, and the four URI templates', async () => {
        const { resources } = await client.listResources();
        const r = resources.find((x) => x.uri === 'rocqet://prompts/team/greeter');
        assert.ok(r, JSON.stringify(resources));
        assert.equal(r.mimeType, 'text/markdown');
        assert.ok(!Number.isNaN(Date.parse(String(r.annotations?.lastModified))));
        const { resourceTemplates } = await client.listResourceTemplates();
        assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), [
          'rocqet://prompts/{+path}',
          'rocqet://prompts/{+path}@{ref}',
          'rocqet://history/{+path}{?ref}',
          'rocqet://diff/{+path}{?from,to}',
        ]);
      });

      it('reads a prompt at the default ref and at a ref (a branch with a slash), its history and a diff', async () => {
        const head = await client.readResource({ uri: 'rocqet://prompts/team/greeter' });
        assert.match((head.contents[0] as { text: string }).text, /Hi \{\{name\}\}/);
        assert.equal(head.contents[0]?._meta?.['rocqet/commit'], second);
        const old = await client.readResource({ uri: `rocqet://prompts/team/greeter@${encodeURIComponent('feature/x')}` });
        assert.match((old.contents[0] as { text: string }).text, /Hello \{\{name\}\}/);
        const tagged = await client.readResource({ uri: 'rocqet://prompts/team/greeter@v1' });
        assert.equal(tagged.contents[0]?._meta?.['rocqet/commit'], first);
        const history = JSON.parse(((await client.readResource({ uri: "rocqet://history/team/greeter" })).contents[0] as { text: string }).text);
        assert.deepEqual(history.commits.map((c: { id: string }) => c.id), [second, first]);
        const diff = await client.readResource({ uri: `rocqet://diff/team/greeter?from=${first}&to=${second}` });
        assert.match((diff.contents[0] as { text: string }).text, /^-Hello \{\{name\}\}/m);
      });

      it('a bad or unknown URI is a protocol error, not a crash', async () => {
        for (const uri of ['rocqet://prompts/team/nope', 'rocqet://prompts/team/greeter@nope', 'https://example.com/x', 'rocqet://diff/team/greeter', 'rocqet://prompts/%ZZ', 'rocqet://prompts/../x']) {
          await assert.rejects(client.readResource({ uri }), (err: unknown) => err instanceof ProtocolError && [-32602, -32002].includes(err.code), uri);
        }
        assert.ok((await client.listResources()).resources.length > 0, 'still serving');
      });

      it('completes prompt arguments from the enum, the default and recently used values', async () => {
        const lang = await client.complete({ ref: { type: 'ref/prompt', name: 'team/greeter' }, argument: { name: 'lang', value: '' } });
        assert.deepEqual(lang.completion.values, ['en', 'fr', 'de']);
        const fr = await client.complete({ ref: { type: 'ref/prompt', name: 'team/greeter' }, argument: { name: 'lang', value: 'f' } });
        assert.deepEqual(fr.completion.values, ['fr']);
        await client.getPrompt({ name: 'team/greeter', arguments: { name: `Grace ${era}` } });
        const name = await client.complete({ ref: { type: 'ref/prompt', name: 'team/greeter' }, argument: { name: 'name', value: 'gr' } });
        assert.ok(name.completion.values.includes(`Grace ${era}`), JSON.stringify(name.completion));
      });

      it('completes template paths (folders and prompts) and, once the path is known, its refs', async () => {
        const paths = await client.complete({ ref: { type: 'ref/resource', uri: 'rocqet://prompts/{+path}' }, argument: { name: 'path', value: 'te' } });
        assert.deepEqual(paths.completion.values, ['team/', 'team/greeter']);
        const refs = await client.complete({
          ref: { type: 'ref/resource', uri: 'rocqet://prompts/{+path}@{ref}' },
          argument: { name: 'ref', value: '' },
          context: { arguments: { path: 'team/greeter' } },
        });
        assert.deepEqual([...refs.completion.values].sort(), ['feature/x', 'main', 'v1']);
      });
    });
  }
});
