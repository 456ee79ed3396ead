import assert from 'node:assert/strict';
import { UsageCounter } from '../../src/domain/prompts/usage.js';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Usage counters are written by whichever flush comes: the interval's, a read of the top prompts (which flushes
 * first), another backend process's. Flushes that overlap on some prompts must all land, exactly, and none may fail:
 * a failed flush made GET /v1/prompts/top answer 409 in CI.
 */
describe('usage counters: overlapping flushes', function () {
  this.timeout(120_000);
  let app: TestApp;
  let ids: string[];
  before(async () => {
    app = await startTestApp();
    const ws = await app.workspace();
    ids = [];
    for (let i = 0; i < 12; i++) ids.push((await ws.owner.createPrompt({ body: { title: `Counted ${i}`, content: 'x' } })).id);
  });
  after(async () => {
    await app?.close();
  });

  const counts = async () => {
    const { rows } = await app.backend.pool.query<{ id: string; view_count: number; render_count: number }>(
      'SELECT id::text, view_count::int AS view_count, render_count::int AS render_count FROM prompt WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return new Map(rows.map((r) => [r.id, [r.view_count, r.render_count]]));
  };

  it('two processes flushing the same prompts in opposite orders, 40 rounds: every count lands, no flush fails', async () => {
    const start = await counts();
    const a = new UsageCounter(app.backend.db);
    const b = new UsageCounter(app.backend.db);
    const rounds = 40;
    for (let r = 0; r < rounds; r++) {
      for (const id of ids) a.render(id);
      for (const id of [...ids].reverse()) {
        b.render(id, 2);
        b.view(id);
      }
      await Promise.all([a.flush(), b.flush()]);
    }
    const end = await counts();
    for (const id of ids) {
      assert.deepEqual(end.get(id), [start.get(id)![0]! + rounds, start.get(id)![1]! + 3 * rounds], id);
    }
  });

  it('flushes called while one is running (the interval and a top-prompts read) each include what came before them', async () => {
    const start = await counts();
    const c = new UsageCounter(app.backend.db);
    const flushes: Promise<void>[] = [];
    for (let r = 0; r < 30; r++) {
      for (const id of r % 2 ? ids : [...ids].reverse()) c.render(id);
      flushes.push(c.flush());
    }
    await Promise.all(flushes);
    const end = await counts();
    for (const id of ids) assert.equal(end.get(id)![1], start.get(id)![1]! + 30, id);
  });
});
