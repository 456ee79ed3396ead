import assert from 'node:assert/strict';
import type { Client, ProblemCode, Role, Scope } from '@rocqet/sdk';
import type { TestApp, TestWorkspace } from '../support/app.js';
import { addMemberWithToken, refusedCall, tokenIdOf, uniq, type TestMember } from '../support/api.js';
import { useTestApp } from '../support/refusals.js';

/*
 * Authority is never borrowed: whoever holds a token can do no more than its member's current role, its own scopes
 * and its creator's current role allow, and every role change, removal and revocation stays within the caller's own
 * authority. The rules are restated here from the issue, plainly, so the matrix checks the server against them and
 * not against its own policy code.
 */
const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };
const ROLES: Role[] = ['owner', 'admin', 'editor', 'viewer'];
const holds: Record<Role, Scope[]> = {
  owner: ['read', 'write', 'admin'],
  admin: ['read', 'write', 'admin'],
  editor: ['read', 'write'],
  viewer: ['read'],
};
const SCOPE_SETS: Scope[][] = [['read'], ['write'], ['admin'], ['read', 'write'], ['read', 'admin'], ['write', 'admin'], ['read', 'write', 'admin']];
const subset = (a: readonly Scope[], b: readonly Scope[]) => a.every((s) => b.includes(s));

type Outcome = 'ok' | Extract<ProblemCode, 'forbidden' | 'insufficient_scope'>;

interface Caller {
  role: Role;
  /** What the token may do now: its stored scopes as far as the role allows. */
  scopes: Scope[];
  client: Client;
  userId: string;
  memberId: string;
}

/** Every member-management route needs the admin scope; the rest is about the caller's role against the target's. */
function expect(c: Caller, allowed: boolean): Outcome {
  if (!c.scopes.includes('admin')) return 'insufficient_scope';
  return allowed ? 'ok' : 'forbidden';
}
const rules = {
  mintSelf: (c: Caller, scopes: Scope[]) => expect(c, subset(scopes, c.scopes)),
  /** Acting as someone is only for members strictly below you, and never with more than you or they may hold. */
  mintFor: (c: Caller, target: Role, scopes: Scope[]) =>
    expect(c, rank[c.role] > rank[target] && subset(scopes, c.scopes) && subset(scopes, holds[target])),
  /** Nobody grants above their own role; only owners touch owners. */
  setRole: (c: Caller, from: Role, to: Role) => expect(c, rank[to] <= rank[c.role] && (from !== 'owner' || c.role === 'owner')),
  remove: (c: Caller, target: Role) => expect(c, target !== 'owner' || c.role === 'owner'),
  revoke: (c: Caller, target: Role) => expect(c, target !== 'owner' || c.role === 'owner'),
};

describe('authority is never borrowed', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  useTestApp((f) => ({ app, ws } = f));

  /**
   * A member with `role` and a token the workspace's owner created for them (an owner is made an admin first): the
   * owner holds that secret too, so the owner is the person behind it.
   */
  async function member(role: Role, scopes: Scope[] = holds[role], in_: TestWorkspace = ws): Promise<TestMember> {
    const m = await addMemberWithToken(app, in_, role === 'owner' ? 'admin' : role, scopes);
    if (role === 'owner') m.member = await in_.owner.updateMember({ params: { id: m.member.id }, body: { role: 'owner' } });
    return m;
  }

  /**
   * A member holding a token of their own, as a sign-in would give them. The API has none (only a workspace's creator
   * starts with a token of their own; everyone else's first one is created for them), so it is set in SQL.
   */
  async function person(role: Role, scopes: Scope[] = holds[role], in_: TestWorkspace = ws): Promise<TestMember> {
    const m = await member(role, scopes, in_);
    await app.backend.pool.query(`UPDATE api_token SET created_by_id = $1 WHERE id = $2`, [m.member.userId, m.tokenId]);
    return m;
  }

  async function ownerMemberId(w: TestWorkspace): Promise<string> {
    return (await w.owner.listMembers({ query: { limit: 200 } })).items.find((m) => m.userId === w.ownerUserId)!.id;
  }

  /** Runs `call` and checks it against the rule: a refusal with the rule's code that changes nothing, or success. */
  async function check<T>(outcome: Outcome, call: () => Promise<T>): Promise<T | undefined> {
    if (outcome === 'ok') return call();
    await refusedCall(app, call, outcome);
    return undefined;
  }

  describe('the matrix: every role × token scope set, over minting, role changes, removal and revocation', () => {
    /** Each caller gets a workspace of its own (its owner, the caller, and targets of every role). */
    const callers: { label: string; make: (w: TestWorkspace) => Promise<Caller> }[] = [];
    for (const role of ROLES) {
      for (const stored of SCOPE_SETS.filter((s) => subset(s, holds[role]))) {
        callers.push({
          label: `${role} with ${stored.join('+')}`,
          make: async (w) => {
            if (role === 'owner') {
              const t = await w.owner.createToken({ body: { name: `owner ${stored.join('+')}`, scopes: stored } });
              return { role, scopes: stored, client: app.client(t.secret), userId: w.ownerUserId, memberId: await ownerMemberId(w) };
            }
            const m = await person(role, stored, w);
            return { role, scopes: stored, client: m.client, userId: m.member.userId, memberId: m.member.id };
          },
        });
      }
    }
    // Tokens that somehow hold scopes beyond their member's role (set in SQL; the API never issues them) count only
    // what the role allows.
    for (const role of ['editor', 'viewer'] as const) {
      callers.push({
        label: `${role} whose token somehow holds read+write+admin`,
        make: async (w) => {
          const m = await person(role, holds[role], w);
          await app.backend.pool.query(`UPDATE api_token SET scopes = '{read,write,admin}' WHERE id = $1`, [m.tokenId]);
          return { role, scopes: holds[role], client: m.client, userId: m.member.userId, memberId: m.member.id };
        },
      });
    }

    for (const { label, make } of callers) {
      describe(`as ${label}`, () => {
        let w: TestWorkspace;
        let c: Caller;
        const targets = {} as Record<Role, TestMember>;
        before(async () => {
          w = await app.workspace();
          c = await make(w);
          for (const role of ROLES) targets[role] = await member(role, holds[role], w);
        });

        it('creates tokens for itself only within its own scopes', async () => {
          for (const scopes of SCOPE_SETS) {
            const created = await check(rules.mintSelf(c, scopes), () => c.client.createToken({ body: { name: 'self', scopes } }));
            if (created) {
              assert.equal(created.token.memberId, c.memberId);
              assert.equal(created.token.createdById, c.userId);
            }
          }
        });

        it('creates tokens for others only below its own role, within both roles and its scopes', async () => {
          for (const target of ROLES) {
            for (const scopes of [['read'], holds[target]] as Scope[][]) {
              const t = targets[target];
              const created = await check(rules.mintFor(c, target, scopes), () =>
                c.client.createToken({ body: { name: 'for', scopes, memberId: t.member.id } }),
              );
              if (created) {
                assert.equal(created.token.memberId, t.member.id);
                assert.equal(created.token.createdById, c.userId, 'the creator is recorded on the token');
                const seen = await app.client(created.secret).getWorkspace({ params: { workspace: w.slug } });
                assert.equal(seen.role, target, `it acts as the ${target}`);
              }
            }
          }
        });

        it('changes roles only within its own role, and owners only as an owner', async () => {
          for (const from of ROLES) {
            for (const to of ROLES.filter((r) => r !== from)) {
              const outcome = rules.setRole(c, from, to);
              // A success changes the target, so each one gets a fresh member.
              const t = outcome === 'ok' ? await member(from, holds[from], w) : targets[from];
              const changed = await check(outcome, () => c.client.updateMember({ params: { id: t.member.id }, body: { role: to } }));
              if (changed) assert.equal(changed.role, to);
            }
          }
        });

        it('removes members only within its authority', async () => {
          for (const target of ROLES) {
            const outcome = rules.remove(c, target);
            const t = outcome === 'ok' ? await member(target, holds[target], w) : targets[target];
            await check(outcome, () => c.client.removeMember({ params: { id: t.member.id } }));
            if (outcome === 'ok') await refusedCall(app, () => t.client.listFolders(), 'invalid_token');
          }
        });

        it("revokes others' tokens only within its authority", async () => {
          for (const target of ROLES) {
            const outcome = rules.revoke(c, target);
            const t = outcome === 'ok' ? await member(target, holds[target], w) : targets[target];
            await check(outcome, () => c.client.revokeToken({ params: { id: t.tokenId } }));
            if (outcome === 'ok') await refusedCall(app, () => t.client.listFolders(), 'token_revoked');
          }
        });
      });
    }
  });

  describe('an admin trying to act as an owner, by every path', () => {
    let admin: TestMember;
    let owner: string;
    let ownersToken: string;
    before(async () => {
      admin = await person('admin');
      owner = await ownerMemberId(ws);
      ownersToken = await tokenIdOf(app, ws.ownerToken);
    });

    it("creating a token for the owner's membership (the reported hole) → 403 forbidden", () =>
      refusedCall(app, () => admin.client.createToken({ body: { name: 'x', scopes: ['read', 'write', 'admin'], memberId: owner } }), 'forbidden'));

    it('creating a token for another admin (a peer, whose name it would act under) → 403 forbidden', async () => {
      const peer = await person('admin');
      await refusedCall(app, () => admin.client.createToken({ body: { name: 'x', scopes: ['read'], memberId: peer.member.id } }), 'forbidden');
    });

    it('a token it created for the owner earlier (before this fix) acts with an admin’s authority at most: promoting itself → 403', async () => {
      const legacy = await ws.owner.createToken({ body: { name: 'legacy', scopes: ['read', 'write', 'admin'] } });
      await app.backend.pool.query(`UPDATE api_token SET created_by_id = $1 WHERE id = $2`, [admin.member.userId, legacy.token.id]);
      const asOwner = app.client(legacy.secret);
      assert.equal((await asOwner.getWorkspace({ params: { workspace: ws.slug } })).role, 'admin');
      await refusedCall(app, () => asOwner.updateMember({ params: { id: admin.member.id }, body: { role: 'owner' } }), 'forbidden');
      await refusedCall(app, () => asOwner.removeMember({ params: { id: owner } }), 'forbidden');
    });

    it('a token for itself with every scope, then promoting itself → 403 forbidden', async () => {
      const mine = await admin.client.createToken({ body: { name: 'all', scopes: ['read', 'write', 'admin'] } });
      await refusedCall(app, () => app.client(mine.secret).updateMember({ params: { id: admin.member.id }, body: { role: 'owner' } }), 'forbidden');
    });

    it('changing its own role to owner → 403 forbidden', () =>
      refusedCall(app, () => admin.client.updateMember({ params: { id: admin.member.id }, body: { role: 'owner' } }), 'forbidden'));

    it('demoting the owner → 403 forbidden', () =>
      refusedCall(app, () => admin.client.updateMember({ params: { id: owner }, body: { role: 'admin' } }), 'forbidden'));

    it("revoking the owner's token → 403 forbidden", () =>
      refusedCall(app, () => admin.client.revokeToken({ params: { id: ownersToken } }), 'forbidden'));

    it('removing the owner → 403 forbidden', () => refusedCall(app, () => admin.client.removeMember({ params: { id: owner } }), 'forbidden'));

    it('adding a new member as an owner → 403 forbidden', () =>
      refusedCall(app, () => admin.client.addMember({ body: { email: `${uniq('o')}@example.com`, role: 'owner' } }), 'forbidden'));
  });

  describe('a token created for someone else', () => {
    it('never outranks its creator: demoting the creator lowers what the token may do, at once', async () => {
      const creator = await person('owner');
      const target = await member('admin');
      const made = await creator.client.createToken({ body: { name: 'handover', scopes: ['read', 'write', 'admin'], memberId: target.member.id } });
      const handover = app.client(made.secret);
      assert.equal((await handover.getWorkspace({ params: { workspace: ws.slug } })).role, 'admin');
      await ws.owner.updateMember({ params: { id: creator.member.id }, body: { role: 'editor' } });
      assert.equal((await handover.getWorkspace({ params: { workspace: ws.slug } })).role, 'editor');
      await refusedCall(app, () => handover.createToken({ body: { name: 'more', scopes: ['read'] } }), 'insufficient_scope');
      const listed = (await handover.listTokens({ query: { limit: 200 } })).items;
      assert.ok(listed.some((t) => t.id === made.token.id));
      assert.ok(listed.every((t) => t.memberId === target.member.id), 'only its own member’s tokens, now');
    });

    it('dies with its creator: removing the creator revokes it (401 token_revoked), and the removal lists it', async () => {
      const creator = await person('admin');
      const target = await member('editor');
      const made = await creator.client.createToken({ body: { name: 'handover', scopes: ['read', 'write'], memberId: target.member.id } });
      await ws.owner.removeMember({ params: { id: creator.member.id } });
      await refusedCall(app, () => app.client(made.secret).listFolders(), 'token_revoked');
      assert.ok(await target.client.listFolders(), "the member's other tokens (made by the owner) still work");
      const listed = (await ws.owner.listTokens({ query: { limit: 200 } })).items.find((t) => t.id === made.token.id);
      assert.ok(listed?.revokedAt, 'listed as revoked');
      const removal = (await ws.owner.listAudit({ query: { action: 'member.remove', resourceId: creator.member.id } })).items[0];
      assert.deepEqual(removal?.changes.revokedTokens, [made.token.id]);
    });

    it('cannot launder its creator: a token it creates for its own member is still credited to (and dies with) the creator', async () => {
      const creator = await person('owner');
      const target = await member('admin');
      const made = await creator.client.createToken({ body: { name: 'handover', scopes: ['read', 'write', 'admin'], memberId: target.member.id } });
      const fresh = await app.client(made.secret).createToken({ body: { name: 'fresh', scopes: ['read'] } });
      assert.equal(fresh.token.memberId, target.member.id);
      assert.equal(fresh.token.createdById, creator.member.userId);
      await ws.owner.updateMember({ params: { id: creator.member.id }, body: { role: 'admin' } });
      await ws.owner.removeMember({ params: { id: creator.member.id } });
      await refusedCall(app, () => app.client(fresh.secret).listFolders(), 'token_revoked');
    });

    it('every audit entry names the person behind the token (its creator) beside the member it acts as; actor=<creator> finds it', async () => {
      const creator = await person('admin');
      const target = await member('editor');
      const made = await creator.client.createToken({ body: { name: 'handover', scopes: ['read', 'write'], memberId: target.member.id } });
      const folder = await app.client(made.secret).createFolder({ body: { name: uniq('by-handover') } });
      const entry = (await ws.owner.listAudit({ query: { resourceId: folder.id } })).items[0];
      assert.deepEqual(entry?.actor, {
        userId: target.member.userId,
        email: target.member.email,
        tokenId: made.token.id,
        mintedByUserId: creator.member.userId,
        mintedByEmail: creator.member.email,
      });
      const byCreator = await ws.owner.listAudit({ query: { actor: creator.member.userId, resourceId: folder.id } });
      assert.deepEqual(byCreator.items.map((e) => e.id), [entry.id]);
    });

    it("cannot create a workspace in its member's name (403 forbidden), and sees only its own workspace", async () => {
      const elsewhere = await app.workspace();
      const target = await member('admin');
      await elsewhere.owner.addMember({ body: { email: target.member.email, role: 'viewer' } });
      const made = await ws.owner.createToken({ body: { name: 'handover', scopes: ['read', 'write', 'admin'], memberId: target.member.id } });
      const handover = app.client(made.secret);
      await refusedCall(app, () => handover.createWorkspace({ body: { slug: uniq('ws'), name: 'Mine', type: 'team' } }), 'forbidden');
      assert.deepEqual((await handover.listWorkspaces()).items.map((w) => w.id), [ws.id]);
      // A token the member created for themselves is theirs in person.
      const own = await app.backend.pool.query(`UPDATE api_token SET created_by_id = $1 WHERE id = $2`, [target.member.userId, made.token.id]);
      assert.equal(own.rowCount, 1);
      assert.deepEqual((await handover.listWorkspaces()).items.map((w) => w.id).sort(), [ws.id, elsewhere.id].sort());
    });
  });

  describe("a member's own tokens follow their current role", () => {
    it('demoting an admin to viewer stops their admin token at read, even if its stored scopes are put back', async () => {
      const admin = await member('admin');
      await ws.owner.updateMember({ params: { id: admin.member.id }, body: { role: 'viewer' } });
      const mint = () => admin.client.createToken({ body: { name: 'more', scopes: ['read'] } });
      await refusedCall(app, mint, 'insufficient_scope');
      await app.backend.pool.query(`UPDATE api_token SET scopes = '{read,write,admin}' WHERE id = $1`, [admin.tokenId]);
      await refusedCall(app, mint, 'insufficient_scope');
      assert.deepEqual((await admin.client.listTokens()).items.map((t) => t.id), [admin.tokenId], 'its own tokens only');
      await refusedCall(app, () => admin.client.createFolder({ body: { name: 'x' } }), 'insufficient_scope');
      assert.equal((await admin.client.getWorkspace({ params: { workspace: ws.slug } })).role, 'viewer');
    });
  });
});
