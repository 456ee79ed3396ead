import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSearchService } from '../../src/search/service.js';
import { assertProblem, send } from '../support/api.js';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { FakeEmbedder } from './support/fakeEmbedder.js';

describe('search API: GET /v1/search and /v1/search/status', function () {
  this.timeout(60_000);
  let app: TestApp;
  let ws: TestWorkspace;
  let embedder: FakeEmbedder;
  const previous = process.env.ROCQET_EMBEDDER;

  before(async () => {
    // The backend's own service would load the local model; this suite plugs in the stand-in instead.
    process.env.ROCQET_EMBEDDER = 'off';
    embedder = new FakeEmbedder();
    app = await startTestApp({}, {
      search: (db) => createSearchService({ db, embedder, worker: { pollMs: 20, backoffMs: 50, maxBackoffMs: 200 } }),
    });
    ws = await app.workspace();
  });
  after(async () => {
    if (previous === undefined) delete process.env.ROCQET_EMBEDDER;
    else process.env.ROCQET_EMBEDDER = previous;
    await app?.close();
  });

  const get = (path: string, token = ws.ownerToken) => send(app, 'GET', path, { token });

  it('validates the query', async () => {
    assertProblem(await get('/v1/search'), 400, 'validation_failed');
    assertProblem(await get('/v1/search?q='), 400, 'validation_failed');
    assertProblem(await get('/v1/search?q=%20%20'), 400, 'validation_failed');
    assertProblem(await get(`/v1/search?q=${'x'.repeat(501)}`), 400, 'validation_failed');
    const mode = assertProblem(await get('/v1/search?q=x&mode=fuzzy'), 400, 'validation_failed');
    assert.match(mode.detail ?? '', /mode/);
    assertProblem(await get('/v1/search?q=x&author=bob'), 400, 'validation_failed');
    assertProblem(await get('/v1/search?q=x&updatedSince=yesterday'), 400, 'validation_failed');
    assertProblem(await get('/v1/search?q=x&limit=0'), 400, 'validation_failed');
    assertProblem(await get('/v1/search?q=x&tag=two%20words'), 400, 'validation_failed');
    assertProblem(await get('/v1/search?q=x&sort=new'), 400, 'validation_failed');
    const folder = assertProblem(await get('/v1/search?q=x&folder=Nowhere'), 404, 'not_found');
    assert.match(folder.detail ?? '', /Nowhere/);
    assertProblem(await get('/v1/search?q=x&cursor=garbage'), 400, 'invalid_cursor');
    assertProblem(await send(app, 'GET', '/v1/search?q=x'), 401, 'unauthenticated');
  });

  it('finds a prompt created through the API: full text at once, semantic after its job', async () => {
    const folder = await ws.owner.createFolder({ body: { name: 'Ops' } });
    const created = await ws.owner.createPrompt({
      body: { title: 'Kubernetes Troubleshooter', tags: ['ops'], folderId: folder.id, content: 'Diagnose crashing pods, read events and logs, suggest kubectl commands.' },
    });
    const ft = await ws.owner.search({ query: { q: 'kubectl pods', mode: 'fulltext' } });
    assert.equal(ft.items[0]?.id, created.id);
    assert.equal(ft.items[0]?.path, 'Ops/kubernetes-troubleshooter');
    assert.deepEqual(ft.facets.tags, [{ tag: 'ops', count: 1 }]);
    assert.deepEqual(ft.facets.folders, [{ folderId: folder.id, path: 'Ops', count: 1 }]);
    assert.match(ft.items[0]?.snippet ?? '', /<mark>kubectl<\/mark>/);
    // The worker was woken by the commit: wait for the vector, then semantic finds it too.
    for (let i = 0; (await ws.owner.searchStatus()).pending > 0; i++) {
      if (i > 500) throw new Error('the index job never ran');
      await sleep(20);
    }
    const status = await ws.owner.searchStatus();
    assert.deepEqual(status, { pending: 0, failed: 0, embedded: 1, total: 1, model: embedder.model, lastError: null });
    const sem = await ws.owner.search({ query: { q: 'kubernetes troubleshooter pods', mode: 'semantic' } });
    assert.equal(sem.items[0]?.id, created.id);
    assert.ok(sem.items[0]?.matchedBy.includes('semantic'));
    const hybrid = await ws.owner.search({ query: { q: 'Kubernets troubleshoter' } });
    assert.equal(hybrid.mode, 'hybrid');
    assert.equal(hybrid.items[0]?.id, created.id);
    // "Kubernets" shares its English stem with "Kubernetes", so it matches as typed and only the second word is corrected.
    assert.equal(hybrid.corrected, 'Kubernets troubleshooter');
    assert.equal(ft.corrected, null);
  });

  it('corrects misspelt words and completes the last one as soon as a prompt is committed; odd input gets an answer', async () => {
    const own = await app.workspace();
    const get = (path: string) => send(app, 'GET', path, { token: own.ownerToken });
    const created = await own.owner.createPrompt({ body: { title: 'Quokka Wrangler', content: 'Herd marsupials gently across Rottnest.' } });
    const typo = await own.owner.search({ query: { q: 'qoukka wrangelr', mode: 'fulltext' } });
    assert.equal(typo.items[0]?.id, created.id);
    assert.equal(typo.corrected, 'quokka wrangler');
    const prefix = await own.owner.search({ query: { q: 'marsupials rottn', mode: 'fulltext' } });
    assert.equal(prefix.items[0]?.id, created.id);
    assert.equal(prefix.corrected, null);
    for (const q of ['a:* & b | !c', '!!!', '∑', '"', '- - -', 'x'.repeat(500), 'word '.repeat(99).trim()]) {
      const res = await get(`/v1/search?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, `${q}: ${res.text.slice(0, 300)}`);
    }
  });

  it('reports failures in status while the embedder is down, and recovers', async () => {
    embedder.behaviour = 'fail';
    await ws.owner.createPrompt({ body: { title: 'Flaky Embedding Target', content: 'text that will fail to embed at first' } });
    for (let i = 0; (await ws.owner.searchStatus()).failed === 0; i++) {
      if (i > 500) throw new Error('the failure was never recorded');
      await sleep(20);
    }
    const down = await ws.owner.searchStatus();
    assert.equal(down.pending, 1);
    assert.match(down.lastError ?? '', /unavailable \(503\)/);
    // Hybrid search still answers (the query embedding fails too: it degrades to full text).
    const r = await ws.owner.search({ query: { q: 'flaky embedding target' } });
    assert.equal(r.mode, 'fulltext');
    assert.equal(r.items[0]?.title, 'Flaky Embedding Target');
    assertProblem(await get('/v1/search?q=flaky&mode=semantic'), 503, 'unavailable');
    embedder.behaviour = 'ok';
    for (let i = 0; (await ws.owner.searchStatus()).pending > 0; i++) {
      if (i > 1_000) throw new Error('the job was never retried');
      await sleep(20);
    }
    assert.equal((await ws.owner.searchStatus()).embedded, 2);
  });

  it("another workspace's token sees none of these prompts", async () => {
    const other = await app.workspace();
    const r = await other.owner.search({ query: { q: 'kubernetes troubleshooter', mode: 'hybrid' } });
    assert.equal(r.items.length, 0);
    assert.deepEqual(await other.owner.searchStatus(), { pending: 0, failed: 0, embedded: 0, total: 0, model: embedder.model, lastError: null });
  });
});
