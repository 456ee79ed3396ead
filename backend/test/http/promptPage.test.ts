import assert from 'node:assert/strict';
import { parsePromptUrl, promptUrl, vscodeUrl } from '@rocqet/sdk';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { assertProblem, send } from '../support/api.js';

describe('GET /p/<path>: the page a prompt link leads to', () => {
  let app: TestApp;
  let ws: TestWorkspace;

  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
  });
  after(() => app?.close());

  it('offers VS Code, the API and MCP for the prompt and ref the link names', async () => {
    const res = await send(app, 'GET', '/p/team/code-review?ref=v1.2');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(res.text, /<h1>team\/code-review@v1\.2<\/h1>/);
    assert.ok(res.text.includes(`href="${vscodeUrl('team/code-review', 'v1.2').replace(/&/g, '&amp;')}"`));
    assert.ok(res.text.includes('/v1/prompts/team%2Fcode-review?ref=v1.2'));
    assert.ok(res.text.includes('rocqet://prompts/team/code-review@v1.2'));
  });

  it('shows nothing of the prompt, not even whether it exists, to a browser without a token', async () => {
    const secret = 'the launch date is the 14th';
    const folder = await ws.owner.createFolder({ body: { name: 'plans' } });
    await ws.owner.createPrompt({ body: { title: 'Launch', slug: 'launch', folderId: folder.id, content: secret } });
    const there = await send(app, 'GET', '/p/plans/launch');
    const absent = await send(app, 'GET', '/p/plans/lunch');
    assert.equal(there.status, 200);
    assert.equal(absent.status, 200);
    assert.ok(!there.text.includes(secret) && !there.text.includes('Launch<'));
    assert.equal(there.text.replaceAll('launch', 'X'), absent.text.replaceAll('lunch', 'X'));
  });

  it('escapes what the link holds', async () => {
    const res = await send(app, 'GET', `/p/${encodeURIComponent('<svg onload=alert(1)>')}/x?ref=${encodeURIComponent('"><img src=x>')}`);
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes('<svg onload') && !res.text.includes('<img src=x>'));
    assert.ok(res.text.includes('&lt;svg onload=alert(1)&gt;/x@&quot;&gt;&lt;img src=x&gt;'));
  });

  it('a link that is not a prompt link: 404 not_found; a URL that does not decode: 400; another method: 405', async () => {
    assertProblem(await send(app, 'GET', '/p/%E0%A4%A'), 400, 'validation_failed');
    for (const bad of ['/p/ok?ref=' + 'r'.repeat(101), '/p/ok?ref=a&ref=b', '/p/' + 'x'.repeat(501), '/p/%2F%2F']) {
      assertProblem(await send(app, 'GET', bad), 404, 'not_found');
    }
    const post = await send(app, 'POST', '/p/team/code-review');
    assertProblem(post, 405, 'method_not_allowed');
    assert.equal(post.headers.get('allow'), 'GET');
  });

  it('the sdk writes the links this page and the clients read, and reads them back', () => {
    const url = promptUrl('https://rocqet.example/base/', 'a b/c@d', 'feature/x')!;
    assert.equal(url, 'https://rocqet.example/base/p/a%20b/c%40d?ref=feature%2Fx');
    assert.deepEqual(parsePromptUrl('https://rocqet.example/base', url), { path: 'a b/c@d', ref: 'feature/x' });
    assert.equal(parsePromptUrl('https://rocqet.example/base', 'https://elsewhere.example/base/p/a'), undefined);
    assert.equal(parsePromptUrl('https://rocqet.example', 'https://rocqet.example/p/%E0%A4%A'), undefined);
    assert.equal(vscodeUrl('a/b', 'v1'), 'vscode://rocqet.rocqet-vscode/open?path=a%2Fb&ref=v1');
  });
});
