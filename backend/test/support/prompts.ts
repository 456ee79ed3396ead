// Helpers for the prompt and history tests: the shared real data sets, and small conveniences over the client.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { RocqetError, problemCodes, type Client, type ProblemCode, type RouteInput, type Routes } from '@rocqet/sdk';
import { repoRoot } from '../../src/config.js';
import { addMemberWithToken, refused, refusedCall, type Answer, type TestMember } from './api.js';
import { startTestApp, type TestApp, type TestWorkspace } from './app.js';

/** `../shared/data` next to the repository (override with ROCQET_SHARED_DATA). */
export const SHARED_DATA = path.resolve(process.env.ROCQET_SHARED_DATA ?? path.join(repoRoot, '..', 'shared', 'data'));
export const FABRIC_FILE = path.join(SHARED_DATA, 'fabric-pattern-histories.jsonl');
export const AWESOME_FILE = path.join(SHARED_DATA, 'awesome-chatgpt-prompts.csv');

export interface FabricEntry {
  name: string;
  versions: { commit?: string; date: string; message: string; content: string }[];
}

/** The file's text, or null (with a message saying why the caller skips) when it is absent. */
export function readShared(file: string): string | null {
  if (!existsSync(file)) {
    console.log(`    (skipped: ${file} not found; put the shared data sets at ${SHARED_DATA})`);
    return null;
  }
  return readFileSync(file, 'utf8');
}

export function parseFabric(text: string): FabricEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FabricEntry);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Awaits a call that must be refused with `code` (and that code's status); returns the error. */
export async function rejects(call: Promise<unknown>, code: ProblemCode): Promise<RocqetError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof RocqetError, `expected a RocqetError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code} (${err.status}): ${err.message}`);
    assert.equal(err.status, problemCodes[code].status);
    return err;
  }
  assert.fail(`expected a refusal with ${code}, but the call succeeded`);
}

/** Every page of the commits of a ref, newest first. */
export async function allCommits(client: Client, prompt: string, ref?: string, limit = 200) {
  const out: Awaited<ReturnType<Client['listCommits']>>['items'] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listCommits({
      params: { prompt },
      query: { limit, ...(cursor ? { cursor } : {}), ...(ref ? { ref } : {}) },
    });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** Every page of the prompts list. */
export async function allPrompts(client: Client, query: NonNullable<RouteInput<Routes['listPrompts']>['query']> = {}) {
  const out: Awaited<ReturnType<Client['listPrompts']>>['items'] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listPrompts({ query: { limit: 200, ...query, ...(cursor ? { cursor } : {}) } });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** The head commit id of a branch. */
export async function headOf(client: Client, prompt: string, branch = 'main'): Promise<string> {
  return (await client.getCommit({ params: { prompt, ref: branch } })).id;
}

/**
 * A GET over node:http. The global fetch cannot test conditional requests: the Fetch standard turns a request that
 * carries If-None-Match into a "no-store" one and adds `Cache-Control: no-cache`, which tells the server not to
 * answer 304.
 */
export function httpGet(
  base: string | { url: string },
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const url = new URL((typeof base === 'string' ? base : base.url) + path);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Writes the in-memory view and render counts now (the top-prompts route flushes them first), so that the periodic
 * flush cannot land inside a "the database is unchanged" check.
 */
export async function flushUsage(client: Client): Promise<void> {
  await client.topPrompts({ query: { limit: 1 } });
}

/** `refusedCall` (the call is refused with `code` and changes nothing), after flushing pending usage counts. */
export async function refusedNow(app: TestApp, client: Client, call: () => Promise<unknown>, code: ProblemCode): Promise<RocqetError> {
  await flushUsage(client);
  return refusedCall(app, call, code);
}

/** `refused` for a raw request, after flushing pending usage counts. */
export async function refusedRawNow(app: TestApp, client: Client, request: () => Promise<Answer>, status: number, code: ProblemCode) {
  await flushUsage(client);
  return refused(app, request, status, code);
}

/** `startTestApp` with a rate limit far above what the replay and property tests send (thousands of requests). */
export function startUnlimitedTestApp(): Promise<TestApp> {
  return startTestApp({ RATE_LIMIT: '10000000' });
}

/**
 * The fixture of the prompt suites: a backend on a fresh database, a workspace with its owner, an editor and an admin
 * (each with a token), made before the suite's tests and closed after them; `set` hands them over.
 */
export function usePromptsApp(set: (fixture: { app: TestApp; ws: TestWorkspace; editor: TestMember; admin: TestMember }) => void): void {
  let app: TestApp | undefined;
  before(async () => {
    app = await startTestApp();
    const ws = await app.workspace();
    const editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
    set({ app, ws, editor, admin: await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']) });
  });
  after(() => app?.close());
}
