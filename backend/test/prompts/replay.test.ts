import assert from 'node:assert/strict';
import { Content, createClient, type Client } from '@rocqet/sdk';
import type { TestApp, TestWorkspace } from '../support/app.js';
import { startUnlimitedTestApp, allCommits, allPrompts, FABRIC_FILE, flushUsage, parseFabric, readShared, sha256Hex, type FabricEntry } from '../support/prompts.js';
import { expectDbUnchanged } from '../support/snapshot.js';

/** What the importer keeps of a history: consecutive identical texts are one version (the first of them). */
function collapsed(entry: FabricEntry) {
  return entry.versions.filter((v, i, all) => i === 0 || all[i - 1]!.content !== v.content);
}

describe('prompts: replaying the fabric histories through the import API', function () {
  this.timeout(900_000);
  let app: TestApp;
  let ws: TestWorkspace;
  let owner: Client;
  let text: string;
  let entries: FabricEntry[];
  /** The histories whose every text is within the API's limit; the others are refused, as the API refuses them. */
  let importable: FabricEntry[];
  let refused: { item: string; field: string; reason: string }[];

  before(async function () {
    const loaded = readShared(FABRIC_FILE);
    if (loaded === null) return this.skip();
    text = loaded;
    entries = parseFabric(text);
    importable = entries.filter((e) => collapsed(e).every((v) => Content.safeParse(v.content).success));
    const lineOf = new Map(text.split('\n').map((l, i) => [l.trim() && (JSON.parse(l) as FabricEntry).name, i + 1]));
    refused = entries
      .filter((e) => !importable.includes(e))
      .map((e) => ({
        item: `line ${lineOf.get(e.name)} "${e.name}"`,
        field: `versions.${collapsed(e).findIndex((v) => !Content.safeParse(v.content).success)}.content`,
        reason: 'a prompt is at most 200,000 characters',
      }));
    app = await startUnlimitedTestApp();
    ws = await app.workspace(undefined, { type: 'enterprise' });
    // The whole file is one request; give it longer than the client's default 30 s.
    owner = createClient({ baseUrl: app.url, token: ws.ownerToken, timeoutMs: 880_000 });
  });
  after(() => app?.close());

  it('imports the 236 histories (those within the API limits) with every version as a commit, then reads every version back byte for byte', async () => {
    assert.equal(entries.length, 236, 'the data README promises 236 prompts');
    const expectedVersions = importable.reduce((n, e) => n + collapsed(e).length, 0);
    assert.equal(entries.reduce((n, e) => n + e.versions.length, 0), 871, 'the data README promises 871 versions');
    // One history (extract_insights_dm) has texts over the API's 200,000 characters: refused, with the field.
    assert.ok(refused.length >= 1 && refused.length < 5, `refused ${refused.length}`);

    const report = await owner.importPrompts({ body: { format: 'fabric-jsonl', data: text } });
    assert.deepEqual(report.skipped, refused);
    assert.deepEqual(report.renamed, []);
    assert.equal(report.created, importable.length);
    assert.equal(report.updated, 0);
    assert.equal(report.unchanged, 0);
    assert.equal(report.commits, expectedVersions);

    const prompts = await allPrompts(owner);
    assert.equal(prompts.length, importable.length);
    const byTitle = new Map(prompts.map((p) => [p.title, p]));
    let versionsChecked = 0;
    for (const entry of importable) {
      const prompt = byTitle.get(entry.name);
      assert.ok(prompt, `prompt "${entry.name}" exists`);
      const versions = collapsed(entry);
      const history = (await allCommits(owner, prompt.id)).reverse();
      assert.equal(history.length, versions.length, `${entry.name}: one commit per (collapsed) version`);
      for (const [i, v] of versions.entries()) {
        const c = history[i]!;
        assert.equal(c.seq, i + 1, `${entry.name}: seq`);
        assert.equal(c.parentId, i === 0 ? null : history[i - 1]!.id, `${entry.name}#${i + 1}: linear history`);
        assert.equal(c.message, v.message, `${entry.name}#${i + 1}: message kept`);
        assert.equal(c.createdAt, new Date(v.date).toISOString(), `${entry.name}#${i + 1}: date kept`);
        assert.equal(c.contentHash, sha256Hex(v.content));
        assert.equal(c.size, Buffer.byteLength(v.content, 'utf8'));
        const got = await owner.getCommit({ params: { prompt: prompt.id, ref: c.id } });
        assert.ok(got.content === v.content, `${entry.name}#${i + 1} does not read back byte for byte`);
        versionsChecked++;
      }
      // The prompt shows its newest text, dated as the first version.
      const head = await owner.getPrompt({ params: { prompt: prompt.slug } });
      assert.equal(head.content, versions.at(-1)!.content);
      assert.equal(head.headCommitId, history.at(-1)!.id);
      assert.equal(head.createdAt, new Date(versions[0]!.date).toISOString());
    }
    assert.equal(versionsChecked, expectedVersions);
  });

  it('stores revlog-style: no chain longer than 10 deltas, every chain ends in a snapshot, deltas really used', async () => {
    const pool = app.backend.pool;
    const { rows: tooLong } = await pool.query(
      `SELECT id FROM prompt_commit WHERE workspace_id = $1 AND (chain_length > 10 OR chain_length < 0)`,
      [ws.id],
    );
    assert.deepEqual(tooLong, []);
    const { rows: badSnapshots } = await pool.query(
      `SELECT id FROM prompt_commit WHERE workspace_id = $1 AND kind = 'snapshot' AND chain_length <> 0`,
      [ws.id],
    );
    assert.deepEqual(badSnapshots, []);
    // A delta's chain is its parent's plus one, so by induction every chain ends in a snapshot.
    const { rows: broken } = await pool.query(
      `SELECT c.id FROM prompt_commit c LEFT JOIN prompt_commit p ON p.id = c.parent_id
        WHERE c.workspace_id = $1 AND c.kind = 'delta' AND (p.id IS NULL OR p.chain_length <> c.chain_length - 1)`,
      [ws.id],
    );
    assert.deepEqual(broken, []);
    // And walking each chain explicitly ends on a snapshot within 10 steps.
    const { rows: walks } = await pool.query<{ id: string; steps: number; kind: string }>(
      `WITH RECURSIVE walk AS (
         SELECT id AS start, id, parent_id, kind, 0 AS steps FROM prompt_commit WHERE workspace_id = $1
         UNION ALL
         SELECT w.start, p.id, p.parent_id, p.kind, w.steps + 1
           FROM walk w JOIN prompt_commit p ON p.id = w.parent_id
          WHERE w.kind = 'delta' AND w.steps < 20
       )
       SELECT DISTINCT ON (start) start AS id, steps, kind FROM walk ORDER BY start, steps DESC`,
      [ws.id],
    );
    assert.equal(walks.length, importable.reduce((n, e) => n + collapsed(e).length, 0));
    for (const w of walks) {
      assert.equal(w.kind, 'snapshot', `the chain of ${w.id} ends in a ${w.kind}`);
      assert.ok(w.steps <= 10, `the chain of ${w.id} has ${w.steps} deltas`);
    }
    const { rows: kinds } = await pool.query<{ kind: string; n: string; max: number }>(
      `SELECT kind, count(*) AS n, max(chain_length) AS max FROM prompt_commit WHERE workspace_id = $1 GROUP BY kind ORDER BY kind`,
      [ws.id],
    );
    const deltas = kinds.find((k) => k.kind === 'delta');
    assert.ok(deltas && Number(deltas.n) > 300, `most versions after the first are deltas: ${JSON.stringify(kinds)}`);
    assert.equal(deltas.max, 10, 'the longest histories reach the chain limit');
    // A 58-version history needs at least ceil(58 / 11) snapshots.
    const { rows: perPrompt } = await pool.query<{ n: string; snapshots: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE kind = 'snapshot') AS snapshots
         FROM prompt_commit WHERE workspace_id = $1 GROUP BY prompt_id`,
      [ws.id],
    );
    for (const p of perPrompt) assert.ok(Number(p.snapshots) >= Math.ceil(Number(p.n) / 11));
  });

  it('re-importing the same file creates nothing and writes nothing (created 0, every imported one unchanged)', async () => {
    await flushUsage(owner);
    const report = await expectDbUnchanged(app.backend.pool, () =>
      owner.importPrompts({ body: { format: 'fabric-jsonl', data: text } }),
    );
    assert.deepEqual(
      { created: report.created, updated: report.updated, unchanged: report.unchanged, commits: report.commits, skipped: report.skipped },
      { created: 0, updated: 0, unchanged: importable.length, commits: 0, skipped: refused },
    );
  });

  it('importing a longer history later appends only the new versions', async () => {
    const w = await app.workspace();
    const picked = importable.filter((e) => collapsed(e).length >= 5).slice(0, 8);
    assert.equal(picked.length, 8);
    const cut = (e: FabricEntry, n: number) => JSON.stringify({ name: e.name, versions: e.versions.slice(0, n) });
    const first = await w.owner.importPrompts({ body: { format: 'fabric-jsonl', data: picked.map((e) => cut(e, 2)).join('\n') } });
    assert.equal(first.created, 8);
    const second = await w.owner.importPrompts({
      body: { format: 'fabric-jsonl', data: picked.map((e) => cut(e, e.versions.length)).join('\n') },
    });
    const expectedNew = picked.reduce((n, e) => n + collapsed(e).length - collapsed({ ...e, versions: e.versions.slice(0, 2) }).length, 0);
    assert.deepEqual(
      { created: second.created, updated: second.updated, unchanged: second.unchanged, commits: second.commits },
      { created: 0, updated: 8, unchanged: 0, commits: expectedNew },
    );
    const byTitle = new Map((await allPrompts(w.owner)).map((p) => [p.title, p.id]));
    for (const e of picked) {
      const p = await w.owner.getPrompt({ params: { prompt: byTitle.get(e.name)! } });
      assert.equal(p.content, e.versions.at(-1)!.content);
      const hist = await allCommits(w.owner, p.id);
      assert.deepEqual(hist.map((c) => c.message).reverse(), collapsed(e).map((v) => v.message));
    }
    // A file whose history differs from what is here is left alone, with a reason.
    const e = picked[0]!;
    const rewritten = JSON.stringify({ name: e.name, versions: [{ date: '2024-01-01T00:00:00Z', message: 'other', content: 'another first version\n' }] });
    const third = await w.owner.importPrompts({ body: { format: 'fabric-jsonl', data: rewritten } });
    assert.deepEqual(third.skipped, [{ item: `line 1 "${e.name}"`, reason: 'its history here differs from the file; left as it is' }]);
    assert.equal(third.commits, 0);
  });
});
