import { App, ExpressReceiver, LogLevel, type Logger } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import express from 'express';
import type pg from 'pg';
import type { SlackUser } from './access.js';
import type { SlackConfig } from './config.js';
import { FeedDelivery, type DeliveryOptions } from './feed/delivery.js';
import { handleCommand, type SlashCommand } from './handlers/commands.js';
import type { Deps, Log } from './handlers/context.js';
import { publishHome, unfurl, type LinkShared } from './handlers/events.js';
import {
  handleAction, saveAsPrompt, submitLink, submitNew, submitVariables,
  type ActionPayload, type ShortcutPayload, type SubmissionAck, type ViewPayload,
} from './handlers/interactions.js';
import { firstDelivery, pruneDeliveries } from './store/events.js';
import { pgInstallationStore } from './store/installations.js';
import { NoSecretKeyError, type Sealer } from './store/sealer.js';

export const SLACK_PATHS = { events: '/slack/events', install: '/slack/install', redirect: '/slack/oauth_redirect' } as const;

export interface SlackAppOptions {
  config: SlackConfig;
  pool: pg.Pool;
  /** The backend's secret box (ROCQET_SECRET_KEY); undefined when unset: linking is refused with `noKeyMessage`. */
  box: Sealer | undefined;
  noKeyMessage?: string;
  /** Where the Rocqet API is: a URL, or a function (embedded, the backend knows its address only once it listens). */
  backendUrl: string | (() => string);
  log?: Log;
  /** Post channel notifications from this process when it holds the lock (default true). */
  deliverFeed?: boolean;
  delivery?: DeliveryOptions;
  /** Web API retries (default: Slack's ten retries in about thirty minutes, honouring Retry-After). */
  retries?: number;
  fetch?: typeof fetch;
}

export interface SlackApp {
  /** Serves /slack/events (commands, interactivity, events) and, with OAuth, /slack/install and /slack/oauth_redirect. */
  router: express.Router;
  delivery: FeedDelivery | undefined;
  bolt: App;
  close(): Promise<void>;
}

function boltLogger(log: Log): Logger {
  const fmt = (msg: unknown[]) => msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    // Bolt's debug output includes request payloads (a token pasted into the link form among them): never kept.
    debug: () => {},
    info: () => {},
    warn: (...m: unknown[]) => log('warn', `slack: ${fmt(m)}`),
    error: (...m: unknown[]) => log('error', `slack: ${fmt(m)}`),
    setLevel: () => {},
    getLevel: () => LogLevel.WARN,
    setName: () => {},
  };
}

/**
 * The Slack app on Bolt's ExpressReceiver. Every listener acks first (Slack wants its 200 within 3 s) and answers
 * afterwards through response_url or the Web API; only view submissions do their (budgeted) work before the ack,
 * because a refusal must be shown in the form itself (response_action: errors).
 */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  const { config, pool } = options;
  const log: Log = options.log ?? ((level, message, extra) => console.error(`[${level}] ${message}`, extra ?? ''));
  const logger = boltLogger(log);
  // Slack's own default policy (web-api's tenRetriesInAboutThirtyMinutes), spelled out: the CJS module's named exports
  // beyond the classes are not visible to ESM importers.
  const retryConfig = options.retries === undefined ? { retries: 10, factor: 1.96821, randomize: true } : { retries: options.retries, factor: 1.5, minTimeout: 200, maxTimeout: 2_000 };
  const clientOptions = { ...(config.apiUrl ? { slackApiUrl: config.apiUrl } : {}), retryConfig, logger };
  const box = () => {
    if (!options.box) throw new NoSecretKeyError(options.noKeyMessage ?? 'ROCQET_SECRET_KEY is not set, so the app cannot store the link token encrypted.');
    return options.box;
  };
  if (config.mode.kind === 'oauth' && !options.box) {
    throw new Error('Slack OAuth installations store bot tokens encrypted: set ROCQET_SECRET_KEY as well');
  }
  const installationStore = config.mode.kind === 'oauth' && options.box ? pgInstallationStore(pool, options.box) : undefined;
  const router = express.Router();
  const receiver = new ExpressReceiver({
    signingSecret: config.signingSecret,
    endpoints: SLACK_PATHS.events,
    router,
    logger,
    processBeforeResponse: false,
    ...(config.mode.kind === 'oauth'
      ? {
          clientId: config.mode.clientId,
          clientSecret: config.mode.clientSecret,
          stateSecret: config.mode.stateSecret,
          scopes: config.scopes,
          installationStore: installationStore!,
          installerOptions: {
            installPath: SLACK_PATHS.install,
            redirectUriPath: SLACK_PATHS.redirect,
            directInstall: true,
            clientOptions,
          },
        }
      : {}),
  });
  const bolt = new App({
    receiver,
    logger,
    clientOptions,
    ...(config.mode.kind === 'single' ? { token: config.mode.botToken } : {}),
  });

  const client = new WebClient(undefined, clientOptions);
  const bot: Deps['bot'] = async (teamId, enterpriseId) => {
    if (config.mode.kind === 'single') return { client, token: config.mode.botToken };
    const installation = await installationStore!.fetchInstallation(
      enterpriseId
        ? { teamId: undefined, enterpriseId, isEnterpriseInstall: true }
        : { teamId, enterpriseId: undefined, isEnterpriseInstall: false },
    ).catch(() => installationStore!.fetchInstallation({ teamId, enterpriseId: undefined, isEnterpriseInstall: false }));
    const token = installation.bot?.token;
    if (!token) throw new Error(`the installation for ${teamId} has no bot token`);
    return { client, token };
  };
  const usersInfo = async (teamId: string, userId: string): Promise<SlackUser> => {
    const b = await bot(teamId);
    const res = await b.client.users.info({ token: b.token, user: userId });
    const u = res.user as { is_admin?: boolean; is_owner?: boolean; is_bot?: boolean; deleted?: boolean; is_email_confirmed?: boolean; profile?: { email?: string } } | undefined;
    return {
      email: u?.profile?.email,
      emailConfirmed: u?.is_email_confirmed === true,
      isAdmin: Boolean(u?.is_admin || u?.is_owner),
      isBot: Boolean(u?.is_bot),
      deleted: Boolean(u?.deleted),
    };
  };
  const responseOrigins = ['https://hooks.slack.com'];
  if (config.apiUrl) responseOrigins.push(new URL(config.apiUrl).origin);

  let delivery: FeedDelivery | undefined;
  const deps: Deps = {
    config,
    pool,
    log,
    box,
    backendUrl: typeof options.backendUrl === 'function' ? options.backendUrl : () => options.backendUrl as string,
    usersInfo,
    bot,
    subscriptionsChanged: () => delivery?.refresh(),
    responseOrigins,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };

  // Events API retries (X-Slack-Retry-Num) carry the same event_id: only its first delivery is handled.
  bolt.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if ((body as { type?: string }).type === 'event_callback' && typeof eventId === 'string') {
      if (!(await firstDelivery(pool, eventId))) return;
    }
    await next();
  });

  bolt.command(config.command, async ({ ack, body }) => {
    await ack();
    await handleCommand(deps, body as unknown as SlashCommand);
  });
  bolt.action(/^rocqet_/, async ({ ack, body }) => {
    await ack();
    await handleAction(deps, body as unknown as ActionPayload);
  });
  bolt.shortcut('rocqet_save', async ({ ack, body }) => {
    await ack();
    await saveAsPrompt(deps, body as unknown as ShortcutPayload);
  });
  const submission = (fn: (deps: Deps, p: ViewPayload) => Promise<SubmissionAck>) =>
    async ({ ack, body }: { ack: (r?: never) => Promise<void>; body: unknown }) => {
      let answer: SubmissionAck;
      try {
        answer = await fn(deps, body as ViewPayload);
      } catch (err) {
        log('error', 'view submission failed', { err: String(err) });
        answer = { response_action: 'errors', errors: { title: 'Something went wrong in the Rocqet Slack app (it is logged).' } };
      }
      await ack(answer as never);
    };
  bolt.view('rocqet_link', submission(submitLink));
  bolt.view('rocqet_new', submission(submitNew));
  bolt.view('rocqet_variables', submission(submitVariables));
  bolt.view({ type: 'view_closed', callback_id: /.*/ }, async ({ ack }) => ack());
  bolt.event('app_home_opened', async ({ event, body }) => {
    if ((event as { tab?: string }).tab && (event as { tab?: string }).tab !== 'home') return;
    const teamId = (body as { team_id: string }).team_id;
    await publishHome(deps, teamId, event.user, (body as { enterprise_id?: string }).enterprise_id).catch((err: unknown) =>
      log('warn', 'app home not published', { err: String(err) }),
    );
  });
  bolt.event('link_shared', async ({ event, body }) => {
    const teamId = (body as { team_id: string }).team_id;
    await unfurl(deps, teamId, event as unknown as LinkShared, (body as { enterprise_id?: string }).enterprise_id).catch((err: unknown) =>
      log('warn', 'unfurl failed', { err: String(err) }),
    );
  });
  bolt.event('app_uninstalled', async ({ body }) => {
    if (!installationStore?.deleteInstallation) return;
    const b = body as { team_id: string; enterprise_id?: string; is_enterprise_install?: boolean };
    await installationStore.deleteInstallation(
      b.is_enterprise_install && b.enterprise_id
        ? { teamId: undefined, enterpriseId: b.enterprise_id, isEnterpriseInstall: true }
        : { teamId: b.team_id, enterpriseId: b.enterprise_id, isEnterpriseInstall: false },
    );
  });
  bolt.error(async (err) => log('error', 'slack listener failed', { err: err.message }));

  if (options.deliverFeed !== false) delivery = new FeedDelivery(deps, options.delivery).start();
  const prune = setInterval(() => void pruneDeliveries(pool).catch(() => {}), 3_600_000);
  prune.unref();

  return {
    router,
    delivery,
    bolt,
    async close() {
      clearInterval(prune);
      await delivery?.close();
    },
  };
}
