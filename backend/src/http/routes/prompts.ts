import { parsePrompt, renderPrompt, routes, serializePrompt } from '@rocqet/sdk';
import type { Router } from 'express';
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../../domain/actor.js';
import { commitDraftText, findDraftTarget } from '../../domain/collab/drafts.js';
import { fail } from '../../domain/errors.js';
import { requireWrite } from '../../domain/policy.js';
import { commitOnBranch, listHistory } from '../../domain/prompts/commits.js';
import { diffRefs, mergeBranches, revertTo } from '../../domain/prompts/merge.js';
import {
  createPrompt,
  deletePrompt,
  listPrompts,
  restorePrompt,
  updatePrompt,
} from '../../domain/prompts/prompts.js';
import { createBranch, createTag, deleteBranch, deleteTag, listBranches, listTags, renameBranch } from '../../domain/prompts/refs.js';
import { findPrompt, folderMap, resolveRef, type PromptRow } from '../../domain/prompts/resolve.js';
import { readText } from '../../domain/prompts/store.js';
import { countRenders, topPrompts } from '../../domain/prompts/usage.js';
import { exportWorkspace, importPrompts, readImportOffLoop } from '../../domain/importing/index.js';
import type { Db, Tx } from '../../db/prisma.js';
import { bind, bindStreamedBody, checkIfMatch, etagOf } from '../bind.js';
import type { AppDeps } from '../context.js';
import { presentBranch, presentCommit, presentPrompt, presentTag } from '../present.js';

async function presentOne(db: Db | Tx, actor: Actor, prompt: PromptRow) {
  return presentPrompt(prompt, await folderMap(db, actor.workspaceId));
}

/**
 * A prompt's version tag: what a client's copy depends on (metadata, the commit it shows, trash state), not the usage
 * counters, which move on every read and would otherwise fail every If-Match and defeat every If-None-Match.
 */
function promptTag(p: { id: string; updatedAt: Date; deletedAt: Date | null }, commitId: string): string {
  return etagOf([p.id, p.updatedAt.toISOString(), commitId, p.deletedAt?.toISOString() ?? null]);
}

/** A prompt with the text of a ref. */
async function withContent(db: Db, actor: Actor, promptRef: string, ref?: string) {
  const prompt = await findPrompt(db, actor.workspaceId, promptRef);
  const commit = await resolveRef(db, prompt, ref);
  const content = commit.id === prompt.headCommitId ? prompt.headText : await readText(db, commit.id);
  return { prompt, commit, content };
}

export function promptRoutes(router: Router, deps: AppDeps): void {
  const { db } = deps;

  bind(router, deps, routes.listPrompts, async ({ actor, input }) => {
    const page = await listPrompts(db, actor, input.query);
    const folders = await folderMap(db, actor.workspaceId);
    return { items: page.items.map((p) => presentPrompt(p, folders)), nextCursor: page.nextCursor };
  });

  bind(router, deps, routes.createPrompt, async ({ actor, input }) => {
    const { prompt, commit } = await inTransaction(db, (tx) => createPrompt(tx, actor, input.body));
    return {
      ...(await presentOne(db, actor, prompt)),
      content: input.body.content,
      commit: presentCommit(commit),
      ref: prompt.defaultBranch,
    };
  });

  bind(router, deps, routes.getPrompt, async ({ actor, input, res }) => {
    const { prompt, commit, content } = await withContent(db, actor, input.params.prompt, input.query.ref);
    deps.usage.view(prompt.id);
    res.set('ETag', promptTag(prompt, commit.id));
    return {
      ...(await presentOne(db, actor, prompt)),
      content,
      commit: presentCommit(commit),
      ref: input.query.ref ?? prompt.defaultBranch,
    };
  });

  bind(router, deps, routes.updatePrompt, async ({ actor, input, req, res }) => {
    const prompt = await inTransaction(db, (tx) =>
      updatePrompt(tx, actor, input.params.prompt, input.body, (current) =>
        checkIfMatch(req, current.headCommitId ? promptTag(current, current.headCommitId) : etagOf(current.id)),
      ),
    );
    if (prompt.headCommitId) res.set('ETag', promptTag(prompt, prompt.headCommitId));
    return presentOne(db, actor, prompt);
  });

  bind(router, deps, routes.deletePrompt, async ({ actor, input }) => {
    await inTransaction(db, (tx) => deletePrompt(tx, actor, input.params.prompt));
  });

  bind(router, deps, routes.restorePrompt, async ({ actor, input }) =>
    presentOne(db, actor, await inTransaction(db, (tx) => restorePrompt(tx, actor, input.params.prompt))),
  );

  bind(router, deps, routes.listCommits, async ({ actor, input }) => {
    const page = await listHistory(db, actor, input.params.prompt, input.query);
    return { items: page.items.map(presentCommit), nextCursor: page.nextCursor };
  });

  bind(router, deps, routes.commit, async ({ actor, input }) => {
    const { fromDraft, content, parent, ...rest } = input.body;
    if (fromDraft) {
      requireWrite(actor, 'committing');
      const target = await findDraftTarget(db, actor, input.params.prompt, rest.branch);
      const commit = await deps.collab.commitDraft(target, { parent }, (draft) =>
        inTransaction(db, (tx) => commitDraftText(tx, actor, target, { ...draft, message: rest.message })),
      );
      return presentCommit(commit);
    }
    // The contract requires both unless fromDraft.
    if (content === undefined || parent === undefined) fail('validation_failed', 'content and parent are required');
    return presentCommit(await inTransaction(db, (tx) => commitOnBranch(tx, actor, input.params.prompt, { ...rest, content, parent })));
  });

  bind(router, deps, routes.getCommit, async ({ actor, input }) => {
    const { commit, content } = await withContent(db, actor, input.params.prompt, input.params.ref);
    return { ...presentCommit(commit), content };
  });

  bind(router, deps, routes.listBranches, async ({ actor, input }) => ({
    items: (await listBranches(db, actor, input.params.prompt)).map(presentBranch),
  }));

  bind(router, deps, routes.createBranch, async ({ actor, input }) => {
    return presentBranch(await inTransaction(db, (tx) => createBranch(tx, actor, input.params.prompt, input.body)));
  });

  bind(router, deps, routes.renameBranch, async ({ actor, input }) => {
    return presentBranch(
      await inTransaction(db, (tx) => renameBranch(tx, actor, input.params.prompt, input.params.name, input.body.name)),
    );
  });

  bind(router, deps, routes.deleteBranch, async ({ actor, input }) => {
    await inTransaction(db, (tx) => deleteBranch(tx, actor, input.params.prompt, input.params.name));
  });

  bind(router, deps, routes.listTags, async ({ actor, input }) => ({
    items: (await listTags(db, actor, input.params.prompt)).map(presentTag),
  }));

  bind(router, deps, routes.createTag, async ({ actor, input }) => {
    return presentTag(await inTransaction(db, (tx) => createTag(tx, actor, input.params.prompt, input.body)));
  });

  bind(router, deps, routes.deleteTag, async ({ actor, input }) => {
    await inTransaction(db, (tx) => deleteTag(tx, actor, input.params.prompt, input.params.name));
  });

  bind(router, deps, routes.diff, async ({ actor, input }) => {
    const d = await diffRefs(db, actor, input.params.prompt, input.query);
    return { ...d, from: presentCommit(d.from), to: presentCommit(d.to) };
  });

  bind(router, deps, routes.merge, async ({ actor, input }) => {
    const m = await inTransaction(db, (tx) => mergeBranches(tx, actor, input.params.prompt, input.body));
    return { result: m.result, commit: presentCommit(m.commit) };
  });

  bind(router, deps, routes.revert, async ({ actor, input }) =>
    presentCommit(await inTransaction(db, (tx) => revertTo(tx, actor, input.params.prompt, input.body))),
  );

  bind(router, deps, routes.render, async ({ actor, input }) => {
    const { prompt, commit, content } = await withContent(db, actor, input.params.prompt, input.body.ref);
    const rendered = renderPrompt(content, input.body.values, { strict: input.body.strict ?? true });
    deps.usage.render(prompt.id);
    return {
      text: rendered.text,
      commit: presentCommit(commit),
      ref: input.body.ref ?? prompt.defaultBranch,
      used: rendered.used,
      defaulted: rendered.defaulted,
    };
  });

  bind(router, deps, routes.exportPromptFile, async ({ actor, input, res }) => {
    const { prompt, content } = await withContent(db, actor, input.params.prompt, input.query.ref);
    const parsed = parsePrompt(content);
    const description = parsed.frontMatter.description ?? (prompt.description || undefined);
    res.attachment(`${prompt.slug}.prompt.md`);
    if (description === parsed.frontMatter.description) return content;
    const { variables, extra, ...rest } = parsed.frontMatter;
    return serializePrompt({ ...rest, ...extra, description, ...(Object.keys(variables).length ? { variables } : {}) }, parsed.body);
  });

  bind(router, deps, routes.reportRenders, async ({ actor, input }) => countRenders(db, deps.usage, actor, input.body.renders));

  bind(router, deps, routes.topPrompts, async ({ actor, input }) => {
    await deps.usage.flush();
    const rows = await topPrompts(db, actor.workspaceId, input.query.by, input.query.limit);
    const folders = await folderMap(db, actor.workspaceId);
    return { items: rows.map((p) => presentPrompt(p, folders)) };
  });
}

export function importExportRoutes(router: Router, deps: AppDeps): void {
  // An import body may be 60 MB of JSON: it is parsed and checked off the event loop, and only then written.
  bindStreamedBody(router, deps, routes.importPrompts, async ({ actor, body }) => {
    requireWrite(actor, 'importing');
    return importPrompts(deps.db, actor, await readImportOffLoop(body.chunks));
  });
  bind(router, deps, routes.exportWorkspace, async ({ actor, input }) =>
    exportWorkspace(deps.db, actor, input.query.folder),
  );
}
