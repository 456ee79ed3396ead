import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const script = path.join(repo, 'scripts', 'test-prepare.mjs');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the preparation step as `npm test` does, in a child process (async: the PGlite server lives in this one). */
function prepare(env: Record<string, string>): Promise<Outcome> {
  const child = spawn(process.execPath, [script], { cwd: repo, env: { ...process.env, ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The stop before mocha: one paragraph, what is missing, how to fix it, and that no test ran; no stack trace. */
function assertStopped(out: Outcome, missing: RegExp): void {
  assert.equal(out.code, 2, `exit code (stdout: ${out.stdout}, stderr: ${out.stderr})`);
  assert.match(out.stderr, /npm test cannot start: /);
  assert.match(out.stderr, missing);
  assert.match(out.stderr, /TEST_DATABASE_URL can point at any PostgreSQL >= 15/);
  assert.match(out.stderr, /No test was run\./);
  assert.doesNotMatch(out.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

describe('npm test: the preparation step before mocha', function () {
  this.timeout(60_000);

  it('passes on this machine and names what it found', async () => {
    const out = await prepare({ ROCQET_TEST_PREPARE: 'check' });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /PostgreSQL \d+ at .+: vector [\d.]+, pg_trgm [\d.]+/);
    assert.match(out.stdout, /Redis at .+: reachable/);
  });

  it('stops on a closed port, and does not try to start a server that is not one of this machine’s clusters', async () => {
    const port = await freePort();
    const out = await prepare({ TEST_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres` });
    assertStopped(out, new RegExp(`PostgreSQL at postgres://postgres@127\\.0\\.0\\.1:${port}/postgres cannot be used: nothing is listening there`));
    assert.doesNotMatch(out.stdout, /starting PostgreSQL/);
  });

  it('stops on a server whose database lacks vector and pg_trgm, naming both and how to get them', async () => {
    const db = await PGlite.create();
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
    await server.start();
    try {
      const out = await prepare({ TEST_DATABASE_URL: `postgres://postgres@${server.getServerConn()}/postgres` });
      assertStopped(out, /lacks the "vector" and "pg_trgm" extensions the schema needs/);
      assert.match(out.stderr, /install pgvector for PostgreSQL \d+/);
    } finally {
      await server.stop();
      await db.close();
    }
  });

  it('stops on a wrong password (a throwaway cluster with password authentication)', async function () {
    const bin = '/usr/lib/postgresql/15/bin';
    if (process.getuid?.() !== 0 || !existsSync(`${bin}/initdb`) || !existsSync('/usr/sbin/runuser')) {
      console.log('      skipped: needs root and PostgreSQL 15 server binaries to make a throwaway cluster');
      this.skip();
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'rocqet-pwcluster-'));
    const data = path.join(dir, 'data');
    const pwfile = path.join(dir, 'pw');
    writeFileSync(pwfile, 'right-password\n');
    spawnSync('chown', ['-R', 'postgres', dir]);
    const asPostgres = (args: string[]) =>
      spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8', stdio: 'pipe' });
    const init = asPostgres([`${bin}/initdb`, '-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`]);
    assert.equal(init.status, 0, init.stderr);
    const port = await freePort();
    const started = asPostgres([`${bin}/pg_ctl`, '-D', data, '-w', '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
    assert.equal(started.status, 0, started.stderr);
    try {
      const out = await prepare({ TEST_DATABASE_URL: `postgres://postgres:wrong@127.0.0.1:${port}/postgres` });
      assertStopped(out, /the server refused the login \(password authentication failed/);
      assert.match(out.stderr, /postgres:\*\*\*@/, 'the password is not printed');
      assert.doesNotMatch(out.stderr, /wrong@/);
    } finally {
      asPostgres([`${bin}/pg_ctl`, '-D', data, '-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops when Redis is not reachable', async () => {
    const port = await freePort();
    const out = await prepare({ ROCQET_TEST_PREPARE: 'check', TEST_REDIS_URL: `redis://127.0.0.1:${port}` });
    assert.equal(out.code, 2);
    assert.match(out.stderr, new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port} cannot be used: connection refused`));
    assert.match(out.stderr, /TEST_REDIS_URL can point at any Redis/);
    assert.match(out.stderr, /No test was run\./);
  });
});
