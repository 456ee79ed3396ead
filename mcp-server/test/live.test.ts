import assert from 'node:assert/strict';
import type { CallToolResult, Client, ElicitRequest } from '@modelcontextprotocol/client';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { connect, eras, greeter, hangUp, type Via } from './support.js';

/** Resolves with the first notification of `method` the client receives, or rejects after `ms`. */
function next(client: Client, method: 'notifications/prompts/list_changed' | 'notifications/resources/updated', ms = 5000) {
  return new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${method} within ${ms} ms`)), ms);
    client.setNotificationHandler(method, (n) => {
      clearTimeout(timer);
      resolve(n);
    });
  });
}

describe('MCP elicitation and live notifications (both eras)', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    await ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', content: greeter } });
  });
  after(() => app?.close());

  for (const era of eras) {
    for (const via of ['http', 'stdio'] as Via[]) {
      it(`${era} over ${via}: render_prompt asks for missing variables with a form (enum as choices, default prefilled)`, async () => {
        const client = await connect(app.url, { era, via, token: ws.ownerToken, capabilities: { elicitation: { form: {} } } });
        const asked: ElicitRequest['params'][] = [];
        client.setRequestHandler('elicitation/create', async (req) => {
          asked.push(req.params);
          return { action: 'accept', content: { name: 'Ada', lang: 'fr' } };
        });
        try {
          const r = (await client.callTool({ name: 'render_prompt', arguments: { path: 'greeter' } })) as CallToolResult;
          assert.equal(r.isError, undefined, JSON.stringify(r));
          assert.match((r.structuredContent as { text: string }).text, /Ada in fr\.\n$/);
          assert.equal(asked.length, 1);
          const schema = (asked[0] as { requestedSchema: { properties: Record<string, unknown>; required: string[] } }).requestedSchema;
          assert.deepEqual(schema.required, ['name']);
          assert.deepEqual(schema.properties, {
            name: { type: 'string', title: 'name', description: 'who to greet' },
            lang: { type: 'string', title: 'lang', description: 'the language — one of: en, fr, de — default: en', default: 'en', enum: ['en', 'fr', 'de'] },
          });
        } finally {
          await hangUp(client);
        }
      });
    }

    it(`${era}: a declined form is a missing_variables error, not a loop`, async () => {
      const client = await connect(app.url, { era, token: ws.ownerToken, capabilities: { elicitation: { form: {} } } });
      client.setRequestHandler('elicitation/create', async () => ({ action: 'decline' }));
      try {
        const r = (await client.callTool({ name: 'render_prompt', arguments: { path: 'greeter' } })) as CallToolResult;
        assert.equal(r.isError, true);
        assert.match((r.content[0] as { text: string }).text, /^missing_variables/);
      } finally {
        await hangUp(client);
      }
    });

    it(`${era}: a prompt committed by another session reaches this one as prompts/list_changed and resources/updated`, async () => {
      const watcher = await connect(app.url, { era, token: ws.ownerToken });
      const writer = await connect(app.url, { era: 'legacy', token: ws.ownerToken });
      try {
        const listChanged = next(watcher, 'notifications/prompts/list_changed');
        const updated = next(watcher, 'notifications/resources/updated');
        if (era === 'modern') await watcher.listen({ promptsListChanged: true, resourceSubscriptions: ['rocqet://prompts/greeter'] });
        else await watcher.subscribeResource({ uri: 'rocqet://prompts/greeter' });
        const head = (await ws.owner.getPrompt({ params: { prompt: 'greeter' } })).commit.id;
        const r = (await writer.callTool({
          name: 'commit_prompt',
          arguments: { path: 'greeter', content: greeter.replace('Hello', `Hello again (${era})`), message: 'live', parent: head },
        })) as CallToolResult;
        assert.equal(r.isError, undefined, JSON.stringify(r));
        await listChanged;
        assert.deepEqual((await updated as { params: { uri: string } }).params.uri, 'rocqet://prompts/greeter');
        // The write reaches this session once (through the feed), not also through the server's own report.
        let again = 0;
        watcher.setNotificationHandler('notifications/prompts/list_changed', () => void again++);
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(again, 0, 'list_changed delivered twice for one commit');
      } finally {
        await hangUp(watcher);
        await hangUp(writer);
      }
    });
  }
});
