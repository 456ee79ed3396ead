import assert from 'node:assert/strict';
import type pg from 'pg';
import { addMemberWithToken, assertProblem, MISSING_ID, refused, send, tokenIdOf, type Answer } from '../support/api.js';
import { runsWorkspace, startRunsWorld, type RunsWorld, type RunsWorkspace } from './support.js';

/**
 * A run's reads start while its token is being checked, once this process has seen the token before (bind.ts
 * bindEarly). That must change nothing anyone is answered: the same status and code as a token seen for the first
 * time, in the same precedence (authentication, scope, input, role, then the prompt), and nothing written when
 * refused.
 */
describe('runs: reads that start before the token is checked', function () {
  let w: RunsWorld;
  let ws: RunsWorkspace;
  before(async () => {
    w = await startRunsWorld();
    ws = await runsWorkspace(w);
  });
  after(async () => {
    await w?.close();
  });

  const run = (token: string, prompt: string, json: unknown = { variables: { topic: 'tides' } }) =>
    send(w.app, 'POST', `/v1/prompts/${prompt}/runs`, { token, json });
  /** The token, known to the backend: it has authenticated once (a read that any token may make). */
  const known = async (token: string) => {
    const me = await send(w.app, 'GET', '/v1/me', { token });
    assert.equal(me.status, 200, me.text);
    return token;
  };

  /** The pool's statements during `body`, as start/end events in order, each marked whether it read the token. */
  async function statements(body: () => Promise<Answer>): Promise<{ answer: Answer; events: string[] }> {
    const pool = w.app.backend.pool as pg.Pool & { query: (...args: unknown[]) => Promise<unknown> };
    const original = pool.query;
    const events: string[] = [];
    pool.query = function (this: unknown, ...args: unknown[]) {
      const config = args[0] as string | { text: string };
      const kind = (typeof config === 'string' ? config : config.text).includes('api_token') ? 'token' : 'read';
      events.push(`start ${kind}`);
      const result = original.apply(this, args) as Promise<unknown>;
      void result.then(
        () => events.push(`end ${kind}`),
        () => events.push(`end ${kind}`),
      );
      return result;
    } as typeof pool.query;
    try {
      return { answer: await body(), events };
    } finally {
      pool.query = original;
    }
  }

  it('the first run of a token reads after the token is checked; the next ones read while it is', async () => {
    const fresh = await addMemberWithToken(w.app, ws, 'editor', ['read', 'write']);
    const first = await statements(() => run(fresh.token, ws.promptId));
    assert.equal(first.answer.status, 200, first.answer.text);
    const firstRead = first.events.indexOf('start read');
    assert.ok(firstRead > first.events.indexOf('end token'), `first run: ${first.events.join(', ')}`);
    const next = await statements(() => run(fresh.token, ws.promptId));
    assert.equal(next.answer.status, 200, next.answer.text);
    assert.ok(next.events.indexOf('start read') < next.events.indexOf('end token'), `next run: ${next.events.join(', ')}`);
    assert.equal((next.answer.json as { status: string }).status, 'succeeded');
  });

  /** Each case's answer for a token seen for the first time and for one seen before: the two must agree. */
  const cases: [string, (token: string) => Promise<Answer>, number, string][] = [
    ['a prompt that does not exist', (t) => run(t, MISSING_ID), 404, 'not_found'],
    ['a path that does not exist', (t) => run(t, 'no/such-prompt'), 404, 'not_found'],
    ['a ref that does not exist', (t) => run(t, ws.promptId, { variables: { topic: 'x' }, ref: 'nope' }), 404, 'ref_not_found'],
    ['a body the contract refuses', (t) => run(t, ws.promptId, { variables: 5 }), 400, 'validation_failed'],
    ['a bad body for a prompt that does not exist', (t) => run(t, MISSING_ID, { variables: 5 }), 400, 'validation_failed'],
    ['a body that is not JSON', (t) => send(w.app, 'POST', `/v1/prompts/${ws.promptId}/runs`, { token: t, body: '{"variables":', contentType: 'application/json' }), 400, 'invalid_json'],
  ];
  for (const [what, call, status, code] of cases) {
    it(`${what} → ${status} ${code}, for a token seen before as for a new one`, async () => {
      const a = await addMemberWithToken(w.app, ws, 'editor', ['read', 'write']);
      const b = await addMemberWithToken(w.app, ws, 'editor', ['read', 'write']);
      await refused(w.app, () => call(a.token), status, code as never);
      await known(b.token);
      await refused(w.app, () => call(b.token), status, code as never);
    });
  }

  it('a read-only token seen before → 403 insufficient_scope, before its body is looked at', async () => {
    const reader = await addMemberWithToken(w.app, ws, 'editor', ['read']);
    await known(reader.token);
    await refused(w.app, () => run(reader.token, ws.promptId), 403, 'insufficient_scope');
    await refused(w.app, () => run(reader.token, MISSING_ID, { variables: 5 }), 403, 'insufficient_scope');
  });

  it('a token seen before, then revoked → 401 token_revoked, whatever its body and prompt', async () => {
    const editor = await addMemberWithToken(w.app, ws, 'editor', ['read', 'write']);
    assert.equal((await run(await known(editor.token), ws.promptId)).status, 200);
    await ws.owner.revokeToken({ params: { id: await tokenIdOf(w.app, editor.token) } });
    await refused(w.app, () => run(editor.token, ws.promptId), 401, 'token_revoked');
    await refused(w.app, () => run(editor.token, MISSING_ID, { variables: 5 }), 401, 'token_revoked');
    await refused(w.app, () => send(w.app, 'POST', `/v1/prompts/${ws.promptId}/runs`, { token: editor.token, body: '{', contentType: 'application/json' }), 401, 'token_revoked');
  });

  it('a member seen before, then demoted to viewer → 403 at once (the token keeps no write scope), and no run is logged', async () => {
    const editor = await addMemberWithToken(w.app, ws, 'editor', ['read', 'write']);
    assert.equal((await run(await known(editor.token), ws.promptId)).status, 200);
    await ws.owner.updateMember({ params: { id: editor.member.id }, body: { role: 'viewer' } });
    await refused(w.app, () => run(editor.token, ws.promptId), 403, 'insufficient_scope');
    await refused(w.app, () => run(editor.token, MISSING_ID), 403, 'insufficient_scope');
  });

  it("another workspace's prompt, by id and by path, is not found for a token seen before", async () => {
    const other = await runsWorkspace(w);
    const path = (await other.owner.getPrompt({ params: { prompt: other.promptId } })).path;
    const token = await known(ws.ownerToken);
    assertProblem(await run(token, other.promptId), 404, 'not_found');
    assertProblem(await run(token, encodeURIComponent(path)), 404, 'not_found');
    assert.equal((await run(token, ws.promptId)).status, 200);
  });
});
