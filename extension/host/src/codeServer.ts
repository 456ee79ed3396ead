import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { InstalledHost } from '../install.mjs';
import type { Sandbox } from './sandbox.js';

export interface CodeServer {
  port: number;
  /** Everything code-server printed, for the failure message. */
  output: string[];
  /** Resolves when the process has exited (with its code, or the signal's name). */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

/** Process groups still running: killed when this process exits, however it exits. */
const groups = new Set<number>();
process.once('exit', () => {
  for (const pgid of groups) killGroup(pgid, 'SIGKILL');
});

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** The variables a nested npm, mocha or tsx run would leak into the host and its extension host. */
const LEAKY = /^(npm_|NODE_OPTIONS$|NODE_PATH$|TS_NODE_|TSX_|MOCHA_|VSCODE_|ELECTRON_)/;

/**
 * Starts code-server on a free port in its own process group, so stop() can end it with the extension host, pty
 * host and file watcher it forks. The environment reaches the extension host: that is how tests get the backend.
 */
export async function startCodeServer(
  host: InstalledHost,
  sandbox: Sandbox,
  env: Record<string, string | undefined>,
  startTimeoutMs = 60_000,
): Promise<CodeServer> {
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !LEAKY.test(k)));
  const child: ChildProcess = spawn(
    host.node,
    [
      host.codeServerEntry,
      '--config', sandbox.config,
      '--auth', 'none',
      '--bind-addr', '127.0.0.1:0',
      '--user-data-dir', sandbox.userData,
      '--extensions-dir', sandbox.extensions,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--disable-proxy',
      '--ignore-last-opened',
      // Since VS Code 1.10x a built workbench ignores the URL's extensionDevelopmentPath/extensionTestsPath payload
      // unless the server enables its test driver; code-server has no flag for it but passes VS Code's own through.
      '--vscode-option', 'enable-smoke-test-driver',
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...baseEnv,
        PATH: `${path.dirname(host.node)}${path.delimiter}${process.env.PATH ?? ''}`,
        HOME: sandbox.home,
        XDG_CONFIG_HOME: path.join(sandbox.home, '.config'),
        XDG_DATA_HOME: path.join(sandbox.home, '.local/share'),
        XDG_CACHE_HOME: path.join(sandbox.home, '.cache'),
        TMPDIR: sandbox.root,
        // No marketplace: nothing is fetched, and the extensions view cannot try.
        EXTENSIONS_GALLERY: '{}',
        ...env,
      },
    },
  );
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`code-server did not start (${host.codeServerEntry})`);
  groups.add(pgid);

  const output: string[] = [];
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      groups.delete(pgid);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  let announce: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => (announce = resolve));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream! }).on('line', (line) => {
      output.push(line);
      const m = /HTTP server listening on https?:\/\/[^\s]*?:(\d+)\//.exec(line);
      if (m) announce(Number(m[1]));
    });
  }

  const stop = async () => {
    if (!groups.has(pgid)) return;
    killGroup(pgid, 'SIGTERM');
    const done = await Promise.race([exited.then(() => true), delay(5_000).then(() => false)]);
    // The server may be gone while a forked child lingers: the group goes either way.
    killGroup(pgid, 'SIGKILL');
    if (!done) await exited;
    groups.delete(pgid);
  };

  const port = await Promise.race([
    listening,
    exited.then((code) => {
      throw new Error(`code-server exited (${code}) before listening:\n${output.slice(-30).join('\n')}`);
    }),
    delay(startTimeoutMs).then(() => {
      throw new Error(`code-server did not listen within ${startTimeoutMs} ms:\n${output.slice(-30).join('\n')}`);
    }),
  ]).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { port, output, exited, stop };
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
