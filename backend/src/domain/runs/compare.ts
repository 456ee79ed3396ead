import type { CompareResult, Run } from '@rocqet/sdk';
import { diffTexts } from '../versions/diff.js';

/** The first side's output against each other side's, and each side's usage: what a reviewer reads first. */
export function compareOutputs(compareId: string, runs: Run[]): CompareResult {
  const [first, ...rest] = runs;
  const diffs = rest.map((run, i) => {
    const d = diffTexts(first!.output, run.output, { aLabel: `side 0 (${label(first!)})`, bLabel: `side ${i + 1} (${label(run)})` });
    return { from: 0, to: i + 1, unified: d.unified, added: d.stats.additions, removed: d.stats.deletions };
  });
  return {
    compareId,
    runs,
    diffs,
    usage: runs.map((r, side) => ({ side, ...r.usage, costUsd: r.costUsd, ttftMs: r.ttftMs, totalMs: r.totalMs })),
  };
}

function label(run: Run): string {
  return `${run.ref}@${run.commit.seq}${run.model ? ` on ${run.provider}:${run.model}` : ''}`;
}
