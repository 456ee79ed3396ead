import assert from 'node:assert/strict';
import type { Prompt } from '@rocqet/sdk';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { addMemberWithToken, assertIsProblem, send, uniq, type Answer } from '../support/api.js';

/**
 * Property: structural deletes racing the inserts and moves that need what they delete — a folder deleted while
 * prompts are created, moved and imported into it and folders moved and created under it; a prompt deleted while it
 * is committed to and tagged; a branch deleted while it is merged; a member removed or demoted while a token is
 * minted for them; two creations of the same slug — answer only 2xx, 404 or 409 (never a 500, every error
 * problem+json), and leave data that tells one story: whatever answered 2xx happened, before the delete that undid it.
 * Rounds are bounded (RACE_ROUNDS, default 12); each round fires every racer at once.
 */
const ROUNDS = Number(process.env.RACE_ROUNDS ?? 12);
const OK_OR_LOST = (s: number) => (s >= 200 && s < 300) || s === 404 || s === 409;

interface Racer {
  name: string;
  request: () => Promise<Answer>;
  /** Statuses this racer may answer besides 2xx/404/409 (a removed member's own token stops working: 401). */
  alsoAllowed?: number[];
}

describe('races: structural deletes against inserts and moves', function () {
  this.timeout(300_000);
  let app: TestApp;
  let ws: TestWorkspace;
  const seen = new Map<string, Map<number, number>>();

  before(async () => {
    app = await startTestApp();
    ws = await app.workspace(undefined, { type: 'enterprise' });
  });
  after(() => app?.close());
  after(() => {
    // What the rounds produced, so a run that never hit the interesting interleavings is visible.
    for (const [name, statuses] of seen) console.log(`      ${name}: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`);
  });

  const sql = async <T>(text: string, values: unknown[]) => (await app.backend.pool.query(text, values)).rows as T[];
  const as = (token: string, method: string, path: string, json?: unknown) =>
    send(app, method, path, { token, ...(json === undefined ? {} : { json }) });
  const owner = (method: string, path: string, json?: unknown) => as(ws.ownerToken, method, path, json);

  async function promptAt(title: string, folderId: string | null): Promise<Prompt> {
    return ws.owner.createPrompt({ body: { title, content: `${title}: {{x}}`, folderId } });
  }

  /** A resource's audit entries; ids are drawn at insert time, so they order writes serialised by a row lock. */
  async function auditOf(resourceId: string) {
    return sql<{ id: string; action: string }>(
      `SELECT id, action FROM audit_entry WHERE workspace_id = $1 AND resource_id = $2 ORDER BY id`,
      [ws.id, resourceId],
    );
  }

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: every racer answers 2xx, 404 or 409 and the data is consistent afterwards`, async () => {
      const tag = uniq('r');
      const folder = await ws.owner.createFolder({ body: { name: `F ${tag}` } });
      const sub = await ws.owner.createFolder({ body: { name: `Sub ${tag}`, parentId: folder.id } });
      const loose = await ws.owner.createFolder({ body: { name: `Loose ${tag}` } });
      const mover = await promptAt(`Mover ${tag}`, null);
      const inside = await promptAt(`Inside ${tag}`, folder.id);
      const doomed = await promptAt(`Doomed ${tag}`, null);
      const merged = await promptAt(`Merged ${tag}`, null);
      await ws.owner.createBranch({ params: { prompt: merged.id }, body: { name: 'feature' } });
      const feature = (await ws.owner.listBranches({ params: { prompt: merged.id } })).items.find((b) => b.name === 'feature')!;
      await ws.owner.commit({
        params: { prompt: merged.id },
        body: { content: `Merged ${tag}: {{x}} and more`, message: 'feature work', branch: 'feature', parent: feature.head.id },
      });
      const leaving = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      const demoted = await addMemberWithToken(app, ws, 'admin', ['read', 'write', 'admin']);
      const csv = `act,prompt\n"Imported A ${tag}","a {{x}}"\n"Imported B ${tag}","b {{x}}"\n"Imported C ${tag}","c {{x}}"\n`;

      const racers: Racer[] = [
        { name: 'delete folder', request: () => owner('DELETE', `/v1/folders/${folder.id}?recursive=true`) },
        { name: 'create prompt in it', request: () => owner('POST', '/v1/prompts', { title: `New ${tag}`, content: 'n', folderId: folder.id }) },
        { name: 'create prompt in its child', request: () => owner('POST', '/v1/prompts', { title: `Deep ${tag}`, content: 'd', folderId: sub.id }) },
        { name: 'move prompt into it', request: () => owner('PATCH', `/v1/prompts/${mover.id}`, { folderId: folder.id }) },
        { name: 'import into it', request: () => owner('POST', '/v1/import', { format: 'awesome-csv', data: csv, folderId: folder.id }) },
        { name: 'move folder into it', request: () => owner('PATCH', `/v1/folders/${loose.id}`, { parentId: folder.id }) },
        { name: 'create folder in it', request: () => owner('POST', '/v1/folders', { name: 'Child', parentId: folder.id }) },
        { name: 'delete prompt', request: () => owner('DELETE', `/v1/prompts/${doomed.id}`) },
        {
          name: 'commit to it',
          request: () => owner('POST', `/v1/prompts/${doomed.id}/commits`, { content: 'changed {{x}}', message: 'race', parent: doomed.headCommitId }),
        },
        { name: 'tag it', request: () => owner('POST', `/v1/prompts/${doomed.id}/tags`, { name: 'v1' }) },
        { name: 'branch it', request: () => owner('POST', `/v1/prompts/${doomed.id}/branches`, { name: 'side' }) },
        { name: 'delete branch', request: () => owner('DELETE', `/v1/prompts/${merged.id}/branches/feature`) },
        { name: 'merge that branch', request: () => owner('POST', `/v1/prompts/${merged.id}/merge`, { source: 'feature' }) },
        { name: 'remove member', request: () => owner('DELETE', `/v1/members/${leaving.member.id}`) },
        { name: 'member mints a token', request: () => as(leaving.token, 'POST', '/v1/tokens', { name: 'mine', scopes: ['read', 'write'] }), alsoAllowed: [401] },
        { name: 'demote member', request: () => owner('PATCH', `/v1/members/${demoted.member.id}`, { role: 'viewer' }) },
        { name: 'demoted mints a token', request: () => as(demoted.token, 'POST', '/v1/tokens', { name: 'mine', scopes: ['read', 'write', 'admin'] }), alsoAllowed: [403] },
        { name: 'same slug (1)', request: () => owner('POST', '/v1/prompts', { title: `Twin ${tag}`, content: 'one' }) },
        { name: 'same slug (2)', request: () => owner('POST', '/v1/prompts', { title: `Twin ${tag}`, content: 'two' }) },
      ];
      const answers = await Promise.all(racers.map((r) => r.request()));
      const by = new Map(racers.map((r, i) => [r.name, answers[i]!]));
      racers.forEach((r, i) => {
        const a = answers[i]!;
        const counts = seen.get(r.name) ?? new Map<number, number>();
        seen.set(r.name, counts.set(a.status, (counts.get(a.status) ?? 0) + 1));
        assert.ok(OK_OR_LOST(a.status) || r.alsoAllowed?.includes(a.status), `${r.name}: ${a.status} ${a.text.slice(0, 300)}`);
        if (a.status >= 400) assertIsProblem(a);
      });
      const status = (name: string) => by.get(name)!.status;

      // The folder delete either happened (the subtree is gone and everything that was put in it is in the trash) or
      // was refused; nothing that answered 2xx for putting something into the folder is live outside it.
      const folderGone = status('delete folder') === 204;
      const alive = await sql<{ id: string }>(`SELECT id FROM folder WHERE id = ANY($1::uuid[])`, [[folder.id, sub.id]]);
      assert.equal(alive.length, folderGone ? 0 : 2, 'the subtree is gone exactly when its delete answered 204');
      const moved = (await sql<{ folder_id: string | null; deleted_at: Date | null }>(
        `SELECT folder_id, deleted_at FROM prompt WHERE id = $1`, [mover.id],
      ))[0]!;
      if (status('move prompt into it') === 200) {
        assert.ok(folderGone ? moved.deleted_at !== null : moved.folder_id === folder.id, 'a move that answered 200 happened');
      } else {
        assert.deepEqual([moved.folder_id, moved.deleted_at], [null, null], 'a refused move changed nothing');
      }
      const intoFolder = await sql<{ title: string; folder_id: string | null; deleted_at: Date | null }>(
        `SELECT title, folder_id, deleted_at FROM prompt WHERE workspace_id = $1 AND (title LIKE $2 OR title LIKE $3 OR title LIKE $4)`,
        [ws.id, `New ${tag}`, `Deep ${tag}`, `Imported % ${tag}`],
      );
      for (const p of intoFolder) {
        assert.ok(folderGone ? p.deleted_at !== null && p.folder_id === null : p.deleted_at === null, `${p.title} is where its answer said`);
      }
      if (status('create prompt in it') !== 201) assert.ok(!intoFolder.some((p) => p.title === `New ${tag}`), 'a refused create wrote nothing');
      const child = await sql<{ id: string }>(`SELECT id FROM folder WHERE workspace_id = $1 AND parent_id = $2`, [ws.id, folder.id]);
      if (folderGone) assert.equal(child.length, 0);
      const looseNow = (await sql<{ parent_id: string | null }>(`SELECT parent_id FROM folder WHERE id = $1`, [loose.id]))[0];
      if (status('move folder into it') === 200) assert.ok(folderGone ? looseNow === undefined : looseNow?.parent_id === folder.id);
      else assert.equal(looseNow?.parent_id, null, 'a refused folder move changed nothing');

      // A deleted prompt takes no commits, tags or branches after its deletion: whatever was written to it came first.
      const entries = await auditOf(doomed.id);
      const deletion = entries.find((e) => e.action === 'prompt.delete');
      assert.equal(entries.filter((e) => e.action === 'prompt.delete').length, status('delete prompt') === 204 ? 1 : 0);
      for (const e of entries.filter((e) => ['prompt.commit', 'tag.create', 'branch.create'].includes(e.action))) {
        assert.ok(!deletion || BigInt(e.id) < BigInt(deletion.id), `${e.action} on a prompt already deleted`);
      }
      for (const [name, action] of [['commit to it', 'prompt.commit'], ['tag it', 'tag.create'], ['branch it', 'branch.create']] as const) {
        assert.equal(entries.filter((e) => e.action === action).length, status(name) === 201 ? 1 : 0, `${name}: audited iff it answered 201`);
      }
      // The prompt inside the folder went to the trash with it, or stayed live in it.
      const insideNow = (await sql<{ folder_id: string | null; deleted_at: Date | null }>(
        `SELECT folder_id, deleted_at FROM prompt WHERE id = $1`, [inside.id],
      ))[0]!;
      assert.deepEqual([insideNow.folder_id, insideNow.deleted_at !== null], folderGone ? [null, true] : [folder.id, false]);

      // Merge and branch delete: the merge either saw the branch (and main holds its work) or answered 404/409.
      const mainHead = (await sql<{ text: string }>(`SELECT head_text AS text FROM prompt WHERE id = $1`, [merged.id]))[0]!;
      assert.equal(mainHead.text.includes('and more'), status('merge that branch') === 200, 'main has the feature iff the merge answered 200');
      const branches = await sql<{ name: string }>(`SELECT name FROM branch WHERE prompt_id = $1`, [merged.id]);
      assert.equal(branches.some((b) => b.name === 'feature'), status('delete branch') !== 204);

      // Tokens: none outlives its member, none carries more than its member's role allows.
      const orphans = await sql<{ id: string }>(
        `SELECT t.id FROM api_token t LEFT JOIN membership m ON m.id = t.membership_id WHERE t.workspace_id = $1 AND m.id IS NULL`,
        [ws.id],
      );
      assert.equal(orphans.length, 0);
      const tooStrong = await sql<{ id: string; role: string; scopes: string[] }>(
        `SELECT t.id, m.role, t.scopes FROM api_token t JOIN membership m ON m.id = t.membership_id
          WHERE t.workspace_id = $1 AND t.revoked_at IS NULL
            AND ((m.role = 'viewer' AND NOT t.scopes <@ ARRAY['read']) OR (m.role = 'editor' AND NOT t.scopes <@ ARRAY['read','write']))`,
        [ws.id],
      );
      assert.deepEqual(tooStrong, [], 'a token carries more than its member role');

      // Two creations of one slug: exactly one wins, the other is told it exists.
      assert.deepEqual([status('same slug (1)'), status('same slug (2)')].sort(), [201, 409]);
    });
  }
});
