import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db, Tx } from './db/prisma.js';
import { inTransaction } from './db/transaction.js';
import type { Actor } from './domain/actor.js';
import { importAwesomeCsv } from './domain/importing/awesome.js';
import { bootstrapWorkspaceIn } from './domain/workspaces/workspaces.js';

export const DEMO_SLUG = 'demo';

/** The instance_setting row where `npm start` records how far the demo got: a fact about the database it lives in. */
const SETTING = 'demo';

const DemoState = z.object({
  state: z.enum(['importing', 'imported']),
  workspaceId: z.string(),
  since: z.string(),
});
type DemoState = z.infer<typeof DemoState>;

export interface DemoStart {
  workspaceId: string;
  /** The new owner's admin token, when this start created the workspace (to be shown once, before anything else). */
  token?: string;
  /** The import still has to run: a first start, or one that an earlier start began and did not finish. */
  importPending: boolean;
  /** An earlier start began the import and stopped before it finished (crash, Ctrl-C, a failure). */
  resuming: boolean;
}

async function writeState(tx: Tx | Db, state: DemoState['state'], workspaceId: string) {
  const value = { state, workspaceId, since: new Date().toISOString() } satisfies DemoState;
  await tx.instanceSetting.upsert({
    where: { key: SETTING },
    create: { key: SETTING, value },
    update: { value, updatedAt: new Date() },
  });
}

/**
 * The demo workspace of `npm start`: created once, with an owner whose admin token is returned. The workspace and
 * the record that its import is under way are written in one transaction, so there is never a workspace the
 * database does not know the state of. A workspace from before that record existed is treated as not yet imported:
 * the import is idempotent, so finishing it again creates only what is missing.
 */
export async function prepareDemo(db: Db): Promise<DemoStart> {
  return inTransaction(db, async (tx) => {
    // Two processes starting on one fresh database: the second waits, then finds the workspace.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('rocqet:demo', 0))`;
    const row = await tx.instanceSetting.findUnique({ where: { key: SETTING } });
    const recorded = row ? DemoState.safeParse(row.value) : undefined;
    const workspace = await tx.workspace.findUnique({ where: { slug: DEMO_SLUG } });
    if (!workspace) {
      const created = await bootstrapWorkspaceIn(tx, {
        slug: DEMO_SLUG,
        name: 'Demo',
        type: 'team',
        plan: 'pro',
        owner: { email: 'demo@rocqet.local', name: 'Demo Owner' },
      });
      await writeState(tx, 'importing', created.workspace.id);
      return { workspaceId: created.workspace.id, token: created.secret, importPending: true, resuming: false };
    }
    const state = recorded?.success && recorded.data.workspaceId === workspace.id ? recorded.data.state : undefined;
    if (state === 'imported') return { workspaceId: workspace.id, importPending: false, resuming: false };
    if (!state) await writeState(tx, 'importing', workspace.id);
    return { workspaceId: workspace.id, importPending: true, resuming: true };
  });
}

export interface DemoImport {
  imported?: { created: number; skipped: number; renamed: number };
  note?: string;
}

/**
 * Fills the demo workspace from the shared awesome-chatgpt-prompts CSV and records that it is done. An import that
 * stops half-way (the process dies, or this throws) writes nothing (one transaction) and leaves the record at
 * "importing"; the next start runs it again, creating only what is missing.
 */
export async function importDemo(
  db: Db,
  start: DemoStart,
  opts: { sharedDataDir: string; logger: Logger; progress?: (done: number, total: number) => void },
): Promise<DemoImport> {
  if (!start.importPending) return {};
  const csv = path.join(opts.sharedDataDir, 'awesome-chatgpt-prompts.csv');
  // Left at "importing": a later start with the file in place fills the demo then.
  if (!existsSync(csv)) return { note: `the demo starts empty: ${csv} was not found` };
  const owner = await db.membership.findFirstOrThrow({
    where: { workspaceId: start.workspaceId, role: 'owner' },
    include: { user: true },
    orderBy: { createdAt: 'asc' },
  });
  const actor: Actor = {
    workspaceId: start.workspaceId,
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
  await writeState(db, 'imported', start.workspaceId);
  return { imported: { created: report.created, skipped: report.skipped.length, renamed: report.renamed.length } };
}
