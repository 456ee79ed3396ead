import { performance } from 'node:perf_hooks';

/** How long a closed-loop step runs and how many operations it may issue at most. */
export interface StepBounds {
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  /** A hard cap on operations issued in the whole step (warm-up included), whatever the time. */
  maxOps: number;
}

export interface StepResult {
  concurrency: number;
  /** Operations that started and finished inside the measuring window. */
  ops: number;
  errors: number;
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** The first error seen, to say why a step failed. */
  firstError?: string;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export const round = (n: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/**
 * Runs `concurrency` workers, each issuing `op` back to back (a closed loop: one operation in flight per worker),
 * for a warm-up and then a measuring window. Only operations that start and finish inside the window count, so
 * the rate is completions per second of the window and the latencies are those of the same operations.
 */
export async function closedLoop(bounds: StepBounds, op: () => Promise<void>): Promise<StepResult> {
  const start = performance.now();
  const measureFrom = start + bounds.warmupMs;
  const measureTo = measureFrom + bounds.measureMs;
  let latencies = new Float64Array(1 << 16);
  let recorded = 0;
  let issued = 0;
  let errors = 0;
  let firstError: string | undefined;

  const worker = async () => {
    while (issued < bounds.maxOps) {
      const t0 = performance.now();
      if (t0 >= measureTo) return;
      issued++;
      try {
        await op();
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        continue;
      }
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= measureTo) {
        if (recorded === latencies.length) {
          const bigger = new Float64Array(latencies.length * 2);
          bigger.set(latencies);
          latencies = bigger;
        }
        latencies[recorded++] = t1 - t0;
      }
    }
  };
  await Promise.all(Array.from({ length: bounds.concurrency }, worker));

  const sorted = latencies.subarray(0, recorded).sort();
  const seconds = bounds.measureMs / 1000;
  return {
    concurrency: bounds.concurrency,
    ops: recorded,
    errors,
    seconds,
    rps: round(recorded / seconds, 1),
    p50_ms: round(percentile(sorted, 50), 3),
    p99_ms: round(percentile(sorted, 99), 3),
    ...(firstError === undefined ? {} : { firstError }),
  };
}
