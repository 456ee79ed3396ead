import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long an import may hold the event loop before it lets other requests (and /healthz) run. */
const SLICE_MS = 10;

/**
 * Lets a long loop on the event loop run in bounded slices: `await slice()` on every step yields a turn of the event
 * loop once the current slice has run SLICE_MS, and costs a clock read otherwise.
 */
export function slicer(): () => Promise<void> | undefined {
  let started = performance.now();
  return () => {
    if (performance.now() - started < SLICE_MS) return undefined;
    return nextTurn().then(() => {
      started = performance.now();
    });
  };
}
