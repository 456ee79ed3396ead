import { randomUUID } from 'node:crypto';
import type { Run as RunDto, RunStatus } from '@rocqet/sdk';
import { inTransaction } from '../../db/transaction.js';
import type { Db } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { notFound } from '../errors.js';
import { decodeCursor, paginate, TimeIdKey } from '../pagination.js';
import { findPrompt, folderMap, promptPath } from '../prompts/resolve.js';
import type { RunResult } from './execute.js';
import type { PreparedRun } from './plan.js';
import { estimateCost, type PriceTable } from './prices.js';

export function newRunId(): string {
  return randomUUID();
}

type RunRow = NonNullable<Awaited<ReturnType<Db['run']['findFirst']>>> & {
  attempts: NonNullable<Awaited<ReturnType<Db['runAttempt']['findFirst']>>>[];
};

/**
 * Stores a finished run (whatever its status: the log keeps failures and cancellations too) with its attempts,
 * and one audit entry, in one transaction. Runs are audited once, at the end, so the feed hears each run once.
 */
export async function recordRun(
  db: Db,
  actor: Actor,
  prices: PriceTable,
  run: PreparedRun,
  outcome: RunResult,
  meta: { id: string; startedAt: Date; compareId?: string | null },
): Promise<RunDto> {
  const target = outcome.target;
  const costUsd = target ? estimateCost(prices, target.kind, target.model, outcome.usage) : null;
  const row = await inTransaction(db, async (tx) => {
    const created = await tx.run.create({
      data: {
        id: meta.id,
        workspaceId: run.workspaceId,
        promptId: run.prompt.id,
        commitId: run.commit.id,
        ref: run.ref,
        compareId: meta.compareId ?? null,
        variables: run.variables,
        parameters: run.parameters,
        systemText: run.system,
        userText: run.user,
        provider: target?.name ?? null,
        providerKind: target?.kind ?? null,
        model: target?.model ?? null,
        status: outcome.status,
        stopReason: outcome.stopReason,
        error: outcome.error ?? undefined,
        output: outcome.output,
        tokensIn: outcome.usage.inputTokens,
        tokensOut: outcome.usage.outputTokens,
        tokensCached: outcome.usage.cachedInputTokens,
        ttftMs: outcome.ttftMs,
        totalMs: outcome.totalMs,
        costUsd,
        priceAsOf: costUsd === null ? null : prices.asOf,
        createdBy: actor.userId,
        tokenId: actor.tokenId,
        startedAt: meta.startedAt,
        attempts: {
          create: outcome.attempts.map((a, n) => ({
            n,
            provider: a.provider,
            model: a.model,
            outcome: a.outcome,
            errorClass: a.errorClass,
            httpStatus: a.httpStatus,
            message: a.message?.slice(0, 2000) ?? null,
            requestId: a.requestId?.slice(0, 200) ?? null,
            retryAfterMs: a.retryAfterMs,
            latencyMs: a.latencyMs,
          })),
        },
      },
      include: { attempts: { orderBy: { n: 'asc' } } },
    });
    await recordAudit(tx, actor, {
      action: `run.${outcome.status}`,
      resourceType: 'run',
      resourceId: created.id,
      changes: {
        promptId: run.prompt.id,
        path: run.prompt.path,
        commitId: run.commit.id,
        ref: run.ref,
        provider: created.provider,
        model: created.model,
        tokensIn: created.tokensIn,
        tokensOut: created.tokensOut,
        costUsd,
        attempts: outcome.attempts.length,
        ...(meta.compareId ? { compareId: meta.compareId } : {}),
      },
    });
    return created;
  });
  return presentRun(row, { id: run.prompt.id, path: run.prompt.path }, run.commit.seq);
}

export function presentRun(r: RunRow, prompt: { id: string; path: string | null }, seq: number): RunDto {
  const error = r.error as { code?: unknown; detail?: unknown } | null;
  return {
    id: r.id,
    prompt,
    commit: { id: r.commitId, seq },
    ref: r.ref,
    compareId: r.compareId,
    variables: r.variables as RunDto['variables'],
    parameters: r.parameters as RunDto['parameters'],
    system: r.systemText,
    input: r.userText,
    provider: r.provider,
    providerKind: r.providerKind as RunDto['providerKind'],
    model: r.model,
    status: r.status as RunStatus,
    stopReason: r.stopReason as RunDto['stopReason'],
    error: error && typeof error.code === 'string' ? { code: error.code, detail: String(error.detail ?? '') } : null,
    output: r.output,
    usage: { inputTokens: r.tokensIn, outputTokens: r.tokensOut, cachedInputTokens: r.tokensCached },
    costUsd: r.costUsd === null ? null : Number(r.costUsd),
    priceAsOf: r.priceAsOf,
    ttftMs: r.ttftMs,
    totalMs: r.totalMs,
    attempts: r.attempts
      .sort((a, b) => a.n - b.n)
      .map((a) => ({
        provider: a.provider,
        model: a.model,
        outcome: a.outcome as RunDto['attempts'][number]['outcome'],
        errorClass: a.errorClass as RunDto['attempts'][number]['errorClass'],
        httpStatus: a.httpStatus,
        message: a.message,
        requestId: a.requestId,
        retryAfterMs: a.retryAfterMs,
        latencyMs: a.latencyMs,
      })),
    createdBy: r.createdBy,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.createdAt.toISOString(),
  };
}

/** Newest first: the key is (created_at, id) descending. */
export interface RunFilters {
  limit: number;
  cursor?: string | undefined;
  prompt?: string | undefined;
  status?: RunStatus | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  compareId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

async function presentRows(db: Db, workspaceId: string, rows: RunRow[]): Promise<RunDto[]> {
  if (!rows.length) return [];
  const folders = await folderMap(db, workspaceId);
  const promptIds = [...new Set(rows.map((r) => r.promptId))];
  const commitIds = [...new Set(rows.map((r) => r.commitId))];
  const [prompts, commits] = await Promise.all([
    db.prompt.findMany({ where: { id: { in: promptIds }, workspaceId }, select: { id: true, slug: true, folderId: true, deletedAt: true } }),
    db.commit.findMany({ where: { id: { in: commitIds } }, select: { id: true, seq: true } }),
  ]);
  const pathOf = new Map(prompts.map((p) => [p.id, p.deletedAt ? null : promptPath(p, folders)]));
  const seqOf = new Map(commits.map((c) => [c.id, c.seq]));
  return rows.map((r) => presentRun(r, { id: r.promptId, path: pathOf.get(r.promptId) ?? null }, seqOf.get(r.commitId) ?? 0));
}

export async function listRuns(db: Db, actor: Actor, f: RunFilters) {
  const after = decodeCursor(f.cursor, TimeIdKey);
  const promptId = f.prompt ? (await findPrompt(db, actor.workspaceId, f.prompt, { deleted: 'include' })).id : undefined;
  const rows = await db.run.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(promptId ? { promptId } : {}),
      ...(f.status ? { status: f.status } : {}),
      ...(f.provider ? { provider: f.provider } : {}),
      ...(f.model ? { model: f.model } : {}),
      ...(f.compareId ? { compareId: f.compareId } : {}),
      ...(f.since || f.until ? { createdAt: { ...(f.since ? { gte: new Date(f.since) } : {}), ...(f.until ? { lt: new Date(f.until) } : {}) } } : {}),
      ...(after
        ? { OR: [{ createdAt: { lt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { lt: after[1] } }] }
        : {}),
    },
    include: { attempts: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: f.limit + 1,
  });
  const page = paginate(rows, f.limit, (r) => [r.createdAt.toISOString(), r.id]);
  return { items: await presentRows(db, actor.workspaceId, page.items), nextCursor: page.nextCursor };
}

export async function getRun(db: Db, actor: Actor, id: string): Promise<RunDto> {
  const row = await db.run.findFirst({ where: { id, workspaceId: actor.workspaceId }, include: { attempts: true } });
  if (!row) notFound('run');
  return (await presentRows(db, actor.workspaceId, [row]))[0]!;
}
