import assert from 'node:assert/strict';
import type { CallToolResult, Client } from '@modelcontextprotocol/client';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { ownerToken } from '../../backend/test/support/api.js';
import { connect, eras, greeter } from './support.js';

type Structured = Record<string, unknown>;
const structured = (r: unknown) => (r as CallToolResult).structuredContent as Structured;
const text = (r: unknown) => ((r as CallToolResult).content[0] as { text: string }).text;

function assertToolError(r: unknown, code: string): string {
  const result = r as CallToolResult;
  assert.equal(result.isError, true, `expected an isError result: ${JSON.stringify(result).slice(0, 400)}`);
  assert.match(text(result), new RegExp(`^${code}: .+\\nNext: .+`, 's'));
  return text(result);
}

describe('MCP tools: schemas, structured results, honest hints, errors the model can act on', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let other: TestWorkspace;
  let readOnly: string;
  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    other = await app.workspace();
    await ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', content: greeter, tags: ['hello'] } });
    await other.owner.createPrompt({ body: { title: 'Secret', slug: 'secret', content: 'Theirs only\n' } });
    readOnly = (await ownerToken(app, ws, ['read'], 'mcp read only')).secret;
  });
  after(() => app?.close());

  for (const era of eras) {
    describe(`${era} era`, () => {
      let owner: Client;
      let reader: Client;
      before(async () => {
        owner = await connect(app.url, { era, token: ws.ownerToken });
        reader = await connect(app.url, { era, token: readOnly });
      });
      after(async () => {
        await owner?.close();
        await reader?.close();
      });

      it('lists every tool with input and output schemas and hints; write tools only for a token with the write scope', async () => {
        const all = (await owner.listTools()).tools;
        const names = all.map((t) => t.name).sort();
        assert.deepEqual(names, [
          'commit_prompt', 'create_branch', 'create_prompt', 'diff_versions', 'get_prompt',
          'list_versions', 'merge_branch', 'render_prompt', 'search_prompts', 'tag_version',
        ]);
        for (const t of all) {
          assert.equal(t.inputSchema.type, 'object', t.name);
          assert.equal(t.outputSchema?.type, 'object', t.name);
          const readOnlyTool = ['search_prompts', 'get_prompt', 'render_prompt', 'list_versions', 'diff_versions'].includes(t.name);
          assert.equal(t.annotations?.readOnlyHint, readOnlyTool, t.name);
          assert.equal(t.annotations?.destructiveHint, false, t.name);
        }
        const readable = (await reader.listTools()).tools.map((t) => t.name).sort();
        assert.deepEqual(readable, ['diff_versions', 'get_prompt', 'list_versions', 'render_prompt', 'search_prompts']);
      });

      it('search_prompts, get_prompt, render_prompt, list_versions and diff_versions answer structured content with resource links', async () => {
        const mine = `greeter-${era}`;
        await ws.owner.createPrompt({ body: { title: `Greeter ${era}`, slug: mine, content: greeter, tags: ['hello'] } });
        const found = await owner.callTool({ name: 'search_prompts', arguments: { query: 'hello greet' } });
        const items = structured(found).items as Array<{ path: string; uri: string }>;
        assert.ok(items.some((i) => i.path === mine), JSON.stringify(items));
        assert.ok((found as CallToolResult).content.some((c) => c.type === 'resource_link' && c.uri === `rocqet://prompts/${mine}`));

        const got = await owner.callTool({ name: 'get_prompt', arguments: { path: mine } });
        const g = structured(got);
        assert.equal(g.content, greeter);
        assert.equal(g.ref, 'main');
        assert.deepEqual((g.variables as Array<{ name: string }>).map((v) => v.name), ['name', 'lang']);

        const rendered = await owner.callTool({ name: 'render_prompt', arguments: { path: mine, values: { name: 'Ada', lang: 'fr' } } });
        assert.equal(structured(rendered).text, 'Hello Ada in fr.\n');

        const c1 = (g.commit as { id: string }).id;
        const committed = await owner.callTool({
          name: 'commit_prompt',
          arguments: { path: mine, content: greeter.replace('Hello', `Hey (${era})`), message: `via MCP (${era})`, parent: c1 },
        });
        const c2 = (structured(committed).commit as { id: string }).id;
        const versions = await owner.callTool({ name: 'list_versions', arguments: { path: mine } });
        assert.equal((structured(versions).commits as Array<{ id: string }>)[0]?.id, c2);
        const diff = await owner.callTool({ name: 'diff_versions', arguments: { path: mine, from: c1, to: c2 } });
        assert.match(String(structured(diff).unified), new RegExp(`\\+Hey \\(${era}\\)`));
        assert.equal(structured(diff).additions, 1);
      });

      it('commit_prompt with a stale parent: head_moved, nothing written, and the error names the new head', async () => {
        const stale = (structured(await owner.callTool({ name: 'get_prompt', arguments: { path: 'greeter' } })).commit as { id: string }).id;
        // Someone else commits over HTTP meanwhile.
        const moved = await ws.owner.commit({ params: { prompt: 'greeter' }, body: { content: `${greeter}\n${era}\n`, message: 'elsewhere', parent: stale } });
        const head = moved.id;
        const r = await owner.callTool({ name: 'commit_prompt', arguments: { path: 'greeter', content: 'lost?\n', message: 'stale', parent: stale } });
        const message = assertToolError(r, 'head_moved');
        assert.ok(message.includes(head), message);
        assert.equal((r as CallToolResult)._meta?.['rocqet/problem'] && ((r as CallToolResult)._meta!['rocqet/problem'] as { head: string }).head, head);
        const after = structured(await owner.callTool({ name: 'get_prompt', arguments: { path: 'greeter' } }));
        assert.equal((after.commit as { id: string }).id, head);
      });

      it('create_prompt, create_branch, merge_branch and tag_version change the library through the API', async () => {
        const slug = `made-${era}`;
        const made = await owner.callTool({ name: 'create_prompt', arguments: { title: `Made ${era}`, slug, content: 'v1\n' } });
        assert.equal(structured(made).path, slug);
        const branch = await owner.callTool({ name: 'create_branch', arguments: { path: slug, name: 'draft' } });
        const head = (structured(branch).head as { id: string }).id;
        await owner.callTool({ name: 'commit_prompt', arguments: { path: slug, content: 'v2\n', message: 'draft', parent: head, branch: 'draft' } });
        const merged = await owner.callTool({ name: 'merge_branch', arguments: { path: slug, source: 'draft' } });
        assert.equal(structured(merged).result, 'fast_forward');
        const tagged = await owner.callTool({ name: 'tag_version', arguments: { path: slug, name: 'v1' } });
        assert.equal(structured(tagged).name, 'v1');
        assert.equal((await ws.owner.getPrompt({ params: { prompt: slug }, query: { ref: 'v1' } })).content, 'v2\n');
        assertToolError(await owner.callTool({ name: 'tag_version', arguments: { path: slug, name: 'v1' } }), 'tag_immutable');
        assertToolError(await owner.callTool({ name: 'create_branch', arguments: { path: slug, name: 'draft' } }), 'already_exists');
      });

      it('render_prompt without a required variable and no elicitation: missing_variables naming it', async () => {
        const r = await owner.callTool({ name: 'render_prompt', arguments: { path: 'greeter', values: {} } });
        assert.match(assertToolError(r, 'missing_variables'), /name/);
        assertToolError(await owner.callTool({ name: 'render_prompt', arguments: { path: 'greeter', values: { name: 'x', lang: 'xx' } } }), 'invalid_variable_value');
      });

      it('a read-only token calling a write tool is refused and nothing changes', async () => {
        const head = (await ws.owner.getPrompt({ params: { prompt: 'greeter' } })).commit.id;
        const r = await reader.callTool({ name: 'commit_prompt', arguments: { path: 'greeter', content: 'x\n', message: 'm', parent: head } }).then(
          (res) => res as CallToolResult,
          (err: Error) => ({ isError: true, content: [{ type: 'text' as const, text: err.message }] }),
        );
        assert.equal(r.isError, true);
        assert.match(text(r), /commit_prompt/);
        assert.equal((await ws.owner.getPrompt({ params: { prompt: 'greeter' } })).commit.id, head);
      });

      it("another workspace's prompt is not found, exactly like a missing one", async () => {
        const theirs = await owner.callTool({ name: 'get_prompt', arguments: { path: 'secret' } });
        const missing = await owner.callTool({ name: 'get_prompt', arguments: { path: 'no-such-prompt' } });
        assertToolError(theirs, 'not_found');
        assertToolError(missing, 'not_found');
        assert.ok(!text(theirs).includes('Theirs'));
        const found = structured(await owner.callTool({ name: 'search_prompts', arguments: { query: 'theirs secret' } }));
        assert.deepEqual(found.items, []);
      });

      it('bad tool arguments are an isError result, not a crash', async () => {
        const r = (await owner.callTool({ name: 'get_prompt', arguments: { path: 42 } })) as CallToolResult;
        assert.equal(r.isError, true);
      });
    });
  }
});
