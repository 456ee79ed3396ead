import type { ProviderKind, RunParameters, StopReason } from '@rocqet/sdk';

/** A provider to call: which API, where, with which key, on which model. */
export interface ProviderTarget {
  /** The key's name in the workspace (what chains and runs call it). */
  name: string;
  kind: ProviderKind;
  /** null: the provider's own API. */
  baseUrl: string | null;
  apiKey: string;
  model: string;
}

/** The request in one vocabulary; each adapter places it as its API wants. */
export interface ProviderRequest {
  system: string | null;
  user: string;
  parameters: RunParameters;
  /** Whether to ask the provider for a stream (the run's client asked for one) or for one answer. */
  stream: boolean;
}

export interface Usage {
  /** All input tokens, cached ones included. */
  inputTokens: number | null;
  outputTokens: number | null;
  /** Input tokens read from the provider's prompt cache. */
  cachedInputTokens: number | null;
  /** Anthropic's cache writes (priced apart). */
  cacheWriteTokens: number | null;
}

/** Both APIs, normalised to one event stream. */
export type ProviderEvent =
  | { type: 'delta'; text: string }
  | { type: 'usage'; usage: Partial<Usage> }
  | { type: 'stop'; reason: StopReason }
  | { type: 'request_id'; id: string };

export interface CallOptions {
  signal: AbortSignal;
  /** The SDK's own timeout for one request (it raises a timeout error, which fails over). */
  timeoutMs: number;
}

/** Calls the provider; HTTP errors throw before the first event, stream errors while iterating. */
export type ProviderAdapter = (target: ProviderTarget, request: ProviderRequest, options: CallOptions) => AsyncIterable<ProviderEvent>;
