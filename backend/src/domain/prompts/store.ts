import { LONE_SURROGATE } from '@rocqet/sdk';
import { Prisma, type Db, type Tx } from '../../db/prisma.js';
import { fail } from '../errors.js';
import { contentHash, decodeVersion, encodeVersionOffLoop } from '../versions/index.js';

export interface CommitRow {
  id: string;
  workspaceId: string;
  promptId: string;
  seq: number;
  parentId: string | null;
  mergeParentId: string | null;
  message: string;
  authorId: string | null;
  authorName: string;
  tokenId: string | null;
  createdAt: Date;
  contentHash: Uint8Array<ArrayBuffer>;
  size: number;
  kind: string;
  chainLength: number;
}

/** Commit columns without the payload, for listings. */
export const commitColumns = {
  id: true,
  workspaceId: true,
  promptId: true,
  seq: true,
  parentId: true,
  mergeParentId: true,
  message: true,
  authorId: true,
  authorName: true,
  tokenId: true,
  createdAt: true,
  contentHash: true,
  size: true,
  kind: true,
  chainLength: true,
} as const;

interface ChainRow {
  kind: string;
  payload: Buffer;
  content_hash: Buffer;
}

export class CorruptVersionError extends Error {}

/**
 * Reads a version's text: one query walks the first-parent chain back to its snapshot (at most MAX_CHAIN deltas),
 * the deltas are applied in order, and the result must hash to what was committed.
 */
export async function readVersion(db: Db | Tx, commitId: string): Promise<{ text: string; chainBytes: number }> {
  const rows = await db.$queryRaw<ChainRow[]>`
    WITH RECURSIVE chain AS (
      SELECT id, parent_id, kind, payload, content_hash, 0 AS depth FROM prompt_commit WHERE id = ${commitId}::uuid
      UNION ALL
      SELECT c.id, c.parent_id, c.kind, c.payload, c.content_hash, chain.depth + 1
        FROM prompt_commit c JOIN chain ON c.id = chain.parent_id
       WHERE chain.kind = 'delta'
    )
    SELECT kind, payload, content_hash FROM chain ORDER BY depth DESC`;
  const [snapshot, ...deltas] = rows;
  const wanted = rows[rows.length - 1];
  if (!snapshot || !wanted || snapshot.kind !== 'snapshot') {
    throw new CorruptVersionError(`version ${commitId} has no snapshot at the base of its chain`);
  }
  const text = decodeVersion(Buffer.from(snapshot.payload), deltas.map((d) => Buffer.from(d.payload)));
  if (!contentHash(text).equals(Buffer.from(wanted.content_hash))) {
    throw new CorruptVersionError(`version ${commitId} does not read back to its content hash`);
  }
  return { text, chainBytes: deltas.reduce((n, d) => n + d.payload.length, 0) };
}

export async function readText(db: Db | Tx, commitId: string): Promise<string> {
  return (await readVersion(db, commitId)).text;
}

export interface NewCommit {
  workspaceId: string;
  promptId: string;
  seq: number;
  text: string;
  message: string;
  parent: { id: string; text: string; chainLength: number; chainBytes: number } | null;
  mergeParentId?: string | null;
  author: { id: string | null; name: string; tokenId: string | null };
  createdAt?: Date;
  originId?: string | null;
}

/** Stores a commit as a delta against its first parent, or as a snapshot when the revlog policy says so. */
export async function writeCommit(tx: Tx, c: NewCommit): Promise<CommitRow> {
  // Every writer of versions (create, commit, merge, imports) comes through here: refuse what cannot be stored
  // byte for byte as the caller's mistake, not as a server error.
  if (LONE_SURROGATE.test(c.text)) fail('validation_failed', 'the text is not well-formed Unicode (it has a lone surrogate)');
  const stored = await encodeVersionOffLoop(
    c.text,
    c.parent ? { text: c.parent.text, chainLength: c.parent.chainLength, chainBytes: c.parent.chainBytes } : undefined,
  );
  return tx.commit.create({
    data: {
      workspaceId: c.workspaceId,
      promptId: c.promptId,
      seq: c.seq,
      parentId: c.parent?.id ?? null,
      mergeParentId: c.mergeParentId ?? null,
      message: c.message,
      authorId: c.author.id,
      authorName: c.author.name,
      tokenId: c.author.tokenId,
      ...(c.createdAt ? { createdAt: c.createdAt } : {}),
      contentHash: new Uint8Array(contentHash(c.text)),
      size: Buffer.byteLength(c.text, 'utf8'),
      kind: stored.kind,
      chainLength: stored.chainLength,
      payload: new Uint8Array(stored.payload),
      originId: c.originId ?? null,
    },
    select: commitColumns,
  });
}

/** What writeCommit needs to know of a parent commit. */
export async function parentState(db: Db | Tx, commit: { id: string; chainLength: number }) {
  const { text, chainBytes } = await readVersion(db, commit.id);
  return { id: commit.id, text, chainLength: commit.chainLength, chainBytes };
}

export { Prisma };
