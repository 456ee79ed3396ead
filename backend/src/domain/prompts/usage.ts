import { Prisma, type Db } from '../../db/prisma.js';
import type { Actor } from '../actor.js';

/**
 * Views and renders are counted in memory and written in one statement every few seconds, so reading a prompt never
 * waits on (or contends for) a row write. A crash loses at most one interval of counts.
 */
export class UsageCounter {
  #pending = new Map<string, { views: number; renders: number }>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Db, private readonly intervalMs = 5_000) {}

  start(): this {
    this.#timer ??= setInterval(() => void this.flush().catch(() => {}), this.intervalMs);
    this.#timer.unref();
    return this;
  }

  view(promptId: string): void {
    this.#bump(promptId).views++;
  }

  render(promptId: string, times = 1): void {
    this.#bump(promptId).renders += times;
  }

  #bump(promptId: string) {
    let entry = this.#pending.get(promptId);
    if (!entry) this.#pending.set(promptId, (entry = { views: 0, renders: 0 }));
    return entry;
  }

  /**
   * Writes what has been counted so far. Flushes of this process run one after another (the interval's and a
   * top-prompts read's), each with what was counted before it was called; a flush locks its rows in id order, so
   * flushes of several processes cannot deadlock on prompts they share.
   */
  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#write());
    this.#flushing = run.catch(() => {});
    return run;
  }

  async #write(): Promise<void> {
    if (!this.#pending.size) return;
    const batch = [...this.#pending].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#pending = new Map();
    const ids = batch.map(([id]) => id);
    const views = batch.map(([, c]) => c.views);
    const renders = batch.map(([, c]) => c.renders);
    try {
      await this.db.$transaction([
        this.db.$executeRaw`SELECT 1 FROM prompt WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
        this.db.$executeRaw`
          UPDATE prompt p SET view_count = p.view_count + u.views, render_count = p.render_count + u.renders
            FROM unnest(${ids}::uuid[], ${views}::int[], ${renders}::int[]) AS u(id, views, renders)
           WHERE p.id = u.id`,
      ]);
    } catch (err) {
      for (const [id, c] of batch) {
        const e = this.#bump(id);
        e.views += c.views;
        e.renders += c.renders;
      }
      throw err;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}

/**
 * Renders a client did itself, from a copy it keeps current through the feed (the MCP server), counted as if they
 * had been asked of the render endpoint. Like those, they are counters, not library changes: no audit entry, no feed
 * event. Only live prompts of the caller's workspace are counted; any other id (deleted, another workspace's, none)
 * is named back, counted nowhere, and is indistinguishable from the others.
 */
export async function countRenders(
  db: Db,
  usage: UsageCounter,
  actor: Actor,
  renders: { prompt: string; count: number }[],
): Promise<{ counted: number; unknown: string[] }> {
  const ids = renders.map((r) => r.prompt);
  const live = new Set(
    (await db.prompt.findMany({ where: { id: { in: ids }, workspaceId: actor.workspaceId, deletedAt: null }, select: { id: true } })).map(
      (p) => p.id,
    ),
  );
  let counted = 0;
  for (const r of renders) {
    if (!live.has(r.prompt)) continue;
    usage.render(r.prompt, r.count);
    counted += r.count;
  }
  return { counted, unknown: ids.filter((id) => !live.has(id)) };
}

export async function topPrompts(db: Db, workspaceId: string, by: 'views' | 'renders' | 'total', limit: number) {
  const score =
    by === 'views'
      ? Prisma.sql`view_count`
      : by === 'renders'
        ? Prisma.sql`render_count`
        : Prisma.sql`view_count + render_count`;
  const ids = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM prompt
     WHERE workspace_id = ${workspaceId}::uuid AND deleted_at IS NULL AND ${score} > 0
     ORDER BY ${score} DESC, id LIMIT ${limit}`;
  const rows = await db.prompt.findMany({ where: { id: { in: ids.map((r) => r.id) } } });
  const order = new Map(ids.map((r, i) => [r.id, i]));
  return rows.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}
