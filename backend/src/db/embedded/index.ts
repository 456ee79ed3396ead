// The embedded PostgreSQL `npm start` uses without DATABASE_URL: PGlite (with pgvector, pg_trgm and fuzzystrmatch) in a child
// process, reached over the wire protocol so the backend's `pg` + Prisma adapter path is the same as for a server.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { lockDataDir } from './lock.js';
import { isChildMessage, type ParentMessage, type ServerConfig } from './protocol.js';

export { EmbeddedLockedError } from './lock.js';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  log?: (msg: string) => void;
  /** Called when the database process ends without stop() having been called (it crashed or was killed). */
  onExit?: (info: { code: number | null; signal: NodeJS.Signals | null }) => void;
}

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Closes the database (flushing it), waits for its process to end and releases the data directory. */
  stop(): Promise<void>;
}

// PGlite serves one session to every connection; the limit only has to stay above any pool we open.
const MAX_CONNECTIONS = 100;
// A shutdown checkpoint of a large database takes a while; past this we assume it hangs.
const STOP_TIMEOUT_MS = 60_000;
const STDERR_TAIL_LINES = 20;

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => {});
  const dataDir = path.resolve(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  fs.mkdirSync(dataDir, { recursive: true });
  // Before forking, so a second instance fails at once instead of after the database has loaded.
  const lock = await lockDataDir(dataDir);

  const config: ServerConfig = { dataDir, host, port: opts.port ?? 0, maxConnections: MAX_CONNECTIONS };
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = fork(serverScript(), [JSON.stringify(config)], {
      execArgv: loaderArgs(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
  } catch (err) {
    lock.release();
    throw err;
  }

  // Without a listener a later 'error' (a failed kill, say) would throw in the backend.
  child.on('error', (err) => log(`embedded postgres process error: ${err.message}`));
  const stderrTail: string[] = [];
  forwardLines(child.stdout, log);
  forwardLines(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    log(line);
  });

  let state: 'starting' | 'running' | 'stopping' | 'exited' = 'starting';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      const wasRunning = state === 'running';
      state = 'exited';
      // Whether it closed or died, it no longer has the files open.
      lock.release();
      if (wasRunning) {
        log(`embedded postgres exited unexpectedly (${signal ?? `code ${code}`})`);
        opts.onExit?.({ code, signal });
      }
      resolve({ code, signal });
    });
  });

  if (child.pid !== undefined) lock.recordChild(child.pid);

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      child.on('message', (message) => {
        if (!isChildMessage(message)) return;
        if (message.type === 'ready') resolve(message.port);
        else reject(new Error(`Embedded PostgreSQL failed to start on ${dataDir}: ${message.message}`));
      });
      child.once('error', (err) => reject(new Error(`Embedded PostgreSQL process error: ${err.message}`)));
      void exited.then(({ code, signal }) => reject(new Error(
        `Embedded PostgreSQL exited before it was ready (${signal ?? `code ${code}`}) on ${dataDir}` +
        (stderrTail.length ? `:\n${stderrTail.join('\n')}` : ''))));
    });
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    throw err;
  }
  state = 'running';
  log(`embedded postgres ready on ${host}:${port} (data ${dataDir}, ${Date.now() - started} ms)`);

  let stopping: Promise<void> | undefined;
  return {
    url: `postgresql://postgres:postgres@${host.includes(':') ? `[${host}]` : host}:${port}/postgres`,
    port,
    stop() {
      stopping ??= (async () => {
        if (state === 'exited') return;
        state = 'stopping';
        const message: ParentMessage = { type: 'stop' };
        // A send can fail only when the channel is already gone, and then the child is exiting on its own.
        if (child.connected) child.send(message, () => {});
        const timer = setTimeout(() => {
          log(`embedded postgres did not stop within ${STOP_TIMEOUT_MS} ms; killing it`);
          child.kill('SIGKILL');
        }, STOP_TIMEOUT_MS);
        const { code, signal } = await exited;
        clearTimeout(timer);
        if (code !== 0) log(`embedded postgres stopped with ${signal ?? `code ${code}`}`);
      })();
      return stopping;
    },
  };
}

// The sibling server script with this module's own extension: server.ts under tsx, server.js once compiled.
function serverScript(): string {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `server${path.extname(self)}`);
}

// Keep loader flags (tsx's --import, --conditions) so server.ts runs like we do. Drop debugger flags, whose port the
// child would fight over, and eval flags, which would make the child run that code instead of the script.
function loaderArgs(): string[] {
  const args: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i] ?? '';
    if (arg === '-e' || arg === '--eval' || arg === '-p' || arg === '--print') i++;
    else if (!/^--(inspect|debug|input-type|eval=|print=)/.test(arg)) args.push(arg);
  }
  return args;
}

function forwardLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
}
