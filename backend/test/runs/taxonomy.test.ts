import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { CircuitBreaker } from '../../src/domain/runs/breaker.js';
import { DEFAULT_PRICES, estimateCost, loadPrices, priceOf } from '../../src/domain/runs/prices.js';
import { classify, retryAfterMs } from '../../src/domain/runs/taxonomy.js';

const opts = { maxRetryWaitMs: 10_000 };
const sdks = { OpenAI, Anthropic };

// The SDKs' own error factories, fed the bodies and headers each API documents.
const openai = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) =>
  OpenAI.APIError.generate(status, { error }, undefined, new Headers(headers));
const anthropic = (status: number, type: string, message: string, headers: Record<string, string> = {}) =>
  Anthropic.APIError.generate(status, { type: 'error', error: { type, message } }, undefined, new Headers(headers));

describe('runs: the error taxonomy', () => {
  const cases: Array<[string, unknown, string, string]> = [
    ['OpenAI 429 rate limit', openai(429, { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' }), 'rate_limited', 'retry'],
    ['OpenAI 429 insufficient_quota', openai(429, { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' }), 'quota_exhausted', 'failover'],
    ['Anthropic 429 rate limit', anthropic(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'), 'rate_limited', 'retry'],
    ['Anthropic 429 spend limit', anthropic(429, 'rate_limit_error', 'You have reached your specified workspace API usage limits'.replace('usage limits', 'spend limit')), 'quota_exhausted', 'failover'],
    ['Anthropic 400 credit balance', anthropic(400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API'), 'quota_exhausted', 'failover'],
    ['Anthropic 402 billing_error', anthropic(402, 'billing_error', 'payment required'), 'quota_exhausted', 'failover'],
    ['Anthropic 529 overloaded', anthropic(529, 'overloaded_error', 'Overloaded'), 'overloaded', 'failover'],
    ['Anthropic 500 api_error', anthropic(500, 'api_error', 'Internal server error'), 'server_error', 'failover'],
    ['OpenAI 503', openai(503, { message: 'Service unavailable', type: 'server_error' }), 'server_error', 'failover'],
    ['OpenAI 408', openai(408, { message: 'timeout', type: 'timeout' }), 'timeout', 'failover'],
    ['Anthropic 400', anthropic(400, 'invalid_request_error', 'max_tokens: must be positive'), 'bad_request', 'give_up'],
    ['Anthropic 401', anthropic(401, 'authentication_error', 'invalid x-api-key'), 'auth', 'give_up'],
    ['Anthropic 403', anthropic(403, 'permission_error', 'no access'), 'permission', 'give_up'],
    ['Anthropic 404 model', anthropic(404, 'not_found_error', 'model: claude-x'), 'unknown_model', 'give_up'],
    ['Anthropic 413', anthropic(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes'), 'context_length', 'give_up'],
    ['Anthropic prompt too long', anthropic(400, 'invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'), 'context_length', 'give_up'],
    ['OpenAI context_length_exceeded', openai(400, { message: "This model's maximum context length is 8192 tokens", type: 'invalid_request_error', code: 'context_length_exceeded' }), 'context_length', 'give_up'],
    ['OpenAI model_not_found', openai(404, { message: 'The model does not exist', type: 'invalid_request_error', code: 'model_not_found' }), 'unknown_model', 'give_up'],
    ['an Anthropic overloaded_error inside a 200 stream', new Anthropic.APIError(undefined, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, undefined, new Headers(), 'overloaded_error'), 'overloaded', 'failover'],
    ['an OpenAI error inside a 200 stream', new OpenAI.APIError(undefined, { message: 'boom', type: 'server_error' }, undefined, new Headers()), 'server_error', 'failover'],
    ['a connection failure', new OpenAI.APIConnectionError({ cause: new Error('ECONNREFUSED') }), 'connection', 'failover'],
    ['a timeout', new Anthropic.APIConnectionTimeoutError(), 'timeout', 'failover'],
    ['an abort', new OpenAI.APIUserAbortError(), 'cancelled', 'give_up'],
    ['garbage in a stream', new SyntaxError('Unexpected token'), 'stream_error', 'failover'],
  ];
  for (const [name, err, errorClass, action] of cases) {
    it(`${name}: ${errorClass}, ${action}`, () => {
      const c = classify(err, opts, sdks);
      assert.deepEqual([c.errorClass, c.action], [errorClass, action]);
    });
  }

  it('a rate limit with a retry-after beyond the limit, or x-should-retry: false, fails over', () => {
    assert.equal(classify(anthropic(429, 'rate_limit_error', 'slow', { 'retry-after': '60' }), opts, sdks).action, 'failover');
    assert.equal(classify(anthropic(429, 'rate_limit_error', 'slow', { 'retry-after': '2' }), opts, sdks).action, 'retry');
    assert.equal(classify(anthropic(429, 'rate_limit_error', 'slow', { 'x-should-retry': 'false' }), opts, sdks).action, 'failover');
  });

  it('reads retry-after-ms first, then retry-after in seconds or as a date; keeps the request id', () => {
    assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': '1.5' })), 1500);
    const now = Date.parse('2026-12-02T00:00:00Z');
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Wed, 02 Dec 2026 00:00:03 GMT' }), now), 3000);
    assert.equal(retryAfterMs(new Headers({ 'retry-after': 'soon' })), null);
    assert.equal(retryAfterMs(new Headers()), null);
    assert.equal(classify(anthropic(529, 'overloaded_error', 'x', { 'request-id': 'req_1' }), opts, sdks).requestId, 'req_1');
  });
});

describe('runs: the circuit breaker', () => {
  it('opens after N faults in a row, lets one trial through after the cool-down, closes on success', () => {
    let now = 0;
    const b = new CircuitBreaker({ failures: 3, cooldownMs: 1000, now: () => now });
    const k = CircuitBreaker.key('ws', 'anthropic');
    b.failure(k);
    b.failure(k);
    b.success(k); // a success in between resets the count
    b.failure(k);
    b.failure(k);
    assert.equal(b.state(k), 'closed');
    b.failure(k);
    assert.equal(b.state(k), 'open');
    assert.equal(b.allow(k), false);
    now = 999;
    assert.equal(b.allow(k), false);
    now = 1000;
    assert.equal(b.state(k), 'half_open');
    assert.equal(b.allow(k), true);
    assert.equal(b.allow(k), false, 'one trial at a time');
    b.failure(k);
    assert.equal(b.state(k), 'open', 'a failed trial reopens at once');
    now = 2000;
    assert.equal(b.allow(k), true);
    b.success(k);
    assert.equal(b.state(k), 'closed');
    assert.equal(b.allow(CircuitBreaker.key('other', 'anthropic')), true);
  });

  it('a trial that says nothing about the provider frees the slot', () => {
    let now = 0;
    const b = new CircuitBreaker({ failures: 1, cooldownMs: 10, now: () => now });
    const k = 'k';
    b.failure(k);
    now = 10;
    assert.equal(b.allow(k), true);
    b.release(k);
    assert.equal(b.allow(k), true);
  });
});

describe('runs: prices', () => {
  it('match dated snapshots by their family and count cached input apart', () => {
    assert.equal(priceOf(DEFAULT_PRICES, 'anthropic', 'claude-sonnet-4-5-20250929'), DEFAULT_PRICES.models.anthropic!['claude-sonnet-4-5']);
    assert.equal(priceOf(DEFAULT_PRICES, 'openai', 'gpt-4o-mini-2024-07-18'), DEFAULT_PRICES.models.openai!['gpt-4o-mini']);
    assert.equal(priceOf(DEFAULT_PRICES, 'openai', 'gpt-4oops'), undefined);
    assert.equal(estimateCost(DEFAULT_PRICES, 'openai', 'gpt-4o', { inputTokens: 1_000_000, cachedInputTokens: 500_000, outputTokens: 1_000_000 }), 1.25 + 0.625 + 10);
    assert.equal(estimateCost(DEFAULT_PRICES, 'openai', 'unknown', { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 }), null);
    assert.equal(estimateCost(DEFAULT_PRICES, 'openai', 'gpt-4o', { inputTokens: null, cachedInputTokens: null, outputTokens: null }), null);
  });

  it('are overridden by a file, which must be well formed', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'prices-'));
    const file = join(dir, 'prices.json');
    writeFileSync(file, JSON.stringify({ asOf: '2026-12-01', models: { openai: { 'gpt-4o': { input: 1, output: 2 } }, openai_compatible: { 'llama-3': { input: 0.1, output: 0.1 } } } }));
    const t = loadPrices(file);
    assert.equal(t.asOf, '2026-12-01');
    assert.deepEqual(t.models.openai!['gpt-4o'], { input: 1, output: 2 });
    assert.ok(t.models.openai!['gpt-4o-mini'], 'entries the file does not name stay');
    assert.ok(t.models.openai_compatible!['llama-3']);
    writeFileSync(file, JSON.stringify({ asOf: 'yesterday', models: {} }));
    assert.throws(() => loadPrices(file), /ROCQET_RUN_PRICES/);
    assert.throws(() => loadPrices(join(dir, 'missing.json')), /ROCQET_RUN_PRICES/);
  });
});
