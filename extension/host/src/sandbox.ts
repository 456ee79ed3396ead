import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A throwaway home for one code-server and its browser: every code-server call writes ~/.config and ~/.local, and
 * the user's settings live in the user-data folder, so each run gets its own and leaves nothing behind.
 */
export interface Sandbox {
  root: string;
  home: string;
  userData: string;
  extensions: string;
  config: string;
  browserHome: string;
  /** The folder opened in the workbench when the caller names none. */
  emptyWorkspace: string;
  remove(): void;
}

/**
 * Settings every run gets: no welcome page, trust prompt, update or telemetry traffic in the way of a test, and the
 * desktop's autosave default. (The web workbench saves dirty files after a second by default: that second save
 * cancels an explicit save still running its save participants, so `document.save()` comes back false.)
 */
export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'files.autoSave': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  // An empty secondary side bar (chat's place, with chat off) would take a third of every screenshot.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.disableAIFeatures': true,
};

const live = new Set<string>();
process.once('exit', () => {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
});

export function createSandbox(settings: Record<string, unknown> = {}): Sandbox {
  const root = mkdtempSync(path.join(tmpdir(), 'rocqet-vscode-host-'));
  live.add(root);
  const at = (...p: string[]) => {
    const dir = path.join(root, ...p);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const sandbox: Sandbox = {
    root,
    home: at('home'),
    userData: at('user-data'),
    extensions: at('extensions'),
    config: path.join(root, 'config.yaml'),
    browserHome: at('browser'),
    emptyWorkspace: at('workspace'),
    remove() {
      live.delete(root);
      // ROCQET_HOST_KEEP=1 keeps the folder (the server's and extension host's logs are under user-data/logs).
      if (process.env.ROCQET_HOST_KEEP) console.log(`vscode host: kept ${root}`);
      else rmSync(root, { recursive: true, force: true });
    },
  };
  writeFileSync(sandbox.config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  writeFileSync(
    path.join(at('user-data', 'User'), 'settings.json'),
    `${JSON.stringify({ ...DEFAULT_SETTINGS, ...settings }, null, 2)}\n`,
  );
  return sandbox;
}
