export { createSlackApp, SLACK_PATHS, type SlackApp, type SlackAppOptions } from './app.js';
export { loadSlackConfig, BOT_SCOPES, type SlackConfig } from './config.js';
export type { Sealer } from './store/sealer.js';
export { promptUrl, parsePromptUrl } from './urls.js';
export { startStandalone, type StandaloneOptions, type StandaloneSlack } from './standalone.js';
