import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BOT_SCOPES } from '../src/index.js';
import { SLACK_PATHS } from '../src/app.js';

const manifest = readFileSync(fileURLToPath(new URL('../manifest.yaml', import.meta.url)), 'utf8');

describe('Slack app manifest (slack-app/manifest.yaml)', () => {
  it('asks for exactly the bot scopes an OAuth install requests', () => {
    const block = /scopes:\n\s+bot:\n((?:\s+- .+\n)+)/.exec(manifest)?.[1] ?? '';
    assert.deepEqual(block.trim().split('\n').map((l) => l.trim().slice(2)), BOT_SCOPES);
  });

  it('sends commands, interactivity and events to the path the app serves, and names what the app handles', () => {
    const urls = [...manifest.matchAll(/(?:url|request_url): (\S+)/g)].map((m) => new URL(m[1]!).pathname);
    assert.deepEqual([...new Set(urls)], [SLACK_PATHS.events]);
    assert.match(manifest, /- https:\/\/rocqet\.example\.com\/slack\/oauth_redirect/);
    assert.match(manifest, /command: \/rocqet\n/);
    assert.match(manifest, /callback_id: rocqet_save\n/);
    for (const e of ['app_home_opened', 'link_shared', 'app_uninstalled']) assert.match(manifest, new RegExp(`- ${e}\\n`));
    assert.match(manifest, /home_tab_enabled: true/);
  });
});
