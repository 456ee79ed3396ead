import { readFileSync } from 'node:fs';
import type { Db } from '../../../src/db/prisma.js';
import { bootstrapWorkspace } from '../../../src/domain/workspaces/workspaces.js';
import { contentHash } from '../../../src/search/jobs.js';
import { embeddingText } from '../../../src/search/embedder/index.js';
import { vectorLiteral } from '../../../src/search/vectors.js';
import type { CsvPrompt } from './dataset.js';

/** A workspace and its owner, made directly in the database (no HTTP). */
export async function makeWorkspace(db: Db, slug: string): Promise<{ workspaceId: string; userId: string }> {
  const created = await bootstrapWorkspace(db, {
    slug,
    name: `Workspace ${slug}`,
    type: 'team',
    plan: 'pro',
    owner: { email: `owner+${slug}@example.com`, name: `Owner ${slug}` },
  });
  return { workspaceId: created.workspace.id, userId: created.user.id };
}

export function slugOf(title: string, row: number): string {
  const base = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return `${base || 'prompt'}-${row}`;
}

export interface InsertOptions {
  createdById?: string | null;
  folderId?: string | null;
  /** Vectors to store with the rows (as if embedded by `model`); without them the rows wait for the worker. */
  vectors?: (p: CsvPrompt) => Float32Array | undefined;
  model?: string;
  /** Add a search_job per prompt (what prompt writes do). Default: when no vector is given. */
  enqueue?: boolean;
  description?: (p: CsvPrompt) => string;
  updatedAt?: (p: CsvPrompt) => Date;
}

/**
 * Inserts CSV prompts straight into `prompt` (no commits: search reads title, description, tags and head_text only).
 * Returns the new ids in input order.
 */
export async function insertPrompts(db: Db, workspaceId: string, prompts: CsvPrompt[], opts: InsertOptions = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < prompts.length; i += 500) {
    const chunk = prompts.slice(i, i + 500);
    const vectors = chunk.map((p) => opts.vectors?.(p));
    const rows = await db.$queryRaw<{ id: string }[]>`
      INSERT INTO prompt (workspace_id, folder_id, slug, title, description, tags, head_text, created_by_id, updated_at,
                          embedding, embedding_model, embedded_hash)
      SELECT ${workspaceId}::uuid, ${opts.folderId ?? null}::uuid, r.slug, r.title, r.description,
             ARRAY(SELECT jsonb_array_elements_text(r.tags::jsonb)), r.body, ${opts.createdById ?? null}::uuid, r.updated_at,
             r.vec::vector, CASE WHEN r.vec IS NULL THEN NULL ELSE ${opts.model ?? null} END,
             CASE WHEN r.vec IS NULL THEN NULL ELSE decode(r.hash, 'hex') END
        FROM unnest(${chunk.map((p) => slugOf(p.title, p.row))}::text[], ${chunk.map((p) => p.title)}::text[],
                    ${chunk.map((p) => opts.description?.(p) ?? '')}::text[], ${chunk.map((p) => JSON.stringify(p.tags))}::text[],
                    ${chunk.map((p) => p.content)}::text[], ${chunk.map((p) => opts.updatedAt?.(p) ?? new Date())}::timestamptz[],
                    ${vectors.map((v) => (v ? vectorLiteral(v) : null))}::text[],
                    ${chunk.map((p) => contentHash(embeddingText({ title: p.title, description: opts.description?.(p) ?? '', body: p.content })).toString('hex'))}::text[])
             WITH ORDINALITY AS r(slug, title, description, tags, body, updated_at, vec, hash, n)
       ORDER BY r.n
      RETURNING id::text AS id`;
    ids.push(...rows.map((r) => r.id));
    const enqueue = opts.enqueue ?? !opts.vectors;
    if (enqueue) {
      await db.$executeRaw`INSERT INTO search_job (workspace_id, prompt_id)
                           SELECT ${workspaceId}::uuid, id FROM unnest(${rows.map((r) => r.id)}::uuid[]) AS id
                           ON CONFLICT (prompt_id) DO NOTHING`;
    }
  }
  return ids;
}

/** Vectors of awesome-chatgpt-prompts.csv rows computed earlier (file: {model, vectors: {row: number[]}}). */
export function loadVectorFile(file: string): { model: string; vectors: Map<number, Float32Array> } | null {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { model: string; vectors: Record<string, number[]> };
    return { model: data.model, vectors: new Map(Object.entries(data.vectors).map(([k, v]) => [Number(k), Float32Array.from(v)])) };
  } catch {
    return null;
  }
}
