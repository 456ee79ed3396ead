/**
 * `npm run bench -- versions`: replays every fabric history as commits into a fresh workspace, then reads every
 * version back. Storage is what PostgreSQL actually stores for the payloads (pg_column_size); the baseline reads the
 * same versions from a table of full copies, through the same client and connection pool, in the same run.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '../backend/src/db/migrate.js';
import { createPool } from '../backend/src/db/pool.js';
import { createPrisma } from '../backend/src/db/prisma.js';
import { inTransaction } from '../backend/src/db/transaction.js';
import type { Actor } from '../backend/src/domain/actor.js';
import { commitOnBranch } from '../backend/src/domain/prompts/commits.js';
import { createPrompt } from '../backend/src/domain/prompts/prompts.js';
import { readText } from '../backend/src/domain/prompts/store.js';
import { benchWorkspace, scratchDatabase } from './lib/database.js';
import { machine, today } from './lib/machine.js';

const dataFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data', 'fabric-pattern-histories.jsonl');

interface Line {
  name: string;
  versions: { date: string; message: string; content: string }[];
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 1000) / 1000;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export async function run(args: string[]): Promise<object> {
  const file = args[0] ?? dataFile;
  if (!existsSync(file)) throw new Error(`${file} is absent: the versions bench replays the fabric histories`);
  const histories = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  const scratch = await scratchDatabase('rocqet_bench_versions');
  const pool = createPool(scratch.url, { max: 4 });
  try {
    await migrate(pool);
    const db = createPrisma(pool);
    const ws = await benchWorkspace(db);
    const actor: Actor = {
      workspaceId: ws.workspace.id,
      userId: ws.user.id,
      membershipId: ws.membership.id,
      tokenId: ws.token.id,
      role: 'owner',
      scopes: ['read', 'write', 'admin'],
      email: ws.user.email,
      name: ws.user.name,
    };
    const versions: { id: string; text: string }[] = [];
    const commitMs: number[] = [];
    console.error(`replaying ${histories.length} histories …`);
    for (const h of histories) {
      const [first, ...rest] = h.versions;
      if (!first) continue;
      let t = process.hrtime.bigint();
      const created = await inTransaction(db, (tx) =>
        createPrompt(tx, actor, { title: h.name, content: first.content, message: first.message, createdAt: new Date(first.date) }),
      );
      commitMs.push(ms(t));
      versions.push({ id: created.commit.id, text: first.content });
      let parent = created.commit.id;
      for (const v of rest) {
        t = process.hrtime.bigint();
        const c = await inTransaction(db, (tx) =>
          commitOnBranch(tx, actor, created.prompt.id, { content: v.content, message: v.message || 'Update', parent, createdAt: new Date(v.date) }),
        );
        commitMs.push(ms(t));
        versions.push({ id: c.id, text: v.content });
        parent = c.id;
      }
    }
    await db.$executeRawUnsafe('CREATE TABLE bench_full_copy (id uuid PRIMARY KEY, content text NOT NULL)');
    for (const v of versions) await db.$executeRaw`INSERT INTO bench_full_copy VALUES (${v.id}::uuid, ${v.text})`;
    await db.$executeRawUnsafe('ANALYZE');

    const sizes = await db.$queryRaw<{ stored: bigint; copies: bigint; snapshots: bigint; max_chain: number }[]>`
      SELECT (SELECT sum(pg_column_size(payload)) FROM prompt_commit) AS stored,
             (SELECT sum(pg_column_size(content)) FROM bench_full_copy) AS copies,
             (SELECT count(*) FROM prompt_commit WHERE kind = 'snapshot') AS snapshots,
             (SELECT max(chain_length) FROM prompt_commit) AS max_chain`;
    const fullCopyBytes = versions.reduce((n, v) => n + Buffer.byteLength(v.text, 'utf8'), 0);
    const storedBytes = Number(sizes[0]!.stored);

    // Warm both paths, then alternate them so drift on a shared machine hits both alike.
    const readMs: number[] = [];
    const baseMs: number[] = [];
    let exact = true;
    for (let round = 0; round < 3; round++) {
      for (const v of versions) {
        let t = process.hrtime.bigint();
        const text = await readText(db, v.id);
        const a = ms(t);
        t = process.hrtime.bigint();
        const rows = await db.$queryRaw<{ content: string }[]>`SELECT content FROM bench_full_copy WHERE id = ${v.id}::uuid`;
        const b = ms(t);
        if (text !== v.text || rows[0]?.content !== v.text) exact = false;
        if (round > 0) {
          readMs.push(a);
          baseMs.push(b);
        }
      }
    }
    readMs.sort((x, y) => x - y);
    baseMs.sort((x, y) => x - y);
    commitMs.sort((x, y) => x - y);
    await db.$disconnect();
    return {
      bench: 'versions',
      date: today(),
      machine: machine(scratch.serverVersion),
      prompts: histories.length,
      versions: versions.length,
      exact,
      full_copy_bytes: fullCopyBytes,
      stored_bytes: storedBytes,
      storage_ratio: Math.round((storedBytes / fullCopyBytes) * 10_000) / 10_000,
      full_copy_stored_bytes: Number(sizes[0]!.copies),
      snapshots: Number(sizes[0]!.snapshots),
      max_chain: sizes[0]!.max_chain,
      read_p50_ms: percentile(readMs, 50),
      read_p99_ms: percentile(readMs, 99),
      baseline_read_p50_ms: percentile(baseMs, 50),
      baseline_read_p99_ms: percentile(baseMs, 99),
      commit_p50_ms: percentile(commitMs, 50),
      commit_p99_ms: percentile(commitMs, 99),
      reads_measured: readMs.length,
      git_gc_aggressive_ratio: 0.114,
    };
  } finally {
    await pool.end();
    await scratch.drop();
  }
}
