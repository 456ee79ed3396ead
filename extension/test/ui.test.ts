// A UI pass from outside, with Playwright: two workbenches (two users, two code-servers) signed in through the
// command palette, the demo library in the tree, both typing into one prompt at once until their editors converge,
// and each one's cursor, with its name, visible in the other's editor. Screenshots go to test-output/vscode/.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import { addMemberWithToken } from '../../backend/test/support/api.js';
import { startTestApp, type TestApp } from '../../backend/test/support/app.js';
import { host, type Workbench } from './support/host.js';
import { editorText, openLibrary, signIn } from './support/workbench.js';
const { hostProblem, openWorkbench, screenshot } = host;

const extensionPath = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const demoCsv = path.resolve(process.env.ROCQET_SHARED_DATA ?? path.join(extensionPath, '../../shared/data'), 'awesome-chatgpt-prompts.csv');

/** The lowest and highest positions among the library's drawn top-level rows, and how many top-level rows it has. */
async function drawnRange(page: Page): Promise<{ first: number; last: number; size: number }> {
  return page.evaluate(`(() => {
    const rows = [...document.querySelectorAll('.pane .monaco-list-row[aria-level="1"]')]
      .filter((r) => r.closest('.pane').querySelector('.pane-header').textContent.includes('Library'));
    const at = rows.map((r) => Number(r.getAttribute('aria-posinset')));
    return { first: Math.min(...at), last: Math.max(0, ...at), size: Number(rows[0]?.getAttribute('aria-setsize') ?? 0) };
  })()`);
}

/**
 * Scrolls the library (down, or up) until a row with this text is drawn. A tree draws only the rows in view, so a
 * prompt far down a 1,500-prompt library has no element until it is scrolled to: a row's absence proves nothing
 * before. Each step is half the list's height, so no row is stepped over.
 */
async function scrollToRow(page: Page, rows: Locator, text: string | RegExp, direction: 'down' | 'up'): Promise<void> {
  const row = rows.filter({ hasText: text }).first();
  const list = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Library' }) }).locator('.monaco-list').first();
  const box = await list.boundingBox();
  if (!box) assert.fail('the library list is not on screen');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const step = Math.max(20, box.height / 2);
  for (;;) {
    if (await row.isVisible()) return;
    const before = await drawnRange(page);
    if (direction === 'down' ? before.last >= before.size : before.first <= 1) assert.fail(`no row "${text}" in the library's ${before.size} rows`);
    await page.mouse.wheel(0, direction === 'down' ? step : -step);
    await until(async () => {
      const now = await drawnRange(page);
      return direction === 'down' ? now.last > before.last : now.first < before.first;
    }, 'the library to scroll');
  }
}

/**
 * The remote carets drawn in the visible editor: each one's name (its decoration's `after` text, a CSS ::after
 * content) and where it is, as the line and the number of characters before it on that line.
 */
async function carets(page: Page): Promise<{ name: string; line: number; column: number }[]> {
  return page.evaluate(`[...document.querySelectorAll('.editor-instance .view-lines .view-line')]
    .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
    .flatMap((line, i) => [...line.querySelectorAll('span')]
      .map((el) => ({ el, content: getComputedStyle(el, '::after').content }))
      .filter(({ content }) => content && content !== 'none' && content !== 'normal' && content !== '""')
      .map(({ el, content }) => {
        const before = document.createRange();
        before.setStart(line, 0);
        before.setEndBefore(el);
        return { name: content.replace(/^"|"$/g, ''), line: i, column: before.toString().length };
      }))`);
}

async function until<T>(check: () => Promise<T | false | undefined>, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('extension: UI pass in two workbenches (Playwright)', function () {
  this.timeout(600_000); // two workbenches on a loaded 2-core machine: each start took up to 180 s here
  let app: TestApp | undefined;
  const benches: Workbench[] = [];

  before(function () {
    const problem = hostProblem();
    if (problem) {
      console.log(`      skipped: ${problem}`);
      this.skip();
    }
  });
  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const [i, b] of benches.entries()) console.log(`      what workbench ${i + 1} showed: ${await screenshot(b.page, `ui-failed-${i + 1}`).catch((e: Error) => e.message)}`);
  });
  after(async () => {
    await Promise.all(benches.map((b) => b.close()));
    await app?.close();
  });

  it('shows the demo library, and two people typing in one prompt converge and see each other’s cursors', async () => {
    // The workbench loads dist/extension.cjs: build it from these sources, not whatever an earlier run left.
    await promisify(execFile)(process.execPath, [path.join(extensionPath, 'scripts/build.mjs')], { cwd: extensionPath });
    app = await startTestApp();
    const ws = await app.workspace('demo');
    let demo = 0;
    if (existsSync(demoCsv)) {
      demo = (await ws.owner.importPrompts({ body: { format: 'awesome-csv', data: readFileSync(demoCsv, 'utf8') } })).created;
    } else {
      console.log(`      (no ${demoCsv}: the demo library is left out, the shared prompt is still there)`);
    }
    const team = await ws.owner.createFolder({ body: { name: 'team' } });
    await ws.owner.createPrompt({ body: { title: 'Team review', slug: 'team-review', folderId: team.id, content: 'Review this change.\n' } });
    const colleague = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);

    const settings = { 'rocqet.serverUrl': app.url, 'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'files.autoSave': 'off' };
    const opened = await Promise.allSettled([openWorkbench({ extensionPath, settings }), openWorkbench({ extensionPath, settings })]);
    for (const o of opened) if (o.status === 'fulfilled') benches.push(o.value);
    for (const o of opened) if (o.status === 'rejected') throw o.reason;
    const [a, b] = benches as [Workbench, Workbench];
    await Promise.all([signIn(a.page, ws.ownerToken), signIn(b.page, colleague.token)]);
    const [rowsA, rowsB] = await Promise.all([openLibrary(a.page), openLibrary(b.page)]);

    // The whole library is in the tree (the folder and every imported prompt at the top level), drawn from the top.
    await rowsA.filter({ hasText: /^team$/ }).first().waitFor();
    await until(async () => (await drawnRange(a.page)).size === demo + 1 || undefined, `${demo + 1} top-level rows in the library`);
    await screenshot(a.page, 'library');
    if (demo) {
      await scrollToRow(b.page, rowsB, 'Linux Terminal', 'down');
      await screenshot(b.page, 'library-linux-terminal');
      await scrollToRow(b.page, rowsB, /^team$/, 'up');
    }

    for (const [page, rows] of [[a.page, rowsA], [b.page, rowsB]] as const) {
      await rows.filter({ hasText: /^team$/ }).first().click();
      await rows.filter({ hasText: 'Team review' }).first().click();
      await page.locator('.tab', { hasText: 'team-review@main.prompt.md' }).first().waitFor();
    }
    await Promise.all([a.page, b.page].map((p) => until(async () => (await editorText(p)).startsWith('Review this change.'), 'the prompt in the editor')));

    // Both type at once: A at the end, B at the start.
    await a.page.locator('.editor-instance .view-lines').click();
    await a.page.keyboard.press('Control+End');
    await b.page.locator('.editor-instance .view-lines').click();
    await b.page.keyboard.press('Control+Home');
    await Promise.all([
      a.page.keyboard.type('Check the tests too. ', { delay: 25 }),
      b.page.keyboard.type('Please: ', { delay: 25 }),
    ]);
    const text = await until(async () => {
      const [ta, tb] = [await editorText(a.page), await editorText(b.page)];
      return ta === tb && ta.includes('Check the tests too.') && ta.includes('Please: ') && ta;
    }, 'both editors to show both people’s typing');
    assert.match(text, /^Please: Review this change\.\n?Check the tests too\. $/m);
    const draft = await ws.owner.getDraft({ params: { prompt: 'team/team-review', name: 'main' } });
    assert.equal(draft.content.replace(/\n/g, ''), text.replace(/\n/g, ''), 'the server’s draft is what both editors show');

    // Each sees the other's caret, with the other's name, where the other stopped typing: the owner's at the end,
    // the colleague's after "Please: ".
    const ownerName = (await ws.owner.me()).name;
    const lines = text.split('\n');
    const ownerAt = { name: ownerName, line: lines.length - 1, column: lines.at(-1)!.length };
    const colleagueAt = { name: colleague.member.name, line: 0, column: 'Please: '.length };
    const seen = async (page: Page, want: typeof ownerAt) => {
      let drawn: unknown = [];
      await until(async () => {
        const now = await carets(page);
        drawn = now;
        return now.some((c) => c.name === want.name && c.line === want.line && c.column === want.column) || undefined;
      }, `${want.name}’s caret at ${want.line + 1}:${want.column + 1}`).catch((err: Error) => {
        err.message += ` (drawn: ${JSON.stringify(drawn)})`;
        throw err;
      });
    };
    await seen(b.page, ownerAt);
    await seen(a.page, colleagueAt);
    await screenshot(a.page, 'cursors-owner');
    await screenshot(b.page, 'cursors-colleague');
  });
});
