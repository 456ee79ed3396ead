// What a person does in a workbench, with Playwright: shared by the UI pass (ui.test.ts) and the keystroke bench
// (bench/vscode.ts), which both drive the real workbench from outside.
import type { Locator, Page } from 'playwright-core';
import { host } from './host.js';

/** Signs in through the command palette, as a person would, and waits for the status bar to say so. */
export async function signIn(page: Page, token: string): Promise<void> {
  await host.runCommand(page, 'Rocqet: Sign In', { opensInput: true });
  const input = page.locator('.quick-input-widget input[type="password"]');
  await input.waitFor({ state: 'visible' });
  await input.fill(token);
  await page.keyboard.press('Enter');
  await page.locator('.statusbar-item', { hasText: 'connected' }).first().waitFor({ timeout: 30_000 });
}

/** Opens the Rocqet view and returns the library's rows. */
export async function openLibrary(page: Page): Promise<Locator> {
  await page.locator('.activitybar .action-item a[aria-label^="Rocqet"]').first().click();
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Library' }) }).first();
  await pane.locator('.pane-body').waitFor();
  return pane.locator('.monaco-list-row');
}

/** The text of the visible editor, as Monaco renders it (spaces as U+00A0). */
export async function editorText(page: Page): Promise<string> {
  // A string, evaluated in the page: these tests compile without the DOM library.
  return page.evaluate(`[...document.querySelectorAll('.editor-instance .view-lines .view-line')]
    .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
    .map((l) => l.innerText.replace(/\\u00a0/g, ' '))
    .join('\\n')`);
}
