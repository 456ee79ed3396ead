/**
 * `npm run bench -- slack [N]`: signed `/rocqet search` slash commands against the backend with the Slack app embedded
 * (as `npm start` serves it), at concurrency 1 and 20: the time until Slack gets its ack (the HTTP 200), and until the
 * results reach the Web API stand-in's response_url; against the same search over plain HTTP through the sdk, in the
 * same run. The library is the first 500 rows (`npm run bench -- slack N ROWS`) of awesome-chatgpt-prompts.csv when ../shared/data has it (synthetic prompts otherwise); the
 * queries are search-dev-queries.json's. Prints exactly the JSON; the concurrency-1 run and the load average
 * go to stderr.
 */
import { readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@rocqet/sdk';
import { loadConfig, repoRoot } from '../backend/src/config.js';
import { startBackend, type Backend } from '../backend/src/server.js';
import { SlackStandIn } from '../slack-app/test/standin.js';
import { sign } from '../slack-app/test/support.js';
import { benchWorkspace, scratchDatabase } from './lib/database.js';
import { machine, today } from './lib/machine.js';

const SECRET = 'bench-signing-secret';

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 100) / 100;
}
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

/** The header and the first `n` records of a CSV whose quoted fields may span lines. */
function firstRecords(csv: string, n: number): string {
  let quotes = 0;
  let records = -1;
  for (let i = 0; i < csv.length; i++) {
    if (csv[i] === '"') quotes++;
    else if (csv[i] === '\n' && quotes % 2 === 0 && ++records === n) return csv.slice(0, i + 1);
  }
  return csv;
}

export async function run(args: string[]): Promise<object> {
  const n = Number(args[0] ?? 200);
  // The first rows of the CSV: importing all 1,529 takes minutes on a loaded 2-core machine, and a search's cost here
  // is the API's, which the baseline pays alike.
  const librarySize = Number(args[1] ?? 500);
  const concurrency = 20;
  const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');
  const database = await scratchDatabase('rocqet_bench_slack');
  const slack = await SlackStandIn.start();
  let backend: Backend | undefined;
  try {
    backend = await startBackend({
      ...loadConfig({
        ROCQET_EMBEDDER: 'off',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-bench',
        SLACK_API_URL: slack.apiUrl,
        ROCQET_PUBLIC_URL: 'https://rocqet.example.com',
        ROCQET_SECRET_KEY: 'a'.repeat(64),
      }),
      host: '127.0.0.1',
      port: 0,
      databaseUrl: database.url,
      logLevel: 'silent',
      rateLimit: { limit: 1_000_000_000, windowMs: 60_000 },
      validateResponses: false,
    });
    const ws = await benchWorkspace(backend.db);
    const api = createClient({ baseUrl: backend.url, token: ws.secret, timeoutMs: 600_000 });
    const csv = path.join(dataDir, 'awesome-chatgpt-prompts.csv');
    let queries: string[];
    if (existsSync(csv)) {
      const t0 = performance.now();
      await api.importPrompts({ body: { format: 'awesome-csv', data: firstRecords(readFileSync(csv, 'utf8'), librarySize) } });
      console.error(`bench slack: imported the library in ${Math.round(performance.now() - t0)} ms`);
      queries = (JSON.parse(readFileSync(path.join(dataDir, 'search-dev-queries.json'), 'utf8')) as { q: string }[]).map((q) => q.q);
    } else {
      console.error(`bench slack: ${csv} is absent; using 300 synthetic prompts`);
      for (let i = 0; i < 300; i++) await api.createPrompt({ body: { title: `Prompt ${i}`, slug: `p-${i}`, content: `Write a ${['poem', 'review', 'plan'][i % 3]} about topic ${i}.\n` } });
      queries = ['poem', 'review topic', 'plan about'];
    }
    slack.user({ id: 'UBENCH', email: 'bench@rocqet.local', admin: true });
    const events = backend.url + '/slack/events';
    let seq = 0;
    const command = async (text: string, wait = true) => {
      const id = `r${++seq}`;
      const body = new URLSearchParams({
        team_id: slack.teamId, channel_id: 'C0BENCH', user_id: 'UBENCH', command: '/rocqet', text,
        response_url: slack.responseUrl(id), trigger_id: `trigger-${id}`, api_app_id: 'A0APP',
      }).toString();
      const started = performance.now();
      const res = await fetch(events, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body, undefined, SECRET) }, body });
      await res.arrayBuffer();
      const ack = performance.now() - started;
      if (res.status !== 200) throw new Error(`slash command answered ${res.status}`);
      if (!wait) return { ack, reply: 0, id };
      const [reply] = await slack.waitForResponse(id, 1, 30_000);
      return { ack, reply: reply!.perf - started, id };
    };
    // Link the team through the real modal flow's storage: the same submission a Slack admin makes.
    await command('link', false);
    const open = await slack.waitFor(() => slack.of('views.open')[0]);
    const submission = {
      type: 'view_submission', team: { id: slack.teamId }, user: { id: 'UBENCH', team_id: slack.teamId },
      view: { id: 'V1', team_id: slack.teamId, callback_id: 'rocqet_link', private_metadata: open.body.view.private_metadata ?? '', state: { values: { token: { value: { type: 'plain_text_input', value: ws.secret } } } } },
    };
    const linkBody = new URLSearchParams({ payload: JSON.stringify(submission) }).toString();
    const linked = await fetch(events, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(linkBody, undefined, SECRET) }, body: linkBody });
    if (!(await linked.text()).includes('"update"')) throw new Error('linking failed');

    const q = (i: number) => queries[i % queries.length]!;
    // Warm up both paths (the user's mapping and token are made on the first command).
    for (let i = 0; i < 20; i++) {
      await command(`search ${q(i)}`);
      await api.search({ query: { q: q(i), limit: 5 } });
    }
    const baseline: number[] = [];
    const serial = { ack: [] as number[], reply: [] as number[] };
    for (let i = 0; i < n; i++) {
      // Interleaved, so other load on the machine falls on both alike.
      const s = performance.now();
      await api.search({ query: { q: q(i), limit: 5 } });
      baseline.push(performance.now() - s);
      const r = await command(`search ${q(i)}`);
      serial.ack.push(r.ack);
      serial.reply.push(r.reply);
    }
    const parallel = { ack: [] as number[], reply: [] as number[] };
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n * 2) {
          const i = next++;
          const r = await command(`search ${q(i)}`);
          parallel.ack.push(r.ack);
          parallel.reply.push(r.reply);
        }
      }),
    );
    // A reply without results (the library timed out under load) still reached Slack: it is timed, and counted here.
    const bad = slack.responses.filter((r) => r.id !== 'r1' && !Array.isArray(r.body.blocks));
    console.error(JSON.stringify({
      date: today(), machine: machine(), loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), n,
      concurrency_1: {
        ack_p50_ms: percentile(sorted(serial.ack), 50), ack_p99_ms: percentile(sorted(serial.ack), 99),
        search_reply_p50_ms: percentile(sorted(serial.reply), 50), search_reply_p99_ms: percentile(sorted(serial.reply), 99),
      },
      baseline_search_http_p99_ms: percentile(sorted(baseline), 99),
      replies_without_results: bad.length,
      first_error: bad[0]?.body.text,
    }));
    return {
      bench: 'slack',
      ack_p50_ms: percentile(sorted(parallel.ack), 50),
      ack_p99_ms: percentile(sorted(parallel.ack), 99),
      search_reply_p50_ms: percentile(sorted(parallel.reply), 50),
      search_reply_p99_ms: percentile(sorted(parallel.reply), 99),
      concurrency,
      baseline_search_http_p50_ms: percentile(sorted(baseline), 50),
    };
  } finally {
    await backend?.close();
    await slack.close();
    await database.drop();
  }
}
