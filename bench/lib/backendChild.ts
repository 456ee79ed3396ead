// One backend in its own process for the benches: prints {url, collabUrl} when it listens; SIGTERM closes it.
import { pino } from 'pino';
import { loadConfig } from '../../backend/src/config.js';
import { startBackend } from '../../backend/src/server.js';

const config = { ...loadConfig(), port: 0 };
const backend = await startBackend({ ...config, databaseUrl: config.databaseUrl! }, pino({ level: 'warn' }, process.stderr));
process.stdout.write(JSON.stringify({ url: backend.url, collabUrl: backend.collabUrl }) + '\n');
process.once('SIGTERM', () => void backend.close().then(() => process.exit(0)));
