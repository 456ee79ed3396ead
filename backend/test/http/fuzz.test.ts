import assert from 'node:assert/strict';
import { routes, type ProblemCode, type RouteDef, type RouteId } from '@rocqet/sdk';
import fc from 'fast-check';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { addMemberWithToken, assertIsProblem, bodyText, ownerToken, type Answer } from '../support/api.js';
import { edgeNumber, edgeNumberText, edgeText, edgeTimestamp, encodeUrlText, forgedCursor, pathologicalSearch } from '../support/edgeInputs.js';
import { inputSchema, slotsOf, validValue, withValueAt, type JsonSchema, type Path } from '../support/schemaSample.js';
import { fingerprintDb } from '../support/snapshot.js';

/**
 * Property: whatever is thrown at any route of the contract with a valid owner token — random JSON, huge strings,
 * unicode, invalid UUIDs, __proto__ keys, deep nesting, wrong content types and encodings, broken percent-encoding,
 * odd headers — the answer is never a 500 (nor an undeclared 5xx), every error is problem+json, and an error leaves the database as it was.
 * A second property per route sends a request valid as far as the contract's JSON Schema tells, naming things that
 * exist, with one value replaced by an edge case of issue 14's classes (see edgeInputs.ts), so that the edge value
 * gets past the other fields' validation to wherever it would break.
 * Runs per route and property are bounded (FUZZ_RUNS, default 20: the whole file in about a minute); FUZZ_SEED replays a
 * failure.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/** Percent-encodings that are broken or tricky, inserted into the URL as they are. */
const BROKEN_ENCODINGS = ['%E0%A4%A', '%', '%%', '%zz', '%C0%AF', '%ED%A0%80', '%FF%FE', '%00', '%2F', '%2e%2e', '%u0041', '..', '.'];
const NASTY_STRINGS = ['', ' ', '__proto__', 'constructor', 'prototype', 'null', 'undefined', 'NaN', '-1', '0', '1e400', 'true', '#1', '#0', '#-1', '#99999999999', 'main', '../../etc/passwd', 'a/b/c', '\u202e', '\u0000', '\ud83d\ude80', 'Ω≈ç√∫', "'; DROP TABLE folder; --"];

interface FuzzRequest {
  path: string;
  query: string;
  body?: string | Uint8Array;
  contentType?: string;
  headers: Record<string, string>;
}

function keysOf(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : [];
}

describe('fuzz: every route against bad input', function () {
  this.timeout(120_000);
  let app: TestApp;
  let ws: TestWorkspace;
  /** Real ids and names of the workspace, so some generated requests reach past validation into the domain. */
  let known: string[] = [];
  /** The same by path parameter, and the UUIDs, for requests that are valid but for one value. */
  let byParam: Record<string, string[]> = {};
  let uuids: string[] = [];

  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
    const folder = await ws.owner.createFolder({ body: { name: 'Fuzz' } });
    const sub = await ws.owner.createFolder({ body: { name: 'Sub', parentId: folder.id } });
    const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
    // A spare token to revoke; the acting owner token's own id is never offered.
    const spare = await ownerToken(app, ws, ['read'], 'spare');
    known = [ws.slug, ws.id, folder.id, sub.id, viewer.member.id, viewer.member.userId, spare.id];
    const prompt = await ws.owner.createPrompt({ body: { title: 'Fuzzed', content: 'Hello {{name}}', folderId: folder.id } });
    known.push(prompt.id, prompt.path, prompt.commit.id, prompt.slug);
    uuids = [folder.id, sub.id, viewer.member.id, viewer.member.userId, spare.id, prompt.id, prompt.commit.id, ws.ownerUserId];
    byParam = {
      prompt: [prompt.id, prompt.path],
      ref: ['main', prompt.commit.id, '#1'],
      name: ['main'],
      workspace: [ws.slug, ws.id],
      id: [folder.id, sub.id, viewer.member.id, spare.id],
    };
  });
  after(() => app?.close());

  afterEach(() => {
    // The server runs in this process: a __proto__ key that reached an object merge would show here.
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
    assert.equal(({} as Record<string, unknown>).x, undefined, 'Object.prototype was polluted');
  });

  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(...NASTY_STRINGS),
    fc.uuid(),
    fc.integer({ min: 200, max: 3000 }).map((n) => 'x'.repeat(n)),
  );
  const knownValue = fc.nat(1_000).map((i) => known[i % Math.max(1, known.length)] ?? 'x');

  /** A path segment: encoded text, a known id, or a broken encoding put in raw. */
  const segment = fc.oneof(
    { arbitrary: text.map((s) => (s === '' ? 'x' : encodeURIComponent(s))), weight: 4 },
    { arbitrary: knownValue.map(encodeURIComponent), weight: 2 },
    { arbitrary: fc.constantFrom(...BROKEN_ENCODINGS), weight: 2 },
    { arbitrary: fc.tuple(fc.constantFrom(...BROKEN_ENCODINGS), fc.string({ maxLength: 5 })).map(([b, s]) => encodeURIComponent(s) + b), weight: 1 },
  );

  const jsonValue = fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
    { arbitrary: text, weight: 3 },
    { arbitrary: knownValue, weight: 2 },
    { arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2), weight: 1 },
    { arbitrary: fc.array(text, { maxLength: 4 }), weight: 1 },
  );

  function queryArb(def: RouteDef) {
    const key = fc.oneof(
      { arbitrary: fc.constantFrom(...keysOf(def.query), 'limit', 'cursor'), weight: 4 },
      { arbitrary: fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'limit[]', 'a[b]', ''), weight: 1 },
      { arbitrary: fc.string({ maxLength: 8 }), weight: 1 },
    );
    const value = fc.oneof(
      { arbitrary: text.map(encodeURIComponent), weight: 4 },
      { arbitrary: knownValue.map(encodeURIComponent), weight: 2 },
      { arbitrary: fc.constantFrom(...BROKEN_ENCODINGS), weight: 1 },
      { arbitrary: fc.base64String({ maxLength: 60 }).map(encodeURIComponent), weight: 1 },
    );
    return fc.array(fc.tuple(key, value), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&'));
  }

  function bodyArb(def: RouteDef): fc.Arbitrary<string | Uint8Array | undefined> {
    const keys = keysOf(def.body);
    const key = keys.length
      ? fc.oneof({ arbitrary: fc.constantFrom(...keys), weight: 4 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 })
      : fc.string({ maxLength: 8 });
    const shaped = fc.dictionary(key, jsonValue, { maxKeys: 6 }).map((o) => JSON.stringify(o));
    const first = keys[0] ?? 'name';
    return fc.oneof(
      { arbitrary: shaped, weight: 6 },
      { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), weight: 2 },
      { arbitrary: fc.constantFrom(undefined, '', 'null', '[]', '{}', '"just a string"', '{"a":1,"a":2}'), weight: 1 },
      {
        arbitrary: fc.constantFrom(
          `{"__proto__":{"polluted":true},"${first}":"x"}`,
          `{"constructor":{"prototype":{"x":1}},"${first}":"x"}`,
          `{"${first}":{"__proto__":{"polluted":true}}}`,
        ),
        weight: 2,
      },
      { arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)), weight: 1 },
      { arbitrary: fc.integer({ min: 100, max: 5_000 }).map((n) => `{"${first}":` + '{"a":'.repeat(n) + '1' + '}'.repeat(n + 1)), weight: 1 },
      { arbitrary: fc.integer({ min: 10_000, max: 900_000 }).map((n) => JSON.stringify({ [first]: 'é'.repeat(n / 2) })), weight: 1 },
      { arbitrary: fc.constant(JSON.stringify({ [first]: 'x'.repeat(1_100_000) })), weight: 1 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 2 },
      { arbitrary: fc.constantFrom(`{"${first}":"\\ud800"}`, `{"${first}":"\\u0000"}`, `{"${first}":"a\\nb"}`), weight: 2 },
      { arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, ...a])), weight: 1 },
      { arbitrary: fc.constantFrom('{"unterminated": ', '{,}', "{'single': 1}", '{"a":1}garbage', '\ufeff{}'), weight: 1 },
    );
  }

  const contentType = fc.oneof(
    { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 6 },
    {
      arbitrary: fc.constantFrom(
        undefined,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/merge-patch+json',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/json;;;',
        'application/',
        '*/*',
        'application/xml',
      ),
      weight: 3,
    },
  );

  const visible = fc.stringMatching(/^[\x21-\x7e]{1,80}$/);
  const headers = fc.record(
    {
      'if-match': fc.oneof(visible, fc.constantFrom('*', '"x"', 'W/"x"', '"a", "b"')),
      'if-none-match': fc.oneof(visible, fc.constantFrom('*', 'W/"x"')),
      'x-request-id': visible,
      accept: fc.oneof(visible, fc.constantFrom('application/xml', 'text/html', '*/*;q=0')),
      'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown'),
      'user-agent': visible,
      'accept-language': visible,
    },
    { requiredKeys: [] },
  );

  function requestArb(def: RouteDef): fc.Arbitrary<FuzzRequest> {
    const names = [...def.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const path = fc.tuple(...names.map(() => segment)).map((values) => {
      let i = 0;
      return def.path.replace(/\{\w+\}/g, () => values[i++] ?? 'x');
    });
    const body = def.method === 'GET' ? fc.constant(undefined) : bodyArb(def);
    return fc.record({
      path: names.length ? path : fc.constant(def.path),
      query: queryArb(def),
      body,
      contentType,
      headers: fc.oneof({ arbitrary: headers, weight: 4 }, { arbitrary: fc.constant({}), weight: 3 }),
    }) as fc.Arbitrary<FuzzRequest>;
  }

  async function fire(def: RouteDef, r: FuzzRequest): Promise<Answer> {
    const h: Record<string, string> = { authorization: `Bearer ${ws.ownerToken}`, ...r.headers };
    if (r.contentType !== undefined && r.body !== undefined) h['content-type'] = r.contentType;
    const url = `${app.url}${r.path}${r.query ? `?${r.query}` : ''}`;
    const res = await fetch(url, { method: def.method, headers: h, body: r.body });
    const body = await bodyText(res, 50);
    let json: unknown;
    if ((res.headers.get('content-type') ?? '').includes('json') && body !== '') {
      try {
        json = JSON.parse(body);
      } catch {
        assert.fail(`${def.method} ${url}: a JSON content type with a body that is not JSON: ${body.slice(0, 200)}`);
      }
    }
    return { status: res.status, headers: res.headers, text: body, json };
  }

  const describeRequest = (def: RouteDef, r: FuzzRequest) =>
    `${def.method} ${r.path.slice(0, 200)}?${r.query.slice(0, 200)} ct=${r.contentType} headers=${JSON.stringify(r.headers)} body=${
      typeof r.body === 'string' ? JSON.stringify(r.body.slice(0, 200)) + ` (${r.body.length} chars)` : String(r.body)
    }`;

  /** The database as the last refused request left it (unchanged by it), so the next one need not read it again. */
  let lastPrint: Record<string, string> | null = null;

  /** Never a 500 (nor an undeclared 5xx); an error is problem+json with a known code and leaves the database as it was. */
  async function checkAnswer(def: RouteDef, r: FuzzRequest, statuses: Map<number, number>): Promise<void> {
    const before = lastPrint ?? (await fingerprintDb(app.backend.pool));
    lastPrint = null;
    const res = await fire(def, r);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const what = describeRequest(def, r);
    // A 5xx other than 500 is an answer when the route declares it (503 unavailable: semantic search without embedder).
    const declared = res.status > 500 && (def.problems ?? []).includes((res.json as { code?: ProblemCode } | undefined)?.code as ProblemCode);
    assert.ok(res.status < 500 || declared, `${what}\n→ ${res.status} ${res.text.slice(0, 400)}`);
    assert.notEqual(res.status, 429, 'the fuzz ran into the rate limit, so it would test nothing from here on');
    if (res.status >= 400) {
      try {
        assertIsProblem(res);
      } catch (err) {
        throw new Error(`${what}\n→ ${(err as Error).message}`);
      }
      const after = await fingerprintDb(app.backend.pool);
      const changed = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
      assert.deepEqual(changed, [], `${what}\n→ ${res.status} ${res.text.slice(0, 200)} yet changed ${changed.join(', ')}`);
      lastPrint = after;
    }
  }

  async function runProperty(id: string, def: RouteDef, requests: fc.Arbitrary<FuzzRequest>, runs: number): Promise<void> {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requests, (r) => checkAnswer(def, r, statuses)),
      { numRuns: runs, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
    );
    if (process.env.FUZZ_STATS) console.log(`      ${id}: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  }

  /** An edge case of the class the slot belongs to (mostly), or of another class. */
  function edgeFor(key: string | number | undefined, s: JsonSchema, inQuery: boolean): fc.Arbitrary<unknown> {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const numbers = inQuery ? edgeNumberText : edgeNumber;
    const own =
      key === 'cursor' ? forgedCursor
      : key === 'q' ? pathologicalSearch
      : s.format === 'date-time' ? edgeTimestamp
      : types.includes('integer') || types.includes('number') ? numbers
      : edgeText;
    return fc.oneof({ arbitrary: own, weight: 4 }, { arbitrary: fc.oneof(edgeText, edgeTimestamp, numbers, forgedCursor, pathologicalSearch), weight: 1 });
  }

  type Part = 'params' | 'query' | 'body';
  interface Slot {
    part: Part;
    path: Path;
    schema: JsonSchema;
  }

  /** Where an edge value goes: free values, not containers or fixed choices (the random property sends those junk). */
  const isEdgeSlot = (s: JsonSchema) =>
    s.enum === undefined && s.const === undefined && s.type !== 'boolean' && s.type !== 'array' && !(s.type === 'object' && s.additionalProperties === undefined);

  /** A request valid as far as the route's JSON Schema tells, naming things that exist, with one edge value in it. */
  function edgeRequestArb(def: RouteDef): fc.Arbitrary<FuzzRequest> {
    const uuid = fc.oneof({ arbitrary: fc.constantFrom(...uuids), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 });
    const names = [...def.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const schemas: Partial<Record<Part, JsonSchema>> = {};
    for (const part of ['params', 'query', 'body'] as const) if (def[part]) schemas[part] = inputSchema(def[part]);
    const slots: Slot[] = (Object.entries(schemas) as [Part, JsonSchema][]).flatMap(([part, schema]) =>
      slotsOf(schema).filter((s) => s.path.length > 0 && isEdgeSlot(s.schema)).map((s) => ({ part, ...s })),
    );
    const base = fc.record({
      params: fc.record(Object.fromEntries(names.map((n) => [n, fc.constantFrom(...(byParam[n] ?? ['x']))]))),
      query: schemas.query ? validValue(schemas.query, uuid) : fc.constant({}),
      body: schemas.body ? validValue(schemas.body, uuid) : fc.constant(undefined),
    });
    const edged = slots.length
      ? fc.tuple(base, fc.constantFrom(...slots)).chain(([b, slot]) =>
          edgeFor(slot.path[slot.path.length - 1], slot.schema, slot.part !== 'body').map((v) => ({ ...b, [slot.part]: withValueAt(b[slot.part], slot.path, v) })),
        )
      : base;
    return edged.map(({ params, query, body }) => {
      const values = params as Record<string, unknown>;
      const path = def.path.replace(/\{(\w+)\}/g, (_, n: string) => encodeUrlText(String(values[n] ?? 'x')) || 'x');
      const pairs = Object.entries((query ?? {}) as Record<string, unknown>).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, x] as const));
      const qs = pairs.map(([k, v]) => `${encodeUrlText(k)}=${encodeUrlText(typeof v === 'string' ? v : JSON.stringify(v) ?? '')}`).join('&');
      const json = def.body && def.method !== 'GET' ? JSON.stringify(body ?? {}) : undefined;
      return { path, query: qs, ...(json !== undefined ? { body: json, contentType: 'application/json' } : {}), headers: {} };
    });
  }

  for (const [id, def] of Object.entries(routes as Record<string, RouteDef>) as [RouteId, RouteDef][]) {
    it(`${def.method} ${def.path} (${id}): ${RUNS} generated bad requests → never a 500, errors are problem+json and change nothing`, () =>
      runProperty(id, def, requestArb(def), RUNS));
    if (def.params || def.query || def.body) {
      it(`${def.method} ${def.path} (${id}): ${RUNS} valid requests with one edge value (unicode, dates, integer limits, cursors, search text) → never a 500`, () =>
        runProperty(id, def, edgeRequestArb(def), RUNS));
    }
  }

  it('the owner token still works after all that (the fuzz never locked itself out)', async () => {
    const res = await ws.owner.listFolders();
    assert.ok(Array.isArray(res.items));
  });
});
