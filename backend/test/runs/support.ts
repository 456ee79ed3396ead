import { randomBytes } from 'node:crypto';
import type { Run } from '@rocqet/sdk';
import { startTestApp, type TestApp, type TestWorkspace } from '../support/app.js';
import { anthropicStandIn, openaiStandIn, type StandIn } from './standins.js';

export const OPENAI_KEY = 'sk-test-openai-0123456789abcd';
export const ANTHROPIC_KEY = 'sk-ant-test-0123456789wxyz';

export const PROMPT = [
  '---',
  'description: Explain a topic',
  'model: anthropic:claude-sonnet-4-5',
  'parameters:',
  '  temperature: 0.2',
  '  response_format: left for other tools',
  'variables:',
  '  topic: { required: true }',
  '---',
  'Explain {{topic}} in one sentence.',
].join('\n');

export interface RunsWorld {
  app: TestApp;
  openai: StandIn;
  anthropic: StandIn;
  close(): Promise<void>;
}

/** A backend with a secret key and short timings, and the two provider stand-ins. */
export async function startRunsWorld(env: Record<string, string> = {}): Promise<RunsWorld> {
  const [openai, anthropic] = await Promise.all([openaiStandIn(), anthropicStandIn()]);
  const app = await startTestApp({
    ROCQET_SECRET_KEY: randomBytes(32).toString('hex'),
    ROCQET_RUNS_MAX_RETRY_WAIT_MS: '2000',
    ROCQET_RUNS_RETRY_BACKOFF_MS: '50',
    ROCQET_RUNS_BREAKER_FAILURES: '2',
    ROCQET_RUNS_BREAKER_COOLDOWN_MS: '500',
    ROCQET_RUNS_TIMEOUT_MS: '1500',
    ROCQET_FEED_HEARTBEAT_MS: '60000',
    ...env,
  });
  return {
    app,
    openai,
    anthropic,
    async close() {
      await app.close();
      await Promise.all([openai.close(), anthropic.close()]);
    },
  };
}

export interface RunsWorkspace extends TestWorkspace {
  promptId: string;
}

/** A fresh workspace (its own circuits) with both keys, the chain anthropic → openai, and the prompt above. */
export async function runsWorkspace(w: RunsWorld, content = PROMPT): Promise<RunsWorkspace> {
  const ws = await w.app.workspace();
  await ws.owner.setProviderKey({ body: { name: 'anthropic', apiKey: ANTHROPIC_KEY, baseUrl: w.anthropic.origin } });
  await ws.owner.setProviderKey({ body: { name: 'openai', apiKey: OPENAI_KEY, baseUrl: `${w.openai.origin}/v1` } });
  await ws.owner.updateRunSettings({ body: { chain: ['anthropic:claude-sonnet-4-5', 'openai:gpt-4o-mini'] } });
  const prompt = await ws.owner.createPrompt({ body: { title: `Explainer ${randomBytes(3).toString('hex')}`, content } });
  return { ...ws, promptId: prompt.id };
}

/** Runs once over JSON and returns the run, or the problem's `run` when it was refused after running. */
export async function runJson(ws: RunsWorkspace, body: Record<string, unknown> = {}): Promise<Run> {
  return ws.owner.runPrompt({ params: { prompt: ws.promptId }, body: { variables: { topic: 'tides' }, ...body } });
}
