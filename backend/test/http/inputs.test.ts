import assert from 'node:assert/strict';
import { routes, type ProblemCode, type RouteDef } from '@rocqet/sdk';
import type { z } from 'zod';
import { encodeCursor } from '../../src/domain/pagination.js';
import { errorPaths, refused, send, type Answer } from '../support/api.js';
import type { TestApp, TestWorkspace } from '../support/app.js';
import { useTestApp } from '../support/refusals.js';

/**
 * Issue 14's input classes, end to end: text PostgreSQL cannot store, dates it cannot hold, integers past their
 * column, query text its parser cannot take, forged cursors and variable names that are Object.prototype's. Each is
 * refused as the caller's mistake (or answered), never a 500, and a refusal changes nothing.
 */
describe('inputs: the classes an API probe answered with 500 (issue 14)', function () {
  this.timeout(60_000);
  let app: TestApp;
  let ws: TestWorkspace;
  let prompt: { id: string; commitId: string };
  useTestApp((f) => ({ app, ws } = f));

  before(async () => {
    const created = await ws.owner.createPrompt({ body: { title: 'Inputs', content: 'Hello {{name}}', tags: ['x'] } });
    prompt = { id: created.id, commitId: created.commit.id };
  });

  const raw = (method: string, path: string, body?: string): Promise<Answer> =>
    send(app, method, path, { token: ws.ownerToken, ...(body !== undefined ? { body, contentType: 'application/json' } : {}) });
  const refusedAt = async (method: string, path: string, body: string | undefined, code: ProblemCode, paths?: string[]) => {
    const p = await refused(app, () => raw(method, path, body), 400, code);
    if (paths) assert.deepEqual(errorPaths(p), paths);
  };

  /**
   * Every list of the contract that takes a cursor, with what else it needs to be called: taken from the routes, so a
   * list added later is covered without anyone remembering this test (the run log's was not, and CI found it).
   */
  const cursorLists = Object.entries(routes as Record<string, RouteDef>).flatMap(([id, def]) => {
    const shape = (def.query as z.ZodObject | undefined)?.shape;
    if (def.method !== 'GET' || !shape || !('cursor' in shape)) return [];
    const required = Object.keys(shape).filter((k) => !shape[k]!.safeParse(undefined).success);
    const given: Record<string, string> = { q: 'inputs' };
    for (const k of required) assert.ok(k in given, `${id} requires query.${k}: give this test a value for it`);
    const query = required.map((k) => `${k}=${given[k]}&`).join('');
    return [{ id, path: () => def.path.replace(/\{[a-z]+\}/gi, prompt.id), query }];
  });
  it('finds every cursor list of the contract', () =>
    assert.deepEqual(cursorLists.map((l) => l.id).sort(), ['listAudit', 'listCommits', 'listMembers', 'listPrompts', 'listRuns', 'listTokens', 'search']));

  describe('defect 3: one text rule (no lone surrogate, no NUL) for every text field', () => {
    // Bodies as JSON text: JSON.stringify would escape a lone surrogate the same way, this shows it.
    const cases: [string, () => [string, string, string], string][] = [
      ['POST /v1/prompts tags', () => ['POST', '/v1/prompts', '{"title":"T","content":"c","tags":["\\ud800"]}'], 'body.tags.0'],
      ['PATCH /v1/prompts/{id} tags', () => ['PATCH', `/v1/prompts/${prompt.id}`, '{"tags":["ok","\\udc00"]}'], 'body.tags.1'],
      ['POST /v1/prompts title', () => ['POST', '/v1/prompts', '{"title":"a\\ud800b","content":"c"}'], 'body.title'],
      ['PATCH /v1/prompts/{id} title', () => ['PATCH', `/v1/prompts/${prompt.id}`, '{"title":"a\\ud800b"}'], 'body.title'],
      ['POST /v1/prompts content', () => ['POST', '/v1/prompts', '{"title":"T","content":"\\ud800"}'], 'body.content'],
      ['POST /v1/prompts description', () => ['POST', '/v1/prompts', '{"title":"T","content":"c","description":"\\udbff"}'], 'body.description'],
      ['POST /v1/prompts message', () => ['POST', '/v1/prompts', '{"title":"T","content":"c","message":"m\\ud800"}'], 'body.message'],
      ['a commit message', () => ['POST', `/v1/prompts/${prompt.id}/commits`, `{"content":"new","message":"\\ud800","parent":"${prompt.commitId}"}`], 'body.message'],
      ['a version tag message', () => ['POST', `/v1/prompts/${prompt.id}/tags`, '{"name":"v1","message":"\\ud800"}'], 'body.message'],
      ['a folder name', () => ['POST', '/v1/folders', '{"name":"F\\ud800"}'], 'body.name'],
      ['a token name', () => ['POST', '/v1/tokens', '{"name":"\\ud800","scopes":["read"]}'], 'body.name'],
      ['a member name', () => ['POST', '/v1/members', '{"email":"m@example.com","name":"\\ud800","role":"viewer"}'], 'body.name'],
      ['a workspace name', () => ['PATCH', `/v1/workspaces/${ws.slug}`, '{"name":"\\ud800"}'], 'body.name'],
      ['a render value', () => ['POST', `/v1/prompts/${prompt.id}/render`, '{"values":{"name":"\\ud800"}}'], 'body.values.name'],
      ['a render variable name', () => ['POST', `/v1/prompts/${prompt.id}/render`, '{"values":{"\\ud800":"x"}}'], 'body.values.\ud800'],
      ['NUL in a tag', () => ['POST', '/v1/prompts', '{"title":"T","content":"c","tags":["a\\u0000"]}'], 'body.tags.0'],
      ['NUL in content', () => ['POST', '/v1/prompts', '{"title":"T","content":"a\\u0000b"}'], 'body.content'],
    ];
    for (const [what, target, path] of cases) {
      it(`${what} → 400 validation_failed at ${path}`, async () => {
        const [method, url, body] = target();
        await refusedAt(method, url, body, 'validation_failed', [path]);
      });
    }

    it('NUL in query text (search q, audit filters) → 400 validation_failed naming the parameter', async () => {
      await refusedAt('GET', '/v1/search?q=a%00b', undefined, 'validation_failed', ['query.q']);
      await refusedAt('GET', '/v1/audit?resourceId=%00', undefined, 'validation_failed', ['query.resourceId']);
      await refusedAt('GET', `/v1/prompts/${prompt.id}?ref=%00`, undefined, 'validation_failed', ['query.ref']);
    });

    it('a surrogate pair, U+FFFF, combining marks and RTL text are stored as sent', async () => {
      const title = 'Pair 😀 \uffff e\u0301 שלום';
      const res = await raw('POST', '/v1/prompts', JSON.stringify({ title, content: 'c 😀', tags: ['😀'] }));
      assert.equal(res.status, 201, res.text);
      assert.equal((res.json as { title: string }).title, title);
      assert.deepEqual((res.json as { tags: string[] }).tags, ['😀']);
    });
  });

  describe('defect 4: dates PostgreSQL cannot hold are refused by the contract, in fields and cursors', () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [what, query, path] of [
      ['audit since year 0', 'since=0000-01-01T00:00:00Z', 'query.since'],
      ['audit until year 0', 'until=0000-01-01T00:00:00Z', 'query.until'],
      ['audit since year 10000', 'since=9999-12-31T23:59:59-23:59', 'query.since'],
    ] as const) {
      it(`GET /v1/audit, ${what} → 400 validation_failed at ${path}`, () => refusedAt('GET', `/v1/audit?${query}`, undefined, 'validation_failed', [path]));
    }
    it('GET /v1/search?updatedSince=9999-12-31T23:59:59-23:59 (year 10000 in UTC) → 400 validation_failed', () =>
      refusedAt('GET', `/v1/search?q=x&updatedSince=${encodeURIComponent('9999-12-31T23:59:59-23:59')}`, undefined, 'validation_failed', ['query.updatedSince']));
    it('a token expiring in year 0 → 400 validation_failed at body.expiresAt', () =>
      refusedAt('POST', '/v1/tokens', '{"name":"t","scopes":["read"],"expiresAt":"0000-06-01T00:00:00Z"}', 'validation_failed', ['body.expiresAt']));
    it('the bounds themselves are answered: since 0001-01-01, until 9999-12-31T23:59:59+23:59', async () => {
      const res = await raw('GET', `/v1/audit?since=0001-01-01T00:00:00Z&until=${encodeURIComponent('9999-12-31T23:59:59+23:59')}`);
      assert.equal(res.status, 200, res.text);
      const search = await raw('GET', '/v1/search?q=inputs&updatedSince=0001-01-01T00:00:00Z');
      assert.equal(search.status, 200, search.text);
    });
    for (const list of cursorLists) {
      for (const date of ['0000-01-01T00:00:00Z', '0000-06-15T12:00:00+05:00', '9999-12-31T23:59:59-23:59', '+275760-09-13T00:00:00Z', '-004714-11-24T00:00:00Z']) {
        it(`GET ${list.id} with a cursor holding ${date} → 400 invalid_cursor`, () =>
          refusedAt('GET', `${list.path()}?${list.query}cursor=${encodeCursor([date, id])}`, undefined, 'invalid_cursor'));
      }
    }
  });

  describe('defect 5: integers past their column are refused by their schema', () => {
    for (const n of ['2147483648', '99999999999', '9007199254740993', '1e300', '-1', '0', '1.5']) {
      it(`GET /v1/prompts/{id}/commits with a cursor of ${n} → 400 invalid_cursor`, () =>
        refusedAt('GET', `/v1/prompts/${prompt.id}/commits?cursor=${Buffer.from(n).toString('base64url')}`, undefined, 'invalid_cursor'));
    }
    for (const ref of ['#2147483648', '#99999999999', '#0', `#${'9'.repeat(99)}`]) {
      it(`the ref ${ref.slice(0, 20)} → 404 ref_not_found`, async () => {
        const p = await refused(app, () => raw('GET', `/v1/prompts/${prompt.id}/commits/${encodeURIComponent(ref)}`), 404, 'ref_not_found');
        assert.match(p.detail ?? '', /no commit/);
      });
    }
    for (const [what, query, path] of [
      ['limit=2147483648', 'limit=2147483648', 'query.limit'],
      ['limit=1e400', 'limit=1e400', 'query.limit'],
      ['diff context=9007199254740993', `from=main&context=9007199254740993`, 'query.context'],
    ] as const) {
      it(`${what} → 400 validation_failed at ${path}`, () =>
        refusedAt('GET', path === 'query.context' ? `/v1/prompts/${prompt.id}/diff?${query}` : `/v1/prompts?${query}`, undefined, 'validation_failed', [path]));
    }
    it('a token lasting 2^31 days → 400 validation_failed at body.expiresInDays', () =>
      refusedAt('POST', '/v1/tokens', '{"name":"t","scopes":["read"],"expiresInDays":2147483648}', 'validation_failed', ['body.expiresInDays']));
  });

  describe('defect 6: any search text gets an answer', () => {
    const long = (unit: string, n: number) => unit.repeat(n);
    const texts: [string, string][] = [
      ['33 hyphens', long('-', 33)],
      ['33 hyphens and a word', `${long('-', 33)}x`],
      ['spaced hyphens', `${long('- ', 40)}x`],
      ['hyphens between ideographic spaces', `${long('-\u3000', 40)}x`],
      ['-! runs', `${long('-!', 40)}x`],
      ['-& runs inside a word', `a${long('-&', 40)}b`],
      ['! runs', `${long('!', 60)}x`],
      ['parentheses', `${long('(', 60)}x${long(')', 60)}`],
      ['quotes', long('"', 99)],
      ['quoted hyphens', `"${long('-', 60)}x"`],
      ['or chains', `${long('or ', 60)}x`],
      ['negated phrases', long('-"a b" or ', 40)],
      ['tsquery operators', 'a <-> b :* c & d | !e <2> f:A'],
      ['prefix and weights', long(':*', 100)],
      ['backslashes and quotes', `\\ \\\\ ' '' \\' "\\"" ${long('\\', 50)}`],
      ['LIKE wildcards', '% _ %% __ 100% a_b'],
      ['a very long word', long('a', 500)],
      ['166 terms', long('ab ', 166)],
      ['emoji', '😀 🚀 👩‍💻 🏳️‍🌈'],
      ['RTL and bidi controls', 'שלום \u202e עולם \u200f مرحبا'],
      ['control characters', '\u0001\u0007\u001b[31m x'],
      ['U+FFFF and combining marks', '\uffff e\u0301\u0301\u0301'],
    ];
    for (const [what, q] of texts) {
      for (const mode of ['hybrid', 'fulltext']) {
        it(`${what} (${mode}) → 200`, async () => {
          const res = await raw('GET', `/v1/search?mode=${mode}&q=${encodeURIComponent(q)}`);
          assert.equal(res.status, 200, `${JSON.stringify(q).slice(0, 80)} → ${res.status} ${res.text.slice(0, 300)}`);
        });
      }
    }
    it('2,000 terms → 400 validation_failed at query.q; 10,000 → 431 headers_too_large (the URL is over 16 KB)', async () => {
      await refusedAt('GET', `/v1/search?q=${long('a+', 2_000)}`, undefined, 'validation_failed', ['query.q']);
      await refused(app, () => raw('GET', `/v1/search?q=${long('a+', 10_000)}`), 431, 'headers_too_large');
    });
    it('web-search syntax still works: a phrase, an excluded word, or', async () => {
      await ws.owner.createPrompt({ body: { title: 'Syntax one', content: 'red apples grow in autumn' } });
      await ws.owner.createPrompt({ body: { title: 'Syntax two', content: 'green apples and red pears' } });
      const titles = async (q: string) => (await ws.owner.search({ query: { q, mode: 'fulltext' } })).items.map((i) => i.title).sort();
      assert.deepEqual(await titles('"red apples"'), ['Syntax one']);
      assert.deepEqual(await titles('apples -pears'), ['Syntax one']);
      assert.deepEqual(await titles('autumn or pears'), ['Syntax one', 'Syntax two']);
    });
  });

  describe('defect 7: a forged cursor of any shape is 400 invalid_cursor on every list', () => {
    const json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    let nested: unknown = 1;
    for (let i = 0; i < 120; i++) nested = [nested];
    const forged: [string, string][] = [
      ['null', 'bnVsbA'],
      ['a fraction', json(1.5)],
      ['a huge number', json(1e300)],
      ['a string', json('x')],
      ['true', json(true)],
      ['an empty array', json([])],
      ['an array of three', json(['2026-01-01T00:00:00Z', '00000000-0000-4000-8000-000000000000', 1])],
      ['an array of nulls', json([null, null])],
      ['an empty object', json({})],
      ['an object with the wrong types', json({ o: '1', f: 1 })],
      ['a negative offset', json({ o: -1, f: 'x' })],
      ['a nested array', json(nested).slice(0, 500)],
      ['a deep object', json({ o: { o: { o: { o: 1 } } }, f: { f: 'x' } })],
      ['not JSON', Buffer.from('{"o":').toString('base64url')],
      ['not base64', '!!!!'],
      ['512 characters', 'A'.repeat(512)],
    ];
    for (const list of cursorLists) {
      it(`GET ${list.id}: ${forged.length} forged cursors → 400 invalid_cursor each`, async () => {
        for (const [what, cursor] of forged) {
          const res = await raw('GET', `${list.path()}?${list.query}cursor=${encodeURIComponent(cursor)}`);
          assert.equal(res.status, 400, `${what} → ${res.status} ${res.text.slice(0, 300)}`);
          assert.equal((res.json as { code: string }).code, 'invalid_cursor', `${what}: ${res.text.slice(0, 300)}`);
        }
      });
    }
    it('a cursor longer than 512 characters → 400 validation_failed at query.cursor', () =>
      refusedAt('GET', `/v1/prompts?cursor=${'A'.repeat(513)}`, undefined, 'validation_failed', ['query.cursor']));
  });

  describe('minor: variables named like Object.prototype members are ordinary variables', () => {
    it('__proto__, constructor, toString and hasOwnProperty given → rendered, not reported missing', async () => {
      const p = await ws.owner.createPrompt({
        body: { title: 'Proto names', content: '{{__proto__}} {{constructor}} {{toString}} {{hasOwnProperty}}' },
      });
      const res = await raw('POST', `/v1/prompts/${p.id}/render`, '{"values":{"__proto__":"P","constructor":"C","toString":"T","hasOwnProperty":"H"}}');
      assert.equal(res.status, 200, res.text);
      assert.equal((res.json as { text: string }).text, 'P C T H');
      const missing = await refused(app, () => raw('POST', `/v1/prompts/${p.id}/render`, '{"values":{"constructor":"C"}}'), 422, 'missing_variables');
      assert.deepEqual(missing.missing, ['__proto__', 'toString', 'hasOwnProperty']);
    });
  });
});
