import { RocqetError, type CompareResult, type Run, type RunAttempt, type RunStreamEvent } from '@rocqet/sdk';

/** One column of the run panel: a run as its stream has told it so far. */
export interface RunSide {
  label: string;
  runId?: string;
  commitSeq?: number;
  status: 'starting' | 'streaming' | Run['status'];
  output: string;
  attempts: RunAttempt[];
  provider?: string | null;
  model?: string | null;
  usage?: Run['usage'];
  costUsd?: number | null;
  ttftMs?: number | null;
  totalMs?: number;
  /** What went wrong, in words a person can act on (a refusal, or the run's own error). */
  problem?: string;
}

export interface RunPanelState {
  title: string;
  sides: RunSide[];
  /** Set once a compare has finished: the first side's output against the second's. */
  diff?: { added: number; removed: number };
  done: boolean;
}

export function startState(title: string, labels: string[]): RunPanelState {
  return { title, sides: labels.map((label) => ({ label, status: 'starting', output: '', attempts: [] })), done: false };
}

/** Folds one stream event into the state (a compare's events carry their side). */
export function applyEvent(state: RunPanelState, e: RunStreamEvent): void {
  if (e.type === 'compare') {
    finishCompare(state, e.result);
    return;
  }
  const side = state.sides[e.side ?? 0];
  if (!side) return;
  switch (e.type) {
    case 'run':
      side.runId = e.run.id;
      side.commitSeq = e.run.commit.seq;
      return;
    case 'attempt':
      side.attempts.push(e.attempt);
      return;
    case 'delta':
      side.status = 'streaming';
      side.output += e.text;
      return;
    case 'done':
      finishSide(side, e.run);
      if (state.sides.length === 1) state.done = true;
      return;
  }
}

function finishSide(side: RunSide, run: Run): void {
  side.runId = run.id;
  side.commitSeq = run.commit.seq;
  side.status = run.status;
  side.output = run.output;
  side.attempts = run.attempts;
  side.provider = run.provider;
  side.model = run.model;
  side.usage = run.usage;
  side.costUsd = run.costUsd;
  side.ttftMs = run.ttftMs;
  side.totalMs = run.totalMs;
  if (run.error) side.problem = problemText(run.error.code, run.error.detail);
}

function finishCompare(state: RunPanelState, result: CompareResult): void {
  result.runs.forEach((run, i) => {
    const side = state.sides[i];
    if (side) finishSide(side, run);
  });
  const d = result.diffs[0];
  if (d) state.diff = { added: d.added, removed: d.removed };
  state.done = true;
}

/** A failure before or during the stream, on every side still open. */
export function failState(state: RunPanelState, err: unknown, cancelled: boolean): void {
  for (const side of state.sides) {
    if (side.status !== 'starting' && side.status !== 'streaming') continue;
    if (cancelled) side.status = 'cancelled';
    else {
      side.status = 'failed';
      side.problem = describeRunError(err);
    }
  }
  state.done = true;
}

/** What each problem a run can answer means for the person who asked, and what they can do about it. */
const ADVICE: Record<string, string> = {
  provider_not_configured: 'No API key is configured for that provider in this workspace: an admin adds one (Rocqet provider keys).',
  provider_key_unreadable: 'The stored provider key cannot be opened on the server (its secret key changed): an admin sets the key again.',
  secret_key_missing: 'The server has no ROCQET_SECRET_KEY, so it cannot hold provider keys: its operator sets one.',
  budget_exceeded: 'The workspace’s monthly run budget is spent: an admin raises it in the run settings, or wait for next month.',
  missing_variables: 'Required variables are missing',
  invalid_variable_value: 'A variable’s value is not allowed',
  no_model: 'The prompt names no model and the workspace has no failover chain: pick a model, or an admin sets a chain.',
  unknown_model: 'The provider does not know that model: pick another one.',
  provider_rejected: 'The provider refused the request',
  context_length_exceeded: 'The rendered prompt is longer than the model’s context window: pick a model with a larger one.',
  providers_unavailable: 'No provider in the chain could run the prompt (each attempt is listed below): try again later.',
  insufficient_scope: 'Your token cannot run prompts: runs need the write scope (viewers cannot run).',
  forbidden: 'Your role in this workspace cannot run prompts.',
  ref_not_found: 'That branch, tag or commit does not exist',
  invalid_front_matter: 'The prompt’s front matter is not valid',
};

export function problemText(code: string, detail: string): string {
  const advice = ADVICE[code];
  if (!advice) return detail;
  // The advice that ends in a full stop stands alone; the others are completed by the server's detail.
  return advice.endsWith('.') ? `${advice} (${detail})` : `${advice}: ${detail}`;
}

export function describeRunError(err: unknown): string {
  if (err instanceof RocqetError) {
    if (err.code === 'network_error') return `The Rocqet server cannot be reached (${err.message}).`;
    return problemText(err.code, err.message);
  }
  return err instanceof Error ? err.message : String(err);
}

/** The usage line under a side: provider/model, tokens in/out/cached, cost, time to first token, total. */
export function usageLine(side: RunSide): string {
  const parts: string[] = [];
  if (side.provider || side.model) parts.push(`${side.provider ?? '?'}:${side.model ?? '?'}`);
  if (side.usage) {
    const n = (v: number | null) => (v === null ? '?' : v.toLocaleString('en'));
    parts.push(`tokens in ${n(side.usage.inputTokens)} (cached ${n(side.usage.cachedInputTokens)}), out ${n(side.usage.outputTokens)}`);
  }
  if (side.costUsd !== undefined) parts.push(side.costUsd === null ? 'cost unknown' : `≈ $${side.costUsd.toFixed(side.costUsd < 0.01 ? 6 : 4)}`);
  if (side.ttftMs !== undefined && side.ttftMs !== null) parts.push(`first token ${side.ttftMs} ms`);
  if (side.totalMs !== undefined) parts.push(`total ${side.totalMs} ms`);
  return parts.join(' · ');
}

export function attemptLine(a: RunAttempt): string {
  const why = a.errorClass ? ` (${a.errorClass}${a.httpStatus ? ` ${a.httpStatus}` : ''})` : '';
  return `${a.provider}:${a.model} — ${a.outcome}${why}, ${a.latencyMs} ms`;
}
