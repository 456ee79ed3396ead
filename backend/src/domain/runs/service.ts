import type { Run, RunAttempt } from '@rocqet/sdk';
import type pg from 'pg';
import type { RunsConfig } from '../../config.js';
import type { Db } from '../../db/prisma.js';
import type { SecretBox } from '../../secrets/box.js';
import type { Actor } from '../actor.js';
import { CircuitBreaker } from './breaker.js';
import { executeRun, type ExecuteDeps } from './execute.js';
import { newRunId, recordRun } from './log.js';
import { prepareRun, type PreparedRun, type RunSpec } from './plan.js';

/** What the run use cases need: the database, the secret box, the settings and this process's circuit breaker. */
export interface RunsContext {
  db: Db;
  pool: pg.Pool;
  box: SecretBox | undefined;
  config: RunsConfig;
  breaker: CircuitBreaker;
  adapters?: ExecuteDeps['adapters'];
}

export function createRunsContext(db: Db, pool: pg.Pool, box: SecretBox | undefined, config: RunsConfig): RunsContext {
  return { db, pool, box, config, breaker: new CircuitBreaker({ failures: config.breakerFailures, cooldownMs: config.breakerCooldownMs }) };
}

export interface RunObserver {
  started?(info: { id: string; prepared: PreparedRun }): void;
  attempt?(attempt: RunAttempt): void;
  delta?(text: string): void;
}

export function prepare(ctx: RunsContext, actor: Actor, promptRef: string, spec: RunSpec): Promise<PreparedRun> {
  return prepareRun({ db: ctx.db, pool: ctx.pool, box: ctx.box, defaultMaxTokens: ctx.config.defaultMaxTokens }, actor, promptRef, spec);
}

/** Executes a prepared run along its chain and logs it (every outcome, cancellations included). */
export async function execute(
  ctx: RunsContext,
  actor: Actor,
  prepared: PreparedRun,
  opts: { stream: boolean; signal: AbortSignal; observer?: RunObserver; compareId?: string | null },
): Promise<Run> {
  const id = newRunId();
  const startedAt = new Date();
  opts.observer?.started?.({ id, prepared });
  const outcome = await executeRun(
    { ...ctx.config, breaker: ctx.breaker, ...(ctx.adapters ? { adapters: ctx.adapters } : {}) },
    prepared,
    opts.stream,
    opts.signal,
    { ...(opts.observer?.attempt ? { attempt: opts.observer.attempt } : {}), ...(opts.observer?.delta ? { delta: opts.observer.delta } : {}) },
  );
  return recordRun(ctx.db, actor, ctx.config.prices, prepared, outcome, { id, startedAt, compareId: opts.compareId ?? null });
}
