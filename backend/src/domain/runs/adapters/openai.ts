import type { StopReason } from '@rocqet/sdk';
import type OpenAI from 'openai';
import { loadSdks } from '../sdks.js';
import type { CallOptions, ProviderEvent, ProviderRequest, ProviderTarget, Usage } from '../provider.js';
import { clientFor } from './clients.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export function openaiStopReason(reason: string | null | undefined): StopReason {
  switch (reason) {
    case 'stop':
      return 'end';
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'content_filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    default:
      return 'other';
  }
}

function usageOf(u: OpenAI.CompletionUsage | null | undefined): Partial<Usage> | undefined {
  if (!u) return undefined;
  return {
    inputTokens: u.prompt_tokens ?? null,
    outputTokens: u.completion_tokens ?? null,
    cachedInputTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: null,
  };
}

/**
 * OpenAI Chat Completions (and OpenAI-compatible servers): the system text is a `system` message before the user's;
 * streams ask for usage in the last chunk (`stream_options.include_usage`). OpenAI itself takes
 * `max_completion_tokens` (`max_tokens` is deprecated and refused by reasoning models); compatible servers mostly
 * know only `max_tokens`, so they get that.
 */
export async function* callOpenAI(target: ProviderTarget, request: ProviderRequest, options: CallOptions): AsyncGenerator<ProviderEvent> {
  const { OpenAI: Client } = await loadSdks();
  const client = clientFor(target, () =>
    new Client({
      apiKey: target.apiKey,
      // Always explicit: the SDK would otherwise read OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT from the
      // environment, which belong to this server's embedder, not to a workspace's key.
      baseURL: target.baseUrl ?? OPENAI_BASE_URL,
      organization: null,
      project: null,
      maxRetries: 0,
      timeout: options.timeoutMs,
    }),
  );
  const messages: OpenAI.ChatCompletionMessageParam[] = [];
  if (request.system !== null) messages.push({ role: 'system', content: request.system });
  messages.push({ role: 'user', content: request.user });
  const p = request.parameters;
  const body = {
    model: target.model,
    messages,
    ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
    ...(p.top_p !== undefined ? { top_p: p.top_p } : {}),
    ...(p.stop !== undefined ? { stop: p.stop } : {}),
    ...(p.max_tokens !== undefined ? (target.kind === 'openai' ? { max_completion_tokens: p.max_tokens } : { max_tokens: p.max_tokens }) : {}),
  };
  if (!request.stream) {
    const { data, request_id } = await client.chat.completions
      .create({ ...body, stream: false }, { signal: options.signal })
      .withResponse();
    if (request_id) yield { type: 'request_id', id: request_id };
    const choice = data.choices[0];
    const text = choice?.message?.content ?? '';
    if (text) yield { type: 'delta', text };
    const usage = usageOf(data.usage);
    if (usage) yield { type: 'usage', usage };
    yield { type: 'stop', reason: openaiStopReason(choice?.finish_reason) };
    return;
  }
  const { data: stream, request_id } = await client.chat.completions
    .create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal: options.signal })
    .withResponse();
  if (request_id) yield { type: 'request_id', id: request_id };
  let stop: StopReason | undefined;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    const text = choice?.delta?.content;
    if (text) yield { type: 'delta', text };
    if (choice?.finish_reason) stop = openaiStopReason(choice.finish_reason);
    const usage = usageOf(chunk.usage);
    if (usage) yield { type: 'usage', usage };
  }
  // The SDK ends quietly when its request is aborted; the caller's signal says whether that happened.
  options.signal.throwIfAborted();
  if (stop) yield { type: 'stop', reason: stop };
}
