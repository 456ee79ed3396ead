// Refuses a Node that cannot run Rocqet, with one line instead of a stack trace from deep inside a dependency.
// Kept to syntax any Node since 14 parses, so the refusal itself works on the Node it refuses.
import { readFileSync } from 'node:fs';

const engines = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const [major, minor] = process.versions.node.split('.').map(Number);

// The same ranges as `engines` (Prisma 7 and mocha 12 set them): 20.19+, 22.12+, 24 and later.
const supported = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 24;
if (!supported) {
  console.error(`Rocqet needs Node ${engines}; this is Node ${process.versions.node}. Install Node 24 (LTS) or 20.19+.`);
  process.exit(1);
}
