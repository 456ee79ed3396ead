// findPromptAtRef answers in one statement what findPrompt, promptPath and resolveRef answer in three (a run's
// lookup before its first token): these tests hold the two to the same answer, refusal for refusal, on every form of
// prompt reference and ref, in nested folders, and across workspaces.
import assert from 'node:assert/strict';
import { findPrompt, findPromptAtRef, folderMap, promptPath, resolveRef } from '../../src/domain/prompts/resolve.js';
import { DomainError } from '../../src/domain/errors.js';
import { MISSING_ID } from '../support/api.js';
import type { TestApp, TestWorkspace } from '../support/app.js';
import { usePromptsApp } from '../support/prompts.js';

type Outcome = { prompt: unknown; path: string; commit: unknown } | { refused: string };

async function outcome(fn: () => Promise<{ prompt: unknown; path: string; commit: unknown }>): Promise<Outcome> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) return { refused: `${err.code}: ${err.message}` };
    throw err;
  }
}

describe('prompts: a prompt and its ref in one statement', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  let other: TestWorkspace;
  usePromptsApp((f) => ({ app, ws } = f));
  before(async () => {
    other = await app.workspace();
  });

  async function stepByStep(workspaceId: string, promptRef: string, ref?: string) {
    const { pool } = app.backend;
    const prompt = await findPrompt(pool, workspaceId, promptRef);
    const path = promptPath(prompt, await folderMap(pool, workspaceId));
    return { prompt, path, commit: await resolveRef(pool, prompt, ref) };
  }

  it('finds the same prompt, path and commit as the separate lookups, and refuses the same way', async () => {
    const top = await ws.owner.createFolder({ body: { name: 'Support' } });
    const mid = await ws.owner.createFolder({ body: { name: 'Tier 2', parentId: top.id } });
    const leaf = await ws.owner.createFolder({ body: { name: 'emea', parentId: mid.id } });
    const nested = await ws.owner.createPrompt({ body: { title: 'Escalation', content: 'one\n', folderId: leaf.id } });
    const second = await ws.owner.commit({ params: { prompt: nested.id }, body: { content: 'two\n', message: 'two', parent: nested.commit.id } });
    await ws.owner.createTag({ params: { prompt: nested.id }, body: { name: 'v1', ref: nested.commit.id } });
    await ws.owner.createBranch({ params: { prompt: nested.id }, body: { name: 'draft', from: nested.commit.id } });
    await ws.owner.commit({ params: { prompt: nested.id }, body: { content: 'draft\n', message: 'on draft', branch: 'draft', parent: nested.commit.id } });
    const root = await ws.owner.createPrompt({ body: { title: 'At the root', content: 'root\n' } });
    const gone = await ws.owner.createPrompt({ body: { title: 'In the trash', content: 'gone\n' } });
    await ws.owner.deletePrompt({ params: { prompt: gone.id } });
    const elsewhere = await other.owner.createPrompt({ body: { title: 'Elsewhere', content: 'x\n' } });

    const nestedPath = (await stepByStep(ws.id, nested.id)).path;
    assert.equal(nestedPath, `Support/Tier 2/emea/${nested.slug}`);
    const promptRefs = [nested.id, root.id, gone.id, elsewhere.id, MISSING_ID, nestedPath, root.slug, `nowhere/${nested.slug}`];
    const refs = [undefined, 'main', 'draft', 'v1', 'no-such-ref', second.id, nested.commit.id, MISSING_ID, '#1', '#2', '#99', '#'];
    let compared = 0;
    let found = 0;
    for (const promptRef of promptRefs) {
      for (const ref of refs) {
        const expected = await outcome(() => stepByStep(ws.id, promptRef, ref));
        const actual = await outcome(() => findPromptAtRef(app.backend.pool, ws.id, promptRef, ref));
        assert.deepEqual(actual, expected, `prompt ${promptRef} at ${ref ?? '(default branch)'}`);
        compared++;
        if (!('refused' in actual)) found++;
      }
    }
    assert.equal(compared, promptRefs.length * refs.length);
    // Enough of them found something (the test is not comparing refusals only).
    assert.ok(found >= 20, `only ${found} lookups found a commit`);
    const atTag = await findPromptAtRef(app.backend.pool, ws.id, nested.id, 'v1');
    assert.equal(atTag.commit.id, nested.commit.id);
    assert.equal(atTag.path, nestedPath);
  });
});
