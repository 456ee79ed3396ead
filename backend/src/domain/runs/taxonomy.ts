import type { ErrorClass } from '@rocqet/sdk';
import type { Sdks } from './sdks.js';

/** What to do after a failed provider call. */
export type ErrorAction = 'retry' | 'failover' | 'give_up';

export interface ClassifiedError {
  errorClass: ErrorClass;
  action: ErrorAction;
  httpStatus: number | null;
  message: string;
  requestId: string | null;
  /** What the provider asked us to wait (retry-after-ms, else retry-after), when it said. */
  retryAfterMs: number | null;
}

export interface TaxonomyOptions {
  /** A rate limit is waited out only when the provider asks for at most this long; past it, fail over. */
  maxRetryWaitMs: number;
}

/** The parts of an SDK error the taxonomy reads; both official SDKs (Stainless) shape their errors this way. */
interface ApiErrorLike {
  status?: number | undefined;
  headers?: Headers | undefined;
  error?: unknown;
  type?: unknown;
  code?: unknown;
  errorCode?: unknown;
  requestID?: unknown;
  message: string;
}

function isApiError(err: unknown, { OpenAI, Anthropic }: Sdks): err is ApiErrorLike {
  return err instanceof OpenAI.APIError || err instanceof Anthropic.APIError;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

/** `retry-after-ms` (milliseconds), else `retry-after` (seconds or an HTTP date), as the SDKs themselves read them. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | null {
  if (!headers) return null;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const QUOTA = /insufficient_quota|quota|spend[_ ]?limit|billing|credit[_ ]balance|credits?/i;
const CONTEXT = /context[_ ]length|context window|maximum context|prompt is too long|too many tokens|exceeds? the (model'?s )?(maximum|context)/i;

/**
 * The one error taxonomy: from an error of either official SDK (HTTP status, error type and code, body message,
 * headers) decide retry (the same provider, after its retry-after), failover (the next provider in the chain), or
 * give up (the request itself is at fault: another provider would refuse it too, or it would cost twice).
 *
 * 429 is two different things: a rate limit passes (retry after retry-after, then fail over), an exhausted quota or
 * spend limit does not (fail over at once, never retry). Anthropic's 529 overloaded, 5xx, timeouts and connection
 * failures fail over. 400/401/403/404 and context length give up. Errors that arrive inside a 200 stream (no status)
 * are classified by their type the same way.
 */
export function classify(err: unknown, opts: TaxonomyOptions, sdks: Sdks): ClassifiedError {
  const { OpenAI, Anthropic } = sdks;
  const base = { httpStatus: null, requestId: null, retryAfterMs: null };
  if (err instanceof OpenAI.APIUserAbortError || err instanceof Anthropic.APIUserAbortError) {
    return { ...base, errorClass: 'cancelled', action: 'give_up', message: 'cancelled' };
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError || err instanceof Anthropic.APIConnectionTimeoutError) {
    return { ...base, errorClass: 'timeout', action: 'failover', message: err.message };
  }
  if (err instanceof OpenAI.APIConnectionError || err instanceof Anthropic.APIConnectionError) {
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return { ...base, errorClass: 'connection', action: 'failover', message: `${err.message}${detail}` };
  }
  if (!isApiError(err, sdks)) {
    // Malformed stream data and the like: the provider is at fault, another one may do.
    return { ...base, errorClass: 'stream_error', action: 'failover', message: err instanceof Error ? err.message : String(err) };
  }
  const body = rec(err.error);
  // OpenAI hands over the body's `error` object; Anthropic the whole body ({type: "error", error: {...}}).
  const inner = body.type === 'error' ? rec(body.error) : body;
  const type = str(err.type) ?? str(inner.type) ?? '';
  const code = str(err.code) ?? str(err.errorCode) ?? str(inner.code) ?? str(rec(inner.details).error_code) ?? '';
  const message = str(inner.message) ?? err.message;
  const status = typeof err.status === 'number' ? err.status : null;
  const requestId = str(err.requestID) ?? err.headers?.get('request-id') ?? err.headers?.get('x-request-id') ?? null;
  const wait = retryAfterMs(err.headers);
  const out = (errorClass: ErrorClass, action: ErrorAction): ClassifiedError => ({
    errorClass,
    action,
    httpStatus: status,
    message,
    requestId,
    retryAfterMs: wait,
  });

  const tagged = `${type} ${code}`;
  // Out of money is the account's state, not the request's fault: another provider can still answer.
  if (status === 402 || /billing_error|insufficient_quota/.test(tagged) || (status === 400 && /credit balance|billing/i.test(message))) {
    return out('quota_exhausted', 'failover');
  }
  if (status === 429 || /rate_limit/.test(tagged)) {
    if (QUOTA.test(tagged) || QUOTA.test(message)) return out('quota_exhausted', 'failover');
    const shouldRetry = err.headers?.get('x-should-retry');
    if (shouldRetry === 'false') return out('rate_limited', 'failover');
    if (wait !== null && wait > opts.maxRetryWaitMs) return out('rate_limited', 'failover');
    return out('rate_limited', 'retry');
  }
  if (status === 529 || /overloaded/.test(tagged)) return out('overloaded', 'failover');
  if (status === 408 || /timeout/.test(tagged)) return out('timeout', 'failover');
  if ((status !== null && status >= 500) || /api_error|server_error/.test(tagged)) return out('server_error', 'failover');
  if (status === 413 || /context_length|request_too_large/.test(tagged) || ((status === 400 || status === null) && CONTEXT.test(message))) {
    return out('context_length', 'give_up');
  }
  if (status === 404 || /not_found|model_not_found/.test(tagged)) return out('unknown_model', 'give_up');
  if (status === 401 || /authentication/.test(tagged)) return out('auth', 'give_up');
  if (status === 403 || /permission/.test(tagged)) return out('permission', 'give_up');
  if (status !== null && status >= 400) return out('bad_request', 'give_up');
  // An error event inside a 200 stream that names nothing above.
  return out('stream_error', 'failover');
}

/** Whether a failure says something about the provider's health (what the circuit breaker counts). */
export function isProviderFault(errorClass: ErrorClass): boolean {
  return ['rate_limited', 'quota_exhausted', 'overloaded', 'server_error', 'timeout', 'connection', 'stream_error'].includes(errorClass);
}
