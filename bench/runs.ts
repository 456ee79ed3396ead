/**
 * Runs bench (issue 13): time to first token through Rocqet (HTTP → auth → render → keys → the official SDK → the
 * stand-in → SSE back) against the same request made directly with the provider's SDK to the same stand-in, in the
 * same run, interleaved; and what a failover after a 529 adds beyond the failed attempt itself.
 *
 *   npm run bench -- runs [--iterations 200] [--warmup 20] [--provider-ttft-ms 20]
 *
 * The stand-ins (backend/test/runs/standins.ts) answer in each API's wire format after `provider-ttft-ms`, so both
 * paths wait the same simulated provider. Everything runs in one process: the client, the backend and the stand-ins
 * share the event loop, the same way for both paths.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { createClient, type Run } from '@rocqet/sdk';
import { pino } from 'pino';
import { loadConfig } from '../backend/src/config.js';
import { startBackend } from '../backend/src/server.js';
import { anthropicError, anthropicStandIn, anthropicText, openaiStandIn, openaiText } from '../backend/test/runs/standins.js';
import { numberOption } from './lib/args.js';
import { benchWorkspace, scratchDatabase } from './lib/database.js';
import { machine, today } from './lib/machine.js';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[i] ?? NaN) * 1000) / 1000;
}

export async function run(args: string[]): Promise<object> {
  const { values } = parseArgs({ args, options: { iterations: { type: 'string' }, warmup: { type: 'string' }, 'provider-ttft-ms': { type: 'string' } } });
  const iterations = values.iterations ? numberOption('iterations', values.iterations, 10, 100_000) : 200;
  const warmup = values.warmup ? numberOption('warmup', values.warmup, 0, 10_000) : 20;
  const providerTtft = values['provider-ttft-ms'] ? numberOption('provider-ttft-ms', values['provider-ttft-ms'], 0, 10_000) : 20;
  const load = os.loadavg().map((l) => Math.round(l * 100) / 100);

  const [anthropic, openai] = await Promise.all([anthropicStandIn(), openaiStandIn()]);
  anthropic.fallback(anthropicText(['Tides', ' follow', ' the moon.'], { delayMs: providerTtft }));
  openai.fallback(openaiText(['Tides', ' follow', ' the moon.'], { delayMs: providerTtft }));
  const scratch = await scratchDatabase('rocqet_bench_runs');
  const config = {
    ...loadConfig({
      ...process.env,
      ROCQET_SECRET_KEY: randomBytes(32).toString('hex'),
      RATE_LIMIT: '1000000',
      // Every failover iteration fails Anthropic once on purpose: keep its circuit closed so each one is measured.
      ROCQET_RUNS_BREAKER_FAILURES: '100000000',
      ROCQET_EMBEDDER: 'off',
      LOG_LEVEL: 'silent',
    }),
    port: 0,
    databaseUrl: scratch.url,
  };
  const backend = await startBackend(config, pino({ level: 'silent' }));
  try {
    const ws = await benchWorkspace(backend.db, 'pro');
    const rocqet = createClient({ baseUrl: backend.url, token: ws.secret });
    await rocqet.setProviderKey({ body: { name: 'anthropic', apiKey: 'sk-ant-bench-000000', baseUrl: anthropic.origin } });
    await rocqet.setProviderKey({ body: { name: 'openai', apiKey: 'sk-bench-openai-0000', baseUrl: `${openai.origin}/v1` } });
    await rocqet.updateRunSettings({ body: { chain: ['anthropic:claude-sonnet-4-5', 'openai:gpt-4o-mini'] } });
    const content = '---\nmodel: anthropic:claude-sonnet-4-5\nparameters:\n  max_tokens: 256\nvariables:\n  topic: { required: true }\n---\nExplain {{topic}} in one sentence.';
    const prompt = await rocqet.createPrompt({ body: { title: 'Bench explainer', content } });

    // The baseline: the same request the backend sends, made with the same SDK straight to the same stand-in.
    const direct = new Anthropic({ apiKey: 'sk-ant-bench-000000', baseURL: anthropic.origin, maxRetries: 0 });
    async function directTtft(): Promise<number> {
      const t0 = performance.now();
      const stream = await direct.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Explain tides in one sentence.' }],
        stream: true,
      });
      let first = NaN;
      for await (const ev of stream) {
        if (Number.isNaN(first) && ev.type === 'content_block_delta') first = performance.now() - t0;
      }
      return first;
    }
    async function rocqetTtft(model?: string): Promise<{ ttft: number; run: Run }> {
      const t0 = performance.now();
      let first = NaN;
      let done: Run | undefined;
      for await (const ev of rocqet.runs.stream({ params: { prompt: prompt.id }, body: { variables: { topic: 'tides' }, ...(model ? { model } : {}) } })) {
        if (Number.isNaN(first) && ev.type === 'delta') first = performance.now() - t0;
        if (ev.type === 'done') done = ev.run;
      }
      if (!done || done.status !== 'succeeded') throw new Error(`bench run did not succeed: ${JSON.stringify(done)}`);
      return { ttft: first, run: done };
    }

    console.error(`warming up (${warmup}) …`);
    for (let i = 0; i < warmup; i++) {
      await directTtft();
      await rocqetTtft();
    }
    console.error(`measuring ${iterations} interleaved pairs …`);
    const directMs: number[] = [];
    const rocqetMs: number[] = [];
    const overhead: number[] = [];
    for (let i = 0; i < iterations; i++) {
      // Alternate which goes first, so neither always meets a warmer connection.
      if (i % 2 === 0) {
        const d = await directTtft();
        const r = (await rocqetTtft()).ttft;
        directMs.push(d), rocqetMs.push(r), overhead.push(r - d);
      } else {
        const r = (await rocqetTtft()).ttft;
        const d = await directTtft();
        directMs.push(d), rocqetMs.push(r), overhead.push(r - d);
      }
    }

    // Failover: Anthropic answers 529 at once; the run fails over to OpenAI. The extra is the failover's TTFT minus
    // the failed attempt's own latency minus the TTFT of a run that goes to OpenAI directly (measured alongside).
    console.error(`measuring ${iterations} failovers …`);
    const failoverExtra: number[] = [];
    const openaiOnly: number[] = [];
    const failedAttempt: number[] = [];
    for (let i = 0; i < Math.min(iterations, 200); i++) {
      const plain = await rocqetTtft('openai:gpt-4o-mini');
      anthropic.script(anthropicError(529, 'overloaded_error', 'Overloaded'));
      const over = await rocqetTtft();
      const first = over.run.attempts[0]!;
      if (first.outcome !== 'failed_over' || over.run.provider !== 'openai') throw new Error('the bench failover did not fail over');
      openaiOnly.push(plain.ttft);
      failedAttempt.push(first.latencyMs);
      failoverExtra.push(over.ttft - first.latencyMs - plain.ttft);
    }
    const directP50 = percentile(directMs, 50);
    const result = {
      bench: 'runs',
      ttft_overhead_p50_ms: percentile(overhead, 50),
      ttft_overhead_p99_ms: percentile(overhead, 99),
      failover_extra_ms_p50: percentile(failoverExtra, 50),
      failover_extra_ms_p99: percentile(failoverExtra, 99),
      baseline_direct_ttft_p50_ms: directP50,
      baseline_direct_ttft_p99_ms: percentile(directMs, 99),
      rocqet_ttft_p50_ms: percentile(rocqetMs, 50),
      rocqet_ttft_p99_ms: percentile(rocqetMs, 99),
      failover_run_to_openai_ttft_p50_ms: percentile(openaiOnly, 50),
      failed_529_attempt_p50_ms: percentile(failedAttempt, 50),
      provider_ttft_ms: providerTtft,
      iterations,
      goals: { ttft_overhead_p50_ms: 5, failover_extra_ms_p50: 50 },
      goal_met: percentile(overhead, 50) < 5 && percentile(failoverExtra, 50) < 50,
      date: today(),
      load_average: load,
      machine: machine(),
    };
    return result;
  } finally {
    await backend.close();
    await scratch.drop();
    await Promise.all([anthropic.close(), openai.close()]);
  }
}
