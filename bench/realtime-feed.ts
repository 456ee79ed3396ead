/**
 * `npm run bench -- realtime-feed [--subscribers 50] [--commits 200] [--gap 20]`: the change feed's half of the
 * realtime bench (bench/realtime/feed.ts), on its own.
 */
import { parseArgs } from 'node:util';
import { numberOption } from './lib/args.js';
import { machine, today } from './lib/machine.js';
import { measureFeed } from './realtime/feed.js';

/** The goal: a commit reaches a feed subscriber with p99 under 50 ms. */
const GOAL_P99_MS = 50;

export async function run(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      subscribers: { type: 'string', default: '50' },
      commits: { type: 'string', default: '200' },
      gap: { type: 'string', default: '20' },
    },
    strict: true,
  });
  const result = await measureFeed({
    subscribers: Math.round(numberOption('subscribers', values.subscribers, 1, 1000)),
    commits: Math.round(numberOption('commits', values.commits, 1, 100_000)),
    gapMs: numberOption('gap', values.gap, 0, 10_000),
  });
  return {
    bench: 'realtime-feed',
    date: today(),
    ...result,
    goal: { feed_p99_ms: GOAL_P99_MS, met: result.feed_p99_ms < GOAL_P99_MS && result.lost_events === 0 },
    machine: machine(),
  };
}
