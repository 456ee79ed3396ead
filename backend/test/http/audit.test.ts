import assert from 'node:assert/strict';
import { routes, type AuditEntry, type Client, type ProblemCode, type RouteDef, type RouteId } from '@rocqet/sdk';
import { encodeCursor } from '../../src/domain/pagination.js';
import type { TestApp, TestWorkspace } from '../support/app.js';
import {
  addMemberWithToken,
  assertIsProblem,
  assertProblem,
  errorPaths,
  MISSING_ID,
  refused,
  refusedCall,
  send,
  tokenIdOf,
  uniq,
} from '../support/api.js';
import { itRefusesBadCredentials, pathOf, useTestApp, type Credentials } from '../support/refusals.js';
import { assertDbUnchanged, snapshotDb } from '../support/snapshot.js';

/** The foundation's resources; mutations of later features are audited by their own suites. */
const FOUNDATION_TAGS = new Set(['Workspaces', 'Members', 'Tokens', 'Folders', 'Audit']);

interface AuditRow {
  id: string;
  workspace_id: string;
  actor_user_id: string | null;
  actor_token_id: string | null;
  actor_minted_by_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  changes: Record<string, unknown>;
}

interface Ctx {
  w: TestWorkspace;
  tokenId: string;
  ownerMemberId: string;
  /** Whatever `prepare` made. */
  s: Record<string, string>;
}

interface Expected {
  action: string;
  resourceType: string;
  resourceId: string;
  changes: Record<string, unknown>;
  /** Defaults to the acting workspace. */
  workspaceId?: string;
}

/** One successful call per mutating route, and the single audit entry it must write. */
interface MutationCase {
  name: string;
  route: RouteId;
  prepare?: (c: Omit<Ctx, 's'>) => Promise<Record<string, string>>;
  run: (client: Client, headers: Record<string, string>, c: Ctx) => Promise<unknown>;
  expect: (c: Ctx, result: unknown) => Promise<Expected> | Expected;
}

describe('audit log', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let creds: Credentials;
  useTestApp((f) => ({ app, ws, creds } = f));

  async function maxAuditId(): Promise<string> {
    const { rows } = await app.backend.pool.query<{ max: string }>(`SELECT coalesce(max(id), 0)::text AS max FROM audit_entry`);
    return rows[0]!.max;
  }
  async function auditSince(id: string): Promise<AuditRow[]> {
    const { rows } = await app.backend.pool.query<AuditRow>(`SELECT a.*, a.id::text AS id FROM audit_entry a WHERE a.id > $1 ORDER BY a.id`, [id]);
    return rows;
  }
  async function context(): Promise<Omit<Ctx, 's'>> {
    const w = await app.workspace();
    const me = (await w.owner.listMembers()).items[0]!;
    return { w, tokenId: await tokenIdOf(app, w.ownerToken), ownerMemberId: me.id };
  }
  const addViewer = async (c: Omit<Ctx, 's'>) =>
    (await c.w.owner.addMember({ body: { email: `${uniq('v')}@example.com`, role: 'viewer' } })).id;
  const folder = async (c: Omit<Ctx, 's'>, name: string, parentId?: string) =>
    (await c.w.owner.createFolder({ body: { name, ...(parentId ? { parentId } : {}) } })).id;

  const cases: MutationCase[] = [
    {
      name: 'createWorkspace → workspace.create, in the new workspace',
      route: 'createWorkspace',
      prepare: async () => ({ slug: uniq('audited') }),
      run: (cl, headers, c) => cl.createWorkspace({ body: { slug: c.s.slug!, name: 'Audited' }, headers }),
      expect: (c, r) => {
        const id = (r as { workspace: { id: string } }).workspace.id;
        return {
          action: 'workspace.create',
          resourceType: 'workspace',
          resourceId: id,
          workspaceId: id,
          changes: { after: { slug: c.s.slug, name: 'Audited', type: 'team', plan: 'free' } },
        };
      },
    },
    {
      name: 'updateWorkspace → workspace.update with before/after',
      route: 'updateWorkspace',
      run: (cl, headers, c) => cl.updateWorkspace({ params: { workspace: c.w.slug }, body: { name: 'New name' }, headers }),
      expect: (c) => ({
        action: 'workspace.update',
        resourceType: 'workspace',
        resourceId: c.w.id,
        changes: { before: { name: `Workspace ${c.w.slug}`, slug: c.w.slug }, after: { name: 'New name', slug: c.w.slug } },
      }),
    },
    {
      name: 'addMember → member.add',
      route: 'addMember',
      prepare: async () => ({ email: `${uniq('added')}@example.com` }),
      run: (cl, headers, c) => cl.addMember({ body: { email: c.s.email!, role: 'editor' }, headers }),
      expect: (c, r) => ({
        action: 'member.add',
        resourceType: 'member',
        resourceId: (r as { id: string }).id,
        changes: { after: { email: c.s.email, role: 'editor' } },
      }),
    },
    {
      name: 'updateMember → member.update with before/after role',
      route: 'updateMember',
      prepare: async (c) => ({ member: await addViewer(c) }),
      run: (cl, headers, c) => cl.updateMember({ params: { id: c.s.member! }, body: { role: 'admin' }, headers }),
      expect: (c) => ({
        action: 'member.update',
        resourceType: 'member',
        resourceId: c.s.member!,
        changes: { before: { role: 'viewer' }, after: { role: 'admin' } },
      }),
    },
    {
      name: 'removeMember → member.remove with what was removed',
      route: 'removeMember',
      prepare: async (c) => {
        const email = `${uniq('removed')}@example.com`;
        const m = await c.w.owner.addMember({ body: { email, role: 'editor' } });
        return { member: m.id, email };
      },
      run: (cl, headers, c) => cl.removeMember({ params: { id: c.s.member! }, headers }),
      expect: (c) => ({
        action: 'member.remove',
        resourceType: 'member',
        resourceId: c.s.member!,
        changes: { before: { email: c.s.email, role: 'editor' } },
      }),
    },
    {
      name: 'createToken → token.create (prefix, never the secret)',
      route: 'createToken',
      run: (cl, headers) => cl.createToken({ body: { name: 'Audited token', scopes: ['read', 'write'] }, headers }),
      expect: (c, r) => {
        const t = (r as { token: { id: string; prefix: string } }).token;
        return {
          action: 'token.create',
          resourceType: 'token',
          resourceId: t.id,
          changes: { after: { name: 'Audited token', prefix: t.prefix, scopes: ['read', 'write'], memberId: c.ownerMemberId, expiresAt: null } },
        };
      },
    },
    {
      name: 'revokeToken → token.revoke with the revocation time',
      route: 'revokeToken',
      prepare: async (c) => ({ token: (await c.w.owner.createToken({ body: { name: 'doomed', scopes: ['read'] } })).token.id }),
      run: (cl, headers, c) => cl.revokeToken({ params: { id: c.s.token! }, headers }),
      expect: async (c) => {
        const t = (await c.w.owner.listTokens({ query: { limit: 200 } })).items.find((x) => x.id === c.s.token);
        return {
          action: 'token.revoke',
          resourceType: 'token',
          resourceId: c.s.token!,
          changes: { before: { revokedAt: null }, after: { revokedAt: t?.revokedAt } },
        };
      },
    },
    {
      name: 'createFolder → folder.create',
      route: 'createFolder',
      prepare: async (c) => ({ parent: await folder(c, 'Parent') }),
      run: (cl, headers, c) => cl.createFolder({ body: { name: 'Child', parentId: c.s.parent! }, headers }),
      expect: (c, r) => ({
        action: 'folder.create',
        resourceType: 'folder',
        resourceId: (r as { id: string }).id,
        changes: { after: { name: 'Child', parentId: c.s.parent } },
      }),
    },
    {
      name: 'updateFolder (rename) → folder.rename with before/after paths',
      route: 'updateFolder',
      prepare: async (c) => ({ folder: await folder(c, 'Old') }),
      run: (cl, headers, c) => cl.updateFolder({ params: { id: c.s.folder! }, body: { name: 'New' }, headers }),
      expect: (c) => ({
        action: 'folder.rename',
        resourceType: 'folder',
        resourceId: c.s.folder!,
        changes: { before: { name: 'Old', parentId: null, path: 'Old' }, after: { name: 'New', parentId: null, path: 'New' } },
      }),
    },
    {
      name: 'updateFolder (move) → folder.move with before/after paths',
      route: 'updateFolder',
      prepare: async (c) => ({ folder: await folder(c, 'Mover'), target: await folder(c, 'Target') }),
      run: (cl, headers, c) => cl.updateFolder({ params: { id: c.s.folder! }, body: { parentId: c.s.target! }, headers }),
      expect: (c) => ({
        action: 'folder.move',
        resourceType: 'folder',
        resourceId: c.s.folder!,
        changes: {
          before: { name: 'Mover', parentId: null, path: 'Mover' },
          after: { name: 'Mover', parentId: c.s.target, path: 'Target/Mover' },
        },
      }),
    },
    {
      name: 'deleteFolder (recursive) → one folder.delete listing the whole subtree',
      route: 'deleteFolder',
      prepare: async (c) => {
        const top = await folder(c, 'Top');
        const sub = await folder(c, 'Sub', top);
        return { top, sub };
      },
      run: (cl, headers, c) => cl.deleteFolder({ params: { id: c.s.top! }, query: { recursive: 'true' }, headers }),
      expect: (c) => ({
        action: 'folder.delete',
        resourceType: 'folder',
        resourceId: c.s.top!,
        changes: {
          before: { name: 'Top', parentId: null, path: 'Top' },
          deletedFolders: [c.s.top, c.s.sub],
          trashedPrompts: [],
        },
      }),
    },
  ];

  describe('every successful mutation writes exactly one audit entry', () => {
    it('every mutating foundation route has a case here', () => {
      const mutating = Object.entries(routes as Record<string, RouteDef>)
        .filter(([, d]) => d.method !== 'GET' && FOUNDATION_TAGS.has(d.tag))
        .map(([id]) => id)
        .sort();
      assert.deepEqual([...new Set(cases.map((c) => c.route))].sort(), mutating);
    });

    for (const tc of cases) {
      it(`${tc.name}: actor user and token, ip, user agent, request id and changes`, async () => {
        const base = await context();
        const c: Ctx = { ...base, s: (await tc.prepare?.(base)) ?? {} };
        const requestId = `req-${uniq('audit')}`;
        const userAgent = `rocqet-tests/1.0 (${tc.route})`;
        const before = await maxAuditId();
        const result = await tc.run(c.w.owner, { 'x-request-id': requestId, 'user-agent': userAgent }, c);
        const rows = await auditSince(before);
        assert.equal(rows.length, 1, `entries written: ${JSON.stringify(rows.map((r) => r.action))}`);
        const row = rows[0]!;
        const want = await tc.expect(c, result);
        assert.equal(row.action, want.action);
        assert.equal(row.resource_type, want.resourceType);
        assert.equal(row.resource_id, want.resourceId);
        assert.equal(row.workspace_id, want.workspaceId ?? c.w.id);
        assert.equal(row.actor_user_id, c.w.ownerUserId);
        assert.equal(row.actor_token_id, c.tokenId);
        assert.equal(row.actor_minted_by_id, c.w.ownerUserId, 'the person behind the token: its creator');
        assert.match(row.ip ?? '', /^(::ffff:)?127\.0\.0\.1$/);
        assert.equal(row.user_agent, userAgent);
        assert.equal(row.request_id, requestId);
        assert.deepEqual(row.changes, want.changes);

        // The API presents the same entry (where the caller's token can see it).
        if (!want.workspaceId) {
          const listed = await c.w.owner.listAudit({ query: { limit: 1 } });
          const entry = listed.items[0]!;
          assert.equal(entry.id, row.id);
          const owner = { userId: c.w.ownerUserId, email: `owner+${c.w.slug}@example.com` };
          assert.deepEqual(entry.actor, { ...owner, tokenId: c.tokenId, mintedByUserId: owner.userId, mintedByEmail: owner.email });
          assert.equal(entry.requestId, requestId);
          assert.equal(entry.userAgent, userAgent);
          assert.deepEqual(entry.changes, want.changes);
        }
      });
    }

    it('the new workspace’s audit log shows its creation, by the creating token', async () => {
      const c = await context();
      const created = await c.w.owner.createWorkspace({ body: { slug: uniq('seen'), name: 'Seen' } });
      const log = await app.client(created.token.secret).listAudit();
      assert.deepEqual(log.items.map((e) => e.action), ['workspace.create']);
      assert.equal(log.items[0]?.actor.tokenId, c.tokenId);
    });

    it('an X-Request-Id that is not a safe token is replaced by a generated one (and echoed as such)', async () => {
      const c = await context();
      const before = await maxAuditId();
      const res = await send(app, 'POST', '/v1/folders', {
        token: c.w.ownerToken,
        json: { name: 'x' },
        headers: { 'x-request-id': 'has spaces and "quotes"' },
      });
      assert.equal(res.status, 201);
      const echoed = res.headers.get('x-request-id')!;
      assert.match(echoed, /^[0-9a-f-]{36}$/);
      const rows = await auditSince(before);
      assert.equal(rows[0]?.request_id, echoed);
    });

    it('a change whose audited value holds a lone surrogate (\\ud800) is not a 500: stored and audited as U+FFFD, or refused as 400', async function () {
      const c = await context();
      const prompt = await c.w.owner.createPrompt({ body: { title: 'Surrogate', content: 'text' } });
      const before = await maxAuditId();
      const res = await send(app, 'PATCH', `/v1/prompts/${prompt.id}`, {
        token: c.w.ownerToken,
        body: '{"title":"a\\ud800b"}',
        contentType: 'application/json',
      });
      if (res.status === 400) {
        assertProblem(res, 400, 'validation_failed');
        assert.deepEqual(await auditSince(before), []);
        return;
      }
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.equal((res.json as { title: string }).title, 'a\ufffdb');
      const rows = await auditSince(before);
      assert.equal(rows.length, 1);
      assert.ok(JSON.stringify(rows[0]!.changes).includes('a\ufffdb'), JSON.stringify(rows[0]!.changes));
    });

    it('a no-op (renaming a folder to its own name, revoking a revoked token) writes no entry', async () => {
      const c = await context();
      const f = await folder(c, 'Same');
      const t = (await c.w.owner.createToken({ body: { name: 't', scopes: ['read'] } })).token.id;
      await c.w.owner.revokeToken({ params: { id: t } });
      const before = await maxAuditId();
      await c.w.owner.updateFolder({ params: { id: f }, body: { name: 'Same' } });
      await c.w.owner.revokeToken({ params: { id: t } });
      assert.deepEqual(await auditSince(before), []);
    });
  });

  describe('refused mutations write no entry', () => {
    /** Each prepares what it needs, then hands back the call that must be refused. */
    const refusals: [string, (c: Omit<Ctx, 's'>) => Promise<() => Promise<unknown>>, ProblemCode][] = [
      ['createWorkspace with a taken slug', async (c) => () => c.w.owner.createWorkspace({ body: { slug: c.w.slug, name: 'x' } }), 'already_exists'],
      [
        'updateWorkspace with a stale If-Match',
        async (c) => () => c.w.owner.updateWorkspace({ params: { workspace: c.w.slug }, body: { name: 'x' }, headers: { 'If-Match': '"stale"' } }),
        'precondition_failed',
      ],
      [
        'addMember beyond the plan',
        async () => {
          const personal = await app.workspace(undefined, { type: 'personal', plan: 'free' });
          return () => personal.owner.addMember({ body: { email: `${uniq('x')}@example.com`, role: 'viewer' } });
        },
        'limit_exceeded',
      ],
      ['updateMember demoting the last owner', async (c) => () => c.w.owner.updateMember({ params: { id: c.ownerMemberId }, body: { role: 'viewer' } }), 'last_owner'],
      ['removeMember of the last owner', async (c) => () => c.w.owner.removeMember({ params: { id: c.ownerMemberId } }), 'last_owner'],
      ['createToken for a missing member', async (c) => () => c.w.owner.createToken({ body: { name: 'x', scopes: ['read'], memberId: MISSING_ID } }), 'not_found'],
      ['revokeToken of a missing token', async (c) => () => c.w.owner.revokeToken({ params: { id: MISSING_ID } }), 'not_found'],
      [
        'createFolder with a taken name',
        async (c) => {
          await folder(c, 'Taken');
          return () => c.w.owner.createFolder({ body: { name: 'Taken' } });
        },
        'already_exists',
      ],
      [
        'updateFolder into its own subtree',
        async (c) => {
          const a = await folder(c, 'A');
          const b = await folder(c, 'B', a);
          return () => c.w.owner.updateFolder({ params: { id: a }, body: { parentId: b } });
        },
        'folder_cycle',
      ],
      [
        'deleteFolder of a non-empty folder',
        async (c) => {
          const a = await folder(c, 'Full');
          await folder(c, 'Inside', a);
          return () => c.w.owner.deleteFolder({ params: { id: a } });
        },
        'folder_not_empty',
      ],
    ];
    for (const [what, prepare, code] of refusals) {
      it(`${what} → ${code}, and no audit entry`, async () => {
        const call = await prepare(await context());
        const before = await maxAuditId();
        await refusedCall(app, call, code);
        assert.deepEqual(await auditSince(before), []);
      });
    }
  });

  describe('a mutation whose audit write fails changes nothing', () => {
    async function withFailingAudit<T>(fn: () => Promise<T>): Promise<T> {
      const pool = app.backend.pool;
      await pool.query(`CREATE OR REPLACE FUNCTION test_audit_fails() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit store unavailable (test)'; END $$`);
      await pool.query(`CREATE TRIGGER test_audit_fails BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION test_audit_fails()`);
      try {
        return await fn();
      } finally {
        await pool.query(`DROP TRIGGER IF EXISTS test_audit_fails ON audit_entry`);
        await pool.query(`DROP FUNCTION IF EXISTS test_audit_fails()`);
      }
    }

    it('createFolder while the audit insert fails → 500 internal as problem+json, and no folder', async () => {
      const c = await context();
      const before = await snapshotDb(app.backend.pool);
      const res = await withFailingAudit(() => send(app, 'POST', '/v1/folders', { token: c.w.ownerToken, json: { name: 'Unaudited' } }));
      assertProblem(res, 500, 'internal');
      assert.ok(!res.text.includes('audit store unavailable'), 'the database error is not leaked');
      await assertDbUnchanged(app.backend.pool, before, 'a folder create whose audit failed');
      assert.deepEqual((await c.w.owner.listFolders()).items, []);
      // And with the trigger gone, the same request works.
      assert.equal((await c.w.owner.createFolder({ body: { name: 'Unaudited' } })).name, 'Unaudited');
    });

    for (const tc of cases) {
      it(`${tc.route} (${tc.name.split(' → ')[1]}) while the audit insert fails → 500 problem+json, database unchanged`, async () => {
        const base = await context();
        const c: Ctx = { ...base, s: (await tc.prepare?.(base)) ?? {} };
        const before = await snapshotDb(app.backend.pool);
        let thrown: unknown;
        await withFailingAudit(async () => {
          try {
            await tc.run(c.w.owner, {}, c);
          } catch (err) {
            thrown = err;
          }
        });
        assert.equal((thrown as { code?: string } | undefined)?.code, 'internal', String(thrown));
        assert.equal((thrown as { status?: number }).status, 500);
        await assertDbUnchanged(app.backend.pool, before, `${tc.route} whose audit failed`);
      });
    }
  });

  describe('listAudit', () => {
    /** A workspace with a known history: by the owner and by an admin, over folders, members and tokens. */
    let h: {
      w: TestWorkspace;
      admin: Awaited<ReturnType<typeof addMemberWithToken>>;
      f1: string;
      f2: string;
      all: AuditEntry[];
    };
    before(async () => {
      const w = await app.workspace();
      const admin = await addMemberWithToken(app, w, 'admin', ['read', 'write', 'admin']); // member.add, token.create
      const f1 = (await w.owner.createFolder({ body: { name: 'One' } })).id; // folder.create
      const f2 = (await admin.client.createFolder({ body: { name: 'Two' } })).id; // folder.create (admin)
      await w.owner.updateFolder({ params: { id: f1 }, body: { name: 'Uno' } }); // folder.rename
      await admin.client.updateFolder({ params: { id: f2 }, body: { parentId: f1 } }); // folder.move (admin)
      await admin.client.addMember({ body: { email: `${uniq('late')}@example.com`, role: 'viewer' } }); // member.add (admin)
      const all = (await w.owner.listAudit({ query: { limit: 200 } })).items;
      h = { w, admin, f1, f2, all };
    });

    it('lists the workspace’s entries newest first (ids strictly decreasing), starting from its creation', () => {
      assert.deepEqual(
        h.all.map((e) => e.action),
        ['member.add', 'folder.move', 'folder.rename', 'folder.create', 'folder.create', 'token.create', 'member.add', 'workspace.create'],
      );
      const ids = h.all.map((e) => BigInt(e.id));
      for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! > ids[i]!);
      assert.deepEqual(h.all.at(-1)?.actor, { userId: null, tokenId: null, email: null, mintedByUserId: null, mintedByEmail: null });
    });

    const filtered = async (query: Record<string, string | number>) =>
      (await h.w.owner.listAudit({ query: { limit: 200, ...query } })).items.map((e) => e.id);
    const ids = (pred: (e: AuditEntry) => boolean) => h.all.filter(pred).map((e) => e.id);

    it('action=folder.create matches exactly', async () => {
      const got = await filtered({ action: 'folder.create' });
      assert.equal(got.length, 2);
      assert.deepEqual(got, ids((e) => e.action === 'folder.create'));
    });

    it('action=folder. matches the prefix (create, rename, move) and nothing else', async () => {
      const got = await filtered({ action: 'folder.' });
      assert.equal(got.length, 4);
      assert.deepEqual(got, ids((e) => e.action.startsWith('folder.')));
    });

    it('action=folder (no dot) is exact, so matches nothing', async () => {
      assert.deepEqual(await filtered({ action: 'folder' }), []);
    });

    it('LIKE wildcards in a prefix match literally: action=%. and action=_____. → nothing', async () => {
      assert.deepEqual(await filtered({ action: '%.' }), []);
      assert.deepEqual(await filtered({ action: '_____.' }), []);
      assert.deepEqual(await filtered({ action: 'folder%' }), []);
    });

    it('actor=<admin user id> → only the admin’s entries', async () => {
      const got = await filtered({ actor: h.admin.member.userId });
      assert.equal(got.length, 3);
      assert.deepEqual(got, ids((e) => e.actor.userId === h.admin.member.userId));
    });

    it('resourceType=member and resourceId=<folder> select by resource', async () => {
      assert.deepEqual(await filtered({ resourceType: 'member' }), ids((e) => e.resourceType === 'member'));
      assert.equal((await filtered({ resourceType: 'member' })).length, 2);
      const f1 = await filtered({ resourceId: h.f1 });
      assert.deepEqual(f1, ids((e) => e.resourceId === h.f1));
      assert.equal(f1.length, 2);
    });

    it('filters combine: action=folder. and actor=<owner> → the owner’s folder entries, and those through the admin’s token the owner created', async () => {
      const got = await filtered({ action: 'folder.', actor: h.w.ownerUserId });
      const byOwner = (e: AuditEntry) => e.actor.userId === h.w.ownerUserId || e.actor.mintedByUserId === h.w.ownerUserId;
      assert.deepEqual(got, ids((e) => e.action.startsWith('folder.') && byOwner(e)));
      assert.equal(got.length, 4);
    });

    it('since (inclusive) and until (exclusive) select by time', async () => {
      // Spread the entries over distinct minutes so the window is unambiguous.
      const chronological = [...h.all].reverse();
      for (const [i, e] of chronological.entries()) {
        await app.backend.pool.query(`UPDATE audit_entry SET created_at = timestamptz '2031-01-01T00:00:00Z' + make_interval(mins => $1) WHERE id = $2`, [i, e.id]);
      }
      const at = (i: number) => new Date(Date.UTC(2031, 0, 1, 0, i)).toISOString();
      const expectIds = (from: number, to: number) => chronological.slice(from, to).map((e) => e.id).reverse();
      assert.deepEqual(await filtered({ since: at(2), until: at(5) }), expectIds(2, 5));
      assert.deepEqual(await filtered({ since: at(6) }), expectIds(6, chronological.length));
      assert.deepEqual(await filtered({ until: at(1) }), expectIds(0, 1));
      assert.deepEqual(await filtered({ since: '2031-01-01T01:02:00+01:00', until: '2031-01-01T00:04:00Z' }), expectIds(2, 4));
      assert.deepEqual(await filtered({ since: at(5), until: at(5) }), []);
    });

    it('an unknown actor, action, resource → an empty page (not an error)', async () => {
      assert.deepEqual(await filtered({ actor: MISSING_ID }), []);
      assert.deepEqual(await filtered({ action: 'nothing.happened' }), []);
      assert.deepEqual(await filtered({ resourceId: 'nope' }), []);
    });

    it('pages newest first with no duplicates or gaps (limit=3 over 8 entries, then limit=1)', async () => {
      for (const limit of [3, 1]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await h.w.owner.listAudit({ query: { limit, ...(cursor ? { cursor } : {}) } });
          assert.ok(page.items.length <= limit);
          seen.push(...page.items.map((e) => e.id));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor);
        assert.deepEqual(seen, h.all.map((e) => e.id), `limit=${limit}`);
        assert.equal(pages, Math.ceil(h.all.length / limit));
      }
    });

    it('pagination composes with a filter (action=folder., limit=1)', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await h.w.owner.listAudit({ query: { limit: 1, action: 'folder.', ...(cursor ? { cursor } : {}) } });
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, ids((e) => e.action.startsWith('folder.')));
    });

    it('an entry written between pages shows up on the next first page, not mid-walk', async () => {
      const w = await app.workspace();
      for (let i = 0; i < 4; i++) await w.owner.createFolder({ body: { name: `f${i}` } });
      const first = await w.owner.listAudit({ query: { limit: 2 } });
      await w.owner.createFolder({ body: { name: 'late' } });
      const rest: string[] = [];
      let cursor = first.nextCursor ?? undefined;
      while (cursor) {
        const page = await w.owner.listAudit({ query: { limit: 2, cursor } });
        rest.push(...page.items.map((e) => e.action));
        cursor = page.nextCursor ?? undefined;
      }
      assert.deepEqual(rest, ['folder.create', 'folder.create', 'workspace.create']);
    });

    const badCursors: [string, string][] = [
      ['not base64 JSON', 'bm90IGpzb24'],
      ['a number, not a string', encodeCursor(12)],
      ['a negative id', encodeCursor('-1')],
      ['an id past the bigint range', encodeCursor('9999999999999999999')],
      ['a members-list cursor', encodeCursor(['2030-01-01T00:00:00.000Z', MISSING_ID])],
    ];
    for (const [what, cursor] of badCursors) {
      it(`a cursor that is ${what} → 400 invalid_cursor`, () =>
        refused(app, () => send(app, 'GET', pathOf('listAudit', {}, { cursor }), { token: h.w.ownerToken }), 400, 'invalid_cursor'));
    }

    it('the largest bigint as a cursor is valid (everything is older)', async () => {
      const page = await h.w.owner.listAudit({ query: { cursor: encodeCursor('9223372036854775807') } });
      assert.equal(page.items.length, h.all.length);
    });

    const badQueries: [string, Record<string, string>, string][] = [
      ['actor that is not a UUID', { actor: 'alice' }, 'query.actor'],
      ['since that is not a timestamp', { since: 'yesterday' }, 'query.since'],
      ['until without an offset', { until: '2030-01-01T00:00:00' }, 'query.until'],
      ['an empty action', { action: '' }, 'query.action'],
      ['an action of 101 characters', { action: 'a'.repeat(101) }, 'query.action'],
      ['a resourceType of 51 characters', { resourceType: 'r'.repeat(51) }, 'query.resourceType'],
      ['limit=0', { limit: '0' }, 'query.limit'],
      ['limit=-5', { limit: '-5' }, 'query.limit'],
      ['an unknown parameter (workspace=…)', { workspace: MISSING_ID }, 'query'],
    ];
    for (const [what, query, path] of badQueries) {
      it(`${what} → 400 validation_failed at ${path}`, async () => {
        const p = await refused(app, () => send(app, 'GET', pathOf('listAudit', {}, query), { token: h.w.ownerToken }), 400, 'validation_failed');
        assert.deepEqual(errorPaths(p), [path]);
      });
    }

    it('an action or resourceId holding NUL → 400 validation_failed (not a database error)', async () => {
      const queries: Record<string, string>[] = [{ action: 'a\u0000.' }, { resourceId: '\u0000' }, { resourceType: 'x\u0000' }];
      for (const query of queries) {
        const res = await send(app, 'GET', pathOf('listAudit', {}, query), { token: h.w.ownerToken });
        assertProblem(res, 400, 'validation_failed');
      }
    });

    it('editors and viewers → 403 forbidden; admins may read it', async () => {
      const editor = await addMemberWithToken(app, h.w, 'editor', ['read', 'write']);
      const viewer = await addMemberWithToken(app, h.w, 'viewer', ['read']);
      await refusedCall(app, () => editor.client.listAudit(), 'forbidden');
      await refusedCall(app, () => viewer.client.listAudit(), 'forbidden');
      assert.ok((await h.admin.client.listAudit()).items.length > 0);
    });

    it('If-None-Match with the ETag → 304; after a new entry → 200', async () => {
      const path = pathOf('listAudit', {}, { limit: '5' });
      const first = await send(app, 'GET', path, { token: h.w.ownerToken });
      const etag = first.headers.get('etag')!;
      const hit = await send(app, 'GET', path, { token: h.w.ownerToken, headers: { 'if-none-match': etag } });
      assert.equal(hit.status, 304);
      await h.w.owner.createFolder({ body: { name: uniq('etag') } });
      const miss = await send(app, 'GET', path, { token: h.w.ownerToken, headers: { 'if-none-match': etag } });
      assert.equal(miss.status, 200);
    });

    it('POST /v1/audit → 405 method_not_allowed (the log is append-only from the outside too)', async () => {
      const res = await refused(app, () => send(app, 'POST', '/v1/audit', { token: h.w.ownerToken, json: { action: 'fake' } }), 405, 'method_not_allowed');
      assertIsProblem({ status: 405, headers: new Headers({ 'content-type': 'application/problem+json' }), text: '', json: res });
      const del = await send(app, 'DELETE', '/v1/audit', { token: h.w.ownerToken });
      assert.equal(del.headers.get('allow'), 'GET');
    });
  });

  describe('bad credentials', () => {
    itRefusesBadCredentials(() => creds, {
      listAudit: () => ({ method: 'GET', path: '/v1/audit' }),
    });
  });
});
