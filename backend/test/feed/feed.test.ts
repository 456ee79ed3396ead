import assert from 'node:assert/strict';
import { buildOpenApi, routes, type RouteDef } from '@rocqet/sdk';
import { inTransaction } from '../../src/db/transaction.js';
import { recordAudit } from '../../src/domain/audit.js';
import { addMemberWithToken, assertProblem, send, type TestMember } from '../support/api.js';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { openFeed, sleep, type OpenFeed } from './support.js';

/** Long enough for an event that would come to come (local delivery takes milliseconds). */
const QUIET_MS = 300;

describe('change feed (GET /v1/events)', function () {
  let app: TestApp;
  let ws: TestWorkspace;
  const open: OpenFeed[] = [];
  const feed = async (token: string, opts: Parameters<typeof openFeed>[2] = {}) => {
    const f = await openFeed(app.url, token, opts);
    open.push(f);
    return f;
  };

  before(async () => {
    app = await startTestApp({ ROCQET_FEED_HEARTBEAT_MS: '50', ROCQET_FEED_MAX_PER_TOKEN: '3' });
    ws = await app.workspace();
  });
  afterEach(() => open.splice(0).forEach((f) => f.close()));
  after(() => app.close());

  async function newPrompt(slug: string, folderId?: string) {
    return ws.owner.createPrompt({ body: { title: slug, slug, content: `# ${slug}\n`, ...(folderId ? { folderId } : {}) } });
  }

  it('streams a commit as it commits: id, action and what a client needs to invalidate', async () => {
    const folder = await ws.owner.createFolder({ body: { name: 'stream' } });
    const p = await newPrompt('first', folder.id);
    const f = await feed(ws.ownerToken);
    assert.equal(f.status, 200);
    assert.match(f.headers.get('content-type') ?? '', /^text\/event-stream/);
    const c = await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'v2', message: 'two', parent: p.commit.id } });
    const [e] = await f.waitFor(1);
    assert.equal(e!.event, 'prompt.commit');
    assert.equal(e!.id, e!.data.id);
    assert.deepEqual(e!.data.subject, { promptId: p.id, path: 'stream/first', folderId: folder.id, branch: 'main', tag: null });
    assert.equal((e!.data.changes.after as { head: string }).head, c.id);
    const [row] = await app.backend.db.$queryRaw<{ id: bigint }[]>`SELECT max(id) AS id FROM audit_entry WHERE workspace_id = ${ws.id}::uuid`;
    assert.equal(e!.id, row!.id.toString(), 'the event id is the audit id');
  });

  it('20 concurrent writers: every event once, in id order, and every audited change has its event', async () => {
    const prompts = await Promise.all(Array.from({ length: 20 }, (_, i) => newPrompt(`writer-${i}`)));
    const f = await feed(ws.ownerToken);
    await Promise.all(
      prompts.map(async (p) => {
        let parent = p.commit.id;
        for (let k = 0; k < 3; k++) {
          parent = (await ws.owner.commit({ params: { prompt: p.id }, body: { content: `v${k}`, message: `m${k}`, parent } })).id;
        }
      }),
    );
    const events = await f.waitFor(60);
    const ids = events.map((e) => BigInt(e.id));
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `ids increase: ${ids[i - 1]} then ${ids[i]}`);
    const rows = await app.backend.db.$queryRaw<{ id: bigint }[]>`
      SELECT id FROM audit_entry WHERE workspace_id = ${ws.id}::uuid AND id >= ${ids[0]!} ORDER BY id`;
    assert.deepEqual(ids, rows.map((r) => r.id));
    assert.deepEqual(await f.settle(QUIET_MS).then((e) => e.length), 60, 'no duplicate comes later');
  });

  it('cursor reads never skip an entry, even when transactions commit out of id order (20 slow writers)', async () => {
    // The mechanism itself, without the HTTP layer: each writer appends its entry at once, then holds its
    // transaction open for a random time. A reader polling "id > cursor" must still see every entry.
    const db = app.backend.db;
    const [start] = await db.$queryRaw<{ id: bigint | null }[]>`SELECT max(id) AS id FROM audit_entry WHERE workspace_id = ${ws.id}::uuid`;
    let cursor = start?.id ?? 0n;
    const seen: bigint[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing || seen.length < 20) {
        const rows = await app.backend.pool.query<{ id: string }>(
          'SELECT id::text AS id FROM audit_entry WHERE workspace_id = $1::uuid AND id > $2::bigint ORDER BY id',
          [ws.id, cursor.toString()],
        );
        for (const r of rows.rows) seen.push(BigInt(r.id));
        if (rows.rows.length) cursor = BigInt(rows.rows.at(-1)!.id);
        if (!writing && rows.rows.length === 0) break;
        await sleep(1);
      }
    })();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.$transaction(async (tx) => {
          await recordAudit(tx, null, { workspaceId: ws.id, action: 'test.slow', resourceType: 'test', resourceId: String(i) });
          await tx.$executeRaw`SELECT pg_sleep(${Math.random() * 0.15})`;
        }),
      ),
    );
    writing = false;
    await reader;
    assert.equal(seen.length, 20, `the reader saw ${seen.length} of 20 entries`);
  });

  it('never an event for a rolled-back change', async () => {
    const p = await newPrompt('rollback');
    const f = await feed(ws.ownerToken);
    await assert.rejects(
      inTransaction(app.backend.db, async (tx) => {
        await recordAudit(tx, null, { workspaceId: ws.id, action: 'prompt.update', resourceType: 'prompt', resourceId: p.id });
        throw new Error('the change fails after its audit entry');
      }),
      /the change fails/,
    );
    // A refused request (the branch moved) rolls back too.
    const stale = await send(app, 'POST', `/v1/prompts/${p.id}/commits`, {
      token: ws.ownerToken,
      json: { content: 'x', message: 'x', parent: '00000000-0000-4000-8000-000000000000' },
    });
    assert.ok(stale.status >= 400);
    await ws.owner.updatePrompt({ params: { prompt: p.id }, body: { title: 'after the rollback' } });
    const [e] = await f.waitFor(1);
    assert.equal(e!.event, 'prompt.update');
    assert.equal((e!.data.changes.after as { title: string }).title, 'after the rollback');
    assert.equal((await f.settle(QUIET_MS)).length, 1);
  });

  it('resumes after Last-Event-ID (or ?after=) with no gap and no duplicate', async () => {
    const p = await newPrompt('resume');
    const first = await feed(ws.ownerToken);
    let parent = p.commit.id;
    const commit = async (n: number) => {
      for (let i = 0; i < n; i++) {
        parent = (await ws.owner.commit({ params: { prompt: p.id }, body: { content: `r${parent}`, message: 'r', parent } })).id;
      }
    };
    await commit(5);
    const seen = await first.waitFor(5);
    first.close();
    await commit(3); // while nobody listens
    const expected = [...seen.slice(3).map((e) => e.id)];
    const byHeader = await feed(ws.ownerToken, { lastEventId: seen[2]!.id });
    const byQuery = await feed(ws.ownerToken, { query: { after: seen[2]!.id } });
    for (const f of [byHeader, byQuery]) {
      const got = await f.waitFor(5);
      assert.deepEqual(got.slice(0, 2).map((e) => e.id), expected);
      assert.equal(new Set(got.map((e) => e.id)).size, 5);
    }
    await commit(1);
    for (const f of [byHeader, byQuery]) assert.equal((await f.waitFor(6)).length, 6);
    assert.equal((await byHeader.settle(QUIET_MS)).length, 6);
  });

  it('410 feed_cursor_expired for an id older than the replay window, of another workspace, or never handed out', async () => {
    const other = await app.workspace();
    const [theirs] = await app.backend.db.$queryRaw<{ id: bigint }[]>`SELECT max(id) AS id FROM audit_entry WHERE workspace_id = ${other.id}::uuid`;
    const [old] = await app.backend.db.$queryRaw<{ id: bigint }[]>`
      UPDATE audit_entry SET created_at = now() - interval '8 days'
       WHERE id = (SELECT min(id) FROM audit_entry WHERE workspace_id = ${ws.id}::uuid) RETURNING id`;
    for (const cursor of [old!.id.toString(), theirs!.id.toString(), '9000000000000000000']) {
      const f = await feed(ws.ownerToken, { lastEventId: cursor });
      assert.equal(f.status, 410, `cursor ${cursor}`);
      assert.equal(f.problem?.code, 'feed_cursor_expired');
    }
    const bad = await send(app, 'GET', '/v1/events?after=abc', { token: ws.ownerToken });
    assertProblem(bad, 400, 'validation_failed');
  });

  it('filters by prompt, by folder subtree and by action types', async () => {
    const top = await ws.owner.createFolder({ body: { name: 'filters' } });
    const sub = await ws.owner.createFolder({ body: { name: 'sub', parentId: top.id } });
    const elsewhere = await ws.owner.createFolder({ body: { name: 'elsewhere' } });
    const a = await newPrompt('in-sub', sub.id);
    const b = await newPrompt('outside', elsewhere.id);
    const byPrompt = await feed(ws.ownerToken, { query: { prompt: 'elsewhere/outside' } });
    const byFolder = await feed(ws.ownerToken, { query: { folder: top.id } });
    const byType = await ws.owner.createToken({ body: { name: 'types', scopes: ['read'] } });
    const byTypes = await feed(byType.secret, { query: { types: 'tag,prompt.update' } });
    await ws.owner.commit({ params: { prompt: b.id }, body: { content: 'b2', message: 'b2', parent: b.commit.id } });
    await ws.owner.commit({ params: { prompt: a.id }, body: { content: 'a2', message: 'a2', parent: a.commit.id } });
    await ws.owner.createTag({ params: { prompt: a.id }, body: { name: 'v1' } });
    await ws.owner.updatePrompt({ params: { prompt: b.id }, body: { folderId: sub.id } }); // moved into the subtree
    await ws.owner.createFolder({ body: { name: 'deeper', parentId: sub.id } });
    await ws.owner.updatePrompt({ params: { prompt: a.id }, body: { title: 'renamed' } });

    assert.deepEqual((await byPrompt.waitFor(2)).map((e) => e.event), ['prompt.commit', 'prompt.move']);
    assert.deepEqual(
      (await byFolder.waitFor(5)).map((e) => e.event),
      ['prompt.commit', 'tag.create', 'prompt.move', 'folder.create', 'prompt.update'],
    );
    assert.deepEqual((await byTypes.waitFor(2)).map((e) => e.event), ['tag.create', 'prompt.update']);
    assert.equal((await byTypes.settle(QUIET_MS)).length, 2);
    assert.equal(byFolder.events.length, 5);
    assert.equal(byPrompt.events.length, 2);

    const unknown = await send(app, 'GET', '/v1/events?prompt=nope/none', { token: ws.ownerToken });
    assertProblem(unknown, 404, 'not_found');
    const badTypes = await send(app, 'GET', '/v1/events?types=PROMPT;drop', { token: ws.ownerToken });
    assertProblem(badTypes, 400, 'validation_failed');
  });

  it('never leaks another workspace', async () => {
    const other = await app.workspace();
    const mine = await feed(ws.ownerToken);
    const theirs = await feed(other.ownerToken);
    await other.owner.createFolder({ body: { name: 'theirs' } });
    await ws.owner.createFolder({ body: { name: 'mine-only' } });
    const [e] = await mine.waitFor(1);
    assert.equal((e!.data.changes.after as { name: string }).name, 'mine-only');
    assert.equal((await mine.settle(QUIET_MS)).length, 1);
    assert.equal((await theirs.waitFor(1))[0]!.data.changes.after && theirs.events.length, 1);
    // A cursor of the other workspace does not open its feed either (410 above); a token of one never reads the other.
  });

  it('a viewer hears library changes, not the audit trail of people and tokens, and not where changes came from', async () => {
    const viewer: TestMember = await addMemberWithToken(app, ws, 'viewer', ['read']);
    const f = await feed(viewer.token);
    await ws.owner.createToken({ body: { name: 'secret-ish', scopes: ['read'] } });
    await ws.owner.createFolder({ body: { name: 'visible' } });
    const [e] = await f.waitFor(1);
    assert.equal(e!.event, 'folder.create');
    assert.equal(e!.data.ip, null);
    assert.equal(e!.data.userAgent, null);
    assert.equal((await f.settle(QUIET_MS)).length, 1);
    const noScope = await ws.owner.createToken({ body: { name: 'no read', scopes: ['write'] } });
    assertProblem(await send(app, 'GET', '/v1/events', { token: noScope.secret }), 403, 'insufficient_scope');
    assertProblem(await send(app, 'GET', '/v1/events', {}), 401, 'unauthenticated');
  });

  it('sends heartbeats, limits streams per token, and forgets a subscriber that hung up', async () => {
    const token = (await ws.owner.createToken({ body: { name: 'limited', scopes: ['read'] } })).secret;
    const streams = [await feed(token), await feed(token), await feed(token)];
    await sleep(200);
    assert.ok(streams[0]!.comments >= 3, `heartbeats every 50 ms: got ${streams[0]!.comments} comment lines`);
    const fourth = await send(app, 'GET', '/v1/events', { token });
    assertProblem(fourth, 429, 'rate_limited');
    const metrics = async () => (await send(app, 'GET', '/metrics')).text;
    assert.match(await metrics(), /^rocqet_feed_subscribers 3$/m);
    streams.forEach((s) => s.close());
    for (let i = 0; i < 100 && app.backend.feed.size > 0; i++) await sleep(20);
    assert.equal(app.backend.feed.size, 0);
    assert.match(await metrics(), /^rocqet_feed_subscribers 0$/m);
    assert.match(await metrics(), /^rocqet_feed_events_delivered_total [1-9]/m);
    assert.equal((await feed(token)).status, 200, 'a slot is free again');
  });

  it('is documented in /openapi.json', () => {
    const doc = buildOpenApi(routes as Record<string, RouteDef>, { version: 'test' }) as {
      paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>;
    };
    const get = doc.paths['/v1/events']?.get;
    assert.ok(get?.responses['200']?.content?.['text/event-stream']);
    assert.ok(get?.responses['410']);
  });
});
