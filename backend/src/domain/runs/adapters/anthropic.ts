import { loadSdks } from '../sdks.js';
import type { StopReason } from '@rocqet/sdk';
import type { CallOptions, ProviderEvent, ProviderRequest, ProviderTarget, Usage } from '../provider.js';
import { clientFor } from './clients.js';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

export function anthropicStopReason(reason: string | null | undefined): StopReason {
  switch (reason) {
    case 'end_turn':
      return 'end';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'tool_use':
      return 'tool_use';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/**
 * Anthropic reports input tokens without the cached ones (`input_tokens` excludes cache reads and writes); the run
 * log counts all input, so they are added back. message_start carries the input side, message_delta the output.
 */
function usageOf(u: AnthropicUsage | null | undefined): Partial<Usage> {
  if (!u) return {};
  const out: Partial<Usage> = {};
  if (typeof u.output_tokens === 'number') out.outputTokens = u.output_tokens;
  if (typeof u.input_tokens === 'number') {
    const read = u.cache_read_input_tokens ?? 0;
    const written = u.cache_creation_input_tokens ?? 0;
    out.inputTokens = u.input_tokens + read + written;
    out.cachedInputTokens = read;
    out.cacheWriteTokens = written;
  }
  return out;
}

/**
 * Anthropic Messages: the system text goes in the top-level `system`, `max_tokens` is required (the caller has
 * filled it), stop sequences are `stop_sequences`.
 */
export async function* callAnthropic(target: ProviderTarget, request: ProviderRequest, options: CallOptions): AsyncGenerator<ProviderEvent> {
  const { Anthropic } = await loadSdks();
  const client = clientFor(target, () =>
    new Anthropic({
      // An explicit key and base URL: the SDK would otherwise look for ANTHROPIC_* variables and profiles on disk.
      apiKey: target.apiKey,
      baseURL: target.baseUrl ?? ANTHROPIC_BASE_URL,
      maxRetries: 0,
      timeout: options.timeoutMs,
    }),
  );
  const p = request.parameters;
  const body = {
    model: target.model,
    max_tokens: p.max_tokens ?? 4096,
    messages: [{ role: 'user' as const, content: request.user }],
    ...(request.system !== null ? { system: request.system } : {}),
    ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
    ...(p.top_p !== undefined ? { top_p: p.top_p } : {}),
    ...(p.stop !== undefined ? { stop_sequences: p.stop } : {}),
  };
  if (!request.stream) {
    const { data, request_id } = await client.messages.create({ ...body, stream: false }, { signal: options.signal }).withResponse();
    if (request_id) yield { type: 'request_id', id: request_id };
    const text = data.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    if (text) yield { type: 'delta', text };
    yield { type: 'usage', usage: usageOf(data.usage) };
    yield { type: 'stop', reason: anthropicStopReason(data.stop_reason) };
    return;
  }
  const { data: stream, request_id } = await client.messages.create({ ...body, stream: true }, { signal: options.signal }).withResponse();
  if (request_id) yield { type: 'request_id', id: request_id };
  let stop: StopReason | undefined;
  for await (const event of stream) {
    if (event.type === 'message_start') yield { type: 'usage', usage: usageOf(event.message.usage) };
    else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
      if (event.delta.text) yield { type: 'delta', text: event.delta.text };
    } else if (event.type === 'message_delta') {
      if (event.delta.stop_reason) stop = anthropicStopReason(event.delta.stop_reason);
      yield { type: 'usage', usage: usageOf(event.usage as AnthropicUsage) };
    }
  }
  options.signal.throwIfAborted();
  if (stop) yield { type: 'stop', reason: stop };
}
