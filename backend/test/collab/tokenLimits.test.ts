import assert from 'node:assert/strict';
import { createClient, type Client } from '@rocqet/sdk';
import { pino } from 'pino';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { bootstrapWorkspace } from '../../src/domain/workspaces/workspaces.js';
import { startBackend, type Backend } from '../../src/server.js';
import { freshDatabase } from '../support/db.js';
import { openFeed, type OpenFeed } from '../feed/support.js';
import { closeOf, draftPrompt, rawClient, until, startChild, type Child, type RawClient } from './support.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEASE_MS = 600;

/**
 * ROCQET_FEED_MAX_PER_TOKEN and ROCQET_COLLAB_MAX_CONNECTIONS_PER_TOKEN hold across backend processes sharing Redis,
 * and a process that dies gives its slots back once its lease runs out. Two real backend processes.
 */
describe('per-token connection limits across two backend processes (Redis)', function () {
  this.timeout(120_000);
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let control: Backend;
  let owner: Client;
  let room: string;
  let a: Child;
  let b: Child;
  const open: { close(): void }[] = [];

  before(async () => {
    database = await freshDatabase();
    control = await startBackend({ ...loadConfig(), port: 0, databaseUrl: database.url }, pino({ level: 'silent' }));
    const created = await bootstrapWorkspace(control.db, {
      slug: 'limits',
      name: 'Limits',
      type: 'team',
      plan: 'pro',
      owner: { email: 'owner@example.com', name: 'Owner' },
    });
    owner = createClient({ baseUrl: control.url, token: created.secret });
    room = (await draftPrompt(owner, 'text\n')).room;
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      ROCQET_FEED_MAX_PER_TOKEN: '2',
      ROCQET_COLLAB_MAX_CONNECTIONS_PER_TOKEN: '2',
      ROCQET_COLLAB_LEASE_MS: String(LEASE_MS),
    };
    [a, b] = await Promise.all([startChild(env), startChild(env)]);
  });
  afterEach(() => open.splice(0).forEach((o) => o.close()));
  after(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await control?.close();
    await database?.drop();
  });

  const newToken = async () => (await owner.createToken({ body: { name: 'limited', scopes: ['read', 'write'] } })).secret;
  const feed = async (c: Child, token: string): Promise<OpenFeed> => {
    const f = await openFeed(c.url, token);
    open.push(f);
    return f;
  };
  const socket = async (c: Child, token: string): Promise<RawClient> => {
    const s = await rawClient(`${c.collabUrl}/${room}`, token);
    open.push(s);
    return s;
  };
  /** Whether a socket is admitted (the server's first sync message arrives) rather than closed; it stays open. */
  const admitted = (c: Child, token: string) =>
    new Promise<boolean>((resolve) => {
      const ws = new WebSocket(`${c.collabUrl}/${room}`, { headers: { authorization: `Bearer ${token}` } });
      open.push({ close: () => ws.close() });
      ws.once('message', () => resolve(true));
      ws.once('close', () => resolve(false));
      ws.on('error', () => resolve(false));
    });
  const socketRefusal = (c: Child, token: string) => closeOf(`${c.collabUrl}/${room}`, { authorization: `Bearer ${token}` });

  it('feed streams: two on A and B together, the third refused on either; a closed one frees its slot', async () => {
    const token = await newToken();
    const first = await feed(a, token);
    assert.equal(first.status, 200);
    assert.equal((await feed(b, token)).status, 200);
    for (const c of [a, b]) {
      const third = await feed(c, token);
      assert.equal(third.status, 429);
      assert.equal(third.problem?.code, 'rate_limited');
      assert.match(third.problem?.detail ?? '', /ROCQET_FEED_MAX_PER_TOKEN/);
    }
    first.close();
    await until(async () => {
      const again = await feed(b, token);
      return again.status === 200;
    }, 'the freed slot');
  });

  it('collab sockets: two on A and B together, the third refused (4429) on either; a closed one frees its slot', async () => {
    const token = await newToken();
    const first = await socket(a, token);
    await socket(b, token);
    for (const c of [a, b]) assert.deepEqual(await socketRefusal(c, token), { code: 4429, reason: 'too many connections for this token' });
    first.close();
    await until(() => admitted(b, token), 'the freed slot');
  });

  it('a process killed with -9 gives its slots back once its lease runs out', async () => {
    const token = await newToken();
    await feed(a, token);
    await feed(a, token);
    await socket(a, token);
    await socket(a, token);
    assert.equal((await feed(b, token)).status, 429);
    assert.equal((await socketRefusal(b, token)).code, 4429);
    await a.kill();
    await until(async () => (await feed(b, token)).status === 200, 'a feed slot after the crash');
    await until(() => admitted(b, token), 'a collab slot after the crash');
  });
});
