/**
 * `npm run bench -- NAME [args]`: runs bench/NAME.ts and prints what its `run(args)` returns as one line of JSON on
 * stdout (logs go to stderr). A bench is any file next to this one that exports `run`; adding one is adding the file.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run(args: string[]): Promise<object>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function available(): string[] {
  return readdirSync(here, { withFileTypes: true })
    .filter((d) => d.isFile() && /^[a-z][\w-]*\.ts$/.test(d.name) && !d.name.endsWith('.d.ts') && d.name !== 'run.ts')
    .map((d) => d.name.slice(0, -'.ts'.length))
    .sort();
}

function usage(problem: string): never {
  console.error(`${problem}\nusage: npm run bench -- NAME [args]\navailable: ${available().join(', ') || '(none)'}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name) usage('name a bench');
  if (!available().includes(name)) usage(`unknown bench "${name}"`);
  const mod = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as Partial<BenchModule>;
  if (typeof mod.run !== 'function') usage(`bench/${name}.ts exports no run(args)`);
  const result = await mod.run(args);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().then(
  () => {
    // Everything a bench opens it closes, so the process ends by itself; if a handle leaks, say so and end anyway.
    setTimeout(() => {
      console.error('bench: handles were still open 10 s after the bench finished; exiting');
      process.exit(process.exitCode ?? 0);
    }, 10_000).unref();
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
