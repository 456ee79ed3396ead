import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  Problem,
  problemCodes,
  problemType,
  RocqetError,
  type Client,
  type Member,
  type ProblemCode,
  type Role,
  type Scope,
} from '@rocqet/sdk';
import type { TestApp, TestWorkspace } from './app.js';
import { expectDbUnchanged } from './snapshot.js';

/** What a raw HTTP call answered; `json` is the parsed body when it is JSON, else undefined. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface SendOptions {
  token?: string;
  /** Serialised with JSON.stringify and sent as application/json. */
  json?: unknown;
  /** Sent as is (with `contentType` if given, else no content type for bytes, text/plain for strings). */
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  /** An event stream (the change feed) never ends: its body is what arrived within this window (default 300 ms). */
  streamMs?: number;
}

/** The body as text; an endless `text/event-stream` is read for `streamMs` and then cut. */
export async function bodyText(res: Response, streamMs = 300): Promise<string> {
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) return res.text();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const cut = setTimeout(() => void reader.cancel(), streamMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(cut);
  }
  return text;
}

/** A raw HTTP call, for inputs the typed client cannot produce (malformed JSON, wrong content types, …). */
export async function send(base: string | { url: string }, method: string, path: string, opts: SendOptions = {}): Promise<Answer> {
  const url = (typeof base === 'string' ? base : base.url) + path;
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Uint8Array | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  } else if (opts.body !== undefined) {
    body = opts.body;
  }
  if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
  Object.assign(headers, opts.headers);
  const res = await fetch(url, { method, headers, body });
  const text = await bodyText(res, opts.streamMs);
  let json: unknown;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
    json = JSON.parse(text);
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Asserts the answer is an RFC 9457 problem with this status and code, and returns it. */
export function assertProblem(res: Answer, status: number, code: ProblemCode): Problem {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text.slice(0, 500)}`);
  const type = res.headers.get('content-type') ?? '';
  assert.match(type, /^application\/problem\+json(;|$)/, `content type of a ${status} answer: ${type}`);
  const problem = Problem.parse(res.json);
  assert.equal(problem.code, code, `expected code ${code}: ${res.text.slice(0, 500)}`);
  assert.equal(problem.status, status);
  assert.equal(problem.type, problemType(code));
  assert.equal(problem.title, problemCodes[code].title);
  return problem;
}

/** Any error answer: problem+json with type, title, status (equal to the HTTP status) and a known code. */
export function assertIsProblem(res: Answer): Problem {
  const type = res.headers.get('content-type') ?? '';
  assert.match(type, /^application\/problem\+json(;|$)/, `a ${res.status} answer that is not problem+json: ${type} ${res.text.slice(0, 300)}`);
  const problem = Problem.parse(res.json);
  assert.equal(problem.status, res.status, `problem status ${problem.status} differs from HTTP ${res.status}`);
  assert.equal(problem.type, problemType(problem.code));
  assert.equal(problem.title, problemCodes[problem.code].title);
  assert.equal(problemCodes[problem.code].status, res.status, `code ${problem.code} answered with ${res.status}`);
  return problem;
}

/** The validation errors' paths, sorted, each once. */
export function errorPaths(problem: Problem): string[] {
  return [...new Set((problem.errors ?? []).map((e) => e.path))].sort();
}

/**
 * A raw request that must be refused with `status` `code` and leave every row of the database as it was.
 */
export async function refused(
  app: TestApp,
  request: () => Promise<Answer>,
  status: number,
  code: ProblemCode,
): Promise<Problem> {
  return expectDbUnchanged(app.backend.pool, async () => assertProblem(await request(), status, code), `a refused request (${code})`);
}

/** A typed-client call that must throw a RocqetError with `code` (and the code's status), changing nothing. */
export async function refusedCall(app: TestApp, call: () => Promise<unknown>, code: ProblemCode): Promise<RocqetError> {
  return expectDbUnchanged(
    app.backend.pool,
    async () => {
      try {
        await call();
      } catch (err) {
        assert.ok(err instanceof RocqetError, `expected a RocqetError, got ${String(err)}`);
        assert.equal(err.code, code, `expected ${code}, got ${err.code} (${err.status}): ${err.message}`);
        assert.equal(err.status, problemCodes[code].status);
        assert.equal(err.problem?.code, code);
        return err;
      }
      assert.fail(`expected the call to be refused with ${code}, but it succeeded`);
    },
    `a refused call (${code})`,
  );
}

export function uniq(prefix = 'x'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface TestMember {
  member: Member;
  tokenId: string;
  token: string;
  client: Client;
}

/** Adds a member with `role` to the workspace (by its owner) and gives them a token with `scopes`. */
export async function addMemberWithToken(app: TestApp, ws: TestWorkspace, role: Role, scopes: Scope[]): Promise<TestMember> {
  const email = `${uniq(role)}@example.com`;
  const member = await ws.owner.addMember({ body: { email, role } });
  const created = await ws.owner.createToken({ body: { name: `${role} token`, scopes, memberId: member.id } });
  return { member, tokenId: created.token.id, token: created.secret, client: app.client(created.secret) };
}

/** A second token of the workspace's owner with `scopes`. */
export async function ownerToken(app: TestApp, ws: TestWorkspace, scopes: Scope[], name = 'another token') {
  const created = await ws.owner.createToken({ body: { name, scopes } });
  return { id: created.token.id, secret: created.secret, client: app.client(created.secret) };
}

/** The id of the token a secret belongs to (for SQL on it). */
export async function tokenIdOf(app: TestApp, secret: string): Promise<string> {
  const { rows } = await app.backend.pool.query<{ id: string }>(
    `SELECT id FROM api_token WHERE secret_hash = sha256(convert_to($1, 'UTF8'))`,
    [secret],
  );
  const row = rows[0];
  assert.ok(row, 'no token with that secret');
  return row.id;
}

export const MISSING_ID = '00000000-0000-4000-8000-000000000000';
