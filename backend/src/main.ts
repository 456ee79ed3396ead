import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from './config.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded/index.js';
import { DEMO_SLUG, importDemo, prepareDemo, type DemoImport } from './demo.js';
import { startBackend, type Backend } from './server.js';

const out = (line = '') => process.stdout.write(line + '\n');

function progressBar(label: string) {
  const tty = process.stderr.isTTY;
  let last = -1;
  return (done: number, total: number) => {
    const pct = total ? Math.floor((done / total) * 100) : 100;
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const bar = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% (${done}/${total})`;
    if (tty) process.stderr.write(`\r${bar}${done === total ? '\n' : ''}`);
    else if (pct % 10 === 0) process.stderr.write(bar + '\n');
  };
}

async function main() {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel, base: { service: 'rocqet' } });
  let embedded: EmbeddedPostgres | undefined;
  let backend: Backend | undefined;
  let stopping = false;

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    out(`\n${signal}: shutting down…`);
    await backend?.close().catch((err: unknown) => logger.error({ err }, 'closing the server failed'));
    await embedded?.stop().catch((err: unknown) => logger.error({ err }, 'stopping the embedded database failed'));
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const dataDir = path.join(config.dataDir, 'db');
    out(`Starting the embedded PostgreSQL (PGlite) in ${dataDir} …`);
    embedded = await startEmbeddedPostgres({
      dataDir,
      log: (m) => logger.debug(m),
      onExit: ({ code, signal }) => {
        logger.error({ code, signal }, 'the embedded database stopped unexpectedly');
        embedded = undefined;
        void shutdown('database exit');
      },
    });
    databaseUrl = embedded.url;
  }
  try {
    backend = await startBackend({
      ...config,
      databaseUrl,
      // PGlite runs one statement at a time: a large pool only queues inside it.
      poolSize: embedded ? Math.min(config.poolSize, 4) : config.poolSize,
    }, logger, { embedded: Boolean(embedded) });
  } catch (err) {
    // Close the embedded database properly (it checkpoints and releases its lock) before reporting.
    await embedded?.stop().catch(() => {});
    throw err;
  }

  const url = backend.url;
  const demoStart = await prepareDemo(backend.db);
  if (demoStart.token) {
    // Shown before the import, so a start that dies while importing has still handed over the only copy.
    out('');
    out(`Demo workspace "${DEMO_SLUG}" created. Its admin token (shown only this once; keep it):`);
    out(`  ${demoStart.token}`);
    out('');
  }
  if (demoStart.importPending && demoStart.resuming) out('Finishing the demo import an earlier start began …');
  let demo: DemoImport;
  try {
    demo = await importDemo(backend.db, demoStart, {
      sharedDataDir: config.sharedDataDir,
      logger,
      progress: progressBar('Importing the demo prompts'),
    });
  } catch (err) {
    // The API is up and the demo workspace usable; the next start picks the import up where it stopped.
    logger.error({ err }, 'the demo import stopped');
    demo = { note: `the demo import stopped (${(err as Error).message}); the next start resumes it` };
  }
  out('');
  out(`Rocqet is running at ${url}  (database: ${embedded ? 'embedded, ' + path.join(config.dataDir, 'db') : 'DATABASE_URL'})`);
  out(`API docs:  ${url}/docs   (OpenAPI: ${url}/openapi.json)`);
  out(`Change feed: ${url}/v1/events   (Server-Sent Events: curl -N -H "Authorization: Bearer $ROCQET_TOKEN" ${url}/v1/events)`);
  out(`Drafts:    ${backend.collabUrl}/<promptId>/<branch>   (y-websocket; Authorization header or ?ticket= from POST /v1/collab/tickets)`);
  if (demo.imported) {
    out(`Demo workspace "${DEMO_SLUG}": imported ${demo.imported.created} prompts (${demo.imported.skipped} skipped, ${demo.imported.renamed} renamed duplicate titles).`);
  }
  if (demo.note) out(`Note: ${demo.note}`);
  if (demoStart.token) {
    out(`Try it:  curl -H "Authorization: Bearer ${demoStart.token}" ${url}/v1/prompts?limit=5`);
  } else {
    out(`Demo workspace "${DEMO_SLUG}" already exists; use the admin token printed on the first start.`);
    out(`Try it:  curl -H "Authorization: Bearer $ROCQET_TOKEN" ${url}/v1/prompts?limit=5`);
  }
  out('Any client (the @rocqet/sdk client, curl, your own) connects with ROCQET_URL=' + url + ' and a token.');
  const token = demoStart.token ?? '$ROCQET_TOKEN';
  out(`MCP (Streamable HTTP): ${url}/mcp with "Authorization: Bearer ${token}"`);
  out(`MCP (stdio, e.g. claude_desktop_config.json): {"mcpServers":{"rocqet":{"command":"npx","args":["rocqet-mcp"],` +
    `"env":{"ROCQET_URL":"${url}","ROCQET_TOKEN":"${token}"}}}}  (more clients: README, "Use it from AI assistants")`);
  if (config.slack) {
    const mode = config.slack.mode.kind === 'oauth' ? `OAuth: install at ${url}/slack/install` : 'one workspace (SLACK_BOT_TOKEN)';
    out(`Slack:     ${url}/slack/events  (${mode}); point the app's request URLs at ${config.publicUrl ?? url}/slack/events`);
    if (!config.secretBox) out('           Set ROCQET_SECRET_KEY too: /rocqet link stores its token encrypted and refuses without it.');
  } else {
    out('Slack:     not configured. Create the app from slack-app/manifest.yaml (api.slack.com/apps → From a manifest),');
    out('           then set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or SLACK_CLIENT_ID/SECRET/STATE_SECRET) and ROCQET_SECRET_KEY.');
  }
  out('Press Ctrl-C to stop.');
}

main().catch((err: unknown) => {
  process.stderr.write(`rocqet: ${(err as Error).message}\n`);
  process.exit(1);
});
