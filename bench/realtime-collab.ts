/** `npm run bench -- realtime-collab`: the edit numbers of the realtime bench alone (see bench/realtime/collab.ts). */
import { machine, today } from './lib/machine.js';
import { measureCollab } from './realtime/collab.js';

export async function run(): Promise<object> {
  return { bench: 'realtime-collab', date: today(), machine: machine(), ...(await measureCollab()) };
}
