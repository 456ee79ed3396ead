import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.js';

// Bad settings fail in loadConfig, before the server, the embedded database or the embedder start.
describe('configuration from the environment', () => {
  it('defaults: loopback, port 4300, embedded database, no Redis', () => {
    const c = loadConfig({});
    assert.deepEqual([c.host, c.port, c.databaseUrl, c.redisUrl, c.poolSize], ['127.0.0.1', 4300, undefined, undefined, 10]);
  });

  it('accepts PostgreSQL and Redis URLs, Unix-socket form included', () => {
    for (const url of ['postgres://u:p@db:5432/rocqet', 'postgresql://localhost/rocqet', 'postgres:///rocqet?host=/var/run/postgresql']) {
      assert.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url);
    }
    assert.equal(loadConfig({ REDIS_URL: 'rediss://cache:6380' }).redisUrl, 'rediss://cache:6380');
    assert.equal(loadConfig({ DATABASE_URL: '', REDIS_URL: '' }).databaseUrl, undefined, 'empty means unset');
  });

  const refusals: [Record<string, string>, RegExp][] = [
    [{ PORT: 'abc' }, /^PORT must be a whole number, got "abc"$/],
    [{ PORT: '-1' }, /^PORT must be a whole number/],
    [{ DATABASE_POOL_SIZE: '2.5' }, /^DATABASE_POOL_SIZE must be a whole number/],
    [{ DATABASE_URL: 'not-a-url' }, /^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL such as postgres:\/\/user:password@localhost:5432\/rocqet$/],
    [{ DATABASE_URL: 'mysql://h/db' }, /^DATABASE_URL must be a postgres:\/\//],
    [{ REDIS_URL: 'http://cache' }, /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ ROCQET_EMBEDDER: 'bogus' }, /^ROCQET_EMBEDDER must be local, openai or off, got "bogus"$/],
    [{ ROCQET_EMBEDDER_WORKERS: 'two' }, /^ROCQET_EMBEDDER_WORKERS must be a whole number/],
    [{ ROCQET_EMBEDDER_WORKERS: '0' }, /^ROCQET_EMBEDDER_WORKERS must be at least 1$/],
    [{ ROCQET_PUBLIC_URL: 'rocqet.example.com' }, /^ROCQET_PUBLIC_URL must be a http:\/\/ or https:\/\/ URL/],
    [{ ROCQET_PUBLIC_URL: 'javascript:alert(1)' }, /^ROCQET_PUBLIC_URL must be a http:\/\/ or https:\/\/ URL/],
    [{ ROCQET_PUBLIC_URL: 'https://rocqet.example.com/?x=1' }, /^ROCQET_PUBLIC_URL must not carry a query, a fragment or credentials/],
    [{ ROCQET_PUBLIC_URL: 'https://u:p@rocqet.example.com' }, /^ROCQET_PUBLIC_URL must not carry a query, a fragment or credentials/],
    [{ ROCQET_PUBLIC_URL: 'https://rocqet.example.com/#top' }, /^ROCQET_PUBLIC_URL must not carry a query, a fragment or credentials/],
    [{ ROCQET_FEED_REPLAY: 'a week' }, /^ROCQET_FEED_REPLAY must be a duration such as 90s, 30m, 12h or 7d, got "a week"$/],
    [{ ROCQET_FEED_REPLAY: '0d' }, /^ROCQET_FEED_REPLAY must be a duration/],
    [{ ROCQET_FEED_HEARTBEAT_MS: '1.5s' }, /^ROCQET_FEED_HEARTBEAT_MS must be a duration/],
    [{ ROCQET_FEED_MAX_PER_TOKEN: 'many' }, /^ROCQET_FEED_MAX_PER_TOKEN must be a whole number/],
    [{ ROCQET_LIVE_RECHECK: 'often' }, /^ROCQET_LIVE_RECHECK must be a duration such as 90s/],
  ];
  for (const [env, message] of refusals) {
    it(`refuses ${JSON.stringify(env)}`, () => assert.throws(() => loadConfig(env), (err: Error) => message.test(err.message)));
  }

  it('ROCQET_PUBLIC_URL: unset by default; kept without a trailing slash, path prefix included', () => {
    assert.equal(loadConfig({}).publicUrl, undefined);
    assert.equal(loadConfig({ ROCQET_PUBLIC_URL: '' }).publicUrl, undefined);
    assert.equal(loadConfig({ ROCQET_PUBLIC_URL: 'https://rocqet.example.com/' }).publicUrl, 'https://rocqet.example.com');
    assert.equal(loadConfig({ ROCQET_PUBLIC_URL: 'http://10.0.0.5:4300/api/' }).publicUrl, 'http://10.0.0.5:4300/api');
  });

  it('the feed: a 7-day replay window, 15 s heartbeats, 10 streams per token; durations with units', () => {
    assert.deepEqual(loadConfig({}).feed, { replayMs: 7 * 86_400_000, heartbeatMs: 15_000, maxPerToken: 10 });
    const c = loadConfig({ ROCQET_FEED_REPLAY: '12h', ROCQET_FEED_HEARTBEAT_MS: '250', ROCQET_FEED_MAX_PER_TOKEN: '2' });
    assert.deepEqual(c.feed, { replayMs: 12 * 3_600_000, heartbeatMs: 250, maxPerToken: 2 });
    assert.equal(loadConfig({ ROCQET_FEED_REPLAY: '90s' }).feed.replayMs, 90_000);
  });

  it('open streams and sockets re-check their token every 60 s unless ROCQET_LIVE_RECHECK says otherwise', () => {
    assert.equal(loadConfig({}).liveRecheckMs, 60_000);
    assert.equal(loadConfig({ ROCQET_LIVE_RECHECK: '5s' }).liveRecheckMs, 5_000);
  });

  it('ROCQET_EMBEDDER: any case, and "none" for off', () => {
    for (const v of ['LOCAL', 'OpenAI', 'off', 'none']) assert.doesNotThrow(() => loadConfig({ ROCQET_EMBEDDER: v }));
  });
});
