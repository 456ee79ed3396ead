/**
 * The load generator's process (forked by loadgen.ts so it never shares the server's event loop). It answers each
 * `step` message with the step's result and exits when its parent disconnects or says `stop`.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { closedLoop } from './closedLoop.js';
import type { ToChild, ToParent } from './loadgen.js';

function send(msg: ToParent): void {
  process.send?.(msg);
}

async function runStep(msg: Extract<ToChild, { kind: 'step' }>): Promise<void> {
  const target = new URL(msg.url);
  if (target.protocol !== 'http:' || target.hostname !== '127.0.0.1') {
    throw new Error(`the load generator only targets http://127.0.0.1, not ${msg.url}`);
  }
  const port = Number(target.port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: msg.bounds.concurrency });
  const op = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        { agent, host: '127.0.0.1', port, path: msg.path, method: 'GET', headers: msg.headers },
        (res) => {
          res.on('data', () => {});
          res.on('error', reject);
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const result = await closedLoop(msg.bounds, op);
    const cpu = process.cpuUsage(cpu0);
    const cores = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
    send({ kind: 'result', id: msg.id, result, cpuCores: cores });
  } finally {
    agent.destroy();
  }
}

process.on('message', (raw) => {
  const msg = raw as ToChild;
  if (msg.kind === 'stop') {
    process.disconnect();
    return;
  }
  runStep(msg).catch((err: unknown) => {
    send({ kind: 'failed', id: msg.id, message: err instanceof Error ? err.message : String(err) });
  });
});
