import { Seq } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import { fail, notFound } from '../errors.js';
import { listFolders, type FolderWithPath } from '../folders/folders.js';
import { commitColumns, type CommitRow } from './store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export type PromptRow = NonNullable<Awaited<ReturnType<Db['prompt']['findFirst']>>>;

/** `folder/sub/slug`, or the bare slug at the root. */
export function promptPath(prompt: { slug: string; folderId: string | null }, folders: Map<string, { path: string }>) {
  const folder = prompt.folderId ? folders.get(prompt.folderId) : undefined;
  return folder ? `${folder.path}/${prompt.slug}` : prompt.slug;
}

export async function folderMap(db: Db | Tx, workspaceId: string): Promise<Map<string, FolderWithPath>> {
  return new Map((await listFolders(db, workspaceId)).map((f) => [f.id, f]));
}

/**
 * Finds a prompt of the workspace by id or by path (`folder/sub/slug`). Deleted prompts are found only when asked
 * for: everywhere else they behave as missing.
 */
export async function findPrompt(
  db: Db | Tx,
  workspaceId: string,
  ref: string,
  opts: { deleted?: 'exclude' | 'include' | 'only'; lock?: boolean } = {},
): Promise<PromptRow> {
  const deleted = opts.deleted ?? 'exclude';
  const deletedFilter = deleted === 'exclude' ? { deletedAt: null } : deleted === 'only' ? { deletedAt: { not: null } } : {};
  let prompt: PromptRow | null = null;
  if (isUuid(ref)) {
    prompt = await db.prompt.findFirst({ where: { id: ref, workspaceId, ...deletedFilter } });
  } else {
    const parts = ref.split('/');
    const slug = parts.pop() ?? '';
    const folderPath = parts.join('/');
    let folderId: string | null = null;
    if (folderPath) {
      const folder = (await listFolders(db, workspaceId)).find((f) => f.path === folderPath);
      if (!folder) notFound('prompt');
      folderId = folder.id;
    }
    prompt = await db.prompt.findFirst({
      where: { workspaceId, folderId, slug, ...deletedFilter },
      orderBy: { deletedAt: { sort: 'desc', nulls: 'first' } },
    });
  }
  if (!prompt) notFound('prompt');
  if (opts.lock) {
    // Row lock: commits, merges and metadata changes of one prompt run one at a time.
    await (db as Tx).$executeRaw`SELECT 1 FROM prompt WHERE id = ${prompt.id}::uuid FOR UPDATE`;
    // Read again under the lock with the same filter: a delete (or restore) that committed while this waited
    // decides, so nothing is committed, tagged or branched on a prompt that is already in the trash.
    prompt = (await db.prompt.findFirst({ where: { id: prompt.id, workspaceId, ...deletedFilter } })) ?? notFound('prompt');
  }
  return prompt;
}

/** Resolves a ref of a prompt in DESIGN.md's order: commit id, `#seq`, tag, branch. */
export async function resolveRef(db: Db | Tx, prompt: { id: string; defaultBranch: string }, ref?: string): Promise<CommitRow> {
  const name = ref ?? prompt.defaultBranch;
  if (isUuid(name)) {
    const commit = await db.commit.findFirst({ where: { id: name, promptId: prompt.id }, select: commitColumns });
    if (commit) return commit;
  }
  const digits = /^#(\d+)$/.exec(name)?.[1];
  if (digits !== undefined) {
    // A number past the seq column's range names no commit (and must not reach SQL); tag names never start with #.
    const seq = Seq.safeParse(Number(digits));
    const commit = seq.success ? await db.commit.findFirst({ where: { promptId: prompt.id, seq: seq.data }, select: commitColumns }) : null;
    if (commit) return commit;
    fail('ref_not_found', `this prompt has no commit ${name}`);
  }
  const tag = await db.tag.findFirst({ where: { promptId: prompt.id, name } });
  const branch = tag ? null : await db.branch.findFirst({ where: { promptId: prompt.id, name } });
  const commitId = tag?.commitId ?? branch?.headId;
  if (!commitId) fail('ref_not_found', `"${name}" is not a commit, tag or branch of this prompt`);
  return (await db.commit.findUnique({ where: { id: commitId }, select: commitColumns })) ?? notFound('commit');
}

export async function findBranch(db: Db | Tx, promptId: string, name: string, lock = false) {
  if (lock) {
    await (db as Tx).$executeRaw`SELECT 1 FROM branch WHERE prompt_id = ${promptId}::uuid AND name = ${name} FOR UPDATE`;
  }
  const branch = await db.branch.findFirst({ where: { promptId, name } });
  return branch ?? fail('ref_not_found', `this prompt has no branch "${name}"`);
}
