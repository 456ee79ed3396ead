import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside `from` (an import.meta.url), with the same extension: .ts under
 * tsx, .js once compiled.
 */
export function spawnWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  const ext = path.extname(fileURLToPath(from));
  const workerUrl = new URL(`./${name}${ext}`, from);
  const opts = { execArgv: process.execArgv, ...options };
  if (/^\.[cm]?ts$/.test(ext)) {
    // On Node 20 tsx installs its loader hooks in the main thread only, so an inherited `--import tsx` does not
    // reach the worker: the worker registers tsx itself before importing the TypeScript entry.
    // createRequire rather than import.meta.resolve, which tsx's CommonJS transform does not provide.
    // That resolves to the package's CommonJS build (index.cjs), which in tsx 4.23 registers its loader by a path
    // relative to itself that does not exist ("Cannot find module …/dist/esm/api/esm/index.mjs"); the ESM build
    // beside it (index.mjs) registers correctly.
    const tsxApi = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
    const tsx = pathToFileURL(tsxApi).href;
    const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
    return new Worker(bootstrap, { ...opts, eval: true });
  }
  return new Worker(workerUrl, opts);
}
