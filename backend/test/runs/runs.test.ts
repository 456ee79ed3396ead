import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RocqetError, type Run, type RunStreamEvent } from '@rocqet/sdk';
import { addMemberWithToken, assertProblem, refusedCall, send } from '../support/api.js';
import { startTestApp } from '../support/app.js';
import { anthropicError, anthropicText, openaiError, openaiText, silence } from './standins.js';
import { ANTHROPIC_KEY, OPENAI_KEY, PROMPT, runJson, runsWorkspace, startRunsWorld, type RunsWorld, type RunsWorkspace } from './support.js';

async function collect(it: AsyncIterable<RunStreamEvent>): Promise<RunStreamEvent[]> {
  const out: RunStreamEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** The run a refused call logged (every run is logged, a failed one too), from the problem it answered. */
async function failedRun(call: Promise<unknown>, code: string): Promise<Run> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof RocqetError, String(err));
    assert.equal(err.code, code, err.message);
    const run = (err.problem as { run?: Run } | undefined)?.run;
    assert.ok(run, 'the problem carries the logged run');
    return run;
  }
  assert.fail(`expected ${code}`);
}

const outcomes = (run: Run) => run.attempts.map((a) => `${a.provider}:${a.outcome}:${a.errorClass ?? '-'}`);

describe('runs', function () {
  let w: RunsWorld;
  before(async () => {
    w = await startRunsWorld();
  });
  after(async () => {
    await w?.close();
  });
  beforeEach(() => {
    w.openai.reset();
    w.anthropic.reset();
  });

  describe('provider keys', () => {
    it('are stored sealed, shown only by their masked tail, audited without the key', async () => {
      const ws = await runsWorkspace(w);
      const { items } = await ws.owner.listProviderKeys();
      assert.deepEqual(items.map((k) => [k.name, k.kind, k.maskedKey]), [
        ['anthropic', 'anthropic', '••••wxyz'],
        ['openai', 'openai', '••••abcd'],
      ]);
      const listed = JSON.stringify(items);
      assert.ok(!listed.includes(OPENAI_KEY) && !listed.includes(ANTHROPIC_KEY));
      const { rows } = await w.app.backend.pool.query<{ sealed_key: string }>('SELECT sealed_key FROM provider_key WHERE workspace_id = $1', [ws.id]);
      assert.equal(rows.length, 2);
      for (const r of rows) {
        assert.match(r.sealed_key, /^rq1\./);
        assert.ok(!r.sealed_key.includes('test'));
      }
      const audit = await ws.owner.listAudit({ query: { limit: 50 } });
      const keyEntries = audit.items.filter((e) => e.resourceType === 'provider_key');
      assert.deepEqual(keyEntries.map((e) => e.action).sort(), ['provider_key.create', 'provider_key.create']);
      assert.ok(!JSON.stringify(audit).includes(OPENAI_KEY) && !JSON.stringify(audit).includes(ANTHROPIC_KEY));
    });

    it('are set by admins only, with a kind and an http(s) base URL', async () => {
      const ws = await w.app.workspace();
      const editor = await addMemberWithToken(w.app, ws, 'editor', ['read', 'write']);
      await refusedCall(w.app, () => editor.client.setProviderKey({ body: { name: 'openai', apiKey: OPENAI_KEY } }), 'insufficient_scope');
      const admin = await addMemberWithToken(w.app, ws, 'admin', ['read', 'write', 'admin']);
      for (const baseUrl of ['ftp://example.com/v1', 'http://user:pw@example.com/v1', 'https://example.com/v1?x=1', 'not a url', 'file:///etc/passwd']) {
        await refusedCall(w.app, () => admin.client.setProviderKey({ body: { name: 'openai', apiKey: OPENAI_KEY, baseUrl } }), 'validation_failed');
      }
      await refusedCall(w.app, () => admin.client.setProviderKey({ body: { name: 'groq', apiKey: OPENAI_KEY } }), 'validation_failed');
      await refusedCall(w.app, () => admin.client.setProviderKey({ body: { name: 'groq', kind: 'openai_compatible', apiKey: OPENAI_KEY } }), 'validation_failed');
      await refusedCall(w.app, () => admin.client.setProviderKey({ body: { name: 'Bad Name' as string, apiKey: OPENAI_KEY } }), 'validation_failed');
      await refusedCall(w.app, () => admin.client.setProviderKey({ body: { name: 'openai', apiKey: 'short' } }), 'validation_failed');
      const set = await admin.client.setProviderKey({ body: { name: 'groq', kind: 'openai_compatible', apiKey: OPENAI_KEY, baseUrl: 'https://api.groq.example/openai/v1/' } });
      assert.equal(set.baseUrl, 'https://api.groq.example/openai/v1');
      await refusedCall(w.app, () => admin.client.deleteProviderKey({ params: { name: 'nope' } }), 'not_found');
      await admin.client.deleteProviderKey({ params: { name: 'groq' } });
      assert.deepEqual((await admin.client.listProviderKeys()).items, []);
    });

    it('are refused with a clear problem when ROCQET_SECRET_KEY is unset', async () => {
      const bare = await startTestApp({ ROCQET_SECRET_KEY: '' });
      try {
        const ws = await bare.workspace();
        const err = await refusedCall(bare, () => ws.owner.setProviderKey({ body: { name: 'openai', apiKey: OPENAI_KEY } }), 'secret_key_missing');
        assert.match(err.message, /ROCQET_SECRET_KEY is not set/);
      } finally {
        await bare.close();
      }
    });

    it('open only in the workspace and under the name they were sealed for', async () => {
      const a = await runsWorkspace(w);
      const b = await w.app.workspace();
      const pb = await b.owner.createPrompt({ body: { title: 'B prompt', content: PROMPT } });
      // B has no key of its own: A's keys are not B's.
      await refusedCall(w.app, () => b.owner.runPrompt({ params: { prompt: pb.id }, body: { variables: { topic: 'x' } } }), 'provider_not_configured');
      // A's sealed value copied into a row of B does not open there.
      await w.app.backend.pool.query(
        `INSERT INTO provider_key (workspace_id, name, kind, base_url, sealed_key, masked_key)
         SELECT $2, name, kind, base_url, sealed_key, masked_key FROM provider_key WHERE workspace_id = $1 AND name = 'anthropic'`,
        [a.id, b.id],
      );
      const err = await refusedCall(w.app, () => b.owner.runPrompt({ params: { prompt: pb.id }, body: { variables: { topic: 'x' } } }), 'provider_key_unreadable');
      assert.match(err.message, /set it again/);
      assert.equal(w.anthropic.received.length, 0);
    });
  });

  describe('what is sent', () => {
    it('Anthropic, streamed: system at the top level, the default max_tokens, stream flag, the key', async () => {
      const ws = await runsWorkspace(w);
      w.anthropic.script(anthropicText(['Tides ', 'follow ', 'the moon.'], { inputTokens: 20, cacheRead: 100, cacheWrite: 10, outputTokens: 7 }));
      const events = await collect(ws.owner.runs.stream({ params: { prompt: ws.promptId }, body: { variables: { topic: 'tides' }, input: 'Be brief.' } }));
      assert.equal(w.anthropic.received.length, 1);
      const sent = w.anthropic.received[0]!;
      assert.equal(sent.url, '/v1/messages');
      assert.equal(sent.headers.authorization, `Bearer ${ANTHROPIC_KEY}`);
      assert.ok(sent.headers['anthropic-version'], 'anthropic-version header');
      assert.deepEqual(sent.body, {
        model: 'claude-sonnet-4-5',
        max_tokens: 4096,
        messages: [{ role: 'user', content: 'Be brief.' }],
        system: 'Explain tides in one sentence.',
        temperature: 0.2,
        stream: true,
      });
      assert.deepEqual(events.map((e) => e.type), ['run', 'delta', 'delta', 'delta', 'attempt', 'done']);
      const done = events.at(-1) as Extract<RunStreamEvent, { type: 'done' }>;
      const run = done.run;
      assert.equal(run.status, 'succeeded');
      assert.equal(run.output, 'Tides follow the moon.');
      assert.equal(run.stopReason, 'end');
      assert.deepEqual(run.usage, { inputTokens: 130, outputTokens: 7, cachedInputTokens: 100 });
      // 20 fresh × $3 + 100 cached × $0.30 + 10 written × $3.75 + 7 out × $15, per million.
      assert.equal(run.costUsd, (20 * 3 + 100 * 0.3 + 10 * 3.75 + 7 * 15) / 1e6);
      assert.equal(run.priceAsOf, '2025-11-24');
      assert.equal(run.provider, 'anthropic');
      assert.equal(run.system, 'Explain tides in one sentence.');
      assert.equal(run.input, 'Be brief.');
      assert.ok(run.ttftMs !== null && run.ttftMs <= run.totalMs);
      assert.deepEqual(await ws.owner.getRun({ params: { id: run.id } }), run);
    });

    it('OpenAI, one answer: system message first, max_completion_tokens, no stream, usage with cached tokens', async () => {
      const ws = await runsWorkspace(w);
      w.openai.script(openaiText(['Waves.'], { promptTokens: 50, cachedTokens: 32, completionTokens: 2, finish: 'length' }));
      const run = await runJson(ws, { model: 'openai:gpt-4o-mini', input: 'Go', parameters: { max_tokens: 64, stop: ['\n\n'], top_p: 0.9 } });
      assert.equal(w.anthropic.received.length, 0);
      const sent = w.openai.received[0]!;
      assert.equal(sent.url, '/v1/chat/completions');
      assert.equal(sent.headers.authorization, `Bearer ${OPENAI_KEY}`);
      assert.deepEqual(sent.body, {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Explain tides in one sentence.' },
          { role: 'user', content: 'Go' },
        ],
        temperature: 0.2,
        top_p: 0.9,
        stop: ['\n\n'],
        max_completion_tokens: 64,
        stream: false,
      });
      assert.equal(run.status, 'succeeded');
      assert.equal(run.output, 'Waves.');
      assert.equal(run.stopReason, 'max_tokens');
      assert.deepEqual(run.usage, { inputTokens: 50, outputTokens: 2, cachedInputTokens: 32 });
      assert.equal(run.costUsd, (18 * 0.15 + 32 * 0.075 + 2 * 0.6) / 1e6);
    });

    it('OpenAI, streamed: stream_options.include_usage and the usage of the last chunk; a bare model finds its provider', async () => {
      const ws = await runsWorkspace(w);
      w.openai.script(openaiText(['a', 'b'], { promptTokens: 9, completionTokens: 2 }));
      const events = await collect(ws.owner.runs.stream({ params: { prompt: ws.promptId }, body: { variables: { topic: 'x' }, model: 'gpt-4o-mini' } }));
      const sent = w.openai.received[0]!.body;
      assert.equal(sent.stream, true);
      assert.deepEqual(sent.stream_options, { include_usage: true });
      assert.deepEqual(sent.messages, [{ role: 'user', content: 'Explain x in one sentence.' }]);
      // Anthropic is in the chain, so max_tokens is set for every target: a failover's answer stays comparable.
      assert.equal(sent.max_completion_tokens, 4096);
      const run = (events.at(-1) as Extract<RunStreamEvent, { type: 'done' }>).run;
      assert.deepEqual(run.usage, { inputTokens: 9, outputTokens: 2, cachedInputTokens: 0 });
      assert.equal(run.output, 'ab');
    });

    it('an OpenAI-compatible server gets max_tokens at its own base URL', async () => {
      const ws = await runsWorkspace(w);
      await ws.owner.setProviderKey({ body: { name: 'local', kind: 'openai_compatible', apiKey: 'local-key-123456', baseUrl: `${w.openai.origin}/compat/v1` } });
      const run = await runJson(ws, { model: 'local:llama-3.1-8b', chain: ['local:llama-3.1-8b'], parameters: { max_tokens: 10 } });
      const sent = w.openai.received[0]!;
      assert.equal(sent.url, '/compat/v1/chat/completions');
      assert.equal(sent.headers.authorization, 'Bearer local-key-123456');
      assert.equal(sent.body.max_tokens, 10);
      assert.equal(sent.body.max_completion_tokens, undefined);
      assert.equal(run.providerKind, 'openai_compatible');
      assert.equal(run.costUsd, null, 'no price for a model the table does not know');
    });
  });

  describe('failover and retries', () => {
    let ws: RunsWorkspace;
    beforeEach(async () => {
      ws = await runsWorkspace(w); // fresh circuits
    });

    for (const [name, reply, errorClass, status] of [
      ['529 overloaded', anthropicError(529, 'overloaded_error', 'Overloaded'), 'overloaded', 529],
      ['500 api_error', anthropicError(500, 'api_error', 'Internal server error'), 'server_error', 500],
      ['429 spend limit', anthropicError(429, 'rate_limit_error', 'Your workspace has reached its monthly spend limit'), 'quota_exhausted', 429],
      ['an overloaded_error inside a 200 stream', anthropicText(['never'], { errorAfter: { chunks: 0, type: 'overloaded_error', message: 'Overloaded' } }), 'overloaded', null],
    ] as const) {
      it(`fails over to the next provider on ${name}, never retrying`, async () => {
        w.anthropic.script(reply);
        const events = await collect(ws.owner.runs.stream({ params: { prompt: ws.promptId }, body: { variables: { topic: 'x' } } }));
        const run = (events.at(-1) as Extract<RunStreamEvent, { type: 'done' }>).run;
        assert.equal(run.status, 'succeeded');
        assert.equal(run.provider, 'openai');
        assert.equal(run.model, 'gpt-4o-mini');
        assert.equal(run.output, 'Hello from OpenAI');
        assert.deepEqual(outcomes(run), [`anthropic:failed_over:${errorClass}`, 'openai:ok:-']);
        assert.equal(run.attempts[0]!.httpStatus, status);
        assert.equal(w.anthropic.received.length, 1);
        // Attempts are streamed as they end, before the text of the next provider.
        assert.deepEqual(events.map((e) => e.type).slice(0, 3), ['run', 'attempt', 'delta']);
      });
    }

    it('OpenAI 429 insufficient_quota fails over at once; connection refused and timeouts fail over too', async () => {
      w.openai.script(openaiError(429, { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' }));
      let run = await runJson(ws, { chain: ['openai:gpt-4o', 'anthropic:claude-haiku-4-5'], model: 'openai:gpt-4o' });
      assert.deepEqual(outcomes(run), ['openai:failed_over:quota_exhausted', 'anthropic:ok:-']);
      assert.equal(w.openai.received.length, 1);

      await ws.owner.setProviderKey({ body: { name: 'dead', kind: 'openai_compatible', apiKey: 'dead-key-123456', baseUrl: 'http://127.0.0.1:9/v1' } });
      run = await runJson(ws, { model: 'dead:m' });
      assert.deepEqual(outcomes(run), ['dead:failed_over:connection', 'anthropic:ok:-']);

      w.openai.script(silence);
      run = await runJson(ws, { model: 'openai:gpt-4o' });
      assert.deepEqual(outcomes(run), ['openai:failed_over:timeout', 'anthropic:ok:-']);
    });

    it('retries a rate limit after retry-after-ms, then fails over when it persists', async () => {
      w.anthropic.script(anthropicError(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', { 'retry-after-ms': '150', 'retry-after': '1' }));
      let run = await runJson(ws);
      assert.deepEqual(outcomes(run), ['anthropic:retried:rate_limited', 'anthropic:ok:-']);
      assert.equal(run.attempts[0]!.retryAfterMs, 150);
      const [first, second] = w.anthropic.received;
      assert.ok(second!.at - first!.at >= 150, `waited ${second!.at - first!.at} ms`);

      w.anthropic.reset();
      const limited = anthropicError(429, 'rate_limit_error', 'rate limited', { 'retry-after': '0' });
      w.anthropic.script(limited, limited);
      run = await runJson(ws);
      assert.deepEqual(outcomes(run), ['anthropic:retried:rate_limited', 'anthropic:failed_over:rate_limited', 'openai:ok:-']);
    });

    it('does not wait out a retry-after longer than the limit, nor retry when x-should-retry is false', async () => {
      w.anthropic.script(anthropicError(429, 'rate_limit_error', 'slow down', { 'retry-after': '30' }));
      let run = await runJson(ws);
      assert.deepEqual(outcomes(run), ['anthropic:failed_over:rate_limited', 'openai:ok:-']);
      assert.equal(run.attempts[0]!.retryAfterMs, 30_000);
      w.anthropic.script(anthropicError(429, 'rate_limit_error', 'slow down', { 'x-should-retry': 'false', 'retry-after': '0' }));
      run = await runJson(ws, { chain: ['openai:gpt-4o-mini'] });
      assert.deepEqual(outcomes(run), ['anthropic:failed_over:rate_limited', 'openai:ok:-']);
    });

    it('after the first token, a failure ends the run incomplete with what arrived; no failover', async () => {
      w.anthropic.script(anthropicText(['Half ', 'an ', 'answer'], { errorAfter: { chunks: 2, type: 'overloaded_error', message: 'Overloaded' } }));
      const events = await collect(ws.owner.runs.stream({ params: { prompt: ws.promptId }, body: { variables: { topic: 'x' } } }));
      const run = (events.at(-1) as Extract<RunStreamEvent, { type: 'done' }>).run;
      assert.equal(run.status, 'incomplete');
      assert.equal(run.output, 'Half an ');
      assert.equal(run.stopReason, null);
      assert.deepEqual(outcomes(run), ['anthropic:cut_off:overloaded']);
      assert.equal(w.openai.received.length, 0);

      const broken = openaiText(['one ', 'two'], { errorAfter: { message: 'The server had an error', type: 'server_error' } });
      w.openai.script(broken, broken);
      const json = await runJson(ws, { model: 'openai:gpt-4o' });
      // One answer (not streamed) has no "after the first token": the error arrives with the whole body.
      assert.equal(json.status, 'succeeded');
      const streamed = await collect(ws.owner.runs.stream({ params: { prompt: ws.promptId }, body: { variables: { topic: 'x' }, model: 'openai:gpt-4o' } }));
      const cut = (streamed.at(-1) as Extract<RunStreamEvent, { type: 'done' }>).run;
      assert.equal(cut.status, 'incomplete');
      assert.equal(cut.output, 'one two');
      assert.deepEqual(outcomes(cut), ['openai:cut_off:server_error']);
    });

    for (const [name, reply, code, errorClass] of [
      ['400 invalid_request_error', anthropicError(400, 'invalid_request_error', 'temperature: range'), 'provider_rejected', 'bad_request'],
      ['401 authentication_error', anthropicError(401, 'authentication_error', 'invalid x-api-key'), 'provider_rejected', 'auth'],
      ['403 permission_error', anthropicError(403, 'permission_error', 'not allowed'), 'provider_rejected', 'permission'],
      ['404 for an unknown model', anthropicError(404, 'not_found_error', 'model: claude-nope'), 'unknown_model', 'unknown_model'],
      ['a prompt too long for the context', anthropicError(400, 'invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'), 'context_length_exceeded', 'context_length'],
    ] as const) {
      it(`gives up on ${name} with ${code}, trying no other provider`, async () => {
        w.anthropic.script(reply);
        const run = await failedRun(runJson(ws), code);
        assert.equal(run.status, 'failed');
        assert.deepEqual(outcomes(run), [`anthropic:gave_up:${errorClass}`]);
        assert.equal(w.openai.received.length, 0);
        assert.equal((await ws.owner.getRun({ params: { id: run.id } })).status, 'failed');
      });
    }

    it('OpenAI context_length_exceeded and model_not_found give up too', async () => {
      w.openai.script(openaiError(400, { message: "This model's maximum context length is 128000 tokens", type: 'invalid_request_error', code: 'context_length_exceeded' }));
      await failedRun(runJson(ws, { model: 'openai:gpt-4o' }), 'context_length_exceeded');
      w.openai.script(openaiError(404, { message: 'The model `gpt-9` does not exist', type: 'invalid_request_error', code: 'model_not_found' }));
      const run = await failedRun(runJson(ws, { model: 'openai:gpt-9' }), 'unknown_model');
      assert.deepEqual(outcomes(run), ['openai:gave_up:unknown_model']);
    });

    it('a run whose every provider fails says so, with each attempt', async () => {
      w.anthropic.script(anthropicError(529, 'overloaded_error', 'Overloaded'));
      w.openai.script(openaiError(503, { message: 'Service unavailable', type: 'server_error' }));
      const run = await failedRun(runJson(ws), 'providers_unavailable');
      assert.deepEqual(outcomes(run), ['anthropic:failed_over:overloaded', 'openai:failed_over:server_error']);
      assert.equal(run.provider, null);
      assert.ok(run.attempts.every((a) => a.requestId), 'each attempt keeps the provider’s request id');
      assert.equal((await ws.owner.listRuns({ query: { status: 'failed' } })).items[0]?.id, run.id);
    });

    it('skips a provider whose circuit is open, and closes it after the cool-down once a trial succeeds', async () => {
      const overloaded = anthropicError(529, 'overloaded_error', 'Overloaded');
      w.anthropic.script(overloaded, overloaded);
      await runJson(ws);
      await runJson(ws); // second fault in a row: the circuit opens
      const before = w.anthropic.received.length;
      let run = await runJson(ws);
      assert.deepEqual(outcomes(run), ['anthropic:skipped:circuit_open', 'openai:ok:-']);
      assert.equal(w.anthropic.received.length, before, 'an open circuit sends nothing');
      // Another workspace's circuit is its own.
      const other = await runsWorkspace(w);
      assert.equal((await runJson(other)).provider, 'anthropic');
      await new Promise((r) => setTimeout(r, 600)); // past ROCQET_RUNS_BREAKER_COOLDOWN_MS
      run = await runJson(ws);
      assert.deepEqual(outcomes(run), ['anthropic:ok:-'], 'the half-open trial went through');
      run = await runJson(ws);
      assert.deepEqual(outcomes(run), ['anthropic:ok:-'], 'closed again');
      // A failed trial reopens at once.
      w.anthropic.script(overloaded, overloaded);
      await runJson(ws);
      await runJson(ws);
      await new Promise((r) => setTimeout(r, 600));
      w.anthropic.script(overloaded);
      assert.deepEqual(outcomes(await runJson(ws)), ['anthropic:failed_over:overloaded', 'openai:ok:-']);
      assert.deepEqual(outcomes(await runJson(ws)), ['anthropic:skipped:circuit_open', 'openai:ok:-']);
    });
  });

  describe('bad input', () => {
    it('missing variables, unknown providers, no model, bad parameters: refused before anything is sent or stored', async () => {
      const ws = await runsWorkspace(w);
      const p = { params: { prompt: ws.promptId } };
      await refusedCall(w.app, () => ws.owner.runPrompt({ ...p, body: {} }), 'missing_variables');
      await refusedCall(w.app, () => ws.owner.runPrompt({ ...p, body: { variables: { topic: 'x' }, model: 'mistral:large' } }), 'provider_not_configured');
      await refusedCall(w.app, () => ws.owner.runPrompt({ ...p, body: { variables: { topic: 'x' }, model: 'llama-3' } }), 'provider_not_configured');
      await refusedCall(w.app, () => ws.owner.runPrompt({ ...p, body: { variables: { topic: 'x' }, chain: ['bogus'] } }), 'validation_failed');
      await refusedCall(w.app, () => ws.owner.runPrompt({ ...p, body: { variables: { topic: 'x' }, parameters: { temperature: 3 } } }), 'validation_failed');
      await refusedCall(w.app, () => ws.owner.runPrompt({ ...p, body: { variables: { topic: 'x' }, parameters: { seed: 1 } as never } }), 'validation_failed');
      await refusedCall(w.app, () => ws.owner.runPrompt({ ...p, body: { variables: { topic: 'x' }, ref: 'nope' } }), 'ref_not_found');
      await refusedCall(w.app, () => ws.owner.runPrompt({ params: { prompt: 'no/such' }, body: {} }), 'not_found');
      const bare = await ws.owner.createPrompt({ body: { title: 'No model', content: 'Say hi' } });
      await ws.owner.updateRunSettings({ body: { chain: [] } });
      await refusedCall(w.app, () => ws.owner.runPrompt({ params: { prompt: bare.id }, body: {} }), 'no_model');
      const hot = await ws.owner.createPrompt({ body: { title: 'Hot', content: '---\nmodel: gpt-4o\nparameters:\n  temperature: hot\n---\nHi' } });
      await refusedCall(w.app, () => ws.owner.runPrompt({ params: { prompt: hot.id }, body: {} }), 'invalid_front_matter');
      const res = await send(w.app, 'POST', `/v1/prompts/${ws.promptId}/runs`, { token: ws.ownerToken, body: '{"variables":', contentType: 'application/json' });
      assertProblem(res, 400, 'invalid_json');
      assert.equal(w.openai.received.length + w.anthropic.received.length, 0);
    });

    it('viewers cannot run; the budget refuses runs once the month’s estimate reaches it', async () => {
      const ws = await runsWorkspace(w);
      const viewer = await addMemberWithToken(w.app, ws, 'viewer', ['read']);
      await refusedCall(w.app, () => viewer.client.runPrompt({ params: { prompt: ws.promptId }, body: { variables: { topic: 'x' } } }), 'insufficient_scope');
      const run = await runJson(ws);
      assert.ok(run.costUsd! > 0);
      await ws.owner.updateRunSettings({ body: { monthlyBudgetUsd: run.costUsd! } });
      const settings = await viewer.client.getRunSettings();
      assert.equal(settings.spentThisMonthUsd, run.costUsd);
      assert.equal(settings.monthlyBudgetUsd, run.costUsd);
      const err = await refusedCall(w.app, () => runJson(ws), 'budget_exceeded');
      assert.equal(err.status, 402);
      await refusedCall(w.app, () => viewer.client.updateRunSettings({ body: { monthlyBudgetUsd: null } }), 'insufficient_scope');
      await ws.owner.updateRunSettings({ body: { monthlyBudgetUsd: null } });
      assert.equal((await runJson(ws)).status, 'succeeded');
    });

    it('a client that disconnects mid-stream cancels the provider call; the run is logged as cancelled', async () => {
      const ws = await runsWorkspace(w);
      w.anthropic.script(anthropicText(['Partial', ' never'], { hang: true }));
      const aborted = w.anthropic.nextAbort();
      const controller = new AbortController();
      let runId: string | undefined;
      await assert.rejects(async () => {
        for await (const e of ws.owner.runs.stream({ params: { prompt: ws.promptId }, body: { variables: { topic: 'x' } }, signal: controller.signal })) {
          if (e.type === 'run') runId = e.run.id;
          if (e.type === 'delta') controller.abort();
        }
      });
      await aborted; // the stand-in saw its request cut off
      assert.ok(runId);
      let run: Run | undefined;
      for (let i = 0; i < 100 && !run; i++) {
        run = (await ws.owner.listRuns({ query: { status: 'cancelled' } })).items.find((r) => r.id === runId);
        if (!run) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(run, 'the cancelled run was logged');
      assert.equal(run.output.startsWith('Partial'), true);
      assert.deepEqual(outcomes(run), ['anthropic:cancelled:cancelled']);
      assert.equal(w.openai.received.length, 0);
    });
  });

  describe('the run log', () => {
    it('lists newest first with filters and cursors, scoped to the workspace', async () => {
      const ws = await runsWorkspace(w);
      const runs: Run[] = [];
      for (let i = 0; i < 3; i++) runs.push(await runJson(ws, { variables: { topic: `t${i}` } }));
      runs.push(await runJson(ws, { model: 'openai:gpt-4o-mini' }));
      const all = await ws.owner.listRuns({ query: { limit: 3 } });
      assert.deepEqual(all.items.map((r) => r.id), runs.slice(1).reverse().map((r) => r.id));
      const rest = await ws.owner.listRuns({ query: { limit: 3, cursor: all.nextCursor! } });
      assert.deepEqual(rest.items.map((r) => r.id), [runs[0]!.id]);
      assert.equal(rest.nextCursor, null);
      assert.deepEqual((await ws.owner.listRuns({ query: { provider: 'openai' } })).items.map((r) => r.id), [runs[3]!.id]);
      assert.equal((await ws.owner.listRuns({ query: { model: 'claude-sonnet-4-5' } })).items.length, 3);
      assert.equal((await ws.owner.listRuns({ query: { prompt: ws.promptId, since: runs[0]!.finishedAt } })).items.length, 4);
      assert.equal((await ws.owner.listRuns({ query: { until: runs[0]!.startedAt } })).items.length, 0);
      assert.deepEqual(runs[1]!.variables, { topic: 't1' });
      assert.equal(runs[1]!.commit.seq, 1);
      assert.equal(runs[1]!.ref, 'main');
      const other = await w.app.workspace();
      await refusedCall(w.app, () => other.owner.getRun({ params: { id: runs[0]!.id } }), 'not_found');
      assert.equal((await other.owner.listRuns()).items.length, 0);
      await refusedCall(w.app, () => ws.owner.listRuns({ query: { cursor: 'bogus' } }), 'invalid_cursor');
      // One audit entry per run, at its end, and it reaches the feed's prompt filter.
      const audit = await ws.owner.listAudit({ query: { limit: 100 } });
      assert.equal(audit.items.filter((e) => e.resourceType === 'run').length, 4);
    });
  });

  describe('compare', () => {
    it('runs two refs side by side, streaming both, and diffs their outputs', async () => {
      const ws = await runsWorkspace(w);
      await ws.owner.createTag({ params: { prompt: ws.promptId }, body: { name: 'v1' } });
      const head = await ws.owner.getPrompt({ params: { prompt: ws.promptId } });
      await ws.owner.commit({ params: { prompt: ws.promptId }, body: { content: PROMPT.replace('one sentence', 'two words'), message: 'shorter', parent: head.commit.id } });
      w.anthropic.fallback((req, res) =>
        anthropicText(String((req.body.messages as { content: string }[])[0]!.content).includes('two words') ? ['Moon', ' pull.'] : ['The moon', ' pulls', ' the sea.'])(req, res),
      );
      try {
        const events = await collect(ws.owner.runs.compare({ params: { prompt: ws.promptId }, body: { sides: [{ ref: 'v1' }, { ref: 'main' }], variables: { topic: 'tides' } } }));
        const sides = new Set(events.filter((e) => e.type === 'delta').map((e) => (e as { side?: number }).side));
        assert.deepEqual([...sides].sort(), [0, 1]);
        const last = events.at(-1)!;
        assert.equal(last.type, 'compare');
        const result = (last as Extract<RunStreamEvent, { type: 'compare' }>).result;
        assert.deepEqual(result.runs.map((r) => [r.ref, r.commit.seq, r.output]), [
          ['v1', 1, 'The moon pulls the sea.'],
          ['main', 2, 'Moon pull.'],
        ]);
        assert.equal(result.diffs.length, 1);
        assert.match(result.diffs[0]!.unified, /^-The moon pulls the sea\.$/m);
        assert.match(result.diffs[0]!.unified, /^\+Moon pull\.$/m);
        assert.deepEqual([result.diffs[0]!.added, result.diffs[0]!.removed], [1, 1]);
        assert.deepEqual(result.usage.map((u) => u.side), [0, 1]);
        assert.ok(result.runs.every((r) => r.compareId === result.compareId));
        // One ref on two models, answered once as JSON.
        const json = await ws.owner.compareRuns({ params: { prompt: ws.promptId }, body: { sides: [{ model: 'anthropic:claude-haiku-4-5' }, { model: 'openai:gpt-4o-mini' }], variables: { topic: 'tides' } } });
        assert.deepEqual(json.runs.map((r) => r.provider), ['anthropic', 'openai']);
        assert.equal(json.usage[1]!.inputTokens, 11);
        assert.equal((await ws.owner.listRuns({ query: { compareId: json.compareId } })).items.length, 2);
        await refusedCall(w.app, () => ws.owner.compareRuns({ params: { prompt: ws.promptId }, body: { sides: [{}], variables: { topic: 'x' } } }), 'validation_failed');
      } finally {
        w.anthropic.fallback(anthropicText(['Hello', ' from', ' Claude']));
      }
    });
  });

  it('serves the run routes in the OpenAPI document, with the event stream as a second media type', async () => {
    const res = await send(w.app, 'GET', '/openapi.json');
    const doc = res.json as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
    const post = doc.paths['/v1/prompts/{prompt}/runs']!.post!;
    assert.deepEqual(Object.keys(post.responses['200']!.content!).sort(), ['application/json', 'text/event-stream']);
    assert.ok(doc.paths['/v1/runs/{id}'] && doc.paths['/v1/providers/{name}'] && doc.paths['/v1/run-settings']);
    void randomBytes;
  });
});
