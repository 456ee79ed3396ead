// The real VS Code extension host for tests: code-server (VS Code's server, workbench and Node extension host) from
// the npm registry, opened in Debian's chromium through playwright-core. See ../README.md.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { format } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { hostProblem, installedHost, type InstalledHost } from '../install.mjs';
import { launchChromium, workbenchUrl } from './browser.js';
import { delay, startCodeServer, type CodeServer } from './codeServer.js';
import { createSandbox, type Sandbox } from './sandbox.js';

export { hostProblem };

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The installed host (versions and paths), or undefined when hostProblem() says why not. */
export function hostInfo(): InstalledHost | undefined {
  return hostProblem() ? undefined : installedHost();
}

function requireHost(): InstalledHost {
  const problem = hostProblem();
  const host = installedHost();
  if (problem || !host) throw new Error(problem ?? 'the VS Code test host is not installed');
  return host;
}

export interface HostOptions {
  /** The extension folder (its package.json), loaded as the extension under development. */
  extensionPath: string;
  /** The folder the workbench opens; an empty throwaway folder when omitted. */
  workspaceFolder?: string;
  /** User settings (the user-data folder's settings.json), e.g. the extension's backend URL. */
  settings?: Record<string, unknown>;
  /** Added to code-server's environment, which the extension host inherits (process.env in the extension). */
  env?: Record<string, string>;
}

export interface RunOptions extends HostOptions {
  /** The CommonJS tests module whose `run()` the extension host awaits (mocha inside the host). */
  testsPath: string;
  /** For the whole run, from starting code-server to the tests' end. Default 5 minutes. */
  timeoutMs?: number;
  /** Each line the workbench and extension host log, as it comes; default: none (it is in the result). */
  onLog?: (line: string) => void;
}

export interface RunResult {
  /** What the tests' run() came to: 0 when it resolved, 1 when it rejected (a failed test). */
  exitCode: number;
  /** The workbench's and extension host's log lines, in-host mocha output among them. */
  log: string;
  /** The extension host's own log files (name → contents), as the workbench handed them over at exit. */
  logFiles: Record<string, string>;
  /** code-server's own output. */
  serverLog: string;
  ms: number;
}

interface Session {
  sandbox: Sandbox;
  server?: CodeServer;
  browser?: Browser;
}

async function closeSession(s: Session): Promise<void> {
  await s.browser?.close().catch(() => {});
  await s.server?.stop().catch(() => {});
  s.sandbox.remove();
}

/** Starts code-server and chromium for one user; the caller closes the session. */
async function openSession(host: InstalledHost, options: HostOptions): Promise<Session & { server: CodeServer; browser: Browser }> {
  const session: Session = { sandbox: createSandbox(options.settings) };
  try {
    session.server = await startCodeServer(host, session.sandbox, options.env ?? {});
    session.browser = await launchChromium(host, session.sandbox);
    return session as Session & { server: CodeServer; browser: Browser };
  } catch (err) {
    await closeSession(session);
    throw err;
  }
}

/**
 * Runs an extension's tests inside the real extension host: the workbench loads the extension under development,
 * the extension host requires `testsPath` and awaits its `run()`, and the workbench reports the outcome. Everything
 * started is stopped, and every temporary folder removed, whatever happens. Rejects on a timeout or when the host
 * cannot start (the message carries the log's tail).
 */
export async function runExtensionTests(options: RunOptions): Promise<RunResult> {
  const host = requireHost();
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 300_000;
  const lines: string[] = [];
  const push = (line: string) => {
    lines.push(line);
    options.onLog?.(line);
  };
  const session = await openSession(host, options);
  try {
    const page = await session.browser.newPage();
    let finish: (result: { code: number; logs: { relativePath: string; contents: string }[] }) => void = () => {};
    const finished = new Promise<{ code: number; logs: { relativePath: string; contents: string }[] }>((r) => (finish = r));
    // The extension host's console calls arrive as their arguments, the workbench's own lines as strings.
    await page.exposeFunction('codeAutomationLog', (level: string, message: unknown) => {
      const text = Array.isArray(message) ? format(...(message as unknown[])) : String(message);
      for (const line of text.split('\n')) push(level === 'info' ? line : `[${level}] ${line}`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number, logs?: { relativePath: string; contents: string }[]) => {
      finish({ code, logs: logs ?? [] });
    });
    page.on('pageerror', (err) => push(`[page error] ${err.message}`));
    const folder = path.resolve(options.workspaceFolder ?? session.sandbox.emptyWorkspace);
    const url = workbenchUrl(session.server.port, folder, {
      extensionPath: path.resolve(options.extensionPath),
      testsPath: path.resolve(options.testsPath),
    });
    const remaining = () => Math.max(1, timeoutMs - (Date.now() - started));
    await page.goto(url, { timeout: remaining() });
    const outcome = await Promise.race([
      finished,
      session.server.exited.then((code) => {
        throw new Error(`code-server exited (${code}) while the tests ran`);
      }),
      delay(remaining()).then(() => {
        throw new Error(`the extension tests did not finish within ${timeoutMs} ms`);
      }),
    ]).catch((err: Error) => {
      err.message += `\n--- last lines of the host's log:\n${lines.slice(-40).join('\n')}` +
        `\n--- last lines of code-server's output:\n${session.server.output.slice(-20).join('\n')}`;
      throw err;
    });
    return {
      exitCode: outcome.code,
      log: lines.join('\n'),
      logFiles: Object.fromEntries(outcome.logs.map((l) => [l.relativePath, l.contents])),
      serverLog: session.server.output.join('\n'),
      ms: Date.now() - started,
    };
  } finally {
    await closeSession(session);
  }
}

export interface Workbench {
  page: Page;
  browser: Browser;
  url: string;
  /** The code-server port, for a second page on the same workbench. */
  port: number;
  close(): Promise<void>;
}

/**
 * Opens a workbench with the extension loaded, for driving the UI from outside (Playwright). Each call is its own
 * code-server with its own user data and settings, so two of them are two users. Resolves once the workbench is
 * restored (its contributions are in); close() stops everything it started.
 */
export async function openWorkbench(options: HostOptions & { timeoutMs?: number }): Promise<Workbench> {
  const host = requireHost();
  const timeout = options.timeoutMs ?? 120_000;
  const session = await openSession(host, options);
  try {
    const page = await session.browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(60_000); // Playwright's 30 s is short for a workbench on a loaded 2-core machine
    const folder = path.resolve(options.workspaceFolder ?? session.sandbox.emptyWorkspace);
    const url = workbenchUrl(session.server.port, folder, { extensionPath: path.resolve(options.extensionPath) });
    await page.goto(url, { timeout });
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout });
    // The workbench draws well before its contributions (the extension's commands among them) are there: the test
    // driver the server enables says when it is restored.
    await page.waitForFunction(() => 'driver' in window, undefined, { timeout });
    await page.evaluate(() => (window as unknown as { driver: { whenWorkbenchRestored(): Promise<void> } }).driver.whenWorkbenchRestored());
    return { page, browser: session.browser, url, port: session.server.port, close: () => closeSession(session) };
  } catch (err) {
    await closeSession(session);
    throw err;
  }
}

/** Where tests put screenshots and other artefacts: $ROCQET_TEST_OUTPUT, else test-output/ at the repository root. */
export function testOutputDir(...sub: string[]): string {
  const dir = path.resolve(process.env.ROCQET_TEST_OUTPUT || path.join(repoRoot, 'test-output'), ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Saves a PNG of the page as test-output/vscode/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(testOutputDir('vscode'), `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Runs a command through the command palette, as a user would: F1, its title, Enter. By default it resolves once the
 * palette has closed (the command was accepted), so a next F1 opens a new palette rather than typing into the closing
 * one; `opensInput` is for commands that answer with a quick input of their own, where the widget stays open.
 *
 * The palette computes its list once, when it opens: a palette opened before the workbench has registered an
 * extension's contributions (the remote extension host starts after the workbench says it is restored, and on a
 * loaded machine that can take a while) says "no matching commands" for good. So a palette whose row has not come
 * within a few seconds is closed and opened again, until the timeout.
 */
export async function runCommand(page: Page, title: string, options: { timeoutMs?: number; opensInput?: boolean } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: left() });
    await input.fill(`>${title}`);
    try {
      await row.waitFor({ timeout: Math.min(5_000 * attempt, left()) });
      break;
    } catch (err) {
      if (Date.now() >= deadline) throw new Error(`the command palette never listed "${title}" in ${timeoutMs} ms`, { cause: err });
      await page.keyboard.press('Escape');
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: left() });
    }
  }
  await page.keyboard.press('Enter');
  if (!options.opensInput) await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: left() });
}
