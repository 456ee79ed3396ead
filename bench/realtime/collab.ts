/**
 * Edit latency of collaborative drafts: N stock y-websocket providers on one draft; one editor types a marker and the
 * clock stops when the last of the other editors has it. In one backend process (no Redis), and across two backend
 * processes through Redis (the latency to the editors on the other process). Backends run in child processes, so
 * the editors' event loop here is not the servers'. The baseline is a raw Redis publish→subscribe in the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { DRAFT_TEXT } from '../../sdk/src/index.js';
import { migrate } from '../../backend/src/db/migrate.js';
import { createPool } from '../../backend/src/db/pool.js';
import { createPrisma } from '../../backend/src/db/prisma.js';
import { inTransaction } from '../../backend/src/db/transaction.js';
import { createPrompt } from '../../backend/src/domain/prompts/prompts.js';
import { benchWorkspace, scratchDatabase } from '../lib/database.js';

const REDIS_URL = process.env.BENCH_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const CLIENTS = [2, 10, 50] as const;
const EDITS: Record<number, number> = { 2: 300, 10: 200, 50: 100 };
const LOST_AFTER_MS = 5_000;

export interface CollabMeasurement {
  clients: number[];
  edit_p50_ms: number[];
  edit_p99_ms: number[];
  edit_cross_process_p50_ms: number[];
  edit_cross_process_p99_ms: number[];
  baseline_redis_roundtrip_p50_ms: number;
  converged: boolean;
  lost_edits: number;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 100) / 100;
}

interface Child {
  collabUrl: string;
  proc: ChildProcess;
}

async function startChild(env: Record<string, string>): Promise<Child> {
  const script = fileURLToPath(new URL('../lib/backendChild.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    env: { ...process.env, ROCQET_EMBEDDER: 'off', ROCQET_COLLAB_MAX_CONNECTIONS_PER_TOKEN: '1000', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    proc.once('exit', (code) => reject(new Error(`backend exited with ${code}`)));
  });
  return { collabUrl: (JSON.parse(line) as { collabUrl: string }).collabUrl, proc };
}

async function stopChild(c: Child): Promise<void> {
  const exited = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGTERM');
  await exited;
}

interface Editor {
  doc: Y.Doc;
  text: Y.Text;
  provider: WebsocketProvider;
  /** Called with each inserted string as it arrives. */
  onInsert?: (s: string) => void;
}

async function join(serverUrl: string, room: string, token: string): Promise<Editor> {
  const Ws = class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { authorization: `Bearer ${token}` } });
    }
  };
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(serverUrl, room, doc, { WebSocketPolyfill: Ws as never, disableBc: true });
  const editor: Editor = { doc, text: doc.getText(DRAFT_TEXT), provider };
  editor.text.observe((event) => {
    if (event.transaction.local) return;
    for (const op of event.delta) if (typeof op.insert === 'string') editor.onInsert?.(op.insert);
  });
  await new Promise<void>((resolve) => (provider.synced ? resolve() : provider.once('sync', () => resolve())));
  return editor;
}

/** Sequential edits by rotating senders; each edit's time until every receiver has it. */
async function measureEdits(senders: Editor[], receiversOf: (sender: Editor) => Editor[], edits: number) {
  const latencies: number[] = [];
  let lost = 0;
  for (let k = 0; k < edits; k++) {
    const sender = senders[k % senders.length]!;
    const receivers = receiversOf(sender);
    const marker = `<${k}>`;
    let waiting = receivers.length;
    const started = now();
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), LOST_AFTER_MS);
      for (const r of receivers) {
        r.onInsert = (s) => {
          if (s !== marker) return;
          r.onInsert = undefined;
          if (--waiting === 0) {
            clearTimeout(timer);
            resolve(true);
          }
        };
      }
    });
    sender.text.insert(0, marker);
    if (await done) latencies.push(now() - started);
    else lost++;
    await sleep(5);
  }
  return { latencies, lost };
}

async function converged(editors: Editor[]): Promise<boolean> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    const first = editors[0]!.text.toString();
    if (editors.every((e) => e.text.toString() === first)) return true;
    await sleep(20);
  }
  return false;
}

async function redisBaseline(samples = 300): Promise<number> {
  const pub = new Redis(REDIS_URL);
  const sub = new Redis(REDIS_URL);
  const channel = `rocqet:bench:collab:${process.pid}:${Date.now()}`;
  await sub.subscribe(channel);
  const times: number[] = [];
  let pending: ((v: void) => void) | undefined;
  sub.on('message', () => pending?.());
  for (let i = 0; i < samples; i++) {
    const got = new Promise<void>((r) => (pending = r));
    const started = now();
    await pub.publish(channel, String(i));
    await got;
    times.push(now() - started);
  }
  sub.disconnect();
  pub.disconnect();
  return percentile(times, 50);
}

export async function measureCollab(): Promise<CollabMeasurement> {
  // Each y-websocket provider adds a process 'exit' listener; 100 of them are expected here.
  process.setMaxListeners(Math.max(process.getMaxListeners(), 200));
  const scratch = await scratchDatabase('rocqet_bench_collab');
  const pool = createPool(scratch.url, { max: 2 });
  const children: Child[] = [];
  const editors: Editor[] = [];
  try {
    await migrate(pool);
    const db = createPrisma(pool);
    const ws = await benchWorkspace(db);
    const actor = {
      workspaceId: ws.workspace.id,
      userId: ws.user.id,
      membershipId: ws.membership.id,
      tokenId: ws.token.id,
      role: 'owner' as const,
      scopes: ['read', 'write', 'admin'] as const,
      email: ws.user.email,
      name: ws.user.name,
    };
    const newRoom = async (n: number, where: string) => {
      const { prompt } = await inTransaction(db, (tx) =>
        createPrompt(tx, { ...actor, scopes: [...actor.scopes] }, { title: `Bench ${where} ${n}`, content: 'A prompt being edited together.\n' }),
      );
      return `${prompt.id}/main`;
    };
    await db.$disconnect();

    const env = { DATABASE_URL: scratch.url };
    const single = await startChild(env);
    children.push(single);
    const [a, b] = [await startChild({ ...env, REDIS_URL }), await startChild({ ...env, REDIS_URL })];
    children.push(a, b);

    const result: CollabMeasurement = {
      clients: [...CLIENTS],
      edit_p50_ms: [],
      edit_p99_ms: [],
      edit_cross_process_p50_ms: [],
      edit_cross_process_p99_ms: [],
      baseline_redis_roundtrip_p50_ms: 0,
      converged: true,
      lost_edits: 0,
    };
    for (const n of CLIENTS) {
      const room = await newRoom(n, 'single');
      const team: Editor[] = [];
      for (let i = 0; i < n; i++) team.push(await join(single.collabUrl, room, ws.secret));
      editors.push(...team);
      await measureEdits(team, (s) => team.filter((e) => e !== s), 20); // warm-up
      const m = await measureEdits(team, (s) => team.filter((e) => e !== s), EDITS[n]!);
      result.edit_p50_ms.push(percentile(m.latencies, 50));
      result.edit_p99_ms.push(percentile(m.latencies, 99));
      result.lost_edits += m.lost;
      result.converged &&= await converged(team);
      team.forEach((e) => e.provider.destroy());
    }
    for (const n of CLIENTS) {
      const room = await newRoom(n, 'two processes');
      const team: Editor[] = [];
      // Half the editors on each process; the senders type on A, the clock waits for everyone on B.
      for (let i = 0; i < n; i++) team.push(await join((i % 2 === 0 ? a : b).collabUrl, room, ws.secret));
      editors.push(...team);
      const onA = team.filter((_, i) => i % 2 === 0);
      const onB = team.filter((_, i) => i % 2 === 1);
      await measureEdits(onA, () => onB, 20);
      const m = await measureEdits(onA, () => onB, EDITS[n]!);
      result.edit_cross_process_p50_ms.push(percentile(m.latencies, 50));
      result.edit_cross_process_p99_ms.push(percentile(m.latencies, 99));
      result.lost_edits += m.lost;
      result.converged &&= await converged(team);
      team.forEach((e) => e.provider.destroy());
    }
    result.baseline_redis_roundtrip_p50_ms = await redisBaseline();
    return result;
  } finally {
    editors.forEach((e) => (e.provider.destroy(), e.doc.destroy()));
    await Promise.all(children.map(stopChild));
    await pool.end();
    await scratch.drop();
  }
}
