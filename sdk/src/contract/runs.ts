import { z } from 'zod';
import { Cursor, dictionary, Id, Limit, Text, Timestamp } from './common.js';
import { PromptRef, Ref } from './prompts.js';
import { route } from './route.js';

/** What a provider key speaks: OpenAI's API, Anthropic's, or OpenAI's Chat Completions at another base URL. */
export const ProviderKind = z.enum(['openai', 'anthropic', 'openai_compatible']);
export type ProviderKind = z.infer<typeof ProviderKind>;

/** The name a key is known by in chains and runs (`openai`, `anthropic`, `groq`, …). */
export const ProviderName = Text.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1–32 lowercase letters, digits, "-" or "_"');

/** A model id as the provider spells it (`gpt-4o`, `claude-sonnet-4-5`, `ft:gpt-4o-mini:org::id`). */
export const ModelName = Text.min(1).max(200).regex(/^[^\s]+$/, 'must not contain whitespace');

/** `provider:model` — the provider is the part before the first colon. */
export const ChainEntry = Text.max(240).regex(/^[a-z0-9][a-z0-9_-]{0,31}:[^\s]+$/, 'must be provider:model, e.g. anthropic:claude-sonnet-4-5');

/** A model to run on: `provider:model`, or a bare model id (its provider is found in the chain, or by its name). */
export const ModelSpec = Text.min(1).max(240).regex(/^[^\s]+$/, 'must not contain whitespace');

/** An http(s) URL with no credentials, query or fragment: where an OpenAI-compatible server's `/chat/completions` lives. */
export const ProviderBaseUrl = Text.max(2000).refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && !u.search && !u.hash && !s.includes('#') && !s.includes('?');
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL without credentials, query or fragment');

export const ProviderKey = z.object({
  name: z.string(),
  kind: ProviderKind,
  baseUrl: z.string().nullable().describe('null: the provider’s own API'),
  maskedKey: z.string().describe('the last four characters of the key, never more'),
  createdBy: Id.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ProviderKey = z.infer<typeof ProviderKey>;

export const SetProviderKeyBody = z
  .strictObject({
    name: ProviderName.describe('what chains and runs call it: openai, anthropic, or a name of yours'),
    kind: ProviderKind.optional().describe('defaults to the name when the name is openai or anthropic'),
    apiKey: Text.min(8, 'is too short to be an API key').max(4000).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
    baseUrl: ProviderBaseUrl.optional().describe('required for openai_compatible; optional for the others (a proxy)'),
  });

/** Sampling settings, in one vocabulary for both APIs (the front matter's `parameters` are the defaults). */
export const RunParameters = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional().describe('Anthropic requires one: the server default applies when unset'),
  stop: z.array(Text.min(1).max(200)).max(4).optional(),
});
export type RunParameters = z.infer<typeof RunParameters>;

export const RunSettings = z.object({
  chain: z.array(z.string()).describe('provider:model entries tried in order when a provider fails before the first token'),
  monthlyBudgetUsd: z.number().nullable().describe('null: no budget'),
  spentThisMonthUsd: z.number().describe('estimated cost of this calendar month’s runs (UTC)'),
  month: z.string().describe('YYYY-MM (UTC)'),
});

export const UpdateRunSettingsBody = z.strictObject({
  chain: z.array(ChainEntry).max(8).optional(),
  monthlyBudgetUsd: z.number().min(0).max(1e8).nullable().optional(),
});

export const RunStatus = z.enum(['succeeded', 'incomplete', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatus>;

/** One vocabulary for both APIs' stop reasons. */
export const StopReason = z.enum(['end', 'max_tokens', 'stop_sequence', 'content_filter', 'tool_use', 'other']);
export type StopReason = z.infer<typeof StopReason>;

/**
 * Why a provider call failed, as the error taxonomy sees it (backend/src/domain/runs/taxonomy.ts): it decides
 * whether the same provider is tried again, the next one in the chain, or the run gives up.
 */
export const ErrorClass = z.enum([
  'rate_limited',
  'quota_exhausted',
  'overloaded',
  'server_error',
  'timeout',
  'connection',
  'context_length',
  'bad_request',
  'auth',
  'permission',
  'unknown_model',
  'circuit_open',
  'cancelled',
  'stream_error',
]);
export type ErrorClass = z.infer<typeof ErrorClass>;

export const AttemptOutcome = z.enum(['ok', 'retried', 'failed_over', 'gave_up', 'skipped', 'cut_off', 'cancelled']);

export const RunAttempt = z.object({
  provider: z.string(),
  model: z.string(),
  outcome: AttemptOutcome.describe(
    'ok; retried (the same provider again); failed_over (the next one); gave_up; skipped (its circuit is open); ' +
      'cut_off (failed after the first token: the run is incomplete); cancelled',
  ),
  errorClass: ErrorClass.nullable(),
  httpStatus: z.number().int().nullable(),
  message: z.string().nullable(),
  requestId: z.string().nullable().describe('the provider’s request id, for their support'),
  retryAfterMs: z.number().int().nullable(),
  latencyMs: z.number().int(),
});
export type RunAttempt = z.infer<typeof RunAttempt>;

export const RunUsage = z.object({
  inputTokens: z.number().int().nullable().describe('all input tokens, cached ones included'),
  outputTokens: z.number().int().nullable(),
  cachedInputTokens: z.number().int().nullable().describe('input tokens read from the provider’s prompt cache'),
});

export const Run = z.object({
  id: Id,
  prompt: z.object({ id: Id, path: z.string().nullable() }),
  commit: z.object({ id: Id, seq: z.number().int() }),
  ref: z.string(),
  compareId: Id.nullable(),
  variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  parameters: RunParameters,
  system: z.string().nullable().describe('the system text sent (the rendered prompt, when the run had an input)'),
  input: z.string().describe('the user message sent (the rendered prompt, or the run’s input)'),
  provider: z.string().nullable().describe('the provider that answered (null: none did)'),
  providerKind: ProviderKind.nullable(),
  model: z.string().nullable(),
  status: RunStatus,
  stopReason: StopReason.nullable(),
  error: z.object({ code: z.string(), detail: z.string() }).nullable(),
  output: z.string(),
  usage: RunUsage,
  costUsd: z.number().nullable().describe('estimate from the price table; null when the model is not in it'),
  priceAsOf: z.string().nullable().describe('the date of the price table entry used'),
  ttftMs: z.number().int().nullable().describe('time to first token, from the start of the run'),
  totalMs: z.number().int(),
  attempts: z.array(RunAttempt),
  createdBy: Id.nullable(),
  startedAt: Timestamp,
  finishedAt: Timestamp,
});
export type Run = z.infer<typeof Run>;

const Variables = dictionary(Text, z.union([Text, z.number(), z.boolean()]));

export const RunBody = z.strictObject({
  ref: Ref.optional().describe('branch, tag, commit id or #seq; default: the default branch'),
  variables: Variables.default({}),
  input: Text.min(1).max(1_000_000).optional().describe('a user message: the rendered prompt is then sent as the system text'),
  model: ModelSpec.optional().describe('provider:model or a model id; default: the front matter’s model, else the chain'),
  chain: z.array(ChainEntry).min(1).max(8).optional().describe('this run’s failover chain instead of the workspace’s'),
  parameters: RunParameters.optional(),
  stream: z.boolean().optional().describe('answer as Server-Sent Events (as does Accept: text/event-stream)'),
});

export const CompareBody = z.strictObject({
  sides: z
    .array(z.strictObject({ ref: Ref.optional(), model: ModelSpec.optional() }))
    .min(2)
    .max(4)
    .describe('two or more refs, or one ref on two models; each side runs on the same variables'),
  variables: Variables.default({}),
  input: Text.min(1).max(1_000_000).optional(),
  chain: z.array(ChainEntry).min(1).max(8).optional(),
  parameters: RunParameters.optional(),
  stream: z.boolean().optional(),
});

export const OutputDiff = z.object({
  from: z.number().int().describe('side index'),
  to: z.number().int(),
  unified: z.string(),
  added: z.number().int().describe('lines'),
  removed: z.number().int(),
});

export const CompareResult = z.object({
  compareId: Id,
  runs: z.array(Run),
  diffs: z.array(OutputDiff).describe('the first side’s output against each other side’s'),
  usage: z.array(
    RunUsage.extend({
      side: z.number().int(),
      costUsd: z.number().nullable(),
      ttftMs: z.number().int().nullable(),
      totalMs: z.number().int(),
    }),
  ),
});
export type CompareResult = z.infer<typeof CompareResult>;

export const RunQuery = z.strictObject({
  limit: Limit,
  cursor: Cursor.optional(),
  prompt: PromptRef.optional().describe('id or path'),
  status: RunStatus.optional(),
  provider: ProviderName.optional(),
  model: ModelName.optional(),
  compareId: Id.optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
});

export const RUN_EVENT_STREAM = 'text/event-stream';

const STREAM_DOC =
  'With `Accept: text/event-stream` or `stream: true` the answer is an SSE stream: `event: run` (id, prompt, ' +
  'commit, ref), `event: attempt` (each provider attempt as it ends), `event: delta` (`{"text"}` as tokens arrive), ' +
  'and last `event: done` with the Run as logged (any status: succeeded, incomplete, failed, cancelled). Compare ' +
  'adds `side` to every event and ends with `event: compare` (the CompareResult). Refusals before the run starts ' +
  '(validation, budget, keys) are problem+json answers as usual.';

const P = z.strictObject({ prompt: PromptRef });
const Name = z.strictObject({ name: ProviderName });

const RUN_PROBLEMS = [
  'not_found',
  'ref_not_found',
  'missing_variables',
  'invalid_variable_value',
  'invalid_front_matter',
  'no_model',
  'provider_not_configured',
  'provider_key_unreadable',
  'budget_exceeded',
  'unknown_model',
  'provider_rejected',
  'context_length_exceeded',
  'providers_unavailable',
] as const;

export const runRoutes = {
  listProviderKeys: route({
    method: 'GET',
    path: '/v1/providers',
    summary: 'The workspace’s provider keys (masked)',
    tag: 'Runs',
    scope: 'read',
    response: z.object({ items: z.array(ProviderKey) }),
    status: 200,
  }),
  setProviderKey: route({
    method: 'POST',
    path: '/v1/providers',
    summary: 'Store a provider key (replacing the one of that name), encrypted at rest; admins only',
    tag: 'Runs',
    scope: 'admin',
    body: SetProviderKeyBody,
    response: ProviderKey,
    status: 200,
    problems: ['secret_key_missing'],
  }),
  deleteProviderKey: route({
    method: 'DELETE',
    path: '/v1/providers/{name}',
    summary: 'Delete a provider key; admins only',
    tag: 'Runs',
    scope: 'admin',
    params: Name,
    status: 204,
    problems: ['not_found'],
  }),
  getRunSettings: route({
    method: 'GET',
    path: '/v1/run-settings',
    summary: 'The failover chain, the monthly budget and this month’s spend',
    tag: 'Runs',
    scope: 'read',
    response: RunSettings,
    status: 200,
  }),
  updateRunSettings: route({
    method: 'PATCH',
    path: '/v1/run-settings',
    summary: 'Change the failover chain or the monthly budget; admins only',
    tag: 'Runs',
    scope: 'admin',
    body: UpdateRunSettingsBody,
    response: RunSettings,
    status: 200,
  }),
  runPrompt: route({
    method: 'POST',
    path: '/v1/prompts/{prompt}/runs',
    summary: 'Render a ref and run it on a model, failing over along the chain before the first token',
    description: STREAM_DOC,
    tag: 'Runs',
    scope: 'write',
    params: P,
    body: RunBody,
    response: Run,
    streams: RUN_EVENT_STREAM,
    status: 200,
    timeoutMs: 600_000,
    problems: RUN_PROBLEMS,
  }),
  compareRuns: route({
    method: 'POST',
    path: '/v1/prompts/{prompt}/runs/compare',
    summary: 'Run two or more refs (or models) on the same variables side by side; diff their outputs',
    description: STREAM_DOC,
    tag: 'Runs',
    scope: 'write',
    params: P,
    body: CompareBody,
    response: CompareResult,
    streams: RUN_EVENT_STREAM,
    status: 200,
    timeoutMs: 600_000,
    problems: RUN_PROBLEMS,
  }),
  listRuns: route({
    method: 'GET',
    path: '/v1/runs',
    summary: 'The run log, newest first, with filters',
    tag: 'Runs',
    scope: 'read',
    query: RunQuery,
    response: z.object({ items: z.array(Run), nextCursor: z.string().nullable() }),
    status: 200,
    problems: ['not_found'],
  }),
  getRun: route({
    method: 'GET',
    path: '/v1/runs/{id}',
    summary: 'One run with its attempts',
    tag: 'Runs',
    scope: 'read',
    params: z.strictObject({ id: Id }),
    response: Run,
    status: 200,
    problems: ['not_found'],
  }),
};

/** What the run stream carries, parsed (sdk `runs.stream` / `runs.compare`). */
export type RunStreamEvent =
  | { type: 'run'; side?: number; run: { id: string; prompt: { id: string; path: string | null }; commit: { id: string; seq: number }; ref: string; compareId: string | null } }
  | { type: 'attempt'; side?: number; attempt: RunAttempt }
  | { type: 'delta'; side?: number; text: string }
  | { type: 'done'; side?: number; run: Run }
  | { type: 'compare'; result: CompareResult };
