import assert from 'node:assert/strict';
import type { Client as McpClient } from '@modelcontextprotocol/client';
import { createClient, type Client } from '@rocqet/sdk';
import { pino } from 'pino';
import { loadConfig } from '../../backend/src/config.js';
import { bootstrapWorkspace } from '../../backend/src/domain/workspaces/workspaces.js';
import { startBackend, type Backend } from '../../backend/src/server.js';
import { freshDatabase } from '../../backend/test/support/db.js';
import { connect, eras, greeter, hangUp } from './support.js';

type Method = 'notifications/prompts/list_changed' | 'notifications/resources/updated';

/** Every notification of the methods the client receives, in order, with when it arrived. */
function record(client: McpClient) {
  const seen: { method: Method; uri?: string; at: number }[] = [];
  for (const method of ['notifications/prompts/list_changed', 'notifications/resources/updated'] as Method[]) {
    client.setNotificationHandler(method, (n) => {
      seen.push({ method, uri: (n.params as { uri?: string } | undefined)?.uri, at: Date.now() });
    });
  }
  return seen;
}

async function until(what: string, pred: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Changes made over plain HTTP with another token (never through MCP) reach MCP clients through the change feed,
 * on the backend that took the write and on another backend process sharing the database (NOTIFY only).
 */
describe('MCP live: changes made elsewhere over HTTP (both eras, one and two backends)', function () {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let a: Backend;
  let b: Backend;
  let mcpToken: string;
  let http: Client;
  let n = 0;

  const start = () =>
    startBackend(
      { ...loadConfig({ ...process.env, ROCQET_VALIDATE_RESPONSES: '1', RATE_LIMIT: '100000' }), port: 0, databaseUrl: database.url },
      pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    );

  before(async () => {
    database = await freshDatabase();
    [a, b] = await Promise.all([start(), start()]);
    const created = await bootstrapWorkspace(a.db, {
      slug: 'mcp-live',
      name: 'mcp live',
      type: 'team',
      plan: 'pro',
      owner: { email: 'mcp-live@example.com', name: 'Owner' },
    });
    mcpToken = created.secret;
    const other = await createClient({ baseUrl: a.url, token: created.secret }).createToken({
      body: { name: 'plain http writer', scopes: ['read', 'write'] },
    });
    http = createClient({ baseUrl: a.url, token: other.secret });
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await database?.drop();
  });

  const changes: { name: string; run(slug: string): Promise<string[]> }[] = [
    { name: 'created', run: async (slug) => (await http.createPrompt({ body: { title: slug, slug, content: greeter } }), [slug]) },
    {
      name: 'committed',
      run: async (slug) => {
        const head = (await http.getPrompt({ params: { prompt: slug } })).commit.id;
        await http.commit({ params: { prompt: slug }, body: { content: greeter.replace('Hello', 'Hi'), message: 'elsewhere', parent: head } });
        return [slug];
      },
    },
    {
      name: 'renamed',
      run: async (slug) => (await http.updatePrompt({ params: { prompt: slug }, body: { slug: `${slug}-renamed` } }), [slug, `${slug}-renamed`]),
    },
    {
      name: 'moved',
      run: async (slug) => {
        const folder = await http.createFolder({ body: { name: `f-${slug}` } });
        await http.updatePrompt({ params: { prompt: slug }, body: { folderId: folder.id } });
        return [slug, `f-${slug}/${slug}`];
      },
    },
    { name: 'deleted', run: async (slug) => (await http.deletePrompt({ params: { prompt: slug } }), [slug]) },
  ];

  for (const where of ['the same backend', 'another backend'] as const) {
    for (const era of eras) {
      for (const change of changes) {
        it(`${era}, MCP on ${where}: a prompt ${change.name} over HTTP by another token → list_changed and resources/updated`, async () => {
          const slug = `p${++n}-${era}`;
          if (change.name !== 'created') await http.createPrompt({ body: { title: slug, slug, content: greeter } });
          const server = where === 'the same backend' ? a : b;
          const watcher = await connect(server.url, { era, token: mcpToken });
          const seen = record(watcher);
          try {
            const uri = `rocqet://prompts/${slug}`;
            if (era === 'modern') await watcher.listen({ promptsListChanged: true, resourceSubscriptions: [uri] });
            else await watcher.subscribeResource({ uri });
            // The server follows the feed from the first authenticated request; its stream must be open before writing.
            await until('the MCP server following the feed', () => server.feed.size > 0);
            await change.run(slug);
            await until('list_changed', () => seen.some((s) => s.method === 'notifications/prompts/list_changed'));
            await until(`resources/updated of ${uri}`, () => seen.some((s) => s.uri === uri));
            // Only what was subscribed to is updated.
            assert.ok(seen.every((s) => s.method !== 'notifications/resources/updated' || s.uri === uri), JSON.stringify(seen));
          } finally {
            await hangUp(watcher);
          }
        });
      }
    }
  }

  for (const era of eras) {
    for (const how of ['renamed', 'moved'] as const) {
      it(`${era}: a folder ${how} over HTTP → resources/updated for every prompt URI below it, old and new`, async () => {
        const tag = `${how}-${era}`;
        const top = await http.createFolder({ body: { name: `top-${tag}` } });
        const sub = await http.createFolder({ body: { name: 'sub', parentId: top.id } });
        const elsewhere = await http.createFolder({ body: { name: `elsewhere-${tag}` } });
        await http.createPrompt({ body: { title: 'In top', slug: 'in-top', folderId: top.id, content: greeter } });
        await http.createPrompt({ body: { title: 'In sub', slug: 'in-sub', folderId: sub.id, content: greeter } });
        const newTop = how === 'renamed' ? `renamed-${tag}` : `elsewhere-${tag}/top-${tag}`;
        const uris = [`top-${tag}/in-top`, `top-${tag}/sub/in-sub`, `${newTop}/in-top`, `${newTop}/sub/in-sub`].map((p) => `rocqet://prompts/${p}`);
        const unrelated = `rocqet://prompts/p-unrelated-${tag}`;
        const watcher = await connect(a.url, { era, token: mcpToken });
        const seen = record(watcher);
        try {
          if (era === 'modern') await watcher.listen({ resourceSubscriptions: [...uris, unrelated] });
          else for (const uri of [...uris, unrelated]) await watcher.subscribeResource({ uri });
          await until('the MCP server following the feed', () => a.feed.size > 0);
          await http.updateFolder({ params: { id: top.id }, body: how === 'renamed' ? { name: `renamed-${tag}` } : { parentId: elsewhere.id } });
          for (const uri of uris) await until(`resources/updated of ${uri}`, () => seen.some((s) => s.uri === uri));
          assert.ok(!seen.some((s) => s.uri === unrelated), JSON.stringify(seen));
        } finally {
          await hangUp(watcher);
        }
      });
    }
  }

  for (const era of eras) {
    it(`${era}: a cached prompts/get is never staler than the feed (read, commit elsewhere, list_changed, read again)`, async () => {
      const slug = `cached-${era}`;
      await http.createPrompt({ body: { title: slug, slug, content: greeter } });
      const watcher = await connect(a.url, { era, token: mcpToken });
      const seen = record(watcher);
      try {
        if (era === 'modern') await watcher.listen({ promptsListChanged: true });
        const text = async () =>
          ((await watcher.getPrompt({ name: slug, arguments: { name: 'Ada' } })).messages[0]!.content as { text: string }).text;
        assert.match(await text(), /^Hello Ada/);
        assert.match(await text(), /^Hello Ada/); // now from memory
        for (const greeting of ['Hi', 'Howdy']) {
          const head = (await http.getPrompt({ params: { prompt: slug } })).commit.id;
          const before = seen.length;
          await http.commit({ params: { prompt: slug }, body: { content: greeter.replace('Hello', greeting), message: greeting, parent: head } });
          await until('list_changed', () => seen.slice(before).some((s) => s.method === 'notifications/prompts/list_changed'));
          assert.match(await text(), new RegExp(`^${greeting} Ada`));
        }
      } finally {
        await hangUp(watcher);
      }
    });
  }
});
