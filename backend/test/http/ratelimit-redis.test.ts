import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { bootstrapWorkspace } from '../../src/domain/workspaces/workspaces.js';
import { createRedisRateLimiter } from '../../src/http/rateLimit.js';
import { startBackend, type Backend } from '../../src/server.js';
import { freshDatabase } from '../support/db.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('rate limits shared through Redis (REDIS_URL)', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const backends: Backend[] = [];
  let token: string;

  before(async () => {
    database = await freshDatabase();
    const config = {
      ...loadConfig({ ...process.env, REDIS_URL: redisUrl, RATE_LIMIT: '5', RATE_LIMIT_WINDOW_MS: '60000' }),
      port: 0,
      databaseUrl: database.url,
    };
    // Two processes' worth of backends on one database, as behind a load balancer.
    for (let i = 0; i < 2; i++) backends.push(await startBackend(config, pino({ level: 'silent' })));
    const ws = await bootstrapWorkspace(backends[0]!.db, {
      slug: 'limits',
      name: 'Limits',
      type: 'team',
      plan: 'pro',
      owner: { email: 'owner@limits.test', name: 'Owner' },
    });
    token = ws.secret;
  });
  after(async () => {
    for (const b of backends) await b.close();
    await database?.drop();
  });

  it('counts one token against one limit across backends: the 6th request, on either, is 429', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await fetch(`${backends[i % 2]!.url}/v1/folders`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    assert.equal(last!.headers.get('ratelimit-limit'), '5');
    assert.equal(last!.headers.get('ratelimit-remaining'), '0');
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
    const body = (await last!.json()) as { code: string };
    assert.equal(body.code, 'rate_limited');
  });

  it('falls back to counting in the process when Redis does not answer, instead of failing requests', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    dead.on('error', () => {});
    const errors: unknown[] = [];
    const limiter = createRedisRateLimiter(dead, { limit: 2, windowMs: 60_000, onError: (e) => errors.push(e) });
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.hit('token:x'));
    assert.deepEqual(decisions.map((d) => d.allowed), [true, true, false]);
    assert.equal(errors.length, 3);
    dead.disconnect();
  });
});
