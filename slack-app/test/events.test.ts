import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecretBox } from '../../backend/src/secrets/box.js';
import { loadSlackConfig, startStandalone, type StandaloneSlack } from '../src/index.js';
import { PUBLIC_URL, SECRET_KEY, signedPost, slackEnv, startSlackTest, textOf, type SlackTest } from './support.js';

describe('Slack app: App Home, link unfurls, and a backend that is down', () => {
  let t: SlackTest;
  let refundId: string;
  before(async () => {
    t = await startSlackTest();
    const folder = await t.ws.owner.createFolder({ body: { name: 'support' } });
    const refund = await t.ws.owner.createPrompt({ body: { title: 'Refund reply', slug: 'refund', folderId: folder.id, content: 'Say sorry.\n' } });
    refundId = refund.id;
    await t.ws.owner.createPrompt({ body: { title: 'Welcome', slug: 'welcome', content: 'Welcome aboard.\n' } });
    await t.ws.owner.render({ params: { prompt: 'welcome' }, body: {} });
    await t.link();
  });
  after(() => t?.close());
  beforeEach(() => t.slack.reset());

  it('opening App Home publishes the user’s recent, the most used and the recently changed prompts', async () => {
    const share = await t.command('share support/refund', t.users.editor);
    await t.slack.waitForResponse(share.responseId);
    // Usage counts are flushed every few seconds: wait until the API itself lists the rendered prompt.
    for (let i = 0; i < 100 && !(await t.ws.owner.topPrompts({ query: { limit: 5 } })).items.length; i++) await new Promise((r) => setTimeout(r, 200));
    await t.event({ type: 'app_home_opened', user: t.users.editor, channel: 'D0HOME', tab: 'home', event_ts: '1700000000.000001' });
    const [publish] = await t.slack.waitForCall('views.publish');
    assert.equal(publish!.token, 'xoxb-test-bot-token');
    assert.equal(publish!.body.user_id, t.users.editor);
    assert.equal(publish!.body.view.type, 'home');
    const text = textOf(publish!.body.view.blocks);
    assert.match(text, /Linked to \*Workspace .*\* · you are editor\+.* \(editor\)/);
    const [, recent, top, changed] = text.split(/\*Your recent prompts\*|\*Most used\*|\*Recently changed\*/);
    assert.match(recent!, /^\n• <https:\/\/rocqet\.example\.com\/p\/support\/refund\|Refund reply>  `support\/refund`\n$/);
    assert.match(top!, /Welcome/, 'renders count as uses');
    assert.match(changed!, /Welcome[\s\S]*Refund reply/, 'newest change first');
    assert.deepEqual(t.slack.violations, []);
  });

  it('App Home for a team that is not linked says how to link', async () => {
    await t.event({ type: 'app_home_opened', user: t.users.editor, channel: 'D0HOME', tab: 'home' }, {});
    await t.slack.waitForCall('views.publish');
    t.slack.reset();
    const other = JSON.stringify({
      token: 'x', team_id: 'T0UNLINKED', api_app_id: 'A0APP', type: 'event_callback', event_id: 'Ev0UNLINKED', event_time: 1700000000,
      event: { type: 'app_home_opened', user: 'UELSEWHERE', channel: 'D0X', tab: 'home' },
    });
    await signedPost(t.events, other, 'application/json');
    const [publish] = await t.slack.waitForCall('views.publish');
    assert.match(textOf(publish!.body.view.blocks), /not linked to a Rocqet workspace yet/);
  });

  it('a Rocqet prompt URL posted in a channel unfurls into a card (chat.unfurl with the link as key)', async () => {
    const url = `${PUBLIC_URL}/p/support/refund?ref=main`;
    const res = await t.event({
      type: 'link_shared', channel: 'C0GENERAL', is_bot_user_member: true, user: t.users.viewer, message_ts: '1700000000.000500',
      unfurl_id: 'U0UNFURL', source: 'conversations_history', event_ts: '1700000000.000501',
      links: [{ domain: 'rocqet.example.com', url }, { domain: 'example.org', url: 'https://example.org/elsewhere' }],
    });
    assert.equal(res.status, 200);
    const [call] = await t.slack.waitForCall('chat.unfurl');
    assert.equal(call!.token, 'xoxb-test-bot-token');
    assert.equal(call!.body.unfurl_id, 'U0UNFURL');
    assert.equal(call!.body.source, 'conversations_history');
    assert.deepEqual(Object.keys(call!.body.unfurls), [url]);
    assert.match(textOf(call!.body.unfurls[url].blocks), /\*Refund reply\*  `support\/refund` @ `main`[\s\S]*```Say sorry\.\n```/);
  });

  it('links that are not prompts, or prompts that do not exist, are not unfurled', async () => {
    await t.event({
      type: 'link_shared', channel: 'C0GENERAL', user: t.users.viewer, message_ts: '1700000000.000600',
      links: [{ domain: 'rocqet.example.com', url: `${PUBLIC_URL}/p/support/missing` }, { domain: 'rocqet.example.com', url: `${PUBLIC_URL}/docs` }],
    });
    await t.event({ type: 'app_home_opened', user: t.users.viewer, channel: 'D0HOME', tab: 'home' });
    await t.slack.waitForCall('views.publish');
    assert.equal(t.slack.of('chat.unfurl').length, 0);
    // By id, with channel + ts when Slack sends no unfurl_id.
    await t.event({ type: 'link_shared', channel: 'C0GENERAL', user: t.users.viewer, message_ts: '1700000000.000700', links: [{ domain: 'rocqet.example.com', url: `${PUBLIC_URL}/p/${refundId}` }] });
    const [call] = await t.slack.waitForCall('chat.unfurl');
    assert.equal(call!.body.channel, 'C0GENERAL');
    assert.equal(call!.body.ts, '1700000000.000700');
  });

  describe('a backend that is down', () => {
    let standalone: StandaloneSlack;
    before(async () => {
      // The same app and database, pointed at a port where nothing listens.
      const config = loadSlackConfig(slackEnv(t.slack))!;
      standalone = await startStandalone({
        config,
        pool: t.app.backend.pool,
        box: createSecretBox(Buffer.from(SECRET_KEY, 'hex')),
        backendUrl: 'http://127.0.0.1:9',
        deliverFeed: false,
        retries: 0,
      });
    });
    after(() => standalone?.close());

    it('every command still gets a clear ephemeral answer, not silence or a Slack timeout', async () => {
      const post = (text: string) => {
        const id = `down-${text.split(' ')[0]}`;
        const form = new URLSearchParams({
          team_id: t.slack.teamId, channel_id: 'C0GENERAL', user_id: t.users.editor, command: '/rocqet', text,
          response_url: t.slack.responseUrl(id), trigger_id: `trigger-${id}`,
        }).toString();
        return signedPost(standalone.url + '/slack/events', form, 'application/x-www-form-urlencoded').then((r) => ({ ...r, id }));
      };
      for (const text of ['search refund', 'share support/refund', 'subscribe support']) {
        const res = await post(text);
        assert.equal(res.status, 200);
        const [answer] = await t.slack.waitForResponse(res.id);
        assert.equal(answer!.body.response_type, 'ephemeral');
        assert.match(answer!.body.text, /Rocqet is not reachable right now .*nothing was read or changed/);
      }
    });
  });

  describe('a slow backend', () => {
    let standalone: StandaloneSlack;
    let proxy: Server;
    before(async () => {
      await t.ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', content: '---\nvariables:\n  name: {}\n---\nHi {{name}}\n' } });
      // Forwards to the backend after 1.5 s: longer than the app waits before it must use the trigger.
      proxy = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        await new Promise((r) => setTimeout(r, 1500));
        const upstream = await fetch(t.app.url + req.url, {
          method: req.method,
          headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection').map(([k, v]) => [k, String(v)])),
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        });
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      standalone = await startStandalone({
        config: loadSlackConfig(slackEnv(t.slack))!,
        pool: t.app.backend.pool,
        box: createSecretBox(Buffer.from(SECRET_KEY, 'hex')),
        backendUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        deliverFeed: false,
        retries: 0,
      });
    });
    after(async () => {
      await standalone?.close();
      proxy?.closeAllConnections();
      await new Promise((r) => proxy?.close(r));
    });

    it('the trigger is used at once for a loading modal, which views.update then turns into the form', async () => {
      const form = new URLSearchParams({
        team_id: t.slack.teamId, channel_id: 'C0GENERAL', user_id: t.users.editor, command: '/rocqet', text: 'share greeter',
        response_url: t.slack.responseUrl('slow'), trigger_id: 'trigger-slow',
      }).toString();
      const res = await signedPost(standalone.url + '/slack/events', form, 'application/x-www-form-urlencoded');
      assert.equal(res.status, 200);
      const [open] = await t.slack.waitForCall('views.open');
      assert.equal(open!.body.trigger_id, 'trigger-slow');
      assert.equal(open!.body.view.callback_id, 'rocqet_loading');
      const [update] = await t.slack.waitForCall('views.update');
      assert.match(update!.body.view_id, /^V\d+$/, 'the id views.open answered');
      assert.equal(update!.body.view.callback_id, 'rocqet_variables');
      assert.equal(update!.body.view.blocks[1].block_id, 'var_0');
    });
  });
});
