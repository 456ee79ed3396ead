import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createClient, createPromptCache, type Client, type Role, type Scope } from '@rocqet/sdk';
import { backendsOnOneDatabase, draftPrompt, joinDraft, rawClient, until } from '../collab/support.js';
import { openFeed, type OpenFeed } from './support.js';

/**
 * A token's authority is decided now, not when its stream or socket opened: on two backends on one database, a change
 * made through one reaches what is open on the other (through the feed's NOTIFY), and what leaves no audit entry is
 * caught by the periodic re-check (short here).
 */
describe('open feed streams and collab sockets follow their token’s authority (two backends)', function () {
  this.timeout(60_000);
  let world: Awaited<ReturnType<typeof backendsOnOneDatabase>>;
  let owner: Client;
  let room: string;
  const open: { close(): void }[] = [];

  before(async () => {
    world = await backendsOnOneDatabase(2, { ROCQET_LIVE_RECHECK: '300ms' });
    owner = world.client(0);
    room = (await draftPrompt(owner, 'shared text\n')).room;
  });
  afterEach(() => open.splice(0).forEach((o) => o.close()));
  after(() => world?.close());

  const a = () => world.backends[0]!;
  const b = () => world.backends[1]!;

  /** A new member with a token; `by` creates the token (the owner unless said). */
  async function member(role: Role, scopes: Scope[], by: Client = owner) {
    const m = await owner.addMember({ body: { email: `${role}-${randomBytes(3).toString('hex')}@example.com`, role } });
    const t = await by.createToken({ body: { name: `${role} token`, scopes, memberId: m.id } });
    return { memberId: m.id, tokenId: t.token.id, token: t.secret, client: createClient({ baseUrl: a().url, token: t.secret }) };
  }

  async function feedOnB(token: string): Promise<OpenFeed> {
    const f = await openFeed(b().url, token);
    assert.equal(f.status, 200);
    open.push(f);
    return f;
  }

  async function socketOnB(token: string) {
    const c = await rawClient(`${b().collabUrl}/${room}`, token);
    open.push(c);
    return c;
  }

  /** The stream ended with a last event carrying the problem a reconnect would get. */
  async function endedWith(f: OpenFeed, code: string, status: number) {
    await f.ended;
    const last = f.events.at(-1);
    assert.equal(last?.event, 'end', `the last event is ${last?.event}`);
    const problem = last.data as unknown as { code: string; status: number; detail: string };
    assert.equal(problem.code, code);
    assert.equal(problem.status, status);
    return problem;
  }

  it('revoking a token ends its stream and closes its socket on the other backend, saying why', async () => {
    const m = await member('editor', ['read', 'write']);
    const f = await feedOnB(m.token);
    const sock = await socketOnB(m.token);
    await owner.revokeToken({ params: { id: m.tokenId } });
    assert.match((await endedWith(f, 'token_revoked', 401)).detail, /revoked/);
    assert.deepEqual(await sock.closed, { code: 4401, reason: 'unauthenticated: the API token was revoked' });
    // And a reconnect is refused the same way.
    assert.equal((await openFeed(b().url, m.token)).problem?.code, 'token_revoked');
  });

  it('the sdk subscription stops at the last event and reports why, without reconnecting', async () => {
    const m = await member('viewer', ['read']);
    const errors: string[] = [];
    const states: string[] = [];
    const sub = createClient({ baseUrl: b().url, token: m.token }).events.subscribe({
      onEvent: () => {},
      onError: (e) => errors.push(e.code),
      onState: (s) => states.push(s),
    });
    open.push(sub);
    await until(() => sub.state === 'open', 'the subscription to open');
    await owner.revokeToken({ params: { id: m.tokenId } });
    await until(() => errors.length > 0, 'the subscription to report');
    assert.deepEqual(errors, ['token_revoked']);
    assert.equal(sub.state, 'closed');
    assert.ok(!states.includes('reconnecting'), `states: ${states.join(', ')}`);
  });

  it('a revoked token’s prompt cache stops serving from memory: the next read is refused', async () => {
    const m = await member('viewer', ['read']);
    const p = await owner.createPrompt({ body: { title: 'Cached', content: 'cached text' } });
    const cache = createPromptCache(createClient({ baseUrl: b().url, token: m.token }));
    open.push(cache);
    await until(() => cache.state === 'open', 'the cache’s feed to open');
    await cache.get(p.id);
    assert.equal((await cache.get(p.id)).id, p.id);
    assert.equal(cache.stats.hits, 1, 'served from memory while the token is good');
    await owner.revokeToken({ params: { id: m.tokenId } });
    await until(() => cache.state === 'closed', 'the cache’s feed to end');
    await assert.rejects(cache.get(p.id), (err: { code?: string }) => err.code === 'token_revoked');
    assert.equal(cache.stats.hits, 1);
  });

  it('removing a member ends its streams and closes its sockets (its tokens went with it)', async () => {
    const m = await member('editor', ['read', 'write']);
    const f = await feedOnB(m.token);
    const sock = await socketOnB(m.token);
    await owner.removeMember({ params: { id: m.memberId } });
    await endedWith(f, 'invalid_token', 401);
    assert.deepEqual(await sock.closed, { code: 4401, reason: 'unauthenticated: the API token no longer exists (its member left the workspace)' });
  });

  it('a token made for a member stops when the admin who made it leaves', async () => {
    const admin = await member('admin', ['read', 'write', 'admin']);
    const made = await member('editor', ['read', 'write'], admin.client);
    // Through the API its creator would be the owner (who holds the admin's token); make it the admin's own.
    await a().pool.query(
      'UPDATE api_token t SET created_by_id = m.user_id FROM membership m WHERE m.id = $1 AND t.id = $2',
      [admin.memberId, made.tokenId],
    );
    const f = await feedOnB(made.token);
    const sock = await socketOnB(made.token);
    await owner.removeMember({ params: { id: admin.memberId } });
    await endedWith(f, 'token_revoked', 401);
    assert.equal((await sock.closed).code, 4401);
  });

  it('an editor lowered to viewer keeps the socket read-only and is told at once; raised again, it edits', async () => {
    const m = await member('editor', ['read', 'write']);
    const watcher = await joinDraft(b().collabUrl, room, { token: world.token });
    open.push({ close: () => watcher.destroy() });
    const sock = await socketOnB(m.token);
    sock.text.insert(0, 'E1 ');
    await until(() => watcher.text.toString().startsWith('E1 '), 'the editor’s edit');
    await owner.updateMember({ params: { id: m.memberId }, body: { role: 'viewer' } });
    await until(() => sock.denied.length > 0, 'the read-only notice');
    assert.match(sock.denied[0]!, /^read-only: your role or token changed/);
    sock.text.insert(0, 'V ');
    watcher.text.insert(watcher.text.length, 'after');
    await until(() => sock.text.toString().endsWith('after'), 'edits still reach the read-only socket');
    assert.ok(!watcher.text.toString().includes('V '), 'an edit after the demotion reached another editor');
    const draft = await owner.getDraft({ params: { prompt: room.split('/')[0]!, name: 'main' } });
    assert.ok(!draft.content.includes('V '));
    await owner.updateMember({ params: { id: m.memberId }, body: { role: 'editor' } });
    // Its token's write scope was trimmed by the demotion (members.ts), so a new token edits, the old one does not.
    const again = await owner.createToken({ body: { name: 'again', scopes: ['read', 'write'], memberId: m.memberId } });
    const sock2 = await socketOnB(again.secret);
    sock2.text.insert(0, 'E2 ');
    await until(() => watcher.text.toString().startsWith('E2 '), 'the re-promoted editor’s edit');
  });

  it('an admin lowered to editor stops seeing the audit trail of people and tokens from the next event on', async () => {
    const m = await member('admin', ['read', 'write', 'admin']);
    const f = await feedOnB(m.token);
    await owner.createToken({ body: { name: 'seen', scopes: ['read'] } });
    await f.waitFor(1);
    await owner.updateMember({ params: { id: m.memberId }, body: { role: 'editor' } });
    await owner.createToken({ body: { name: 'unseen', scopes: ['read'] } });
    const p = await owner.createPrompt({ body: { title: 'After the demotion', content: 'x' } });
    await until(() => f.events.some((e) => e.event === 'prompt.create'), 'the prompt event');
    assert.deepEqual(
      f.events.map((e) => e.event),
      ['token.create', 'member.update', 'prompt.create'],
    );
    const last = f.events.at(-1)!.data;
    assert.equal(last.subject.promptId, p.id);
    assert.equal(last.ip, null, 'where the change came from is for admins only');
  });

  it('an expiring token’s stream and socket end when it expires', async () => {
    const t = await owner.createToken({ body: { name: 'short', scopes: ['read'], expiresAt: new Date(Date.now() + 1_500).toISOString() } });
    const f = await feedOnB(t.secret);
    const sock = await socketOnB(t.secret);
    await endedWith(f, 'token_expired', 401);
    assert.equal((await sock.closed).code, 4401);
  });

  it('what leaves no audit entry is caught by the periodic re-check (a token revoked in SQL)', async () => {
    const m = await member('viewer', ['read']);
    const f = await feedOnB(m.token);
    const sock = await socketOnB(m.token);
    await a().pool.query('UPDATE api_token SET revoked_at = now() WHERE id = $1', [m.tokenId]);
    await endedWith(f, 'token_revoked', 401);
    assert.equal((await sock.closed).code, 4401);
  });

  it('a token that loses the read scope is closed (4403) and its stream ends (insufficient_scope)', async () => {
    const m = await member('editor', ['read', 'write']);
    const f = await feedOnB(m.token);
    const sock = await socketOnB(m.token);
    await a().pool.query(`UPDATE api_token SET scopes = '{write}' WHERE id = $1`, [m.tokenId]);
    await endedWith(f, 'insufficient_scope', 403);
    assert.deepEqual(await sock.closed, { code: 4403, reason: 'forbidden: this token may no longer read this workspace' });
  });

  it('other members’ streams and sockets are untouched', async () => {
    const keep = await member('editor', ['read', 'write']);
    const gone = await member('editor', ['read', 'write']);
    const f = await feedOnB(keep.token);
    const sock = await socketOnB(keep.token);
    await owner.revokeToken({ params: { id: gone.tokenId } });
    await owner.removeMember({ params: { id: gone.memberId } });
    const p = await owner.createPrompt({ body: { title: 'Still here', content: 'x' } });
    await until(() => f.events.some((e) => e.data.subject.promptId === p.id), 'the next event');
    sock.text.insert(0, 'K');
    await until(async () => (await owner.getDraft({ params: { prompt: room.split('/')[0]!, name: 'main' } })).content.startsWith('K'), 'the edit');
  });
});
