import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Local stand-ins for OpenAI Chat Completions and Anthropic Messages: real HTTP servers on 127.0.0.1 that answer in
 * each API's documented wire format (JSON bodies, SSE event shapes, error bodies and headers), scripted per request,
 * recording what they were sent. The official SDKs are pointed at them with `baseURL`.
 */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  at: number;
  /** Set when the client closed the connection before the answer was complete (a cancelled request). */
  aborted: boolean;
}

export type Reply = (req: Received, res: ServerResponse) => Promise<void> | void;

export class StandIn {
  readonly received: Received[] = [];
  readonly #script: Reply[] = [];
  readonly #server: Server;
  #fallback: Reply;
  #aborted: Array<() => void> = [];

  constructor(fallback: Reply) {
    this.#fallback = fallback;
    this.#server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw ? (JSON.parse(raw) as Record<string, unknown>) : {}, at: performance.now(), aborted: false };
        this.received.push(r);
        res.on('close', () => {
          if (!res.writableFinished) {
            r.aborted = true;
            for (const f of this.#aborted.splice(0)) f();
          }
        });
        const reply = this.#script.shift() ?? this.#fallback;
        Promise.resolve(reply(r, res)).catch(() => res.destroy());
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The next requests get these replies, in order; after them, the fallback. */
  script(...replies: Reply[]): this {
    this.#script.push(...replies);
    return this;
  }

  fallback(reply: Reply): this {
    this.#fallback = reply;
    return this;
  }

  reset(): void {
    this.received.length = 0;
    this.#script.length = 0;
  }

  /** Resolves when a request is cut off by its client. */
  nextAbort(): Promise<void> {
    return new Promise((resolve) => this.#aborted.push(resolve));
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function sse(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

// ---------------------------------------------------------------- OpenAI Chat Completions

export interface OpenAITextOptions {
  promptTokens?: number;
  completionTokens?: number;
  cachedTokens?: number;
  finish?: 'stop' | 'length' | 'content_filter' | 'tool_calls';
  /** Pause before each chunk (the first one included: time to first token). */
  delayMs?: number;
  /** Never finish after the chunks: the client has to go away. */
  hang?: boolean;
  /** Send an error object as a data line after the chunks (OpenAI reports mid-stream failures this way). */
  errorAfter?: { message: string; type: string; code?: string | null };
}

/** A chat completion: `chat.completion.chunk` SSE lines ending in a usage chunk and `data: [DONE]`, or one JSON object. */
export function openaiText(chunks: string[], o: OpenAITextOptions = {}): Reply {
  return async (req, res) => {
    const id = `chatcmpl-${randomUUID().slice(0, 8)}`;
    const model = String(req.body.model);
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: o.promptTokens ?? 11,
      completion_tokens: o.completionTokens ?? chunks.length,
      total_tokens: (o.promptTokens ?? 11) + (o.completionTokens ?? chunks.length),
      prompt_tokens_details: { cached_tokens: o.cachedTokens ?? 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
    const headers = { 'x-request-id': `req_${id}`, 'openai-processing-ms': '5' };
    if (!req.body.stream) {
      if (o.delayMs) await sleep(o.delayMs);
      json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: chunks.join(''), refusal: null, annotations: [] }, logprobs: null, finish_reason: o.finish ?? 'stop' }],
        usage,
        service_tier: 'default',
        system_fingerprint: 'fp_standin',
      }, headers);
      return;
    }
    sse(res, headers);
    const line = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, service_tier: 'default', system_fingerprint: 'fp_standin', choices, ...extra })}\n\n`);
    const withUsage = (req.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    line([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], withUsage ? { usage: null } : {});
    for (const text of chunks) {
      if (o.delayMs) await sleep(o.delayMs);
      if (res.destroyed) return;
      line([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }], withUsage ? { usage: null } : {});
    }
    if (o.errorAfter) {
      res.write(`data: ${JSON.stringify({ error: { message: o.errorAfter.message, type: o.errorAfter.type, param: null, code: o.errorAfter.code ?? null } })}\n\n`);
      res.end();
      return;
    }
    if (o.hang) return;
    line([{ index: 0, delta: {}, logprobs: null, finish_reason: o.finish ?? 'stop' }], withUsage ? { usage: null } : {});
    if (withUsage) line([], { usage });
    res.end('data: [DONE]\n\n');
  };
}

/** An OpenAI error answer: `{"error": {message, type, param, code}}` with its status and headers. */
export function openaiError(status: number, error: { message: string; type: string; code?: string | null }, headers: Record<string, string> = {}): Reply {
  return (_req, res) => json(res, status, { error: { message: error.message, type: error.type, param: null, code: error.code ?? null } }, { 'x-request-id': `req_${randomUUID().slice(0, 8)}`, ...headers });
}

// ---------------------------------------------------------------- Anthropic Messages

export interface AnthropicTextOptions {
  inputTokens?: number;
  outputTokens?: number;
  cacheRead?: number;
  cacheWrite?: number;
  stop?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';
  delayMs?: number;
  hang?: boolean;
  /** An `event: error` after this many text deltas (Anthropic reports overloads inside a 200 stream this way). */
  errorAfter?: { chunks: number; type: string; message: string };
}

/** A message: message_start, content_block_start, ping, content_block_delta…, content_block_stop, message_delta, message_stop. */
export function anthropicText(chunks: string[], o: AnthropicTextOptions = {}): Reply {
  return async (req, res) => {
    const id = `msg_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const model = String(req.body.model);
    const requestId = `req_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const usageIn = {
      input_tokens: o.inputTokens ?? 12,
      cache_creation_input_tokens: o.cacheWrite ?? 0,
      cache_read_input_tokens: o.cacheRead ?? 0,
      cache_creation: { ephemeral_5m_input_tokens: o.cacheWrite ?? 0, ephemeral_1h_input_tokens: 0 },
      service_tier: 'standard',
    };
    const outputTokens = o.outputTokens ?? chunks.length;
    if (!req.body.stream) {
      if (o.delayMs) await sleep(o.delayMs);
      json(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: chunks.join('') }],
        stop_reason: o.stop ?? 'end_turn',
        stop_sequence: null,
        usage: { ...usageIn, output_tokens: outputTokens },
      }, { 'request-id': requestId });
      return;
    }
    sse(res, { 'request-id': requestId });
    const event = (name: string, data: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    event('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usageIn, output_tokens: 1 } } });
    event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    event('ping', { type: 'ping' });
    let sent = 0;
    for (const text of chunks) {
      if (o.errorAfter && sent === o.errorAfter.chunks) break;
      if (o.delayMs) await sleep(o.delayMs);
      if (res.destroyed) return;
      event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
      sent++;
    }
    if (o.errorAfter) {
      event('error', { type: 'error', error: { type: o.errorAfter.type, message: o.errorAfter.message }, request_id: requestId });
      res.end();
      return;
    }
    if (o.hang) return;
    event('content_block_stop', { type: 'content_block_stop', index: 0 });
    event('message_delta', { type: 'message_delta', delta: { stop_reason: o.stop ?? 'end_turn', stop_sequence: null }, usage: { output_tokens: outputTokens } });
    event('message_stop', { type: 'message_stop' });
    res.end();
  };
}

/** An Anthropic error answer: `{"type":"error","error":{type,message},"request_id"}` with `request-id`. */
export function anthropicError(status: number, type: string, message: string, headers: Record<string, string> = {}): Reply {
  const requestId = `req_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
  return (_req, res) => json(res, status, { type: 'error', error: { type, message }, request_id: requestId }, { 'request-id': requestId, ...headers });
}

/** Accepts the connection and never answers (a provider that hangs until the client's timeout). */
export const silence: Reply = () => {};

export async function openaiStandIn(): Promise<StandIn> {
  return new StandIn(openaiText(['Hello', ' from', ' OpenAI'])).listen();
}

export async function anthropicStandIn(): Promise<StandIn> {
  return new StandIn(anthropicText(['Hello', ' from', ' Claude'])).listen();
}
