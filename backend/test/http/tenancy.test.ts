import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { routes, type RouteDef, type RouteId } from '@rocqet/sdk';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { addMemberWithToken, send, uniq, type Answer } from '../support/api.js';
import { expectDbUnchanged } from '../support/snapshot.js';

/**
 * Tenant isolation, built from the contract: every route with a path parameter is called with workspace A's owner
 * token against workspace B's resources, and must answer exactly what a missing resource gets; every list answers
 * A's rows only. A route added to the contract is picked up here by itself; if this file cannot tell how to make a B
 * resource for one of its params, the "covers every route" test fails until `fillers` says how.
 */

/** Everything one tenant has: a resource of every kind, with recognisable names. */
interface World {
  ws: TestWorkspace;
  marker: string;
  folderId: string;
  subfolderId: string;
  memberId: string;
  memberUserId: string;
  memberEmail: string;
  tokenId: string;
  tokenPrefix: string;
  promptId: string;
  promptPath: string;
  commitId: string;
  branch: string;
  tag: string;
  providerName: string;
  runId: string;
}

/** One way of filling a path param: B's value, and the value of something that does not exist. */
interface Fill {
  label: string;
  b: (B: World, A: World) => string;
  missing: () => string;
}

/**
 * How to make a B resource for param X: by param name, then (where one name means several resources) by the route's
 * path. Add a line here when a route brings a new param.
 */
const fillers: Record<string, (path: string) => Fill[] | undefined> = {
  workspace: () => [
    { label: 'B’s slug', b: (B) => B.ws.slug, missing: () => `no-such-${uniq('ws')}` },
    { label: 'B’s id', b: (B) => B.ws.id, missing: () => randomUUID() },
  ],
  id: (path) => {
    if (path.startsWith('/v1/folders/')) return [{ label: 'B’s folder id', b: (B) => B.folderId, missing: () => randomUUID() }];
    if (path.startsWith('/v1/members/')) return [{ label: 'B’s member id', b: (B) => B.memberId, missing: () => randomUUID() }];
    if (path.startsWith('/v1/tokens/')) return [{ label: 'B’s token id', b: (B) => B.tokenId, missing: () => randomUUID() }];
    if (path.startsWith('/v1/runs/')) return [{ label: 'B’s run id', b: (B) => B.runId, missing: () => randomUUID() }];
    return undefined;
  },
  prompt: () => [
    { label: 'B’s prompt id', b: (B) => B.promptId, missing: () => randomUUID() },
    { label: 'B’s prompt path', b: (B) => B.promptPath, missing: () => `no-such-folder/${uniq('prompt')}` },
  ],
  ref: () => [{ label: 'B’s commit id', b: (B) => B.commitId, missing: () => randomUUID() }],
  name: (path) => {
    if (path.includes('/branches/')) return [{ label: 'B’s branch', b: (B) => B.branch, missing: () => uniq('no-branch') }];
    if (path.includes('/tags/')) return [{ label: 'B’s tag', b: (B) => B.tag, missing: () => uniq('no-tag') }];
    if (path.startsWith('/v1/providers/')) return [{ label: 'B’s provider key', b: (B) => B.providerName, missing: () => uniq('nokey') }];
    return undefined;
  },
};

/** A body and query each route accepts, so the request gets past validation to the lookup. */
const validInput: Partial<Record<RouteId, (A: World) => { body?: unknown; query?: Record<string, string> }>> = {
  createWorkspace: () => ({ body: { slug: uniq('t'), name: 'T' } }),
  updateWorkspace: () => ({ body: { name: 'Hijacked' } }),
  addMember: () => ({ body: { email: `${uniq('t')}@example.com`, role: 'viewer' } }),
  updateMember: () => ({ body: { role: 'viewer' } }),
  createToken: () => ({ body: { name: 't', scopes: ['read'] } }),
  createFolder: () => ({ body: { name: uniq('t') } }),
  updateFolder: () => ({ body: { name: 'Hijacked' } }),
  deleteFolder: () => ({ query: { recursive: 'true' } }),
  createPrompt: () => ({ body: { title: 'T', content: 'x' } }),
  updatePrompt: () => ({ body: { title: 'Hijacked' } }),
  commit: (A) => ({ body: { content: 'hijacked', message: 'hijack', parent: A.commitId } }),
  createBranch: () => ({ body: { name: uniq('br') } }),
  renameBranch: () => ({ body: { name: uniq('br') } }),
  createTag: () => ({ body: { name: uniq('tg') } }),
  diff: () => ({ query: { from: '#1' } }),
  merge: () => ({ body: { source: 'feature' } }),
  revert: (A) => ({ body: { to: '#1', parent: A.commitId } }),
  render: () => ({ body: {} }),
  reportRenders: (A) => ({ body: { renders: [{ prompt: A.promptId, count: 1 }] } }),
  importPrompts: () => ({ body: { format: 'awesome-csv', data: 'act,prompt\n"T","x"\n' } }),
  createCollabTicket: (A) => ({ body: { prompt: A.promptId } }),
  setProviderKey: () => ({ body: { name: 'openai', apiKey: 'sk-tenant-0123456789' } }),
  updateRunSettings: () => ({ body: {} }),
  runPrompt: () => ({ body: {} }),
  compareRuns: () => ({ body: { sides: [{}, {}] } }),
};

/** The query a list needs to answer at all (a search needs words; these match A's and B's rows alike). */
const listQuery: Partial<Record<RouteId, Record<string, string>>> = {
  search: { q: 'prompt text', mode: 'fulltext' },
};

/**
 * References to B's resources inside a body or query (not the path): each must answer what the same request with a
 * missing id answers.
 */
const crossReferences: { route: RouteId; what: string; input: (ref: string, A: World) => { params?: Record<string, string>; body?: unknown; query?: Record<string, string> }; b: (B: World) => string }[] = [
  { route: 'createFolder', what: 'parentId = B’s folder', input: (r) => ({ body: { name: uniq('x'), parentId: r } }), b: (B) => B.folderId },
  { route: 'updateFolder', what: 'parentId = B’s folder', input: (r, A) => ({ params: { id: A.subfolderId }, body: { parentId: r } }), b: (B) => B.folderId },
  { route: 'createToken', what: 'memberId = B’s member', input: (r) => ({ body: { name: 'x', scopes: ['read'], memberId: r } }), b: (B) => B.memberId },
  { route: 'listAudit', what: 'actor = B’s member user', input: (r) => ({ query: { actor: r } }), b: (B) => B.memberUserId },
  { route: 'listAudit', what: 'resourceId = B’s folder', input: (r) => ({ query: { resourceId: r } }), b: (B) => B.folderId },
  { route: 'createPrompt', what: 'folderId = B’s folder', input: (r) => ({ body: { title: 'x', content: 'x', folderId: r } }), b: (B) => B.folderId },
  { route: 'updatePrompt', what: 'folderId = B’s folder', input: (r, A) => ({ params: { prompt: A.promptId }, body: { folderId: r } }), b: (B) => B.folderId },
  { route: 'listPrompts', what: 'folder = B’s folder', input: (r) => ({ query: { folder: r } }), b: (B) => B.folderId },
  { route: 'exportWorkspace', what: 'folder = B’s folder', input: (r) => ({ query: { folder: r } }), b: (B) => B.folderId },
  { route: 'importPrompts', what: 'folderId = B’s folder', input: (r) => ({ body: { format: 'awesome-csv', data: 'act,prompt\n"T","x"\n', folderId: r } }), b: (B) => B.folderId },
  { route: 'getPrompt', what: 'ref = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, query: { ref: r } }), b: (B) => B.commitId },
  { route: 'getCommit', what: 'ref = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId, ref: r } }), b: (B) => B.commitId },
  { route: 'listCommits', what: 'ref = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, query: { ref: r } }), b: (B) => B.commitId },
  { route: 'diff', what: 'from = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, query: { from: r } }), b: (B) => B.commitId },
  { route: 'createBranch', what: 'from = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, body: { name: uniq('br'), from: r } }), b: (B) => B.commitId },
  { route: 'createTag', what: 'ref = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, body: { name: uniq('tg'), ref: r } }), b: (B) => B.commitId },
  { route: 'render', what: 'ref = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, body: { ref: r } }), b: (B) => B.commitId },
  { route: 'revert', what: 'to = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, body: { to: r, parent: A.commitId } }), b: (B) => B.commitId },
  { route: 'commit', what: 'parent = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, body: { content: 'new text', message: 'm', parent: r } }), b: (B) => B.commitId },
  { route: 'commit', what: 'mergeParent = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, body: { content: 'new text', message: 'm', parent: A.commitId, mergeParent: r } }), b: (B) => B.commitId },
  { route: 'search', what: 'folder = B’s folder', input: (r) => ({ query: { q: 'prompt', mode: 'fulltext', folder: r } }), b: (B) => B.folderId },
  { route: 'search', what: 'author = B’s owner', input: (r) => ({ query: { q: 'prompt', mode: 'fulltext', author: r } }), b: (B) => B.ws.ownerUserId },
  { route: 'streamEvents', what: 'prompt = B’s prompt', input: (r) => ({ query: { prompt: r } }), b: (B) => B.promptId },
  { route: 'streamEvents', what: 'folder = B’s folder', input: (r) => ({ query: { folder: r } }), b: (B) => B.folderId },
  { route: 'createCollabTicket', what: 'prompt = B’s prompt', input: (r) => ({ body: { prompt: r } }), b: (B) => B.promptId },
  { route: 'commit', what: 'fromDraft, parent = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, body: { fromDraft: true, message: 'm', parent: r } }), b: (B) => B.commitId },
  { route: 'exportPromptFile', what: 'ref = B’s commit, on A’s prompt', input: (r, A) => ({ params: { prompt: A.promptId }, query: { ref: r } }), b: (B) => B.commitId },
];

function pathWith(def: RouteDef, params: Record<string, string>, query?: Record<string, string>): string {
  const path = def.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const qs = new URLSearchParams(query ?? {}).toString();
  return qs ? `${path}?${qs}` : path;
}

/** The answer with what legitimately differs between two requests taken out: the request id and the values sent. */
function comparable(res: Answer, values: string[]): unknown {
  let text = res.text;
  for (const v of values) {
    if (!v) continue;
    text = text.replaceAll(JSON.stringify(v).slice(1, -1), '<value>').replaceAll(encodeURIComponent(v), '<value>');
  }
  let body: unknown = text;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    delete parsed.requestId;
    body = parsed;
  } catch {
    // not JSON: compare the text
  }
  return { status: res.status, type: res.headers.get('content-type'), body };
}

describe('tenant isolation', () => {
  let app: TestApp;
  let A: World;
  let B: World;

  async function world(tag: string): Promise<World> {
    const marker = `${tag}-${uniq('secret')}`;
    const ws = await app.workspace(marker);
    const folder = await ws.owner.createFolder({ body: { name: `${marker}-folder` } });
    const sub = await ws.owner.createFolder({ body: { name: `${marker}-sub`, parentId: folder.id } });
    const member = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
    const token = (await ws.owner.listTokens({ query: { limit: 200 } })).items.find((t) => t.id === member.tokenId)!;
    const prompt = await ws.owner.createPrompt({
      body: { title: `${marker} prompt`, slug: `${marker}-prompt`, content: `${marker} text`, folderId: folder.id },
    });
    await ws.owner.createBranch({ params: { prompt: prompt.id }, body: { name: 'feature' } });
    await ws.owner.createTag({ params: { prompt: prompt.id }, body: { name: 'v1' } });
    // A provider key and a logged run of this tenant, written as the runs domain stores them (no provider here).
    const providerName = `${tag}-key`.slice(0, 32);
    await app.backend.pool.query(
      `INSERT INTO provider_key (workspace_id, name, kind, sealed_key, masked_key) VALUES ($1, $2, 'openai', 'rq1.x.y.z.w', '••••1234')`,
      [ws.id, providerName],
    );
    const runId = randomUUID();
    await app.backend.pool.query(
      `INSERT INTO run (id, workspace_id, prompt_id, commit_id, ref, variables, parameters, user_text, status, output, total_ms, started_at)
       VALUES ($1, $2, $3, $4, 'main', '{}', '{}', $5, 'succeeded', $5, 1, now())`,
      [runId, ws.id, prompt.id, prompt.commit.id, `${marker} output`],
    );
    return {
      ws,
      marker,
      folderId: folder.id,
      subfolderId: sub.id,
      memberId: member.member.id,
      memberUserId: member.member.userId,
      memberEmail: member.member.email,
      tokenId: member.tokenId,
      tokenPrefix: token.prefix,
      promptId: prompt.id,
      promptPath: prompt.path,
      commitId: prompt.commit.id,
      branch: 'feature',
      tag: 'v1',
      providerName,
      runId,
    };
  }

  before(async () => {
    app = await startTestApp();
    A = await world('tenant-a');
    B = await world('tenant-b');
  });
  after(() => app?.close());

  const all = Object.entries(routes as Record<string, RouteDef>) as [RouteId, RouteDef][];
  const withParams = all.filter(([, d]) => /\{\w+\}/.test(d.path));
  const paramsOf = (d: RouteDef) => [...d.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

  it('covers every route with a path param', () => {
    const uncovered = withParams
      .flatMap(([id, d]) => paramsOf(d).filter((p) => !fillers[p]?.(d.path)).map((p) => `${id}: param {${p}}`));
    assert.deepEqual(uncovered, [], 'add a filler for these params');
    const needBody = all.filter(([id, d]) => d.body && !validInput[id]).map(([id]) => id);
    assert.deepEqual(needBody, [], 'add a valid input for these routes');
  });

  describe('a path param naming B’s resource answers exactly like a missing one', () => {
    for (const [id, def] of withParams) {
      const names = paramsOf(def);
      it(`${def.method} ${def.path} (${id}) with A’s token and B’s ${names.join(' and ')} → 404 like a missing one, nothing changed`, async () => {
        const fills = names.map((n) => fillers[n]?.(def.path) ?? []);
        // Every combination of the ways to name each param (ids, slugs, paths).
        let combos: { label: string; b: Record<string, string>; missing: Record<string, string> }[] = [{ label: '', b: {}, missing: {} }];
        names.forEach((n, i) => {
          combos = combos.flatMap((c) =>
            fills[i]!.map((f) => ({
              label: [c.label, f.label].filter(Boolean).join(' + '),
              b: { ...c.b, [n]: f.b(B, A) },
              missing: { ...c.missing, [n]: f.missing() },
            })),
          );
        });
        const input = validInput[id]?.(A) ?? {};
        for (const combo of combos) {
          const call = (params: Record<string, string>) =>
            send(app, def.method, pathWith(def, params, input.query), {
              token: A.ws.ownerToken,
              ...(input.body !== undefined ? { json: input.body } : {}),
            });
          const crossed = await expectDbUnchanged(app.backend.pool, () => call(combo.b), `${id} with ${combo.label}`);
          const missing = await expectDbUnchanged(app.backend.pool, () => call(combo.missing), `${id} with a missing resource`);
          assert.equal(crossed.status, 404, `${id} with ${combo.label}: ${crossed.status} ${crossed.text.slice(0, 300)}`);
          assert.deepEqual(
            comparable(crossed, Object.values(combo.b)),
            comparable(missing, Object.values(combo.missing)),
            `${id} with ${combo.label} answers differently from a missing one`,
          );
        }
      });
    }
  });

  describe('an id of B inside a body or query answers exactly like a missing one', () => {
    for (const x of crossReferences) {
      it(`${x.route} with ${x.what} → the same answer as a missing id, nothing changed`, async function () {
        const def = (routes as Record<string, RouteDef>)[x.route];
        assert.ok(def, `${x.route} is not a route of the contract`);
        const call = (ref: string) => {
          const input = x.input(ref, A);
          return send(app, def!.method, pathWith(def!, input.params ?? {}, input.query), {
            token: A.ws.ownerToken,
            ...(input.body !== undefined ? { json: input.body } : {}),
          });
        };
        const bRef = x.b(B);
        const missingRef = randomUUID();
        const crossed = await expectDbUnchanged(app.backend.pool, () => call(bRef), `${x.route} with ${x.what}`);
        const missing = await expectDbUnchanged(app.backend.pool, () => call(missingRef), `${x.route} with a missing id`);
        assert.ok(crossed.status !== 200 || def!.method === 'GET', `${x.route} with ${x.what} succeeded: ${crossed.text.slice(0, 300)}`);
        assert.deepEqual(comparable(crossed, [bRef]), comparable(missing, [missingRef]));
      });
    }
  });

  describe('lists with A’s token never show B’s rows', () => {
    const lists = all.filter(([, d]) => d.method === 'GET' && !/\{\w+\}/.test(d.path));
    for (const [id, def] of lists) {
      it(`${def.method} ${def.path} (${id}) shows A’s rows and none of B’s`, async () => {
        const res = await send(app, 'GET', pathWith(def, {}, listQuery[id]), { token: A.ws.ownerToken });
        assert.equal(res.status, 200, res.text.slice(0, 300));
        const secrets = [B.marker, B.ws.id, B.folderId, B.subfolderId, B.memberId, B.memberUserId, B.memberEmail, B.tokenId, B.tokenPrefix, B.promptId, B.commitId];
        for (const s of secrets) assert.ok(!res.text.includes(s), `${id} leaks ${s}`);
        if (id === 'listAudit') {
          const { rows } = await app.backend.pool.query<{ id: string }>(`SELECT id::text AS id FROM audit_entry WHERE workspace_id = $1`, [A.ws.id]);
          const mine = new Set(rows.map((r) => r.id));
          for (const e of (res.json as { items: { id: string }[] }).items) assert.ok(mine.has(e.id), `audit entry ${e.id} is not A’s`);
        }
      });
    }

    it('the lists are not trivially empty: A sees its own folder, member, token, prompt and audit entries', async () => {
      assert.ok((await A.ws.owner.listFolders()).items.some((f) => f.id === A.folderId));
      assert.ok((await A.ws.owner.listMembers()).items.some((m) => m.id === A.memberId));
      assert.ok((await A.ws.owner.listTokens()).items.some((t) => t.id === A.tokenId));
      assert.ok((await A.ws.owner.listPrompts()).items.some((p) => p.id === A.promptId));
      assert.ok((await A.ws.owner.listAudit()).items.length > 3);
      const res = await send(app, 'GET', pathWith(routes.search as RouteDef, {}, listQuery.search), { token: A.ws.ownerToken });
      assert.ok(res.text.includes(A.promptId), 'a search finds A’s prompt');
    });
  });

  it('B’s resources are all still there afterwards', async () => {
    assert.equal((await B.ws.owner.getWorkspace({ params: { workspace: B.ws.slug } })).name, `Workspace ${B.ws.slug}`);
    assert.ok((await B.ws.owner.getFolder({ params: { id: B.folderId } })).id);
    assert.ok((await B.ws.owner.listMembers()).items.some((m) => m.id === B.memberId));
    const token = (await B.ws.owner.listTokens()).items.find((t) => t.id === B.tokenId);
    assert.equal(token?.revokedAt, null);
    const prompt = await B.ws.owner.getPrompt({ params: { prompt: B.promptId } });
    assert.equal(prompt.content, `${B.marker} text`);
    assert.deepEqual((await B.ws.owner.listBranches({ params: { prompt: B.promptId } })).items.map((b) => b.name).sort(), ['feature', 'main']);
    assert.deepEqual((await B.ws.owner.listTags({ params: { prompt: B.promptId } })).items.map((t) => t.name), ['v1']);
  });
});
