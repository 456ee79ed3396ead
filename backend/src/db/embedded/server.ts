// The database process forked by startEmbeddedPostgres: PGlite behind a Postgres wire-protocol socket. It lives in
// its own process because PGlite runs queries synchronously on the event loop that owns it.
import { PGlite } from '@electric-sql/pglite';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { isParentMessage, parseServerConfig, type ChildMessage } from './protocol.js';

const config = parseServerConfig(process.argv[2]);

let db: PGlite | undefined;
let server: PGLiteSocketServer | undefined;
let shuttingDown: Promise<void> | undefined;

function send(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

// Ctrl-C and a closing terminal signal the whole process group. The parent decides when to stop and tells us over
// IPC (or its death disconnects the channel), so the database gets closed cleanly instead of dying mid-write.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
// Sent to this process alone it means "stop": close cleanly rather than dying with the default action.
process.on('SIGTERM', () => void shutdown(0));
// A parent gone without calling stop() (crash, kill -9) must not leave an orphan holding the data directory.
process.on('disconnect', () => void shutdown(0));
process.on('message', (message) => {
  if (isParentMessage(message)) void shutdown(0);
});
// pglite-socket detaches clients without awaiting; a late rejection there must not kill us halfway through closing.
process.on('unhandledRejection', (reason) => log(`embedded postgres: unhandled rejection: ${String(reason)}`));
// Pipes to a dead parent fail with EPIPE; losing log lines is fine, crashing on them is not.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

const opened = open();

async function open(): Promise<void> {
  db = new PGlite(config.dataDir, { extensions: { vector, pg_trgm, fuzzystrmatch } });
  await db.waitReady;
  if (shuttingDown) return;
  server = new PGLiteSocketServer({ db, host: config.host, port: config.port, maxConnections: config.maxConnections });
  let port = config.port;
  server.addEventListener('listening', (event) => {
    const detail = (event as CustomEvent<{ port?: number }>).detail;
    if (typeof detail.port === 'number') port = detail.port;
  });
  await server.start();
  send({ type: 'ready', port });
}

opened.catch((err: unknown) => {
  const message = err instanceof Error ? err.stack ?? err.message : String(err);
  log(message);
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  void shutdown(1);
});

function shutdown(code: number): Promise<void> {
  shuttingDown ??= (async () => {
    // Let a half-done open finish so close() sees a consistent database.
    await opened.catch(() => {});
    try {
      await server?.stop();
      await db?.close();
    } catch (err) {
      log(`embedded postgres: error while closing: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      code = code || 1;
    }
    process.exit(code);
  })();
  return shuttingDown;
}
