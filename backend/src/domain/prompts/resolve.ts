import { Seq } from '@rocqet/sdk';
import pg from 'pg';
import type { Db, Tx } from '../../db/prisma.js';
import { fail, notFound } from '../errors.js';
import { listFolders, type FolderWithPath } from '../folders/folders.js';
import { sqlRows, type Queryable } from '../../db/sql.js';
import type { CommitRow } from './store.js';

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

export async function folderMap(db: Queryable, workspaceId: string): Promise<Map<string, FolderWithPath>> {
  return new Map((await listFolders(db, workspaceId)).map((f) => [f.id, f]));
}

const PROMPT_SELECT = `
  SELECT id::text AS id, workspace_id::text AS "workspaceId", folder_id::text AS "folderId", slug, title, description, tags,
         default_branch AS "defaultBranch", head_text AS "headText", head_commit_id::text AS "headCommitId",
         next_seq AS "nextSeq", view_count::text AS "viewCount", render_count::text AS "renderCount",
         created_by_id::text AS "createdById", created_at AS "createdAt", updated_at AS "updatedAt",
         deleted_at AS "deletedAt", origin_id::text AS "originId", embedding_model AS "embeddingModel",
         embedded_hash AS "embeddedHash"
    FROM prompt`;
const LIVE_BY_ID = `${PROMPT_SELECT} WHERE id = $1::uuid AND workspace_id = $2::uuid AND deleted_at IS NULL`;
const LIVE_AT_ROOT = `${PROMPT_SELECT} WHERE workspace_id = $1::uuid AND folder_id IS NULL AND slug = $2 AND deleted_at IS NULL`;
const LIVE_IN_FOLDER = `${PROMPT_SELECT} WHERE workspace_id = $1::uuid AND folder_id = $2::uuid AND slug = $3 AND deleted_at IS NULL`;

type RawPrompt = Omit<PromptRow, 'viewCount' | 'renderCount' | 'embeddedHash'> & {
  viewCount: string;
  renderCount: string;
  embeddedHash: Uint8Array | null;
};

function promptOf(row: RawPrompt | undefined): PromptRow | undefined {
  return row && { ...row, viewCount: BigInt(row.viewCount), renderCount: BigInt(row.renderCount), embeddedHash: row.embeddedHash && new Uint8Array(row.embeddedHash) };
}

/**
 * A live prompt by id or path, read straight from the pool: what a run or another hot read finds before anything else,
 * so its cost is latency (the ORM's findFirst took 2.5 ms of a run's 5.5 ms before its provider request; bench runs).
 * The same rows as findPrompt's, field for field.
 */
async function findLivePrompt(pool: pg.Pool, workspaceId: string, ref: string, folders?: FolderWithPath[]): Promise<PromptRow> {
  let row: RawPrompt | undefined;
  if (isUuid(ref)) {
    row = (await sqlRows<RawPrompt>(pool, LIVE_BY_ID, [ref, workspaceId]))[0];
  } else {
    const { folderPath, slug } = splitPromptPath(ref);
    if (!folderPath) {
      row = (await sqlRows<RawPrompt>(pool, LIVE_AT_ROOT, [workspaceId, slug]))[0];
    } else {
      const folder = (folders ?? (await listFolders(pool, workspaceId))).find((f) => f.path === folderPath) ?? notFound('prompt');
      row = (await sqlRows<RawPrompt>(pool, LIVE_IN_FOLDER, [workspaceId, folder.id, slug]))[0];
    }
  }
  return promptOf(row) ?? notFound('prompt');
}

/** `folder/sub/slug` as its folder's path ('' at the root) and the slug. */
function splitPromptPath(ref: string): { folderPath: string; slug: string } {
  const parts = ref.split('/');
  const slug = parts.pop() ?? '';
  return { folderPath: parts.join('/'), slug };
}

/**
 * Finds a prompt of the workspace by id or by path (`folder/sub/slug`). Deleted prompts are found only when asked
 * for: everywhere else they behave as missing.
 */
export async function findPrompt(
  db: Db | Tx | pg.Pool,
  workspaceId: string,
  ref: string,
  opts: { deleted?: 'exclude' | 'include' | 'only'; lock?: boolean } = {},
): Promise<PromptRow> {
  const deleted = opts.deleted ?? 'exclude';
  if (db instanceof pg.Pool) {
    // The pool has no transaction to lock in, and serves the hot reads: live prompts only.
    if (opts.lock || deleted !== 'exclude') throw new Error('findPrompt on the pool reads live prompts without a lock');
    return findLivePrompt(db, workspaceId, ref);
  }
  const deletedFilter = deleted === 'exclude' ? { deletedAt: null } : deleted === 'only' ? { deletedAt: { not: null } } : {};
  let prompt: PromptRow | null = null;
  if (opts.lock && isUuid(ref)) {
    // By id, the lock comes first and one read under it decides (a commit's path: one statement fewer).
    await (db as Tx).$executeRaw`SELECT 1 FROM prompt WHERE id = ${ref}::uuid AND workspace_id = ${workspaceId}::uuid FOR UPDATE`;
    return (await db.prompt.findFirst({ where: { id: ref, workspaceId, ...deletedFilter } })) ?? notFound('prompt');
  }
  if (isUuid(ref)) {
    prompt = await db.prompt.findFirst({ where: { id: ref, workspaceId, ...deletedFilter } });
  } else {
    const { folderPath, slug } = splitPromptPath(ref);
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

const COMMIT_SELECT = `
  SELECT c.id::text AS id, c.workspace_id::text AS "workspaceId", c.prompt_id::text AS "promptId", c.seq,
         c.parent_id::text AS "parentId", c.merge_parent_id::text AS "mergeParentId", c.message,
         c.author_id::text AS "authorId", c.author_name AS "authorName", c.token_id::text AS "tokenId",
         c.created_at AS "createdAt", c.content_hash AS "contentHash", c.size, c.kind, c.chain_length AS "chainLength"
    FROM prompt_commit c`;

/** A tag wins over a branch of the same name: both looked up in the statement that reads the commit. */
const BY_NAME = `${COMMIT_SELECT}
   WHERE c.id = coalesce((SELECT commit_id FROM tag WHERE prompt_id = $1::uuid AND name = $2),
                         (SELECT head_id FROM branch WHERE prompt_id = $1::uuid AND name = $2))`;
const BY_ID = `${COMMIT_SELECT} WHERE c.id = $2::uuid AND c.prompt_id = $1::uuid`;
const BY_SEQ = `${COMMIT_SELECT} WHERE c.prompt_id = $1::uuid AND c.seq = $2`;

/** pg hands bytea back as a Buffer, Prisma's raw queries as a Uint8Array: one shape for callers. */
function commitOf(row: CommitRow | undefined): CommitRow | undefined {
  return row && { ...row, createdAt: new Date(row.createdAt), contentHash: new Uint8Array(row.contentHash) };
}

/**
 * Resolves a ref of a prompt in DESIGN.md's order: commit id, `#seq`, tag, branch. Each form is one statement (a
 * run reads its ref before the first token, so a round trip here is latency): on the pool for hot reads, on the
 * transaction inside mutations.
 */
export async function resolveRef(db: Queryable, prompt: { id: string; defaultBranch: string }, ref?: string): Promise<CommitRow> {
  const name = ref ?? prompt.defaultBranch;
  if (isUuid(name)) {
    const commit = commitOf((await sqlRows<CommitRow>(db, BY_ID, [prompt.id, name]))[0]);
    if (commit) return commit;
  }
  const digits = /^#(\d+)$/.exec(name)?.[1];
  if (digits !== undefined) {
    // A number past the seq column's range names no commit (and must not reach SQL); tag names never start with #.
    const seq = Seq.safeParse(Number(digits));
    const commit = seq.success ? commitOf((await sqlRows<CommitRow>(db, BY_SEQ, [prompt.id, seq.data]))[0]) : undefined;
    if (commit) return commit;
    fail('ref_not_found', `this prompt has no commit ${name}`);
  }
  return commitOf((await sqlRows<CommitRow>(db, BY_NAME, [prompt.id, name]))[0]) ?? fail('ref_not_found', `"${name}" is not a commit, tag or branch of this prompt`);
}

/** A ref that names a tag or branch (not a commit id, not `#seq`): what a single statement can resolve by name. */
function isPlainName(ref: string): boolean {
  return !isUuid(ref) && !/^#\d+$/.test(ref);
}

const LIVE_AT_NAME = `
  SELECT p.*,
         (SELECT row_to_json(c) FROM (${COMMIT_SELECT}
            WHERE c.id = coalesce((SELECT commit_id FROM tag WHERE prompt_id = p.id::uuid AND name = coalesce($3, p."defaultBranch")),
                                  (SELECT head_id FROM branch WHERE prompt_id = p.id::uuid AND name = coalesce($3, p."defaultBranch")))) c) AS commit,
         (WITH RECURSIVE up(id, parent_id, path) AS (
            SELECT f.id, f.parent_id, f.name::text FROM folder f WHERE f.id = p."folderId"::uuid
            UNION ALL
            SELECT f.id, f.parent_id, f.name || '/' || up.path FROM folder f JOIN up ON f.id = up.parent_id)
          SELECT path FROM up WHERE parent_id IS NULL) AS "folderPath"
    FROM (${LIVE_BY_ID}) p`;

type RawCommit = Omit<CommitRow, 'contentHash'> & { contentHash: string };

/**
 * A live prompt, its path and the commit a ref names, as findPrompt, promptPath and resolveRef would find them. A
 * prompt named by id at a branch or tag (or its default branch) is one statement, not three: a run waits for these
 * before its provider request, so each round trip is time to first token. Other forms take the separate steps.
 */
export async function findPromptAtRef(
  pool: pg.Pool,
  workspaceId: string,
  promptRef: string,
  ref?: string,
): Promise<{ prompt: PromptRow; path: string; commit: CommitRow }> {
  if (!isUuid(promptRef) || (ref !== undefined && !isPlainName(ref))) {
    // A path needs the folders to find the prompt, and the path is then known: the folders are read once for both.
    const folders = isUuid(promptRef) ? undefined : await listFolders(pool, workspaceId);
    const [prompt, byId] = await Promise.all([
      findLivePrompt(pool, workspaceId, promptRef, folders),
      folders ? new Map(folders.map((f) => [f.id, f])) : folderMap(pool, workspaceId),
    ]);
    return { prompt, path: promptPath(prompt, byId), commit: await resolveRef(pool, prompt, ref) };
  }
  const [row] = await sqlRows<RawPrompt & { commit: RawCommit | null; folderPath: string | null }>(pool, LIVE_AT_NAME, [
    promptRef,
    workspaceId,
    ref ?? null,
  ]);
  if (!row) notFound('prompt');
  const { commit, folderPath, ...raw } = row;
  if (!commit) fail('ref_not_found', `"${ref ?? raw.defaultBranch}" is not a commit, tag or branch of this prompt`);
  const prompt = promptOf(raw)!;
  // row_to_json spells bytea as \x and hex digits.
  const contentHash = new Uint8Array(Buffer.from(commit.contentHash.slice(2), 'hex'));
  return {
    prompt,
    path: folderPath === null ? prompt.slug : `${folderPath}/${prompt.slug}`,
    commit: { ...commit, createdAt: new Date(commit.createdAt), contentHash },
  };
}

export type BranchRow = NonNullable<Awaited<ReturnType<Db['branch']['findFirst']>>>;

export async function findBranch(db: Db | Tx, promptId: string, name: string, lock = false): Promise<BranchRow> {
  // Locked, the row is read by the statement that locks it: one round trip on every commit's path.
  const branch = lock
    ? (
        await (db as Tx).$queryRaw<BranchRow[]>`
          SELECT id::text AS id, workspace_id::text AS "workspaceId", prompt_id::text AS "promptId", name,
                 head_id::text AS "headId", created_at AS "createdAt", updated_at AS "updatedAt"
            FROM branch WHERE prompt_id = ${promptId}::uuid AND name = ${name} FOR UPDATE`
      )[0]
    : await db.branch.findFirst({ where: { promptId, name } });
  return branch ?? fail('ref_not_found', `this prompt has no branch "${name}"`);
}
