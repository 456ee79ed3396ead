import assert from 'node:assert/strict';
import { createSecretBox } from '../../backend/src/secrets/box.js';
import { loadSlackConfig, startStandalone, type StandaloneSlack } from '../src/index.js';
import type { Call } from './standin.js';
import { SECRET_KEY, slackEnv, startSlackTest, textOf, type SlackTest } from './support.js';

const eventIdOf = (c: Call) => /event (\d+)/.exec(textOf(c.body.blocks))?.[1];
const notifications = (t: SlackTest, channel: string) =>
  t.slack.of('chat.postMessage').filter((c) => c.body.channel === channel && eventIdOf(c));

describe('Slack app: channel subscriptions from the change feed', () => {
  describe('subscribe and unsubscribe (embedded in the backend)', () => {
    let t: SlackTest;
    let supportId: string;
    let tier1Id: string;
    let salesId: string;
    before(async () => {
      t = await startSlackTest();
      supportId = (await t.ws.owner.createFolder({ body: { name: 'support' } })).id;
      tier1Id = (await t.ws.owner.createFolder({ body: { name: 'tier1', parentId: supportId } })).id;
      salesId = (await t.ws.owner.createFolder({ body: { name: 'sales' } })).id;
      await t.link();
    });
    after(() => t?.close());
    beforeEach(() => t.slack.reset());

    it('a folder that does not exist, or a user who is not a member, is refused', async () => {
      const missing = await t.command('subscribe nowhere', t.users.editor, { channel_id: 'C0SUPPORT' });
      assert.match((await t.slack.waitForResponse(missing.responseId))[0]!.body.text, /No folder `nowhere` in Rocqet/);
      const stranger = await t.command('subscribe support', t.users.stranger, { channel_id: 'C0SUPPORT' });
      assert.match((await t.slack.waitForResponse(stranger.responseId))[0]!.body.text, /Only Rocqet members can subscribe/);
      const none = await t.command('subscribe', t.users.editor, { channel_id: 'C0SUPPORT' });
      assert.match((await t.slack.waitForResponse(none.responseId))[0]!.body.text, /Name the folder/);
    });

    it('posts commits, merges and tags under the folder (subfolders too), once each and in order; nothing else', async () => {
      const res = await t.command('subscribe support', t.users.editor, { channel_id: 'C0SUPPORT' });
      const [confirm] = await t.slack.waitForCall('chat.postMessage');
      assert.equal(confirm!.token, 'xoxb-test-bot-token');
      assert.equal(confirm!.body.channel, 'C0SUPPORT');
      assert.match(textOf(confirm!.body.blocks), /<@UEDITOR> subscribed this channel to `support`/);
      assert.equal(t.slack.responsesTo(res.responseId).length, 0);
      const again = await t.command('subscribe support', t.users.editor, { channel_id: 'C0SUPPORT' });
      assert.match((await t.slack.waitForResponse(again.responseId))[0]!.body.text, /already follows `support`/);

      await t.ws.owner.createPrompt({ body: { title: 'Upsell', slug: 'upsell', folderId: salesId, content: 'Sell more.\n' } });
      const p = await t.ws.owner.createPrompt({ body: { title: 'Triage', slug: 'triage', folderId: tier1Id, content: 'v1\n' } });
      const c2 = await t.ws.owner.commit({ params: { prompt: p.id }, body: { content: 'v2\n', message: 'Ask for logs first', parent: p.commit.id } });
      await t.ws.owner.createTag({ params: { prompt: p.id }, body: { name: 'v2', ref: c2.id } });
      await t.ws.owner.createBranch({ params: { prompt: p.id }, body: { name: 'draft', from: 'main' } });
      const c3 = await t.ws.owner.commit({ params: { prompt: p.id }, body: { content: 'v3\n', message: 'Shorter', parent: c2.id, branch: 'draft' } });
      assert.ok(c3.id);
      await t.ws.owner.merge({ params: { prompt: p.id }, body: { source: 'draft', target: 'main' } });
      const posted = await t.slack.waitFor(() => (notifications(t, 'C0SUPPORT').length >= 5 ? notifications(t, 'C0SUPPORT') : undefined));
      const texts = posted.map((c) => textOf(c.body.blocks));
      assert.match(texts[0]!, /^\*owner\+.*@example\.com\* created <https:\/\/rocqet\.example\.com\/p\/support\/tier1\/triage\|support\/tier1\/triage>/);
      assert.match(texts[1]!, /committed to .*support\/tier1\/triage.* on `main`\n> Ask for logs first/);
      assert.match(texts[2]!, /tagged .* as `v2`/);
      assert.match(texts[3]!, /committed to .* on `draft`\n> Shorter/);
      assert.match(texts[4]!, /merged into|committed to/);
      const ids = posted.map(eventIdOf).map(Number);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'in feed order');
      assert.equal(new Set(ids).size, ids.length, 'each once');
      assert.ok(!texts.some((x) => /upsell/.test(x)), 'the sales folder is not followed');
      const { rows } = await t.app.backend.pool.query<{ cursor: string }>("SELECT cursor::text FROM slack_channel_subscription WHERE channel_id = 'C0SUPPORT'");
      assert.ok(BigInt(rows[0]!.cursor) >= BigInt(ids.at(-1)!), 'the cursor is persisted');
    });

    it('unsubscribe stops the posts', async () => {
      const res = await t.command('unsubscribe', t.users.editor, { channel_id: 'C0SUPPORT' });
      const [answer] = await t.slack.waitForResponse(res.responseId);
      assert.equal(answer!.body.response_type, 'in_channel');
      assert.match(answer!.body.text, /no longer follows `support`/);
      const none = await t.command('unsubscribe', t.users.editor, { channel_id: 'C0SUPPORT' });
      assert.match((await t.slack.waitForResponse(none.responseId))[0]!.body.text, /follows no Rocqet folder/);
      // A marker subscription elsewhere shows the feed is still flowing when nothing reaches C0SUPPORT.
      await t.command('subscribe /', t.users.editor, { channel_id: 'C0ALL' });
      await t.slack.waitFor(() => t.slack.of('chat.postMessage').find((c) => c.body.channel === 'C0ALL'));
      await t.ws.owner.createPrompt({ body: { title: 'Late', slug: 'late', folderId: supportId, content: 'late\n' } });
      await t.slack.waitFor(() => notifications(t, 'C0ALL').length >= 1 || undefined);
      assert.equal(notifications(t, 'C0SUPPORT').length, 0);
    });
  });

  describe('two processes, a restart', () => {
    let t: SlackTest;
    let folderId: string;
    const running: StandaloneSlack[] = [];
    const start = async () => {
      const s = await startStandalone({
        config: loadSlackConfig(slackEnv(t.slack))!,
        pool: t.app.backend.pool,
        box: createSecretBox(Buffer.from(SECRET_KEY, 'hex')),
        backendUrl: t.app.url,
        delivery: { pollMs: 150 },
        retries: 1,
        log: (level, message) => level === 'error' && console.error(message),
      });
      running.push(s);
      return s;
    };
    before(async () => {
      // The backend's own Slack app serves commands but leaves posting to the standalone processes under test.
      t = await startSlackTest({ backend: { slack: { deliverFeed: false, retries: 1 } } });
      folderId = (await t.ws.owner.createFolder({ body: { name: 'ops' } })).id;
      await t.link();
    });
    after(async () => {
      for (const s of running) await s.close().catch(() => {});
      await t?.close();
    });

    it('only the lock holder posts; after it stops another takes over, and a restart resumes at the cursor: each event once, in order', async () => {
      const a = await start();
      const b = await start();
      await t.slack.waitFor(() => (a.app.delivery!.isOwner || b.app.delivery!.isOwner) || undefined, 10_000, 'an owner');
      assert.notEqual(a.app.delivery!.isOwner, b.app.delivery!.isOwner, 'exactly one owner');
      await t.command('subscribe ops', t.users.editor, { channel_id: 'C0OPS' });
      await t.slack.waitFor(() => t.slack.of('chat.postMessage').find((c) => c.body.channel === 'C0OPS'));
      const p = await t.ws.owner.createPrompt({ body: { title: 'Runbook', slug: 'runbook', folderId, content: 'r1\n' } });
      let head = p.commit.id;
      const commit = async (n: number) => {
        head = (await t.ws.owner.commit({ params: { prompt: p.id }, body: { content: `r${n}\n`, message: `step ${n}`, parent: head } })).id;
      };
      await commit(2);
      await t.slack.waitFor(() => notifications(t, 'C0OPS').length >= 2 || undefined);
      const owner = a.app.delivery!.isOwner ? a : b;
      const other = owner === a ? b : a;
      await owner.close();
      await commit(3);
      await commit(4);
      await t.slack.waitFor(() => notifications(t, 'C0OPS').length >= 4 || undefined, 15_000, 'the other process to take over');
      assert.ok(other.app.delivery!.isOwner);
      await other.close();
      await commit(5);
      await commit(6);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(notifications(t, 'C0OPS').length, 4, 'nobody posts while no process runs');
      await start();
      const all = await t.slack.waitFor(() => (notifications(t, 'C0OPS').length >= 6 ? notifications(t, 'C0OPS') : undefined), 15_000, 'the restart to catch up');
      await new Promise((r) => setTimeout(r, 500));
      const final = notifications(t, 'C0OPS');
      assert.equal(final.length, 6, 'no event posted twice');
      const ids = final.map(eventIdOf).map(Number);
      assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
      assert.equal(new Set(ids).size, 6);
      const messages = all.map((c) => /step (\d)/.exec(textOf(c.body.blocks))?.[1] ?? 'create');
      assert.deepEqual(messages, ['create', '2', '3', '4', '5', '6']);
    });
  });
});
