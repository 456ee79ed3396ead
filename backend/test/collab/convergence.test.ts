import assert from 'node:assert/strict';
import { diffChars } from 'diff';
import * as Y from 'yjs';
import { FABRIC_FILE, parseFabric, readShared } from '../support/prompts.js';
import { backendsOnOneDatabase, draftPrompt, joinDraft, prng, until, type Editor } from './support.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const tick = () => new Promise((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const processes of [1, 2]) {
  describe(`collab convergence on ${processes} backend process${processes > 1 ? 'es (Redis)' : ''}`, function () {
    this.timeout(180_000);
    let world: Awaited<ReturnType<typeof backendsOnOneDatabase>>;
    const editors: Editor[] = [];
    const join = async (room: string, i: number) => {
      const e = await joinDraft(world.backends[i % processes]!.collabUrl, room, { token: world.token });
      editors.push(e);
      return e;
    };

    before(async () => {
      world = await backendsOnOneDatabase(processes, processes > 1 ? { REDIS_URL, ROCQET_COLLAB_PERSIST_MS: '300' } : { ROCQET_COLLAB_PERSIST_MS: '300' });
    });
    afterEach(() => editors.splice(0).forEach((e) => e.destroy()));
    after(() => world.close());

    it('random concurrent edits with disconnects and reconnects converge; the stored draft and the commit hold that text', async () => {
      const start = 'The quick brown fox\njumps over\nthe lazy dog.\n';
      const { prompt, room } = await draftPrompt(world.client(), start);
      const seed = Number(process.env.COLLAB_SEED ?? Date.now() % 100_000);
      const random = prng(seed);
      const team = await Promise.all([0, 1, 2, 3, 4].map((i) => join(room, i)));
      for (let round = 0; round < 300; round++) {
        const e = team[Math.floor(random() * team.length)]!;
        const len = e.text.length;
        const r = random();
        if (r < 0.04) {
          if (e.provider.wsconnected || e.provider.wsconnecting) e.provider.disconnect();
          else e.provider.connect();
        } else if (r < 0.65 || len === 0) {
          e.text.insert(Math.floor(random() * (len + 1)), random() < 0.2 ? '\n' : String.fromCharCode(97 + Math.floor(random() * 26)));
        } else {
          const at = Math.floor(random() * len);
          e.text.delete(at, Math.min(1 + Math.floor(random() * 3), len - at));
        }
        if (round % 10 === 0) await sleep(random() * 5);
        else await tick();
      }
      for (const e of team) if (!e.provider.wsconnected && !e.provider.wsconnecting) e.provider.connect();
      await until(() => team.every((e) => e.provider.synced && e.text.toString() === team[0]!.text.toString()), `convergence (seed ${seed})`, 30_000);
      const text = team[0]!.text.toString();
      const draft = await world.client(processes - 1).getDraft({ params: { prompt: prompt.id, name: 'main' } });
      assert.equal(draft.content, text, `the API serves the converged text (seed ${seed})`);
      const commit = await world.client(processes - 1).commit({ params: { prompt: prompt.id }, body: { fromDraft: true, message: 'converged' } });
      assert.equal((await world.client().getCommit({ params: { prompt: prompt.id, ref: commit.id } })).content, text);
      team.forEach((e) => e.destroy());
      editors.splice(0);
      const pool = world.backends[0]!.pool;
      await until(async () => {
        const { rows } = await pool.query<{ state: Buffer }>(`SELECT state FROM collab_doc d JOIN branch b ON b.id = d.branch_id WHERE b.prompt_id = $1`, [prompt.id]);
        if (!rows[0]) return false;
        const doc = new Y.Doc();
        Y.applyUpdate(doc, rows[0].state);
        return doc.getText('content').toString() === text;
      }, 'the stored draft');
    });

    it('replays real histories as keystrokes split between editors, each version exactly', async function () {
      const raw = readShared(FABRIC_FILE);
      if (!raw) return this.skip();
      const histories = parseFabric(raw)
        .filter((h) => h.versions.length >= 3 && h.versions.every((v) => v.content.length < 6_000))
        .slice(0, 6);
      for (const h of histories) {
        const { room } = await draftPrompt(world.client(), h.versions[0]!.content);
        const team = await Promise.all([0, 1, 2].map((i) => join(room, i)));
        for (let v = 1; v < h.versions.length; v++) {
          const next = h.versions[v]!.content;
          await replayStep(team, next);
          await until(() => team.every((e) => e.text.toString() === next), `${h.name} version ${v}`, 30_000);
        }
        team.forEach((e) => e.destroy());
        editors.splice(0);
      }
    });
  });
}

/**
 * Turns the change from the editors' common text to `next` into keystrokes (deletes of one character, inserts of up
 * to four), hunk by hunk, each hunk typed by one editor while the others type theirs. A hunk is anchored on the first
 * unchanged character after it (a relative position), so concurrent typing elsewhere cannot move it.
 */
async function replayStep(team: Editor[], next: string): Promise<void> {
  const base = team[0]!.text.toString();
  const hunks: { editor: Editor; anchor: Y.RelativePosition; del: number; ins: string }[] = [];
  let at = 0;
  let pending: { start: number; del: number; ins: string } | undefined;
  const close = () => {
    if (!pending) return;
    const editor = team[hunks.length % team.length]!;
    hunks.push({ editor, anchor: Y.createRelativePositionFromTypeIndex(editor.text, pending.start + pending.del), del: pending.del, ins: pending.ins });
    pending = undefined;
  };
  for (const part of diffChars(base, next)) {
    if (part.added) (pending ??= { start: at, del: 0, ins: '' }).ins += part.value;
    else if (part.removed) {
      (pending ??= { start: at, del: 0, ins: '' }).del += part.value.length;
      at += part.value.length;
    } else {
      close();
      at += part.value.length;
    }
  }
  close();
  const byEditor = new Map<Editor, typeof hunks>();
  for (const h of hunks) byEditor.set(h.editor, [...(byEditor.get(h.editor) ?? []), h]);
  await Promise.all(
    [...byEditor.entries()].map(async ([editor, mine]) => {
      for (const h of mine) {
        const end = () => Y.createAbsolutePositionFromRelativePosition(h.anchor, editor.doc)!.index;
        for (let left = h.del; left > 0; left--) {
          editor.text.delete(end() - left, 1);
          await tick();
        }
        for (let i = 0; i < h.ins.length; i += 4) {
          editor.text.insert(end(), h.ins.slice(i, i + 4));
          await tick();
        }
      }
    }),
  );
  assert.ok(team.length > 0);
}
