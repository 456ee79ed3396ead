import { chromium, type Browser } from 'playwright-core';
import type { InstalledHost } from '../install.mjs';
import type { Sandbox } from './sandbox.js';

/** Debian's chromium, headless, with nothing that reaches the network on its own. */
export function launchChromium(host: InstalledHost, sandbox: Sandbox): Promise<Browser> {
  return chromium.launch({
    executablePath: host.chromium,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--no-first-run',
    ],
    env: { ...process.env, HOME: sandbox.browserHome },
  });
}

/**
 * The workbench URL for a folder, with the extension under development (and its tests) in the payload, the way
 * `code --extensionDevelopmentPath … --extensionTestsPath …` passes them on the desktop. Paths are on the server, so
 * they are vscode-remote: URIs with the server's authority.
 */
export function workbenchUrl(port: number, folder: string, payload: { extensionPath?: string; testsPath?: string }): string {
  const authority = `127.0.0.1:${port}`;
  const remote = (p: string) => `vscode-remote://${authority}${encodeURI(p)}`;
  const entries: [string, string][] = [];
  if (payload.extensionPath) entries.push(['extensionDevelopmentPath', remote(payload.extensionPath)]);
  if (payload.testsPath) entries.push(['extensionTestsPath', remote(payload.testsPath)]);
  const query = new URLSearchParams({ folder });
  if (entries.length) query.set('payload', JSON.stringify(entries));
  return `http://${authority}/?${query.toString()}`;
}
