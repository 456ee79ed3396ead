import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../../backend/test/support/app.js';
import { SlackStandIn } from './standin.js';
import { PUBLIC_URL, SECRET_KEY, SIGNING_SECRET, signedPost } from './support.js';

describe('Slack app: distributed mode (OAuth v2), installations in PostgreSQL', () => {
  let slack: SlackStandIn;
  let app: TestApp;
  before(async () => {
    slack = await SlackStandIn.start();
    app = await startTestApp({
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_CLIENT_ID: '1111.2222',
      SLACK_CLIENT_SECRET: 'client-secret-xyz',
      SLACK_STATE_SECRET: 'state-secret-abc',
      SLACK_API_URL: slack.apiUrl,
      ROCQET_PUBLIC_URL: PUBLIC_URL,
      ROCQET_SECRET_KEY: SECRET_KEY,
    }, { slack: { retries: 1, deliverFeed: false } });
  });
  after(async () => {
    await app?.close();
    await slack?.close();
  });

  it('install → Slack authorize → oauth_redirect → oauth.v2.access; the installation is stored sealed and serves the team', async () => {
    const install = await fetch(app.url + '/slack/install', { redirect: 'manual' });
    assert.equal(install.status, 302);
    const location = new URL(install.headers.get('location')!);
    assert.equal(location.origin + location.pathname, 'https://slack.com/oauth/v2/authorize');
    assert.equal(location.searchParams.get('client_id'), '1111.2222');
    assert.match(location.searchParams.get('scope')!, /commands.*chat:write.*users:read\.email.*links:write/);
    const state = location.searchParams.get('state')!;
    const cookie = install.headers.get('set-cookie')!.split(';')[0]!;

    // A callback without the browser's state cookie is refused and stores nothing.
    const forged = await fetch(`${app.url}/slack/oauth_redirect?code=stolen&state=${encodeURIComponent(state)}`, { redirect: 'manual' });
    assert.ok(forged.status >= 400, `status ${forged.status}`);
    assert.equal(slack.of('oauth.v2.access').length, 0);

    const back = await fetch(`${app.url}/slack/oauth_redirect?code=the-code&state=${encodeURIComponent(state)}`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(back.status, 200, await back.clone().text());
    const [exchange] = slack.of('oauth.v2.access');
    assert.ok(exchange, 'oauth.v2.access was called');
    assert.equal(exchange!.body.code, 'the-code');
    assert.equal(exchange!.body.client_id, '1111.2222');
    assert.equal(exchange!.body.client_secret, 'client-secret-xyz');
    assert.match(exchange!.contentType, /application\/x-www-form-urlencoded/);
    const { rows } = await app.backend.pool.query('SELECT install_key, team_id, sealed FROM slack_installation');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].install_key, 'T:T0OAUTH');
    assert.match(rows[0].sealed, /^rq1\./);
    assert.ok(!rows[0].sealed.includes('xoxb-oauth-installed'));

    // The installed team's requests now use its own bot token.
    slack.reset();
    const responseId = randomUUID();
    const form = new URLSearchParams({
      team_id: 'T0OAUTH', team_domain: 'oauth', channel_id: 'C0X', user_id: 'UINSTALLER', command: '/rocqet', text: 'link',
      api_app_id: 'A0APP', is_enterprise_install: 'false', response_url: slack.responseUrl(responseId), trigger_id: 'trigger-oauth',
    }).toString();
    const res = await signedPost(app.url + '/slack/events', form, 'application/x-www-form-urlencoded');
    assert.equal(res.status, 200);
    const [open] = await slack.waitForCall('views.open');
    assert.equal(open!.token, 'xoxb-oauth-installed');
    assert.equal(open!.body.trigger_id, 'trigger-oauth');

    // A team that never installed: Bolt cannot authorize it, acks, and calls nothing.
    slack.reset();
    const stranger = new URLSearchParams({ team_id: 'T0NEVER', user_id: 'U1', command: '/rocqet', text: 'help', response_url: slack.responseUrl('never'), trigger_id: 't' }).toString();
    const refused = await signedPost(app.url + '/slack/events', stranger, 'application/x-www-form-urlencoded');
    assert.equal(refused.status, 200);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(slack.calls.length, 0);
  });
});
