/**
 * `npm run bench -- realtime`: the realtime issue's one JSON object — collaborative edits reaching 2, 10 and 50 other
 * editors in one process and across two (bench/realtime/collab.ts), and a commit reaching change-feed subscribers on
 * another backend (bench/realtime/feed.ts) — each beside its raw baseline (Redis publish→subscribe, NOTIFY→LISTEN)
 * measured in the same run. `realtime-collab` and `realtime-feed` run either half alone.
 */
import { machine, today } from './lib/machine.js';
import { measureCollab } from './realtime/collab.js';
import { measureFeed } from './realtime/feed.js';

/**
 * The goals on this machine (ms, p99). `feed_p99_ms` is from the writer's transaction committing to the event
 * at a subscriber on another backend (bench/realtime/feed.ts says what each feed figure measures).
 */
const GOALS = { edit_p99_ms: 30, edit_cross_process_p99_ms: 50, feed_p99_ms: 50 };

export async function run(_args: string[]) {
  const collab = await measureCollab();
  const feed = await measureFeed();
  const at50 = collab.clients.indexOf(50);
  return {
    bench: 'realtime',
    date: today(),
    ...collab,
    ...feed,
    goals: {
      ...GOALS,
      met: {
        edit_p99_ms: (collab.edit_p99_ms[at50] ?? Infinity) < GOALS.edit_p99_ms,
        edit_cross_process_p99_ms: (collab.edit_cross_process_p99_ms[at50] ?? Infinity) < GOALS.edit_cross_process_p99_ms,
        feed_p99_ms: feed.feed_p99_ms < GOALS.feed_p99_ms,
        no_lost: collab.lost_edits === 0 && feed.lost_events === 0,
      },
    },
    machine: machine(),
  };
}
