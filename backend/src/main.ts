import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from './config.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded/index.js';
import { DEMO_SLUG, ensureDemo } from './demo.js';
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
    }, logger);
  } catch (err) {
    // Close the embedded database properly (it checkpoints and releases its lock) before reporting.
    await embedded?.stop().catch(() => {});
    throw err;
  }

  const demo = await ensureDemo(backend.db, {
    dataDir: config.dataDir,
    sharedDataDir: config.sharedDataDir,
    logger,
    progress: progressBar('Importing the demo prompts'),
  });
  const url = backend.url;
  out('');
  out(`Rocqet is running at ${url}  (database: ${embedded ? 'embedded, ' + path.join(config.dataDir, 'db') : 'DATABASE_URL'})`);
  out(`API docs:  ${url}/docs   (OpenAPI: ${url}/openapi.json)`);
  out(`Drafts:    ${backend.collabUrl}/<promptId>/<branch>   (y-websocket; Authorization header or ?ticket= from POST /v1/collab/tickets)`);
  if (demo.imported) {
    out(`Demo workspace "${DEMO_SLUG}": imported ${demo.imported.created} prompts (${demo.imported.skipped} skipped, ${demo.imported.renamed} renamed duplicate titles).`);
  }
  if (demo.note) out(`Note: ${demo.note}`);
  if (demo.token) {
    out('');
    out(`Admin token for the demo workspace (shown only this once; keep it):`);
    out(`  ${demo.token}`);
    out('');
    out(`Try it:  curl -H "Authorization: Bearer ${demo.token}" ${url}/v1/prompts?limit=5`);
  } else {
    out(`Demo workspace "${DEMO_SLUG}" already exists; use the admin token printed on the first start.`);
    out(`Try it:  curl -H "Authorization: Bearer $ROCQET_TOKEN" ${url}/v1/prompts?limit=5`);
  }
  out('Any client (the @rocqet/sdk client, curl, your own) connects with ROCQET_URL=' + url + ' and a token.');
  out('Press Ctrl-C to stop.');
}

main().catch((err: unknown) => {
  process.stderr.write(`rocqet: ${(err as Error).message}\n`);
  process.exit(1);
});
