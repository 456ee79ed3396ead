import type { Run } from '@rocqet/sdk';
import { codeSections, context, escapeMrkdwn, section, type Block } from './limits.js';

/** Header, about, a problem, the context and room to spare leave these for the output (3,000 characters each). */
const OUTPUT_SECTIONS = 8;

/** What each refusal a run can meet means for the person who clicked, and what they can do about it. */
const ADVICE: Record<string, string> = {
  provider_not_configured: 'No API key is configured in Rocqet for that provider: a Rocqet admin adds one.',
  provider_key_unreadable: 'Rocqet cannot open the stored provider key: a Rocqet admin sets it again.',
  secret_key_missing: 'The Rocqet server has no ROCQET_SECRET_KEY, so it holds no provider keys.',
  budget_exceeded: 'The workspace’s monthly run budget is spent: a Rocqet admin raises it, or wait for next month.',
  no_model: 'The prompt names no model and the workspace has no failover chain: a Rocqet admin sets one.',
  unknown_model: 'The provider does not know the prompt’s model.',
  context_length_exceeded: 'The rendered prompt is longer than the model’s context window.',
  providers_unavailable: 'No provider in the chain could run the prompt right now; try again later.',
  insufficient_scope: 'Runs need the write scope, which your Rocqet token does not have.',
};

export function runProblem(code: string, detail: string): string | undefined {
  const advice = ADVICE[code];
  return advice ? `${advice} (${detail})` : undefined;
}

function usageLine(run: Run): string {
  const n = (v: number | null) => (v === null ? '?' : v.toLocaleString('en'));
  const parts = [
    run.provider ? `\`${escapeMrkdwn(`${run.provider}:${run.model ?? '?'}`)}\`` : 'no provider answered',
    `tokens in ${n(run.usage.inputTokens)} (cached ${n(run.usage.cachedInputTokens)}), out ${n(run.usage.outputTokens)}`,
    run.costUsd === null ? 'cost unknown' : `≈ $${run.costUsd.toFixed(run.costUsd < 0.01 ? 6 : 4)}`,
  ];
  if (run.ttftMs !== null) parts.push(`first token ${run.ttftMs} ms`);
  parts.push(`${run.totalMs} ms`);
  return parts.join(' · ');
}

/** A finished run as an ephemeral message: what ran, its output (cut with a note when long), model, tokens, cost. */
export function runMessage(prompt: { title: string; path: string }, ref: string, run: Run, userId: string): { text: string; blocks: Block[] } {
  const blocks: Block[] = [
    section(`*${escapeMrkdwn(prompt.title)}*  \`${escapeMrkdwn(prompt.path)}\` @ \`${escapeMrkdwn(ref)}\` (#${run.commit.seq}) — ${run.status}`),
  ];
  if (run.error) blocks.push(section(`:warning: ${escapeMrkdwn(runProblem(run.error.code, run.error.detail) ?? run.error.detail)}`));
  if (run.output) blocks.push(...codeSections(run.output, OUTPUT_SECTIONS, undefined));
  else if (!run.error) blocks.push(section('_The model answered with no text._'));
  const failedOver = run.attempts.filter((a) => a.outcome !== 'ok').map((a) => `${a.provider} ${a.outcome}${a.errorClass ? ` (${a.errorClass})` : ''}`);
  blocks.push(context([
    usageLine(run),
    ...(failedOver.length ? [`attempts: ${escapeMrkdwn(failedOver.join(', '))}`] : []),
    `run \`${run.id}\` by <@${userId}>: the whole output is in the run log`,
  ]));
  return { text: `Run of ${prompt.path}: ${run.status}`, blocks };
}
