import assert from 'node:assert/strict';
import { signedPost, startSlackTest, type SlackTest } from './support.js';

describe('Slack app: signed requests (HMAC v0 over v0:<ts>:<raw body>)', () => {
  let t: SlackTest;
  before(async () => {
    t = await startSlackTest();
  });
  after(() => t?.close());
  beforeEach(() => t.slack.reset());

  it('a well-signed command is acked with 200 and an empty body, and answered through response_url', async () => {
    const res = await t.command('help');
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    const [answer] = await t.slack.waitForResponse(res.responseId);
    assert.equal(answer!.body.response_type, 'ephemeral');
    assert.match(answer!.body.text, /\/rocqet search <words>/);
  });

  it('a bad signature is refused with 401 and nothing runs', async () => {
    const res = await t.command('help', undefined, {}, { secret: 'not-the-secret' });
    assert.equal(res.status, 401);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(t.slack.responsesTo(res.responseId).length, 0);
    assert.equal(t.slack.calls.length, 0);
  });

  it('a timestamp more than five minutes old is refused (a replayed capture)', async () => {
    const res = await t.command('help', undefined, {}, { ts: Math.floor(Date.now() / 1000) - 6 * 60 });
    assert.equal(res.status, 401);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(t.slack.responsesTo(res.responseId).length, 0);
  });

  it('a body changed after signing is refused', async () => {
    const good = new URLSearchParams({ command: '/rocqet', text: 'help', team_id: t.slack.teamId, user_id: t.users.editor }).toString();
    const changed = good.replace('help', 'link');
    const res = await signedPost(t.events, changed, 'application/x-www-form-urlencoded', { signedBody: good });
    assert.equal(res.status, 401);
  });

  it('no signature headers at all: 401', async () => {
    const res = await fetch(t.events, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"event_callback"}' });
    assert.equal(res.status, 401);
  });

  it("Slack's URL verification handshake answers the challenge", async () => {
    const body = JSON.stringify({ token: 'x', challenge: 'ch4ll3nge', type: 'url_verification' });
    const res = await signedPost(t.events, body, 'application/json');
    assert.equal(res.status, 200);
    assert.equal(res.json().challenge, 'ch4ll3nge');
  });

  it('an Events API retry (same event_id, X-Slack-Retry-Num) is acked and not handled twice', async () => {
    const event = { type: 'app_home_opened', user: t.users.stranger, channel: 'D0HOME', tab: 'home', event_ts: '1700000000.000001' };
    const first = await t.event(event, { eventId: 'Ev0RETRY1' });
    assert.equal(first.status, 200);
    await t.slack.waitForCall('views.publish');
    const retry = await t.event(event, { eventId: 'Ev0RETRY1', headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    assert.equal(retry.status, 200);
    const again = await t.event(event, { eventId: 'Ev0RETRY1', headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_error' } });
    assert.equal(again.status, 200);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(t.slack.of('views.publish').length, 1);
  });
});
