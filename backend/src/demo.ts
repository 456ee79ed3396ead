import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Db } from './db/prisma.js';
import type { Actor } from './domain/actor.js';
import { importAwesomeCsv } from './domain/importing/awesome.js';
import { bootstrapWorkspace } from './domain/workspaces/workspaces.js';

export const DEMO_SLUG = 'demo';

/**
 * The demo workspace of `npm start`: created once with an owner whose admin token is returned (to be shown once),
 * then filled from the shared awesome-chatgpt-prompts CSV. The import is idempotent, so a start that was interrupted
 * half-way resumes where it stopped; a marker file records that it finished.
 */
export async function ensureDemo(
  db: Db,
  opts: { dataDir: string; sharedDataDir: string; logger: Logger; progress?: (done: number, total: number) => void },
): Promise<{ token?: string; imported?: { created: number; skipped: number; renamed: number }; note?: string }> {
  const marker = path.join(opts.dataDir, 'demo-imported');
  let token: string | undefined;
  let workspace = await db.workspace.findUnique({ where: { slug: DEMO_SLUG } });
  if (!workspace) {
    const created = await bootstrapWorkspace(db, {
      slug: DEMO_SLUG,
      name: 'Demo',
      type: 'team',
      plan: 'pro',
      owner: { email: 'demo@rocqet.local', name: 'Demo Owner' },
    });
    workspace = created.workspace;
    token = created.secret;
  }
  if (existsSync(marker)) return { ...(token ? { token } : {}) };
  const csv = path.join(opts.sharedDataDir, 'awesome-chatgpt-prompts.csv');
  if (!existsSync(csv)) {
    return { ...(token ? { token } : {}), note: `the demo starts empty: ${csv} was not found` };
  }
  const owner = await db.membership.findFirstOrThrow({
    where: { workspaceId: workspace.id, role: 'owner' },
    include: { user: true },
    orderBy: { createdAt: 'asc' },
  });
  const actor: Actor = {
    workspaceId: workspace.id,
    userId: owner.userId,
    membershipId: owner.id,
    tokenId: null,
    role: 'owner',
    scopes: ['read', 'write', 'admin'],
    email: owner.user.email,
    name: owner.user.name,
    userAgent: 'rocqet demo import',
  };
  const report = await importAwesomeCsv(db, actor, await readFile(csv, 'utf8'), {
    ...(opts.progress ? { onProgress: opts.progress } : {}),
  });
  for (const s of report.skipped) opts.logger.debug({ item: s.item, reason: s.reason }, 'demo import skipped a row');
  await writeFile(marker, new Date().toISOString() + '\n');
  return {
    ...(token ? { token } : {}),
    imported: { created: report.created, skipped: report.skipped.length, renamed: report.renamed.length },
  };
}
