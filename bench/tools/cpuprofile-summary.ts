/**
 * Where a V8 CPU profile's time went, by layer: self time summed per package (or Node internals, GC, idle), then the
 * heaviest functions. For profiles of the API bench's server:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=source --import tsx bench/run.ts api --skip-baseline …
 *   node --import tsx bench/tools/cpuprofile-summary.ts FILE.cpuprofile [top=30] [FUNCTION…]
 *
 * Each FUNCTION named (e.g. `writev`) is traced to its callers: its self time by the first package up the stack.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The layer a frame belongs to: the npm package it comes from, our own code, or what V8 and Node name. */
export function layerOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith('(')) return functionName; // (garbage collector), (idle), (program), (root)
    if (/^wasm|js-to-wasm|wasm-to-js/.test(functionName)) return 'wasm';
    return '(native)';
  }
  if (url.startsWith('wasm://')) return 'wasm';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) {
    // Prisma's runtime holds several parts; name the query compiler and the client runtime apart.
    if (pkg[1] === '@prisma/client' && /query_compiler/.test(url)) return '@prisma/client (query compiler)';
    return pkg[1];
  }
  const own = /\/(backend|sdk|bench)\/src\/(.*)$/.exec(url) ?? /\/(bench)\/(.*)$/.exec(url);
  if (own) return own[1] === 'backend' && own[2]?.startsWith('db/generated') ? 'backend (generated prisma)' : (own[1] ?? 'app');
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  return url;
}

function summarize(file: string, top: number, traced: string[]): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const layers = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const layer = layerOf(node.callFrame);
    if (layer === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    layers.set(layer, (layers.get(layer) ?? 0) + us);
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'}  ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(backend|sdk|bench)\//, '$1/')}:${f.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5) + ' %';
  const ms = (us: number) => (us / 1000).toFixed(0).padStart(7) + ' ms';
  console.log(`${file}\nbusy ${ms(total)}, idle ${ms(idle)}\n\nself time by layer:`);
  for (const [layer, us] of [...layers].sort((a, b) => b[1] - a[1])) console.log(`${pct(us)} ${ms(us)}  ${layer}`);
  console.log(`\nheaviest functions (self):`);
  for (const [fn, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)} ${ms(us)}  ${fn}`);

  // Inclusive time: each sample counts once for every distinct function on its stack.
  const inclusive = new Map<string, number>();
  const keyOf = (f: CallFrame) => `${f.functionName || '(anonymous)'}  ${layerOf(f)}`;
  const walk = (id: number, onStack: Map<string, number>) => {
    const node = byId.get(id);
    if (!node) return;
    const key = keyOf(node.callFrame);
    onStack.set(key, (onStack.get(key) ?? 0) + 1);
    const us = selfUs.get(id) ?? 0;
    if (us && node.callFrame.functionName !== '(idle)') {
      for (const k of onStack.keys()) inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
    for (const c of node.children ?? []) walk(c, onStack);
    const left = (onStack.get(key) ?? 1) - 1;
    if (left === 0) onStack.delete(key);
    else onStack.set(key, left);
  };
  const root = profile.nodes.find((n) => !parentOf.has(n.id));
  if (root) walk(root.id, new Map());
  console.log(`\nheaviest functions (inclusive, outside Node's own code):`);
  const shown = [...inclusive]
    .filter(([k]) => !/ (\(native\)|node:\S+|\(root\)|\(program\))$/.test(k))
    .sort((x, y) => y[1] - x[1])
    .slice(0, top);
  for (const [k, us] of shown) console.log(`${pct(us)} ${ms(us)}  ${k}`);

  for (const name of traced) {
    const callers = new Map<string, number>();
    for (const [id, us] of selfUs) {
      if (byId.get(id)?.callFrame.functionName !== name) continue;
      let caller = '(unknown)';
      for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
        const frame = byId.get(at)?.callFrame;
        if (!frame) break;
        const layer = layerOf(frame);
        if (layer !== '(native)' && !layer.startsWith('node:')) {
          caller = `${layer} ${frame.functionName || '(anonymous)'}`;
          break;
        }
      }
      callers.set(caller, (callers.get(caller) ?? 0) + us);
    }
    console.log(`\n${name}: self time by first caller outside Node's own code:`);
    for (const [c, us] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)} ${ms(us)}  ${c}`);
  }
}

const [file, top, ...traced] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --import tsx bench/tools/cpuprofile-summary.ts FILE.cpuprofile [top] [FUNCTION…]');
  process.exit(1);
}
summarize(file, Number(top ?? 30), traced);
