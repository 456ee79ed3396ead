import assert from 'node:assert/strict';
import { routes, type RouteDef, type RouteId } from '@rocqet/sdk';
import { startTestApp, type TestApp, type TestWorkspace } from './app.js';
import { errorPaths, ownerToken, refused, send, type Answer } from './api.js';

/** A request as raw HTTP: method, concrete path (query included) and optional JSON body. */
export interface RawRequest {
  method: string;
  path: string;
  json?: unknown;
}

/** The concrete path of a route: `{name}` replaced by the (percent-encoded) param, then the query string. */
export function pathOf(id: RouteId, params: Record<string, string> = {}, query: Record<string, string> = {}): string {
  const def = routes[id] as RouteDef;
  const path = def.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`pathOf(${id}): missing param ${name}`);
    return encodeURIComponent(v);
  });
  const qs = new URLSearchParams(query).toString();
  return qs ? `${path}?${qs}` : path;
}

export function requestOf(
  id: RouteId,
  input: { params?: Record<string, string>; query?: Record<string, string>; json?: unknown } = {},
): RawRequest {
  const def = routes[id] as RouteDef;
  return { method: def.method, path: pathOf(id, input.params, input.query), ...(input.json !== undefined ? { json: input.json } : {}) };
}

export function sendRequest(app: TestApp, r: RawRequest, token?: string, headers?: Record<string, string>): Promise<Answer> {
  return send(app, r.method, r.path, {
    ...(token !== undefined ? { token } : {}),
    ...(r.json !== undefined ? { json: r.json } : {}),
    ...(headers ? { headers } : {}),
  });
}

/** Tokens of one workspace's owner that must each be refused: expired, revoked, and with too few scopes. */
export interface Credentials {
  app: TestApp;
  ws: TestWorkspace;
  expired: string;
  revoked: string;
  readOnly: string;
  readWrite: string;
}

export async function badCredentials(app: TestApp, ws: TestWorkspace): Promise<Credentials> {
  const expired = await ownerToken(app, ws, ['read', 'write', 'admin'], 'expired');
  await app.backend.pool.query(`UPDATE api_token SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
  const revoked = await ownerToken(app, ws, ['read', 'write', 'admin'], 'revoked');
  await ws.owner.revokeToken({ params: { id: revoked.id } });
  const readOnly = await ownerToken(app, ws, ['read'], 'read only');
  const readWrite = await ownerToken(app, ws, ['read', 'write'], 'read write');
  return { app, ws, expired: expired.secret, revoked: revoked.secret, readOnly: readOnly.secret, readWrite: readWrite.secret };
}

/**
 * The fixture the API suites share: a backend on a fresh database, a workspace with its owner, and bad credentials
 * for it, made before the suite's tests and closed after them. `set` hands them over (assign them to the suite's lets).
 */
export function useTestApp(set: (fixture: { app: TestApp; ws: TestWorkspace; creds: Credentials }) => void): void {
  let app: TestApp | undefined;
  before(async () => {
    app = await startTestApp();
    const ws = await app.workspace();
    set({ app, ws, creds: await badCredentials(app, ws) });
  });
  after(() => app?.close());
}

/** A body that fails validation: what it is, the body, and the error paths its problem must name (exactly). */
export type InvalidBody = [what: string, body: unknown, paths: string[]];

/**
 * One test per case: sending the body to `target()` (asked inside the test, so a case may make its own resource)
 * answers 400 validation_failed naming exactly the case's paths.
 */
export function itRefusesInvalidBodies(
  cases: InvalidBody[],
  target: () => { app: TestApp; token: string; method: string; path: string } | Promise<{ app: TestApp; token: string; method: string; path: string }>,
  title: (what: string) => string = (what) => what,
): void {
  for (const [what, body, paths] of cases) {
    it(`${title(what)} → 400 validation_failed at ${paths.join(', ')}`, async () => {
      const t = await target();
      const p = await refused(t.app, () => send(t.app, t.method, t.path, { token: t.token, json: body }), 400, 'validation_failed');
      assert.deepEqual(errorPaths(p), paths);
    });
  }
}

/**
 * Defines, for each route, the tests that every bad credential is refused with its exact code and changes nothing:
 * none, a non-Bearer header, an unknown token, an expired one, a revoked one, and a token lacking the route's scope.
 * `requests` builds a request that would succeed with the owner token (so only the credential is wrong).
 */
export function itRefusesBadCredentials(
  get: () => Credentials,
  requests: Partial<Record<RouteId, (c: Credentials) => RawRequest | Promise<RawRequest>>>,
): void {
  for (const [id, build] of Object.entries(requests) as [RouteId, (c: Credentials) => RawRequest | Promise<RawRequest>][]) {
    const def = routes[id] as RouteDef;
    const call = async (token: string | undefined, headers?: Record<string, string>) => {
      const c = get();
      const r = await build(c);
      return sendRequest(c.app, r, token, headers);
    };
    it(`${id}: no Authorization header → 401 unauthenticated`, () => refused(get().app, () => call(undefined), 401, 'unauthenticated'));
    it(`${id}: "Authorization: Basic …" → 401 unauthenticated`, () =>
      refused(get().app, () => call(undefined, { authorization: 'Basic dXNlcjpwYXNz' }), 401, 'unauthenticated'));
    it(`${id}: an unknown rq_ token → 401 invalid_token`, () =>
      refused(get().app, () => call('rq_live_thisTokenWasNeverIssued000000000000'), 401, 'invalid_token'));
    it(`${id}: a token without the rq_ prefix → 401 invalid_token`, () => refused(get().app, () => call('abc.def.ghi'), 401, 'invalid_token'));
    it(`${id}: an expired token → 401 token_expired`, () => refused(get().app, () => call(get().expired), 401, 'token_expired'));
    it(`${id}: a revoked token → 401 token_revoked`, () => refused(get().app, () => call(get().revoked), 401, 'token_revoked'));
    if (def.scope === 'write' || def.scope === 'admin') {
      it(`${id}: a read-only token → 403 insufficient_scope`, () => refused(get().app, () => call(get().readOnly), 403, 'insufficient_scope'));
    }
    if (def.scope === 'admin') {
      it(`${id}: a read+write token (no admin scope) → 403 insufficient_scope`, () =>
        refused(get().app, () => call(get().readWrite), 403, 'insufficient_scope'));
    }
  }
}

/**
 * Defines, for each route with a JSON body, the tests that a body which is not well-formed JSON is refused with its
 * exact code and changes nothing: malformed JSON, more than 1 MB, a non-JSON content type, no content type, an
 * unsupported charset, and JSON that is not an object.
 */
export function itRefusesBadBodies(
  get: () => { app: TestApp; token: string },
  requests: Partial<Record<RouteId, () => RawRequest | Promise<RawRequest>>>,
): void {
  for (const [id, build] of Object.entries(requests) as [RouteId, () => RawRequest | Promise<RawRequest>][]) {
    const raw = async (body: string | Uint8Array, contentType?: string) => {
      const { app, token } = get();
      const r = await build();
      return send(app, r.method, r.path, { token, body, ...(contentType !== undefined ? { contentType } : {}) });
    };
    it(`${id}: malformed JSON → 400 invalid_json`, () => refused(get().app, () => raw('{"name": "x",', 'application/json'), 400, 'invalid_json'));
    it(`${id}: a body of 1 MB + 1 byte → 413 payload_too_large`, () => {
      // A valid JSON string, so only the size is wrong.
      const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
      return refused(get().app, () => raw(big, 'application/json'), 413, 'payload_too_large');
    });
    it(`${id}: Content-Type text/plain → 415 unsupported_media_type`, async () => {
      const r = await build();
      return refused(get().app, () => raw(JSON.stringify(r.json ?? {}), 'text/plain'), 415, 'unsupported_media_type');
    });
    it(`${id}: Content-Type application/x-www-form-urlencoded → 415 unsupported_media_type`, () =>
      refused(get().app, () => raw('name=x', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type'));
    it(`${id}: a body without Content-Type → 415 unsupported_media_type`, async () => {
      const r = await build();
      return refused(get().app, () => raw(new TextEncoder().encode(JSON.stringify(r.json ?? {}))), 415, 'unsupported_media_type');
    });
    it(`${id}: application/json; charset=latin1 → 415 unsupported_media_type`, async () => {
      const r = await build();
      return refused(get().app, () => raw(JSON.stringify(r.json ?? {}), 'application/json; charset=latin1'), 415, 'unsupported_media_type');
    });
    it(`${id}: a JSON array instead of an object → 400 validation_failed at "body"`, async () => {
      const p = await refused(get().app, () => raw('[1,2,3]', 'application/json'), 400, 'validation_failed');
      assert.deepEqual(p.errors?.map((e) => e.path), ['body']);
    });
    it(`${id}: no body at all → 400 validation_failed`, async () => {
      const { app, token } = get();
      const r = await build();
      await refused(app, () => send(app, r.method, r.path, { token }), 400, 'validation_failed');
    });
  }
}
