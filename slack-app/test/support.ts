import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import type { BackendOptions } from '../../backend/src/server.js';
import { SlackStandIn } from './standin.js';

export const SIGNING_SECRET = 'test-signing-secret-8f3a2c';
export const BOT_TOKEN = 'xoxb-test-bot-token';
export const PUBLIC_URL = 'https://rocqet.example.com';
export const SECRET_KEY = randomBytes(32).toString('hex');

export function sign(body: string, ts = Math.floor(Date.now() / 1000), secret = SIGNING_SECRET) {
  const signature = 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature };
}

export interface PostOptions {
  ts?: number;
  secret?: string;
  headers?: Record<string, string>;
  /** Signs this body but sends the real one: a body changed after signing. */
  signedBody?: string;
}

export async function signedPost(url: string, body: string, contentType: string, opts: PostOptions = {}) {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...sign(opts.signedBody ?? body, opts.ts, opts.secret), ...opts.headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as any, ms: performance.now() - started };
}

export interface SlackUsers {
  admin: string;
  editor: string;
  viewer: string;
  stranger: string;
  unverified: string;
}

/** A real backend with the Slack app embedded (SLACK_* set), a workspace, its members, and the Web API stand-in. */
export interface SlackTest {
  app: TestApp;
  slack: SlackStandIn;
  ws: TestWorkspace;
  events: string;
  users: SlackUsers;
  emails: Record<keyof SlackUsers, string>;
  command(text: string, user?: string, extra?: Record<string, string>, opts?: PostOptions): Promise<{ status: number; text: string; responseId: string; ms: number }>;
  interact(payload: Record<string, unknown>, opts?: PostOptions): ReturnType<typeof signedPost>;
  event(event: Record<string, unknown>, opts?: PostOptions & { eventId?: string }): ReturnType<typeof signedPost>;
  link(): Promise<void>;
  close(): Promise<void>;
}

export function slackEnv(slack: SlackStandIn, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slack.apiUrl,
    ROCQET_PUBLIC_URL: PUBLIC_URL,
    ROCQET_SECRET_KEY: SECRET_KEY,
    ...extra,
  };
}

export async function startSlackTest(opts: { env?: Record<string, string>; backend?: BackendOptions } = {}): Promise<SlackTest> {
  const slack = await SlackStandIn.start();
  const app = await startTestApp(slackEnv(slack, opts.env), {
    slack: { retries: 2, delivery: { pollMs: 200 } },
    ...opts.backend,
  });
  const ws = await app.workspace();
  const emails = {
    admin: `owner+${ws.slug}@example.com`,
    editor: `editor+${ws.slug}@example.com`,
    viewer: `viewer+${ws.slug}@example.com`,
    stranger: `stranger+${ws.slug}@example.com`,
    unverified: `unverified+${ws.slug}@example.com`,
  };
  await ws.owner.addMember({ body: { email: emails.editor, name: 'Eddie Editor', role: 'editor' } });
  await ws.owner.addMember({ body: { email: emails.viewer, name: 'Vera Viewer', role: 'viewer' } });
  await ws.owner.addMember({ body: { email: emails.unverified, name: 'Una Unverified', role: 'editor' } });
  const users: SlackUsers = { admin: 'UADMIN', editor: 'UEDITOR', viewer: 'UVIEWER', stranger: 'USTRANGER', unverified: 'UUNVERIFIED' };
  slack.user({ id: users.admin, email: emails.admin.toUpperCase(), admin: true });
  slack.user({ id: users.editor, email: emails.editor });
  slack.user({ id: users.viewer, email: emails.viewer });
  slack.user({ id: users.stranger, email: emails.stranger });
  slack.user({ id: users.unverified, email: emails.unverified, confirmed: false });
  const events = app.url + '/slack/events';
  const t: SlackTest = {
    app,
    slack,
    ws,
    events,
    users,
    emails,
    async command(text, user = users.editor, extra = {}, postOpts = {}) {
      const responseId = randomUUID();
      const form = new URLSearchParams({
        token: 'deprecated-verification-token',
        team_id: slack.teamId,
        team_domain: 'acme',
        channel_id: 'C0GENERAL',
        channel_name: 'general',
        user_id: user,
        user_name: user.toLowerCase(),
        command: '/rocqet',
        text,
        api_app_id: 'A0APP',
        is_enterprise_install: 'false',
        response_url: slack.responseUrl(responseId),
        trigger_id: `trigger-${responseId}`,
        ...extra,
      }).toString();
      const res = await signedPost(events, form, 'application/x-www-form-urlencoded', postOpts);
      return { status: res.status, text: res.text, responseId, ms: res.ms };
    },
    interact(payload, postOpts = {}) {
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return signedPost(events, body, 'application/x-www-form-urlencoded', postOpts);
    },
    event(event, postOpts = {}) {
      const body = JSON.stringify({
        token: 'deprecated-verification-token',
        team_id: slack.teamId,
        api_app_id: 'A0APP',
        event,
        type: 'event_callback',
        event_id: postOpts.eventId ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ enterprise_id: null, team_id: slack.teamId, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
      });
      return signedPost(events, body, 'application/json', postOpts);
    },
    async link() {
      const cmd = await t.command('link', users.admin);
      assert.equal(cmd.status, 200);
      const open = await slack.waitFor(() => slack.of('views.open').find((c) => c.body.trigger_id === `trigger-${cmd.responseId}`), undefined, 'the link modal');
      const res = await t.interact(viewSubmission(open!.body.view, users.admin, { token: { value: { type: 'plain_text_input', value: ws.ownerToken } } }, slack.teamId));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json().response_action, 'update', res.text);
    },
    async close() {
      await app.close();
      await slack.close();
    },
  };
  return t;
}

/** A view_submission payload as Slack sends it for a view the app opened. */
export function viewSubmission(view: Record<string, any>, user: string, values: Record<string, Record<string, unknown>>, teamId = 'T0001') {
  return {
    type: 'view_submission',
    team: { id: teamId, domain: 'acme' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: teamId },
    api_app_id: 'A0APP',
    token: 'deprecated-verification-token',
    trigger_id: `trigger-${randomUUID()}`,
    view: {
      id: 'V0SUBMIT',
      team_id: teamId,
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata ?? '',
      blocks: view.blocks,
      title: view.title,
      state: { values },
      hash: '1700000000.abcdef',
      app_id: 'A0APP',
      bot_id: 'BBOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export function blockAction(slack: SlackStandIn, user: string, action: { action_id: string; value?: string; block_id?: string }, responseId: string, teamId = 'T0001') {
  return {
    type: 'block_actions',
    team: { id: teamId, domain: 'acme' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: teamId },
    api_app_id: 'A0APP',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0GENERAL', is_ephemeral: true },
    trigger_id: `trigger-${randomUUID()}`,
    channel: { id: 'C0GENERAL', name: 'general' },
    response_url: slack.responseUrl(responseId),
    actions: [{ type: 'button', block_id: action.block_id ?? 'b', action_ts: '1700000001.000200', text: { type: 'plain_text', text: 'x' }, ...action }],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** All the text of a list of blocks, for asserting what a message says. */
export function textOf(blocks: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(blocks);
  return out.join('\n');
}

/** A value given to a plain text input or a select, as view_submission state carries it. */
export const typed = (value: string) => ({ value: { type: 'plain_text_input', value } });
export const selected = (value: string) => ({ value: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: value }, value } } });
