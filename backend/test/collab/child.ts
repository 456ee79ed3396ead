// A backend in its own process, for the restart and scale-out tests: prints {url, collabUrl} once it listens, and
// closes gracefully on SIGTERM (kill -9 is the other way it ends).
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startBackend } from '../../src/server.js';

const config = { ...loadConfig(), port: 0 };
const backend = await startBackend({ ...config, databaseUrl: config.databaseUrl! }, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
process.stdout.write(JSON.stringify({ url: backend.url, collabUrl: backend.collabUrl }) + '\n');
process.once('SIGTERM', () => {
  void backend.close().then(() => process.exit(0));
});
