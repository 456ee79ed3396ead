// The test host's self-test: the fixture extension's mocha suite inside the real extension host, and two workbenches
// at once driven from outside. Skips, saying what is missing, where the host is not installed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostInfo, hostProblem, openWorkbench, runCommand, runExtensionTests, screenshot } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, '../fixture');

describe('VS Code test host', function () {
  this.timeout(600_000); // a loaded 2-core machine: one host start took up to 130 s, two at once up to 180 s
  let workspace: string;

  before(function () {
    const problem = hostProblem();
    if (problem) {
      console.log(`      skipped: ${problem}`);
      this.skip();
    }
    const host = hostInfo()!;
    console.log(`      code-server ${host.codeServer} (VS Code ${host.vscode}) on Node ${host.nodeVersion}`);
    workspace = mkdtempSync(path.join(tmpdir(), 'rocqet-host-workspace-'));
  });
  after(() => {
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('runs the fixture extension\'s mocha suite inside the extension host and reports it passed', async () => {
    const serverUrl = 'http://127.0.0.1:9/rocqet';
    const result = await runExtensionTests({
      extensionPath: fixture,
      testsPath: path.join(fixture, 'test/index.js'),
      workspaceFolder: workspace,
      settings: { 'rocqetFixture.serverUrl': serverUrl },
      env: { ROCQET_FIXTURE_SERVER_URL: serverUrl, ROCQET_FIXTURE_WORKSPACE: workspace },
      timeoutMs: 540_000,
      onLog: process.env.ROCQET_HOST_LOG ? (line) => console.log(`      [host] ${line}`) : undefined,
    });
    console.log(`      host run: ${(result.ms / 1000).toFixed(1)} s`);
    assert.equal(result.exitCode, 0, result.log);
    // The in-host spec reporter's lines came through: the suite really ran there, all four tests.
    assert.match(result.log, /4 passing/, result.log);
    assert.doesNotMatch(result.log, /\d+ failing/, result.log);
  });

  it('opens two workbenches at once with the extension loaded, each driven from outside', async () => {
    const started = Date.now();
    const opened = await Promise.allSettled(
      ['ada', 'grace'].map((user) =>
        openWorkbench({ extensionPath: fixture, workspaceFolder: workspace, settings: { 'rocqetFixture.serverUrl': user } }),
      ),
    );
    const [a, b] = opened.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
    try {
      for (const o of opened) if (o.status === 'rejected') throw o.reason;
      console.log(`      two workbenches open: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.notEqual(a!.port, b!.port);
      // Each runs the fixture's command from its palette and sees its own user's setting in the notification.
      await Promise.all(
        ([[a!, 'ada'], [b!, 'grace']] as const).map(async ([wb, user]) => {
          try {
            await runCommand(wb.page, 'Rocqet Fixture: Greet');
            // The notification centre, not the toast: a toast may hide before a loaded machine gets to look.
            await runCommand(wb.page, 'Notifications: Show Notifications');
            await wb.page.locator('.notifications-center', { hasText: `Hello from the fixture, ${user}!` }).waitFor({ timeout: 120_000 });
          } catch (err) {
            console.log(`      what ${user} saw: ${await screenshot(wb.page, `host-self-test-${user}-failed`)}`);
            throw err;
          }
          assert.ok(existsSync(await screenshot(wb.page, `host-self-test-${user}`)));
        }),
      );
    } finally {
      await Promise.all([a?.close(), b?.close()]);
    }
  });
});
