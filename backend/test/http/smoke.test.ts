import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../support/app.js';

describe('smoke', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app?.close());

  it('serves a workspace to its owner', async () => {
    const ws = await app.workspace();
    const got = await ws.owner.getWorkspace({ params: { workspace: ws.slug } });
    assert.equal(got.slug, ws.slug);
    assert.equal(got.role, 'owner');
    const folder = await ws.owner.createFolder({ body: { name: 'Support' } });
    assert.equal(folder.path, 'Support');
    const res = await fetch(`${app.url}/v1/folders`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  });
});
