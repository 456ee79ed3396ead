import { RocqetError } from '@rocqet/sdk';
import type { WebClient } from '@slack/web-api';
import type pg from 'pg';
import { NotLinkedError, refreshAccess, resolveAccess, type Access, type AccessDeps } from '../access.js';
import type { SlackConfig } from '../config.js';
import { checkBlocks, type Block } from '../blocks/limits.js';
import { loadingModal, messageModal, type View } from '../blocks/modals.js';
import { NoSecretKeyError } from '../store/sealer.js';

export type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;

/** What every handler is given. */
export interface Deps extends AccessDeps {
  config: SlackConfig;
  pool: pg.Pool;
  log: Log;
  /** A Web API client and the bot token for a team (single-workspace: the configured one; OAuth: its installation). */
  bot(teamId: string, enterpriseId?: string): Promise<{ client: WebClient; token: string }>;
  /** Subscriptions changed here: the feed owner (this process or another) picks them up. */
  subscriptionsChanged(): void;
  /** The Web API origins a response_url may point at (hooks.slack.com, or the stand-in SLACK_API_URL names). */
  responseOrigins: string[];
}

export interface ReplyMessage {
  text: string;
  blocks?: Block[];
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  delete_original?: boolean;
}

export type Reply = (message: ReplyMessage) => Promise<void>;

/**
 * Posts to a response_url (5 posts within 30 minutes, Slack says). Only to Slack's own hosts: a URL elsewhere is
 * refused rather than fetched.
 */
export function replyTo(deps: Deps, url: string | undefined): Reply {
  return async (message) => {
    if (!url) {
      deps.log('warn', 'no response_url to answer with', { text: message.text.slice(0, 80) });
      return;
    }
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return;
    }
    if (!deps.responseOrigins.includes(origin)) {
      deps.log('warn', 'response_url outside Slack refused', { origin });
      return;
    }
    if (message.blocks) checkBlocks(message.blocks, 'message');
    const res = await (deps.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ response_type: 'ephemeral', ...message }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) deps.log('warn', 'response_url refused the answer', { status: res.status });
  };
}

/** An answer the user should read, not an error to log. */
export class UserFacing extends Error {}

/** What a failure says to the person who asked; never silence, never a stack. */
export function explain(deps: Deps, err: unknown): string {
  if (err instanceof UserFacing || err instanceof NotLinkedError || err instanceof NoSecretKeyError) return err.message;
  if (err instanceof RocqetError) {
    if (err.code === 'network_error') {
      return `Rocqet is not reachable right now (${err.message.replace(/^cannot reach \S+: /, '')}), so nothing was read or changed. Try again in a minute.`;
    }
    if (err.code === 'unavailable' || err.status >= 500) return 'Rocqet had a problem answering (it is logged there). Nothing was changed; try again shortly.';
    if (err.code === 'rate_limited') return 'Rocqet is rate limiting these requests; try again in a minute.';
    if (err.code === 'invalid_token' || err.code === 'token_revoked' || err.code === 'token_expired') {
      return 'The Rocqet token this Slack workspace was linked with no longer works: a Slack admin runs `/rocqet link` again.';
    }
    return err.message;
  }
  const slackError = (err as { data?: { error?: string } } | undefined)?.data?.error;
  if (slackError === 'expired_trigger_id' || slackError === 'invalid_trigger_id') {
    return 'Slack closed the window for opening a form before Rocqet answered; run the command again.';
  }
  deps.log('error', 'slack handler failed', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return 'Something went wrong in the Rocqet Slack app (it is logged). Nothing was changed.';
}

/** Runs the work after the ack; whatever fails is told to the user through `reply`. */
export async function afterAck(deps: Deps, reply: Reply, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    await reply({ text: explain(deps, err), response_type: 'ephemeral', replace_original: false }).catch((e: unknown) =>
      deps.log('warn', 'could not tell the user about a failure', { err: String(e) }),
    );
  }
}

const AUTH_FAILURES = new Set(['invalid_token', 'token_revoked', 'token_expired']);

/**
 * Runs `fn` with the user's access; when the backend refuses the member's own token (revoked, expired, the member
 * removed), maps the user afresh once and runs it again.
 */
export async function withAccess<T>(deps: Deps, teamId: string, userId: string, fn: (a: Access) => Promise<T>): Promise<T> {
  const access = await resolveAccess(deps, teamId, userId);
  try {
    return await fn(access);
  } catch (err) {
    if (!(err instanceof RocqetError) || !AUTH_FAILURES.has(err.code) || !access.user.token) throw err;
    return fn(await refreshAccess(deps, access));
  }
}

/**
 * A trigger_id expires 3 s after the click. The data a modal needs usually comes back long before; when it has not
 * within `patienceMs`, a loading modal is opened at once on the trigger and the real one replaces it (views.update).
 */
export async function openModalFor<T>(
  deps: Deps,
  bot: { client: WebClient; token: string },
  triggerId: string,
  title: string,
  load: () => Promise<T>,
  build: (data: T) => View | undefined,
  patienceMs = 800,
): Promise<'opened' | 'none'> {
  let timer: NodeJS.Timeout | undefined;
  const loading = load();
  loading.catch(() => {});
  const early = await Promise.race([
    loading.then((data) => ({ data })),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), patienceMs))),
  ]).finally(() => clearTimeout(timer));
  if (early) {
    const view = build(early.data);
    if (!view) return 'none';
    await bot.client.views.open({ token: bot.token, trigger_id: triggerId, view: view as never });
    return 'opened';
  }
  const opened = await bot.client.views.open({ token: bot.token, trigger_id: triggerId, view: loadingModal(title) as never });
  const viewId = (opened.view as { id?: string } | undefined)?.id;
  let view: View | undefined;
  try {
    view = build(await loading);
  } catch (err) {
    view = { ...loadingModal(title), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: explain(deps, err) } }] };
  }
  if (viewId) {
    // No form was needed after all (a prompt without variables, a refusal): the answer goes to the conversation.
    const shown = view ?? messageModal(title, 'Done: the answer is in the conversation.');
    await bot.client.views.update({ token: bot.token, view_id: viewId, view: shown as never });
  }
  return view ? 'opened' : 'none';
}
