// Bundles the extension (and, for the host tests, its in-host test suite) into CommonJS with esbuild: yjs,
// y-websocket, ws and the sdk go inside; only `vscode` (given by the host) and mocha (tests only) stay outside.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  conditions: ['source'],
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // ws's optional native helpers: absent, and ws works without them.
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
};
await build({ ...common, entryPoints: [path.join(here, 'src/extension.ts')], outfile: path.join(here, 'dist/extension.cjs') });
if (!production) {
  await build({ ...common, external: [...common.external, 'mocha'], entryPoints: [path.join(here, 'src/test/index.ts')], outfile: path.join(here, 'out/test/index.cjs') });
  await build({ ...common, entryPoints: [path.join(here, 'src/test/bench.ts')], outfile: path.join(here, 'out/test/bench.cjs') });
}
