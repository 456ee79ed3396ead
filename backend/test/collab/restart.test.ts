import assert from 'node:assert/strict';
import { createClient } from '@rocqet/sdk';
import { pino } from 'pino';
import * as Y from 'yjs';
import { loadConfig } from '../../src/config.js';
import { bootstrapWorkspace } from '../../src/domain/workspaces/workspaces.js';
import { startBackend, type Backend } from '../../src/server.js';
import { freshDatabase } from '../support/db.js';
import { draftPrompt, joinDraft, startChild, until, type Child, type Editor } from './support.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PERSIST_MS = 200;

/** Restarts and crashes: backends in child processes on one database; the test process only sets up and reads. */
describe('collab drafts across restarts and crashes', function () {
  this.timeout(120_000);
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let control: Backend;
  let token: string;
  const children: Child[] = [];
  const editors: Editor[] = [];
  const child = async (env: Record<string, string> = {}) => {
    const c = await startChild({ DATABASE_URL: database.url, ROCQET_COLLAB_PERSIST_MS: String(PERSIST_MS), ...env });
    children.push(c);
    return c;
  };
  const join = async (c: Child, room: string) => {
    const e = await joinDraft(c.collabUrl, room, { token });
    editors.push(e);
    return e;
  };

  /** The draft's text as the database holds it. */
  const storedText = async (branchName: string, promptId: string) => {
    const { rows } = await control.pool.query<{ state: Buffer }>(
      `SELECT d.state FROM collab_doc d JOIN branch b ON b.id = d.branch_id WHERE b.prompt_id = $1 AND b.name = $2`,
      [promptId, branchName],
    );
    if (!rows[0]) return undefined;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, rows[0].state);
    return doc.getText('content').toString();
  };

  before(async () => {
    database = await freshDatabase();
    control = await startBackend({ ...loadConfig(), port: 0, databaseUrl: database.url }, pino({ level: 'silent' }));
    const created = await bootstrapWorkspace(control.db, {
      slug: 'restarts',
      name: 'Restarts',
      type: 'team',
      plan: 'pro',
      owner: { email: 'owner@example.com', name: 'Owner' },
    });
    token = created.secret;
  });
  afterEach(async () => {
    editors.splice(0).forEach((e) => e.destroy());
    await Promise.all(children.splice(0).map((c) => c.kill()));
  });
  after(async () => {
    await control?.close();
    await database?.drop();
  });

  it('a graceful stop mid-session loses nothing: the next process serves every acknowledged edit', async () => {
    const { prompt, room } = await draftPrompt(createClient({ baseUrl: control.url, token }), 'start\n');
    const a = await child({ ROCQET_COLLAB_PERSIST_MS: '60000' });
    const writer = await join(a, room);
    const watcher = await join(a, room);
    for (let i = 0; i < 50; i++) writer.text.insert(writer.text.length, `line ${i}\n`);
    const expected = writer.text.toString();
    // The watcher has it, so the server had it: acknowledged.
    await until(() => watcher.text.toString() === expected, 'the edits at the server');
    await a.stop();
    assert.equal(await storedText('main', prompt.id), expected, 'stored on the way down, not after the 60 s debounce');
    const b = await child();
    const again = await join(b, room);
    assert.equal(again.text.toString(), expected);
  });

  it('kill -9 loses nothing older than the debounce window', async () => {
    const { prompt, room } = await draftPrompt(createClient({ baseUrl: control.url, token }), 'start\n');
    const a = await child();
    const writer = await join(a, room);
    const watcher = await join(a, room);
    for (let i = 0; i < 20; i++) writer.text.insert(0, `${i} `);
    const old = writer.text.toString();
    await until(() => watcher.text.toString() === old, 'the edits at the server');
    await new Promise((r) => setTimeout(r, PERSIST_MS * 3));
    writer.text.insert(0, 'recent ');
    await a.kill();
    const stored = await storedText('main', prompt.id);
    assert.ok(stored === old || stored === 'recent ' + old, `stored: ${stored}`);
    const b = await child();
    const again = await join(b, room);
    assert.ok(again.text.toString().endsWith(old));
  });

  it('with Redis, a second process takes over storing a draft when the first dies', async () => {
    const redis = { REDIS_URL, ROCQET_COLLAB_LEASE_MS: '500' };
    const { prompt, room } = await draftPrompt(createClient({ baseUrl: control.url, token }), 'shared\n');
    const a = await child(redis);
    const onA = await join(a, room);
    const b = await child(redis);
    const onB = await join(b, room);
    onA.text.insert(0, 'from A\n');
    await until(() => onB.text.toString() === 'from A\nshared\n', 'A’s edit on B');
    await until(async () => (await storedText('main', prompt.id)) === 'from A\nshared\n', 'A stores it');
    await a.kill();
    onB.text.insert(onB.text.length, 'from B after A died\n');
    const expected = 'from A\nshared\nfrom B after A died\n';
    await until(async () => (await storedText('main', prompt.id)) === expected, 'B took over storing', 15_000);
    await b.kill();
    const c = await child(redis);
    assert.equal((await join(c, room)).text.toString(), expected);
  });
});
