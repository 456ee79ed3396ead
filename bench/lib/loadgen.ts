import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StepBounds, StepResult } from './closedLoop.js';

export type ToChild =
  | { kind: 'step'; id: number; url: string; path: string; headers: Record<string, string>; bounds: StepBounds }
  | { kind: 'stop' };

export type ToParent =
  | { kind: 'result'; id: number; result: StepResult; cpuCores: number }
  | { kind: 'failed'; id: number; message: string };

export interface LoadResult {
  result: StepResult;
  /** CPU the load generator itself used during the step, in cores (1 = one core busy the whole time). */
  cpuCores: number;
}

export interface LoadGenerator {
  /** One closed-loop step of keep-alive GETs against `url + path`, run in the child process. */
  step(url: string, path: string, headers: Record<string, string>, bounds: StepBounds): Promise<LoadResult>;
  stop(): Promise<void>;
}

const childModule = fileURLToPath(new URL('./loadgenChild.ts', import.meta.url));

/** Forks the load generator. It loads TypeScript through tsx, like the parent, and nothing else. */
export function startLoadGenerator(): LoadGenerator {
  const child: ChildProcess = fork(childModule, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    step(url, path, headers, bounds) {
      const id = nextId++;
      const deadlineMs = bounds.warmupMs + bounds.measureMs + 30_000;
      return new Promise<LoadResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`the load generator did not answer within ${deadlineMs} ms`));
        }, deadlineMs);
        const onMessage = (raw: unknown) => {
          const msg = raw as ToParent;
          if (msg.id !== id) return;
          cleanup();
          if (msg.kind === 'result') resolve({ result: msg.result, cpuCores: msg.cpuCores });
          else reject(new Error(`load generator: ${msg.message}`));
        };
        const onExit = (code: number | null) => {
          cleanup();
          reject(new Error(`the load generator exited (code ${code}) during a step`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ kind: 'step', id, url, path, headers, bounds } satisfies ToChild);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.send({ kind: 'stop' } satisfies ToChild);
        const killer = setTimeout(() => child.kill(), 5_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}
