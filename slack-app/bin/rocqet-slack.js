#!/usr/bin/env node
// The Slack app on its own server: DATABASE_URL (its tables, migrated by the backend's runner), ROCQET_URL (the
// backend's API), ROCQET_SECRET_KEY, SLACK_* (README, "Slack"). Serves /slack/events, /slack/install,
// /slack/oauth_redirect on PORT (default 4302).
import pg from 'pg';
import { migrate } from '@rocqet/backend/dist/db/migrate.js';
import { NO_SECRET_KEY, secretBoxFromEnv } from '@rocqet/backend/dist/secrets/box.js';
import { startStandalone } from '../dist/index.js';

const env = process.env;
const fail = (m) => {
  process.stderr.write(`rocqet-slack: ${m}\n`);
  process.exit(2);
};
if (!env.DATABASE_URL) fail('set DATABASE_URL to the PostgreSQL that holds the Slack app state');
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 5 });
await migrate(pool, { log: (m) => process.stderr.write(m + '\n') });
const backendUrl = (env.ROCQET_URL ?? 'http://127.0.0.1:4300').replace(/\/+$/, '');
const slack = await startStandalone({
  pool,
  box: secretBoxFromEnv(env),
  noKeyMessage: NO_SECRET_KEY,
  backendUrl,
  port: Number(env.PORT ?? 4302),
  host: env.HOST ?? '127.0.0.1',
}).catch((err) => fail(err.message));
process.stderr.write(`rocqet-slack: Slack events at ${slack.url}/slack/events (backend ${backendUrl})\n`);
const stop = () => void slack.close().then(() => pool.end()).then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
