// The extension's in-host suites (src/test/suites.ts) in the real VS Code extension host (code-server's, driven by
// Debian's chromium: extension/host), against a real backend started here. One host start for all of them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { addMemberWithToken } from '../../backend/test/support/api.js';
import { startTestApp, type TestApp } from '../../backend/test/support/app.js';
import { host } from './support/host.js';
const { hostInfo, hostProblem, runExtensionTests } = host;

const extensionPath = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

describe('extension: in the real VS Code extension host', function () {
  this.timeout(600_000);
  let app: TestApp | undefined;
  let folder: string | undefined;

  before(function () {
    const problem = hostProblem();
    if (problem) {
      console.log(`      skipped: ${problem}`);
      this.skip();
    }
  });
  after(async () => {
    await app?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('passes the in-host suites: sign-in, tree, live documents, history, merge, insert, export, MCP, viewers, runs', async () => {
    await promisify(execFile)(process.execPath, [path.join(extensionPath, 'scripts/build.mjs')], { cwd: extensionPath });
    // A secret key lets the runs suite store provider keys (pointed at its stand-ins).
    app = await startTestApp({ ROCQET_SECRET_KEY: randomBytes(32).toString('hex'), ROCQET_RUNS_RETRY_BACKOFF_MS: '50' });
    const ws = await app.workspace();
    const editor = await addMemberWithToken(app, ws, 'editor', ['read', 'write']);
    const viewer = await addMemberWithToken(app, ws, 'viewer', ['read']);
    folder = mkdtempSync(path.join(tmpdir(), 'rocqet-host-folder-'));
    const result = await runExtensionTests({
      extensionPath,
      testsPath: path.join(extensionPath, 'out/test/index.cjs'),
      workspaceFolder: folder,
      settings: { 'rocqet.serverUrl': app.url, 'workbench.startupEditor': 'none', 'files.autoSave': 'off' },
      env: {
        ROCQET_HOST_TEST: JSON.stringify({
          baseUrl: app.url,
          workspace: ws.slug,
          ownerToken: ws.ownerToken,
          editorToken: editor.token,
          editorName: editor.member.name,
          viewerToken: viewer.token,
        }),
      },
      timeoutMs: 540_000,
    });
    const mocha = result.log.split('\n').filter((l) => /^\s{2,}|passing|failing|pending|VS Code/.test(l));
    console.log(`      host: ${`code-server ${hostInfo()?.codeServer ?? '?'} (VS Code ${hostInfo()?.vscode ?? '?'})`}, ${result.ms} ms\n${mocha.map((l) => `      ${l}`).join('\n')}`);
    assert.equal(result.exitCode, 0, `the in-host suites failed:\n${result.log.split('\n').slice(-120).join('\n')}`);
  });
});
