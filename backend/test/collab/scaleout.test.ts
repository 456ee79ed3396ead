import assert from 'node:assert/strict';
import { backendsOnOneDatabase, draftPrompt, joinDraft, until, type Editor } from './support.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('collab drafts on two backend processes (Redis)', function () {
  this.timeout(60_000);
  let world: Awaited<ReturnType<typeof backendsOnOneDatabase>>;
  const editors: Editor[] = [];
  const join = async (room: string, i: number) => {
    const e = await joinDraft(world.backends[i]!.collabUrl, room, { token: world.token });
    editors.push(e);
    return e;
  };

  before(async () => {
    world = await backendsOnOneDatabase(2, { REDIS_URL, ROCQET_COLLAB_PERSIST_MS: '200' });
  });
  afterEach(() => editors.splice(0).forEach((e) => e.destroy()));
  after(() => world.close());

  it('edits and awareness cross processes; presence is known on either', async () => {
    const { prompt, room } = await draftPrompt(world.client(0), 'shared\n');
    const a = await join(room, 0);
    const b = await join(room, 1);
    a.text.insert(0, 'A:');
    b.text.insert(b.text.length, 'B\n');
    await until(() => a.text.toString() === 'A:shared\nB\n' && b.text.toString() === a.text.toString(), 'both edits on both');
    b.provider.awareness.setLocalStateField('cursor', { anchor: 2 });
    await until(() => a.provider.awareness.getStates().get(b.doc.clientID)?.cursor !== undefined, 'B’s cursor on A');
    const seen = a.provider.awareness.getStates().get(b.doc.clientID) as { user: { name: string } };
    assert.equal(seen.user.name, 'Owner');
    const onA = await world.client(0).getDraft({ params: { prompt: prompt.id, name: 'main' } });
    assert.equal(onA.presence[0]?.connections, 2, JSON.stringify(onA.presence));
    b.destroy();
    await until(() => !a.provider.awareness.getStates().has(b.doc.clientID), 'B’s awareness gone on A');
  });

  it('a commit made on one process is merged into the draft open on the other, pending edits kept', async () => {
    const { prompt, room, head } = await draftPrompt(world.client(0), 'one\ntwo\nthree\n');
    const a = await join(room, 0);
    a.text.insert(0, 'draft ');
    await until(async () => (await world.client(1).getDraft({ params: { prompt: prompt.id, name: 'main' } })).content.startsWith('draft '), 'the edit on B');
    await world.client(1).commit({ params: { prompt: prompt.id }, body: { content: 'one\ntwo\nTHREE\n', message: 'on B', parent: head } });
    await until(() => a.text.toString() === 'draft one\ntwo\nTHREE\n', 'the commit in A’s draft');
    // Exactly once: a second process merging it again would have doubled it.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.text.toString(), 'draft one\ntwo\nTHREE\n');
    const commit = await world.client(1).commit({ params: { prompt: prompt.id }, body: { fromDraft: true, message: 'from the draft on B' } });
    assert.equal((await world.client(0).getCommit({ params: { prompt: prompt.id, ref: commit.id } })).content, 'draft one\ntwo\nTHREE\n');
    const after = await world.client(0).getDraft({ params: { prompt: prompt.id, name: 'main' } });
    assert.equal(after.dirty, false);
    assert.equal(a.text.toString(), 'draft one\ntwo\nTHREE\n');
  });

  it('a process that opens a draft the other holds in memory serves the other’s unsaved edits', async () => {
    const { prompt, room } = await draftPrompt(world.client(0), 'x\n');
    const a = await join(room, 0);
    for (let i = 0; i < 20; i++) a.text.insert(0, `${i}`);
    const text = a.text.toString();
    // B has no connection to it: its API call loads the stored state and asks A for the rest.
    const onB = await world.client(1).getDraft({ params: { prompt: prompt.id, name: 'main' } });
    assert.equal(onB.content, text);
  });
});
