import { setTimeout as sleep } from 'node:timers/promises';
import type { ErrorClass, ProblemCode, RunAttempt, RunStatus, StopReason } from '@rocqet/sdk';
import { callAnthropic } from './adapters/anthropic.js';
import { callOpenAI } from './adapters/openai.js';
import { CircuitBreaker } from './breaker.js';
import type { PreparedRun } from './plan.js';
import type { ProviderAdapter, ProviderTarget, Usage } from './provider.js';
import { loadSdks } from './sdks.js';
import { classify, isProviderFault } from './taxonomy.js';

export interface ExecuteDeps {
  breaker: CircuitBreaker;
  maxRetries: number;
  maxRetryWaitMs: number;
  retryBackoffMs: number;
  timeoutMs: number;
  /** Replaceable in unit tests; the HTTP path uses the official SDKs. */
  adapters?: Partial<Record<ProviderTarget['kind'], ProviderAdapter>>;
}

export interface RunSink {
  attempt?(attempt: RunAttempt): void;
  delta?(text: string): void;
}

export interface RunResult {
  status: RunStatus;
  target: ProviderTarget | null;
  output: string;
  stopReason: StopReason | null;
  usage: Usage;
  ttftMs: number | null;
  totalMs: number;
  attempts: RunAttempt[];
  /** A problem code, or `cancelled`. */
  error: { code: ProblemCode | 'cancelled'; detail: string } | null;
}

const CANCELLED = { code: 'cancelled' as const, detail: 'the client disconnected; the provider request was aborted' };

const defaultAdapters: Record<ProviderTarget['kind'], ProviderAdapter> = {
  openai: callOpenAI,
  openai_compatible: callOpenAI,
  anthropic: callAnthropic,
};

/** How a run that got no answer is explained: the last give-up names the request's fault; else nobody could. */
const GIVE_UP_CODES: Partial<Record<ErrorClass, ProblemCode>> = {
  unknown_model: 'unknown_model',
  context_length: 'context_length_exceeded',
  auth: 'provider_rejected',
  permission: 'provider_rejected',
  bad_request: 'provider_rejected',
};

/**
 * Runs a prepared prompt along its chain. Each provider is tried unless its circuit is open; a rate limit is
 * retried on the same provider after its retry-after (at most `maxRetries` times), then the next provider is tried.
 * Failover happens only before the first token: once text has reached the caller, a failure ends the run as
 * `incomplete` with what arrived (a second model's answer spliced onto the first's would be neither). `signal`
 * aborts the provider request in flight (the caller went away); the run ends `cancelled`.
 */
export async function executeRun(deps: ExecuteDeps, run: PreparedRun, stream: boolean, signal: AbortSignal, sink: RunSink = {}): Promise<RunResult> {
  const adapters = { ...defaultAdapters, ...deps.adapters };
  const sdks = await loadSdks();
  const started = performance.now();
  const attempts: RunAttempt[] = [];
  const usage: Usage = { inputTokens: null, outputTokens: null, cachedInputTokens: null, cacheWriteTokens: null };
  let output = '';
  let ttftMs: number | null = null;
  let stopReason: StopReason | null = null;
  const elapsed = () => Math.round(performance.now() - started);
  const note = (a: RunAttempt) => {
    attempts.push(a);
    sink.attempt?.(a);
  };
  const result = (status: RunStatus, target: ProviderTarget | null, error: RunResult['error']): RunResult => ({
    status,
    target,
    output,
    stopReason,
    usage,
    ttftMs,
    totalMs: elapsed(),
    attempts,
    error,
  });

  for (const target of run.targets) {
    const key = CircuitBreaker.key(run.workspaceId, target.name);
    if (!deps.breaker.allow(key)) {
      note({
        provider: target.name,
        model: target.model,
        outcome: 'skipped',
        errorClass: 'circuit_open',
        httpStatus: null,
        message: `skipped after repeated failures; tried again in ${Math.ceil(deps.breaker.retryInMs(key) / 1000)} s`,
        requestId: null,
        retryAfterMs: null,
        latencyMs: 0,
      });
      continue;
    }
    for (let retries = 0; ; retries++) {
      const attemptStart = performance.now();
      let requestId: string | null = null;
      let gotText = false;
      try {
        signal.throwIfAborted();
        for await (const ev of adapters[target.kind](target, { system: run.system, user: run.user, parameters: run.parameters, stream }, { signal, timeoutMs: deps.timeoutMs })) {
          if (ev.type === 'delta') {
            if (!gotText) {
              gotText = true;
              ttftMs ??= elapsed();
            }
            output += ev.text;
            sink.delta?.(ev.text);
          } else if (ev.type === 'usage') Object.assign(usage, ev.usage);
          else if (ev.type === 'stop') stopReason = ev.reason;
          else requestId = ev.id;
        }
        deps.breaker.success(key);
        note({ provider: target.name, model: target.model, outcome: 'ok', errorClass: null, httpStatus: 200, message: null, requestId, retryAfterMs: null, latencyMs: Math.round(performance.now() - attemptStart) });
        return result('succeeded', target, null);
      } catch (err) {
        const latencyMs = Math.round(performance.now() - attemptStart);
        if (signal.aborted) {
          deps.breaker.release(key);
          note({ provider: target.name, model: target.model, outcome: 'cancelled', errorClass: 'cancelled', httpStatus: null, message: 'the client went away; the provider request was aborted', requestId, retryAfterMs: null, latencyMs });
          return result('cancelled', gotText ? target : null, CANCELLED);
        }
        const c = classify(err, { maxRetryWaitMs: deps.maxRetryWaitMs }, sdks);
        const fields = { provider: target.name, model: target.model, errorClass: c.errorClass, httpStatus: c.httpStatus, message: c.message, requestId: c.requestId ?? requestId, retryAfterMs: c.retryAfterMs, latencyMs };
        if (isProviderFault(c.errorClass)) deps.breaker.failure(key);
        else deps.breaker.release(key);
        if (gotText) {
          note({ ...fields, outcome: 'cut_off' });
          stopReason = null;
          return result('incomplete', target, { code: 'providers_unavailable', detail: `${target.name} failed after the first token: ${c.message}` });
        }
        if (c.action === 'retry' && retries < deps.maxRetries) {
          note({ ...fields, outcome: 'retried' });
          try {
            await sleep(c.retryAfterMs ?? deps.retryBackoffMs, undefined, { signal });
          } catch {
            return result('cancelled', null, CANCELLED);
          }
          continue;
        }
        if (c.action === 'give_up') {
          note({ ...fields, outcome: 'gave_up' });
          return result('failed', null, {
            code: GIVE_UP_CODES[c.errorClass] ?? 'provider_rejected',
            detail: `${target.name} (${target.model}) refused the request: ${c.message}`,
          });
        }
        note({ ...fields, outcome: 'failed_over' });
        break;
      }
    }
  }
  const tried = attempts.map((a) => `${a.provider}: ${a.errorClass ?? a.outcome}`).join('; ');
  return result('failed', null, { code: 'providers_unavailable', detail: `every provider failed (${tried})` });
}
