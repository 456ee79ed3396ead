/**
 * The Slack app's settings. Single-workspace mode: SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET. Distributed mode (OAuth,
 * installations in PostgreSQL): SLACK_CLIENT_ID + SLACK_CLIENT_SECRET + SLACK_STATE_SECRET + SLACK_SIGNING_SECRET.
 */
export interface SlackConfig {
  signingSecret: string;
  mode: { kind: 'single'; botToken: string } | { kind: 'oauth'; clientId: string; clientSecret: string; stateSecret: string };
  /** The Web API base (SLACK_API_URL, default Slack's own); tests point it at a stand-in. */
  apiUrl: string | undefined;
  /** Where people reach Rocqet (ROCQET_PUBLIC_URL): prompt links in cards and the URLs that unfurl. */
  publicUrl: string | undefined;
  /** The slash command this app answers (SLACK_COMMAND, default /rocqet). */
  command: string;
  /** The scopes an OAuth install asks for (the manifest's bot scopes). */
  scopes: string[];
}

export const BOT_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'users:read',
  'users:read.email',
  'links:read',
  'links:write',
];

/** Reads the environment; undefined when Slack is not configured at all; a half-configured app fails here. */
export function loadSlackConfig(env: NodeJS.ProcessEnv = process.env): SlackConfig | undefined {
  const get = (name: string) => (env[name] ?? '').trim() || undefined;
  const names = ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'];
  if (!names.some(get)) return undefined;
  const signingSecret = get('SLACK_SIGNING_SECRET');
  if (!signingSecret) throw new Error('SLACK_SIGNING_SECRET is required with any SLACK_* setting (Basic Information → App Credentials)');
  const botToken = get('SLACK_BOT_TOKEN');
  const clientId = get('SLACK_CLIENT_ID');
  const clientSecret = get('SLACK_CLIENT_SECRET');
  const stateSecret = get('SLACK_STATE_SECRET');
  let mode: SlackConfig['mode'];
  if (clientId || clientSecret || stateSecret) {
    if (botToken) throw new Error('set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID/SECRET/STATE_SECRET (OAuth), not both');
    if (!clientId || !clientSecret || !stateSecret) {
      throw new Error('OAuth distribution needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET together');
    }
    mode = { kind: 'oauth', clientId, clientSecret, stateSecret };
  } else {
    if (!botToken) throw new Error('set SLACK_BOT_TOKEN (xoxb-…) for one workspace, or SLACK_CLIENT_ID/SECRET/STATE_SECRET for OAuth');
    if (!botToken.startsWith('xoxb-')) throw new Error('SLACK_BOT_TOKEN must be a bot token (xoxb-…)');
    mode = { kind: 'single', botToken };
  }
  const apiUrl = get('SLACK_API_URL');
  if (apiUrl && !/^https?:\/\//.test(apiUrl)) throw new Error('SLACK_API_URL must be an http(s) URL ending in /api/');
  const command = get('SLACK_COMMAND') ?? '/rocqet';
  if (!/^\/[a-z0-9_-]{1,31}$/.test(command)) throw new Error('SLACK_COMMAND must be a slash command such as /rocqet');
  const publicUrl = get('ROCQET_PUBLIC_URL')?.replace(/\/+$/, '');
  return { signingSecret, mode, apiUrl, publicUrl, command, scopes: BOT_SCOPES };
}
