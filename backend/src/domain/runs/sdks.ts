import type AnthropicType from '@anthropic-ai/sdk';
import type OpenAIType from 'openai';

/** The official SDK classes, loaded on the first run rather than at start (together ~0.5 s of CPU to import). */
export interface Sdks {
  OpenAI: typeof OpenAIType;
  Anthropic: typeof AnthropicType;
}

let loading: Promise<Sdks> | undefined;

export function loadSdks(): Promise<Sdks> {
  loading ??= Promise.all([import('openai'), import('@anthropic-ai/sdk')]).then(([o, a]) => ({ OpenAI: o.default, Anthropic: a.default }));
  return loading;
}
