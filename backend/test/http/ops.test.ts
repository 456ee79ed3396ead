import assert from 'node:assert/strict';
import { routes, type RouteDef } from '@rocqet/sdk';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startBackend } from '../../src/server.js';
import { assertProblem, ownerToken, refused, send } from '../support/api.js';
import { freshDatabase } from '../support/db.js';

describe('operations endpoints', () => {
  let app: TestApp;
  let ws: TestWorkspace;

  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
  });
  after(() => app?.close());

  it('GET /healthz → 200 {status: ok, version}', async () => {
    const res = await send(app, 'GET', '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json as object).sort(), ['status', 'version']);
    assert.equal((res.json as { status: string }).status, 'ok');
    assert.match((res.json as { version: string }).version, /^\d+\.\d+\.\d+/);
  });

  it('GET /readyz → 200 {status: ready} while the database answers', async () => {
    const res = await send(app, 'GET', '/readyz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ready' });
  });

  it('GET /metrics → Prometheus text with request latency by route template and db query time', async () => {
    await ws.owner.listFolders();
    const folder = await ws.owner.createFolder({ body: { name: 'Metered' } });
    await ws.owner.getFolder({ params: { id: folder.id } });
    const res = await send(app, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(res.text, /# TYPE rocqet_http_request_duration_seconds histogram/);
    assert.match(res.text, /rocqet_http_request_duration_seconds_count\{[^}]*route="\/v1\/folders"[^}]*\} [1-9]/);
    // The label is the template, never the concrete id.
    assert.match(res.text, /rocqet_http_request_duration_seconds_count\{[^}]*route="\/v1\/folders\/\{id\}"[^}]*status="200"[^}]*\} [1-9]/);
    assert.ok(!res.text.includes(folder.id), 'no concrete id in a label');
    assert.match(res.text, /# TYPE rocqet_db_query_duration_seconds histogram/);
    const dbCount = /^rocqet_db_query_duration_seconds_count (\d+)/m.exec(res.text);
    assert.ok(dbCount && Number(dbCount[1]) > 0, 'db queries were timed');
  });

  it('an unmatched path is counted under route="unmatched" (no label per garbage URL)', async () => {
    await send(app, 'GET', '/no/such/path/xyz123');
    const res = await send(app, 'GET', '/metrics');
    assert.match(res.text, /route="unmatched"/);
    assert.ok(!res.text.includes('xyz123'));
  });

  describe('/openapi.json', () => {
    let doc: {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; parameters?: { name: string; in: string }[] }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    before(async () => {
      const res = await send(app, 'GET', '/openapi.json');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      doc = res.json as typeof doc;
    });

    it('is OpenAPI 3.1 with info, a bearer scheme and the Problem schema', () => {
      assert.match(doc.openapi, /^3\.1\.\d+$/);
      assert.equal(doc.info.title, 'Rocqet API');
      assert.ok(doc.info.version);
      assert.ok(doc.components.securitySchemes.bearer);
      assert.ok(doc.components.schemas.Problem);
    });

    it('has every route of the contract, under its path and method, with its operationId and success status', () => {
      const defs = Object.entries(routes as Record<string, RouteDef>);
      for (const [id, def] of defs) {
        const op = doc.paths[def.path]?.[def.method.toLowerCase()];
        assert.ok(op, `${id}: ${def.method} ${def.path} is missing`);
        assert.equal(op.operationId, id);
        assert.ok(op.responses[String(def.status)], `${id}: no ${def.status} response`);
        for (const name of [...def.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)) {
          assert.ok(op.parameters?.some((p) => p.name === name && p.in === 'path'), `${id}: path param ${name} undocumented`);
        }
      }
      const operations = Object.values(doc.paths).flatMap((p) => Object.values(p));
      assert.equal(operations.length, defs.length, 'no operation that is not in the contract');
      assert.equal(new Set(operations.map((o) => o.operationId)).size, defs.length, 'operationIds are unique');
    });

    it('every $ref resolves inside the document', () => {
      const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(refs.length > 0);
      for (const ref of new Set(refs)) {
        assert.ok(ref.startsWith('#/'), ref);
        let at: unknown = doc;
        for (const part of ref.slice(2).split('/')) at = (at as Record<string, unknown> | undefined)?.[part];
        assert.ok(at, `${ref} does not resolve`);
      }
    });
  });

  describe('documents never echo request headers', () => {
    const hostile = ['evil.example', '127.0.0.1:4411"><script>alert(1)</script>'];

    it('/openapi.json: servers[].url is relative ("/") whatever Host and X-Forwarded-* say', async () => {
      for (const host of hostile) {
        const res = await send(app, 'GET', '/openapi.json', {
          headers: { host, 'x-forwarded-host': host, 'x-forwarded-proto': 'javascript' },
        });
        assert.equal(res.status, 200);
        assert.deepEqual((res.json as { servers: unknown }).servers, [{ url: '/' }]);
        for (const bit of ['evil.example', '<script>', '4411', 'javascript']) assert.ok(!res.text.includes(bit), `${bit} echoed`);
      }
    });

    it('/docs and its init script are the same bytes whatever the Host', async () => {
      for (const path of ['/docs', '/docs/init.js']) {
        const plain = await send(app, 'GET', path);
        for (const host of hostile) {
          const res = await send(app, 'GET', path, { headers: { host, 'x-forwarded-host': host } });
          assert.equal(res.status, 200, path);
          assert.equal(res.text, plain.text, `${path} changed with Host: ${host}`);
        }
      }
    });

    it('with ROCQET_PUBLIC_URL set, servers[].url is that URL and nothing else', async () => {
      const configured = await startTestApp({ ROCQET_PUBLIC_URL: 'https://prompts.example.com/rocqet/' });
      try {
        const res = await send(configured, 'GET', '/openapi.json', { headers: { host: hostile[1]! } });
        assert.deepEqual((res.json as { servers: unknown }).servers, [{ url: 'https://prompts.example.com/rocqet' }]);
        assert.ok(!res.text.includes('<script>'));
      } finally {
        await configured.close();
      }
    });
  });

  describe('OPTIONS', () => {
    const sample = (path: string) => path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');

    it('on every path of the contract → 204, no body, Allow listing exactly its methods (with HEAD and OPTIONS)', async () => {
      const byPath = new Map<string, Set<string>>();
      for (const def of Object.values(routes as Record<string, RouteDef>)) {
        const methods = byPath.get(def.path) ?? new Set<string>();
        methods.add(def.method);
        if (def.method === 'GET') methods.add('HEAD');
        byPath.set(def.path, methods.add('OPTIONS'));
      }
      for (const [path, methods] of byPath) {
        for (const token of [undefined, ws.ownerToken]) {
          const res = await send(app, 'OPTIONS', sample(path), token ? { token } : {});
          assert.equal(res.status, 204, `OPTIONS ${path}: ${res.status} ${res.text.slice(0, 200)}`);
          assert.equal(res.text, '');
          assert.equal(res.headers.get('content-type'), null, `OPTIONS ${path} has a content type`);
          assert.deepEqual(new Set(res.headers.get('allow')?.split(', ')), methods, path);
        }
      }
    });

    it('on the operational and documentation paths → 204 with Allow: GET, HEAD, OPTIONS', async () => {
      for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/docs/init.js', '/docs/assets/swagger-ui.css']) {
        const res = await send(app, 'OPTIONS', path);
        assert.equal(res.status, 204, `OPTIONS ${path}: ${res.status} ${res.headers.get('content-type')}`);
        assert.equal(res.headers.get('allow'), 'GET, HEAD, OPTIONS', path);
      }
    });

    it('on an unknown path → 404 not_found problem+json, never text/plain', async () => {
      for (const path of ['/nope', '/v1', '/v1/folders/a/b', '/docsx', '*']) {
        await refused(app, () => send(app, 'OPTIONS', path === '*' ? '/%2A' : path, { token: ws.ownerToken }), 404, 'not_found');
      }
    });

    it('a method no route has on an operational path is 405 with Allow, as on the contract paths', async () => {
      const res = await send(app, 'PUT', '/healthz');
      assertProblem(res, 405, 'method_not_allowed');
      assert.equal(res.headers.get('allow'), 'GET');
    });
  });

  describe('/docs', () => {
    it('serves HTML that loads the Swagger UI bundle, and the bundle, its CSS and init script answer 200', async () => {
      const page = await send(app, 'GET', '/docs');
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(page.text, /<script src="\/docs\/assets\/swagger-ui-bundle\.js"><\/script>/);
      for (const asset of ['/docs/assets/swagger-ui-bundle.js', '/docs/init.js']) {
        const res = await send(app, 'GET', asset);
        assert.equal(res.status, 200, asset);
        assert.match(res.headers.get('content-type') ?? '', /javascript/, asset);
        assert.ok(res.text.length > 0);
      }
      const bundle = await send(app, 'GET', '/docs/assets/swagger-ui-bundle.js');
      assert.ok(bundle.text.includes('SwaggerUIBundle'));
      const css = await send(app, 'GET', '/docs/assets/swagger-ui.css');
      assert.equal(css.status, 200);
      assert.match(css.headers.get('content-type') ?? '', /text\/css/);
      const init = await send(app, 'GET', '/docs/init.js');
      assert.match(init.text, /\/openapi\.json/);
    });

    it('an unknown asset → 404 problem+json; a path escape (..) does not reach outside the package', async () => {
      assertProblem(await send(app, 'GET', '/docs/assets/nope.js'), 404, 'not_found');
      const escape = await send(app, 'GET', '/docs/assets/..%2Fpackage.json');
      assert.ok(escape.status === 404 || escape.status === 403 || escape.status === 400, `got ${escape.status}`);
      assert.ok(!escape.text.includes('"name": "swagger-ui-dist"'));
    });
  });

  describe('request ids', () => {
    it('echoes a valid X-Request-Id, on success and on problems (in the body too)', async () => {
      const ok = await send(app, 'GET', '/v1/folders', { token: ws.ownerToken, headers: { 'x-request-id': 'trace-abc.123:x' } });
      assert.equal(ok.headers.get('x-request-id'), 'trace-abc.123:x');
      const bad = await send(app, 'GET', '/v1/folders', { headers: { 'x-request-id': 'trace-def' } });
      assert.equal(bad.headers.get('x-request-id'), 'trace-def');
      assert.equal(assertProblem(bad, 401, 'unauthenticated').requestId, 'trace-def');
    });

    it('makes one when none (or an unsafe one, or one of 129 characters) is sent', async () => {
      for (const header of [undefined, 'bad id with spaces', 'x'.repeat(129), '<script>']) {
        const res = await send(app, 'GET', '/healthz', header === undefined ? {} : { headers: { 'x-request-id': header } });
        const id = res.headers.get('x-request-id');
        assert.match(id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, String(header));
      }
    });
  });

  describe('unknown paths', () => {
    for (const path of ['/nope', '/v1', '/v1/', '/v2/folders', '/v1/folders/a/b', '/v1/workspaces/x/members']) {
      it(`GET ${path} → 404 not_found problem+json`, async () => {
        const p = await refused(app, () => send(app, 'GET', path, { token: ws.ownerToken }), 404, 'not_found');
        assert.ok(p.detail?.includes(path.replace(/\/$/, '') || '/'), p.detail);
      });
    }

    it('POST to an unknown path with a JSON body → 404 not_found (nothing written)', () =>
      refused(app, () => send(app, 'POST', '/v1/nothing-here', { token: ws.ownerToken, json: { a: 1 } }), 404, 'not_found'));
  });
});

describe('rate limiting', () => {
  let app: TestApp;
  let ws: TestWorkspace;

  before(async () => {
    app = await startTestApp({ RATE_LIMIT: '5', RATE_LIMIT_WINDOW_MS: '60000' });
    ws = await app.workspace();
  });
  after(() => app?.close());

  it('the 6th request of a token in the window → 429 rate_limited with RateLimit-* and Retry-After; another token is not limited', async () => {
    const other = await app.workspace();
    for (let i = 1; i <= 5; i++) {
      const res = await send(app, 'GET', '/v1/folders', { token: ws.ownerToken });
      assert.equal(res.status, 200, `request ${i}`);
      assert.equal(res.headers.get('ratelimit-limit'), '5');
      assert.equal(res.headers.get('ratelimit-remaining'), String(5 - i));
      const reset = Number(res.headers.get('ratelimit-reset'));
      assert.ok(reset >= 1 && reset <= 60, `reset ${reset}`);
    }
    const limited = await refused(app, () => send(app, 'GET', '/v1/folders', { token: ws.ownerToken }), 429, 'rate_limited');
    assert.ok(typeof limited.retryAfter === 'number' && limited.retryAfter >= 1 && limited.retryAfter <= 60);
    const raw = await send(app, 'GET', '/v1/folders', { token: ws.ownerToken });
    assert.equal(raw.status, 429);
    assert.equal(raw.headers.get('ratelimit-limit'), '5');
    assert.equal(raw.headers.get('ratelimit-remaining'), '0');
    const retryAfter = Number(raw.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(raw.headers.get('ratelimit-reset'), raw.headers.get('retry-after'));

    // A limited token's writes are refused too, and change nothing.
    await refused(app, () => send(app, 'POST', '/v1/folders', { token: ws.ownerToken, json: { name: 'x' } }), 429, 'rate_limited');

    const fresh = await send(app, 'GET', '/v1/folders', { token: other.ownerToken });
    assert.equal(fresh.status, 200, 'another token has its own window');
    assert.equal(fresh.headers.get('ratelimit-remaining'), '4');
  });

  it('limits are per token, not per user: a second token of the same owner starts its own window', async () => {
    const w = await app.workspace();
    // Creating the token is this token's 1st request.
    const second = await ownerToken(app, w, ['read']);
    for (let i = 0; i < 4; i++) assert.equal((await send(app, 'GET', '/v1/folders', { token: w.ownerToken })).status, 200);
    await refused(app, () => send(app, 'GET', '/v1/folders', { token: w.ownerToken }), 429, 'rate_limited');
    const res = await send(app, 'GET', '/v1/folders', { token: second.secret });
    assert.equal(res.status, 200);
  });

  it('health, readiness and metrics are not rate limited', async () => {
    for (let i = 0; i < 8; i++) {
      assert.equal((await send(app, 'GET', '/healthz')).status, 200);
      assert.equal((await send(app, 'GET', '/readyz')).status, 200);
    }
  });
});

describe('starting on a port that is taken', () => {
  it('refuses with a message naming the port, and leaves no connection open', async function () {
    this.timeout(30_000);
    const app = await startTestApp();
    try {
      const taken = Number(new URL(app.url).port);
      const database = await freshDatabase();
      const config = { ...loadConfig({ ...process.env }), host: '127.0.0.1', port: taken, databaseUrl: database.url };
      try {
        await assert.rejects(startBackend(config, pino({ level: 'silent' })), (err: Error) => {
          assert.match(err.message, new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is already in use.*PORT`));
          return true;
        });
      } finally {
        // drop() forces sessions out, which would hide a pool the refused start forgot: count them first. A closed
        // connection leaves pg_stat_activity when its server process exits, a moment after the client hung up (longer
        // on a loaded machine), so wait for that; a pool left open never gets there.
        const sessions = async () => {
          const { rows } = await app.backend.pool.query<{ n: string }>(
            'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
            [new URL(database.url).pathname.slice(1)],
          );
          return Number(rows[0]?.n);
        };
        let open = await sessions();
        for (let i = 0; open > 0 && i < 50; i++) {
          await new Promise((r) => setTimeout(r, 100));
          open = await sessions();
        }
        assert.equal(open, 0, 'the refused start left connections open');
        await database.drop();
      }
    } finally {
      await app.close();
    }
  });
});

describe('starting against a database that cannot be used', () => {
  it('names the host, port and database and the reason, never the password', async function () {
    this.timeout(30_000);
    // A port nothing listens on: bind one, note it, release it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const config = { ...loadConfig({}), port: 0, databaseUrl: `postgres://rocqet:s3cret@127.0.0.1:${port}/rocqet` };
    await assert.rejects(startBackend(config, pino({ level: 'silent' })), (err: Error) => {
      assert.equal(err.message, `cannot use 127.0.0.1:${port}/rocqet (DATABASE_URL): connection refused: is PostgreSQL running there?`);
      return true;
    });
    const missing = { ...config, databaseUrl: 'postgres://postgres@127.0.0.1:5432/rocqet_no_such_database' };
    await assert.rejects(startBackend(missing, pino({ level: 'silent' })), /cannot use 127\.0\.0\.1:5432\/rocqet_no_such_database \(DATABASE_URL\): the database does not exist/);
  });
});
