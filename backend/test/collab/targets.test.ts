import assert from 'node:assert/strict';
import { backendsOnOneDatabase, closeOf, draftPrompt, rawClient, until, type RawClient } from './support.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What happens to open drafts when their prompt or branch is deleted, restored or renamed, on two processes. */
describe('collab drafts whose prompt or branch goes away (two processes, Redis)', function () {
  this.timeout(60_000);
  let world: Awaited<ReturnType<typeof backendsOnOneDatabase>>;
  const open: RawClient[] = [];
  const connect = async (i: number, room: string) => {
    const c = await rawClient(`${world.backends[i]!.collabUrl}/${room}`, world.token);
    open.push(c);
    return c;
  };

  before(async () => {
    world = await backendsOnOneDatabase(2, { REDIS_URL, ROCQET_COLLAB_PERSIST_MS: '100' });
  });
  afterEach(() => open.splice(0).forEach((c) => c.close()));
  after(() => world.close());

  it('deleting a prompt closes its drafts on every process (4404); restoring it lets clients back, edits kept', async () => {
    const owner = world.client(0);
    const { prompt, room } = await draftPrompt(owner, 'text\n');
    const onA = await connect(0, room);
    const onB = await connect(1, room);
    onA.text.insert(0, 'kept ');
    await until(() => onB.text.toString() === 'kept text\n', 'the edit on B');
    await world.client(1).deletePrompt({ params: { prompt: prompt.id } });
    const expected = { code: 4404, reason: 'not found: the prompt was deleted; you can reconnect once it is restored' };
    assert.deepEqual(await onA.closed, expected);
    assert.deepEqual(await onB.closed, expected);
    assert.equal((await closeOf(`${world.backends[0]!.collabUrl}/${room}`, { authorization: `Bearer ${world.token}` })).code, 4404);
    await owner.restorePrompt({ params: { prompt: prompt.id } });
    const back = await connect(1, room);
    assert.equal(back.text.toString(), 'kept text\n');
  });

  it('deleting a branch closes its drafts on every process (4404), and only that branch’s', async () => {
    const owner = world.client(0);
    const { prompt, room } = await draftPrompt(owner, 'text\n');
    await owner.createBranch({ params: { prompt: prompt.id }, body: { name: 'feature' } });
    const featureRoom = `${prompt.id}/feature`;
    const onA = await connect(0, featureRoom);
    const onB = await connect(1, featureRoom);
    const main = await connect(1, room);
    await owner.deleteBranch({ params: { prompt: prompt.id, name: 'feature' } });
    const expected = { code: 4404, reason: 'not found: the branch was deleted' };
    assert.deepEqual(await onA.closed, expected);
    assert.deepEqual(await onB.closed, expected);
    main.text.insert(0, 'main ');
    await until(async () => (await owner.getDraft({ params: { prompt: prompt.id, name: 'main' } })).content === 'main text\n', 'main still edits');
  });

  it('a renamed branch keeps its connections (a draft belongs to the branch); the old name is gone for new ones', async () => {
    const owner = world.client(0);
    const { prompt } = await draftPrompt(owner, 'text\n');
    await owner.createBranch({ params: { prompt: prompt.id }, body: { name: 'old' } });
    const onA = await connect(0, `${prompt.id}/old`);
    const onB = await connect(1, `${prompt.id}/old`);
    await owner.renameBranch({ params: { prompt: prompt.id, name: 'old' }, body: { name: 'new' } });
    onA.text.insert(0, 'renamed ');
    await until(() => onB.text.toString() === 'renamed text\n', 'the edit crosses after the rename');
    await until(async () => (await owner.getDraft({ params: { prompt: prompt.id, name: 'new' } })).content === 'renamed text\n', 'the draft under the new name');
    const commit = await world.client(1).commit({ params: { prompt: prompt.id }, body: { fromDraft: true, branch: 'new', message: 'after rename' } });
    assert.equal((await owner.getCommit({ params: { prompt: prompt.id, ref: commit.id } })).content, 'renamed text\n');
    const closed = await closeOf(`${world.backends[1]!.collabUrl}/${prompt.id}/old`, { authorization: `Bearer ${world.token}` });
    assert.equal(closed.code, 4404);
    // The draft is stored (debounced) under its new name: wait for that save rather than racing it.
    await until(async () => {
      const saves = await owner.listAudit({ query: { action: 'prompt.draft.save' } });
      const latest = saves.items.find((e) => e.resourceId === prompt.id);
      return (latest?.changes as { branch?: string } | undefined)?.branch === 'new';
    }, 'the draft is stored under its new name');
  });
});
