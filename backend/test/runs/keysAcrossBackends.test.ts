import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createClient, RocqetError, type Client } from '@rocqet/sdk';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { bootstrapWorkspace } from '../../src/domain/workspaces/workspaces.js';
import { startBackend, type Backend } from '../../src/server.js';
import { freshDatabase } from '../support/db.js';
import { anthropicStandIn, anthropicText, type StandIn } from './standins.js';
import { PROMPT } from './support.js';

/**
 * Two backends on one PostgreSQL (two processes' worth: separate pools, boxes, SDK clients and breakers). A key or
 * setting changed through one is what the other uses on its very next run, with no wait for any notification.
 */
describe('runs: keys and settings across backends', function () {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let anthropic: StandIn;
  let a: Backend;
  let b: Backend;
  let onA: Client;
  let onB: Client;
  let promptId: string;

  before(async () => {
    database = await freshDatabase();
    anthropic = await anthropicStandIn();
    const secret = randomBytes(32).toString('hex');
    const start = () =>
      startBackend(
        {
          ...loadConfig({ ...process.env, ROCQET_SECRET_KEY: secret, ROCQET_VALIDATE_RESPONSES: '1', RATE_LIMIT: '100000', ROCQET_EMBEDDER: 'off' }),
          port: 0,
          databaseUrl: database.url,
        },
        pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      );
    [a, b] = await Promise.all([start(), start()]);
    const created = await bootstrapWorkspace(a.db, {
      slug: 'keys-across',
      name: 'keys across',
      type: 'team',
      plan: 'pro',
      owner: { email: 'keys-across@example.com', name: 'Owner' },
    });
    onA = createClient({ baseUrl: a.url, token: created.secret });
    onB = createClient({ baseUrl: b.url, token: created.secret });
    await onA.setProviderKey({ body: { name: 'anthropic', apiKey: 'sk-ant-first-000000', baseUrl: anthropic.origin } });
    promptId = (await onA.createPrompt({ body: { title: 'Across', content: PROMPT } })).id;
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await anthropic?.close();
    await database?.drop();
  });
  beforeEach(() => {
    anthropic.reset();
    anthropic.fallback(anthropicText(['ok']));
  });

  const runOnB = () => onB.runPrompt({ params: { prompt: promptId }, body: { variables: { topic: 'tides' } } });
  const sentKeys = () => anthropic.received.map((r) => r.headers['x-api-key'] ?? r.headers.authorization);

  it('a key replaced on one backend is the key the other sends on its next run', async () => {
    // B has run with the first key (its SDK client and opened key are warm) before A replaces it.
    await runOnB();
    await runOnB();
    await onA.setProviderKey({ body: { name: 'anthropic', apiKey: 'sk-ant-second-00000', baseUrl: anthropic.origin } });
    const run = await runOnB();
    assert.equal(run.status, 'succeeded');
    const keys = sentKeys();
    assert.equal(keys.length, 3);
    assert.match(String(keys[0]), /sk-ant-first-000000/);
    assert.match(String(keys[1]), /sk-ant-first-000000/);
    assert.match(String(keys[2]), /sk-ant-second-00000/);
  });

  it('a key deleted on one backend is never used by the other afterwards', async () => {
    await runOnB();
    await onA.deleteProviderKey({ params: { name: 'anthropic' } });
    await assert.rejects(runOnB(), (err) => err instanceof RocqetError && err.code === 'provider_not_configured');
    assert.equal(anthropic.received.length, 1, 'nothing was sent after the delete');
    await onA.setProviderKey({ body: { name: 'anthropic', apiKey: 'sk-ant-third-000000', baseUrl: anthropic.origin } });
    await runOnB();
    assert.match(String(sentKeys()[1]), /sk-ant-third-000000/);
  });

  it('a budget set on one backend refuses runs on the other at once', async () => {
    await runOnB();
    await onA.updateRunSettings({ body: { monthlyBudgetUsd: 0 } });
    await assert.rejects(runOnB(), (err) => err instanceof RocqetError && err.code === 'budget_exceeded');
    await onA.updateRunSettings({ body: { monthlyBudgetUsd: null } });
    assert.equal((await runOnB()).status, 'succeeded');
  });
});
