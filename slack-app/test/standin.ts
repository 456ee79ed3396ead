import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Slack's Web API, speaking its wire format: `POST /api/<method>` with a form-encoded (or JSON) body
 * and `Authorization: Bearer <token>`, answered `{ok: true, …}` or `{ok: false, error}` with HTTP 200, or `429` with
 * `Retry-After`. It also takes response_url posts (`POST /response/<id>`). Every call is recorded, and every `blocks`
 * or `view` is checked against Block Kit's limits the way Slack refuses them (`invalid_blocks`).
 */
export interface Call {
  method: string;
  token: string | undefined;
  contentType: string;
  /** The body, with the JSON-in-a-string fields (blocks, view, unfurls) decoded. */
  body: Record<string, any>;
  at: number;
}

export interface ResponsePost {
  id: string;
  body: Record<string, any>;
  at: number;
  /** performance.now() when it arrived, for latency measurements. */
  perf: number;
}

type Scripted = { status?: number; headers?: Record<string, string>; body?: Record<string, unknown> };

export interface SlackUserFixture {
  id: string;
  email?: string;
  confirmed?: boolean;
  admin?: boolean;
  bot?: boolean;
  deleted?: boolean;
}

const JSON_FIELDS = ['blocks', 'view', 'unfurls', 'attachments', 'metadata'];

export class SlackStandIn {
  calls: Call[] = [];
  responses: ResponsePost[] = [];
  /** Block Kit limit violations seen (Slack would refuse these payloads). */
  violations: string[] = [];
  users = new Map<string, SlackUserFixture>();
  /** Channels the bot is not in: chat.postMessage there answers not_in_channel. */
  notInChannel = new Set<string>();
  teamId = 'T0001';
  private scripts = new Map<string, Scripted[]>();
  private waiters: (() => void)[] = [];
  private server!: Server;
  url = '';
  private views = 0;
  private messages = 0;

  static async start(): Promise<SlackStandIn> {
    const s = new SlackStandIn();
    s.server = createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.url}/response/${id}`;
  }

  /** The next call of `method` gets this answer instead of the usual one. */
  script(method: string, answer: Scripted): void {
    this.scripts.set(method, [...(this.scripts.get(method) ?? []), answer]);
  }

  user(u: SlackUserFixture): void {
    this.users.set(u.id, u);
  }

  reset(): void {
    this.calls = [];
    this.responses = [];
    this.violations = [];
    this.scripts.clear();
  }

  of(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  responsesTo(id: string): ResponsePost[] {
    return this.responses.filter((r) => r.id === id);
  }

  /** Resolves once `check` returns something truthy (re-checked on every call); fails after `ms`. */
  async waitFor<T>(check: () => T | undefined | false, ms = 15_000, what = 'a Slack call'): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = check();
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; calls: ${this.calls.map((c) => c.method).join(', ')}; responses: ${this.responses.map((r) => r.id).join(', ')}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  waitForCall(method: string, n = 1, ms?: number): Promise<Call[]> {
    return this.waitFor(() => (this.of(method).length >= n ? this.of(method) : undefined), ms, `${n} × ${method}`);
  }

  waitForResponse(id: string, n = 1, ms?: number): Promise<ResponsePost[]> {
    return this.waitFor(() => (this.responsesTo(id).length >= n ? this.responsesTo(id) : undefined), ms, `${n} response(s) to ${id}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const contentType = req.headers['content-type'] ?? '';
    let body: Record<string, any> = {};
    if (contentType.includes('application/json')) body = raw ? (JSON.parse(raw) as Record<string, any>) : {};
    else body = Object.fromEntries(new URLSearchParams(raw));
    const path = (req.url ?? '').split('?')[0]!;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(payload));
      this.waiters.splice(0).forEach((w) => w());
    };
    if (path.startsWith('/response/')) {
      this.responses.push({ id: decodeURIComponent(path.slice('/response/'.length)), body, at: Date.now(), perf: performance.now() });
      this.check(body.blocks, 'message', `response ${path}`);
      return send(200, { ok: true });
    }
    if (!path.startsWith('/api/')) return send(404, { ok: false, error: 'unknown_method' });
    for (const f of JSON_FIELDS) {
      if (typeof body[f] === 'string') {
        try {
          body[f] = JSON.parse(body[f]);
        } catch {
          return send(200, { ok: false, error: 'invalid_json' });
        }
      }
    }
    const auth = req.headers.authorization;
    const call: Call = {
      method: path.slice('/api/'.length),
      token: auth?.startsWith('Bearer ') ? auth.slice(7) : (body.token as string | undefined),
      contentType,
      body,
      at: Date.now(),
    };
    this.calls.push(call);
    const scripted = this.scripts.get(call.method)?.shift();
    if (scripted) return send(scripted.status ?? 200, scripted.body ?? { ok: true }, scripted.headers);
    const invalid = this.validate(call);
    if (invalid) return send(200, { ok: false, error: 'invalid_blocks', errors: [invalid] });
    send(200, this.answer(call));
  }

  private validate(call: Call): string | undefined {
    const before = this.violations.length;
    if (call.body.blocks) this.check(call.body.blocks, 'message', call.method);
    if (call.body.view) {
      const v = call.body.view as Record<string, any>;
      this.check(v.blocks, 'view', call.method);
      for (const k of ['title', 'submit', 'close']) {
        if (v[k]?.text && v[k].text.length > 24) this.violations.push(`${call.method}: view ${k} over 24 characters`);
      }
      if (typeof v.private_metadata === 'string' && v.private_metadata.length > 3000) this.violations.push(`${call.method}: private_metadata over 3,000`);
    }
    if (call.body.unfurls) {
      for (const u of Object.values(call.body.unfurls as Record<string, { blocks?: unknown }>)) this.check(u.blocks, 'message', call.method);
    }
    return this.violations.length > before ? this.violations[this.violations.length - 1] : undefined;
  }

  private check(blocks: unknown, where: 'message' | 'view', label: string): void {
    if (blocks === undefined) return;
    if (!Array.isArray(blocks)) {
      this.violations.push(`${label}: blocks is not an array`);
      return;
    }
    const max = where === 'message' ? 50 : 100;
    if (blocks.length > max) this.violations.push(`${label}: ${blocks.length} blocks (at most ${max})`);
    for (const b of blocks as Record<string, any>[]) {
      if (typeof b.type !== 'string') this.violations.push(`${label}: a block without a type`);
      if (b.type === 'section' && (b.text?.text?.length ?? 0) > 3000) this.violations.push(`${label}: a section of ${b.text.text.length} characters`);
      if (b.type === 'header' && (b.text?.text?.length ?? 0) > 150) this.violations.push(`${label}: a header over 150 characters`);
      if (b.type === 'actions' && (b.elements?.length ?? 0) > 25) this.violations.push(`${label}: over 25 elements`);
      for (const e of (b.elements ?? []) as Record<string, any>[]) {
        if (e.type === 'button' && (e.text?.text?.length ?? 0) > 75) this.violations.push(`${label}: a button text over 75`);
        if (e.type === 'button' && (e.value?.length ?? 0) > 2000) this.violations.push(`${label}: a button value over 2,000`);
      }
      if (b.type === 'input') {
        const el = b.element as Record<string, any>;
        if (el.type === 'plain_text_input' && (el.max_length ?? 0) > 3000) this.violations.push(`${label}: max_length over 3,000`);
        if (typeof el.initial_value === 'string' && el.initial_value.length > (el.max_length ?? 3000)) this.violations.push(`${label}: initial_value longer than max_length`);
        if (el.options && el.options.length > 100) this.violations.push(`${label}: over 100 options`);
      }
    }
  }

  private answer(call: Call): Record<string, unknown> {
    switch (call.method) {
      case 'auth.test':
        return { ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'rocqet', team_id: this.teamId, user_id: 'UBOT', bot_id: 'BBOT' };
      case 'users.info': {
        const u = this.users.get(String(call.body.user));
        if (!u) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: {
            id: u.id, team_id: this.teamId, name: u.id.toLowerCase(), deleted: Boolean(u.deleted), is_bot: Boolean(u.bot),
            is_admin: Boolean(u.admin), is_owner: false, is_email_confirmed: u.confirmed !== false,
            profile: u.email ? { email: u.email, real_name: u.id } : { real_name: u.id },
          },
        };
      }
      case 'views.open':
      case 'views.update':
      case 'views.push':
        return { ok: true, view: { id: `V${++this.views}`, ...(call.body.view as object) } };
      case 'views.publish':
        return { ok: true, view: { id: `VH${++this.views}`, ...(call.body.view as object) } };
      case 'chat.postMessage':
        if (this.notInChannel.has(String(call.body.channel))) return { ok: false, error: 'not_in_channel' };
        return { ok: true, channel: call.body.channel, ts: `1700000000.${String(++this.messages).padStart(6, '0')}` };
      case 'chat.unfurl':
        return { ok: true };
      case 'oauth.v2.access':
        return {
          ok: true, app_id: 'A0APP', access_token: 'xoxb-oauth-installed', token_type: 'bot', scope: 'commands,chat:write',
          bot_user_id: 'UBOT2', team: { id: 'T0OAUTH', name: 'Oauth Team' }, enterprise: null, is_enterprise_install: false,
          authed_user: { id: 'UINSTALLER' },
        };
      default:
        return { ok: true };
    }
  }
}
