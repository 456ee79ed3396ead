import { randomUUID } from 'node:crypto';
import { routes, type Run } from '@rocqet/sdk';
import type { Request, Response, Router } from 'express';
import { inTransaction } from '../../db/transaction.js';
import { DomainError } from '../../domain/errors.js';
import { compareOutputs } from '../../domain/runs/compare.js';
import { deleteProviderKey, listProviderKeys, setProviderKey, type ProviderKeyRow } from '../../domain/runs/keys.js';
import { getRun, listRuns } from '../../domain/runs/log.js';
import type { PreparedRun } from '../../domain/runs/plan.js';
import { createRunsContext, execute, prepare, type RunObserver, type RunsContext } from '../../domain/runs/service.js';
import { monthOf, readRunSettings, spentThisMonth, updateRunSettings } from '../../domain/runs/settings.js';
import { bind } from '../bind.js';
import type { AppDeps } from '../context.js';
import { problemBody } from '../problem.js';
import { openSse } from '../sse.js';

function presentKey(k: ProviderKeyRow) {
  return {
    name: k.name,
    kind: k.kind as 'openai' | 'anthropic' | 'openai_compatible',
    baseUrl: k.baseUrl,
    maskedKey: k.maskedKey,
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    updatedAt: k.updatedAt.toISOString(),
  };
}

async function settingsOf(ctx: RunsContext, workspaceId: string) {
  const now = new Date();
  const s = await readRunSettings(ctx.db, workspaceId);
  return { ...s, spentThisMonthUsd: await spentThisMonth(ctx.db, workspaceId, now), month: monthOf(now) };
}

function wantsStream(req: Request, stream: boolean | undefined): boolean {
  return stream ?? /(^|,)\s*text\/event-stream/i.test(req.get('accept') ?? '');
}

/**
 * The request's lifetime as an AbortSignal: a client that goes away (its connection closes before the answer is
 * complete) aborts the provider request in flight, and the run is logged as cancelled.
 */
function clientGone(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}

interface EventStream {
  send(event: string, data: unknown): void;
  end(): void;
}

function openEventStream(req: Request, res: Response, heartbeatMs: number): EventStream {
  openSse(req, res);
  // A provider that takes its time before the first token must not look like a dead stream to proxies.
  const heartbeat = setInterval(() => {
    if (!res.destroyed) res.write(': ping\n\n');
  }, heartbeatMs);
  heartbeat.unref();
  res.on('close', () => clearInterval(heartbeat));
  return {
    send(event, data) {
      // A client that went away gets nothing more (its run is being logged as cancelled).
      if (!res.writableEnded && !res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      clearInterval(heartbeat);
      if (!res.writableEnded) res.end();
    },
  };
}

function startedEvent(id: string, p: PreparedRun, compareId: string | null) {
  return { id, prompt: p.prompt, commit: { id: p.commit.id, seq: p.commit.seq }, ref: p.ref, compareId };
}

function streamObserver(out: EventStream, side: number | undefined, compareId: string | null): RunObserver {
  const tag = side === undefined ? {} : { side };
  return {
    started: ({ id, prepared }) => out.send('run', { ...tag, ...startedEvent(id, prepared, compareId) }),
    attempt: (attempt) => out.send('attempt', { ...tag, ...attempt }),
    delta: (text) => out.send('delta', { ...tag, text }),
  };
}

/** A run that got no answer is answered as its problem, with the logged run (and its attempts) beside it. */
function failure(run: Run): DomainError {
  const code = run.error && run.error.code !== 'cancelled' ? run.error.code : 'providers_unavailable';
  return new DomainError(code as DomainError['code'], run.error?.detail ?? 'the run failed', { run });
}

export function runRoutes(router: Router, deps: AppDeps): void {
  const ctx = createRunsContext(deps.db, deps.pool, deps.config.secretBox, deps.config.runs);
  const heartbeatMs = deps.config.feed.heartbeatMs;

  bind(router, deps, routes.listProviderKeys, async ({ actor }) => ({
    items: (await listProviderKeys(deps.db, actor.workspaceId)).map(presentKey),
  }));
  bind(router, deps, routes.setProviderKey, async ({ actor, input }) =>
    presentKey(await inTransaction(deps.db, (tx) => setProviderKey(tx, ctx.box, actor, input.body.name, input.body))),
  );
  bind(router, deps, routes.deleteProviderKey, async ({ actor, input }) => {
    await inTransaction(deps.db, (tx) => deleteProviderKey(tx, actor, input.params.name));
  });
  bind(router, deps, routes.getRunSettings, async ({ actor }) => settingsOf(ctx, actor.workspaceId));
  bind(router, deps, routes.updateRunSettings, async ({ actor, input }) => {
    await inTransaction(deps.db, (tx) => updateRunSettings(tx, actor, input.body));
    return settingsOf(ctx, actor.workspaceId);
  });
  bind(router, deps, routes.listRuns, async ({ actor, input }) => listRuns(deps.db, actor, input.query));
  bind(router, deps, routes.getRun, async ({ actor, input }) => getRun(deps.db, actor, input.params.id));

  bind(router, deps, routes.runPrompt, async ({ actor, input, req, res }) => {
    const { ref, variables, input: userInput, model, chain, parameters, stream } = input.body;
    // Every refusal (validation, keys, budget) happens here, before anything is sent, stored or paid for.
    const prepared = await prepare(ctx, actor, input.params.prompt, { ref, variables, input: userInput, model, chain, parameters });
    const signal = clientGone(res);
    if (!wantsStream(req, stream)) {
      const run = await execute(ctx, actor, prepared, { stream: false, signal });
      if (run.status === 'cancelled') return void res.status(499).end();
      if (run.status === 'failed') throw failure(run);
      return run;
    }
    const out = openEventStream(req, res, heartbeatMs);
    try {
      const run = await execute(ctx, actor, prepared, { stream: true, signal, observer: streamObserver(out, undefined, null) });
      out.send('done', run);
    } catch (err) {
      out.send('error', problemBody('internal', 'the run could not be completed; it has been logged'));
      deps.logger.error({ err }, 'run stream failed');
    } finally {
      out.end();
    }
  });

  bind(router, deps, routes.compareRuns, async ({ actor, input, req, res }) => {
    const { sides, variables, input: userInput, chain, parameters, stream } = input.body;
    const prepared: PreparedRun[] = [];
    for (const side of sides) {
      prepared.push(await prepare(ctx, actor, input.params.prompt, { ref: side.ref, model: side.model, variables, input: userInput, chain, parameters }));
    }
    const compareId = randomUUID();
    const signal = clientGone(res);
    const streaming = wantsStream(req, stream);
    const out = streaming ? openEventStream(req, res, heartbeatMs) : undefined;
    try {
      const runs = await Promise.all(
        prepared.map(async (p, side) => {
          const run = await execute(ctx, actor, p, {
            stream: streaming,
            signal,
            compareId,
            ...(out ? { observer: streamObserver(out, side, compareId) } : {}),
          });
          out?.send('done', { side, ...run });
          return run;
        }),
      );
      const result = compareOutputs(compareId, runs);
      if (!out) {
        if (signal.aborted) return void res.status(499).end();
        return result;
      }
      out.send('compare', result);
    } catch (err) {
      if (!out) throw err;
      out.send('error', problemBody('internal', 'the comparison could not be completed; it has been logged'));
      deps.logger.error({ err }, 'compare stream failed');
    } finally {
      out?.end();
    }
    return undefined;
  });
}
