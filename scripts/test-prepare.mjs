// Runs before mocha (`npm test`): makes sure the services the tests need are there, or says exactly what is missing.
//
//   PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), with `vector` and `pg_trgm`
//   Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379)
//   the VS Code test host (code-server and Debian's chromium: extension/host/install.mjs)
//
// Where something is missing and this machine allows fixing it (root on Debian, the server one of this machine's own
// clusters), it is fixed the way a fresh CI machine needs: start the cluster, build pgvector from Debian's source
// package, start or install Redis; one line per step. Anywhere else (no root, another OS, a remote server) it stops
// before any test runs with one paragraph naming what is missing and the commands that fix it.
// ROCQET_TEST_PREPARE=check only checks (no fixing); =off skips the step entirely. The VS Code host is optional: where
// it cannot be installed (or ROCQET_VSCODE_HOST=off) its tests skip, saying what is missing; a failed install stops.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

const DEFAULT_DB = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS = 'redis://127.0.0.1:6379';
const dbUrl = process.env.TEST_DATABASE_URL || DEFAULT_DB;
const redisUrl = process.env.TEST_REDIS_URL || DEFAULT_REDIS;
const mode = process.env.ROCQET_TEST_PREPARE || 'fix';

const step = (msg) => console.log(`test-prepare: ${msg}`);

class Missing extends Error {
  constructor(what, fix) {
    super(what);
    this.fix = fix;
  }
}

const redacted = (url) => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
};

// ---------------------------------------------------------------------------------------------------------------
// What this machine allows

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get') && existsSync('/etc/debian_version');
const canFix = mode === 'fix' && isRoot && hasApt;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})\n${out}`);
  }
  return r.stdout;
}

const isLocalHost = (host) => ['', 'localhost', '127.0.0.1', '::1', '[::1]'].includes(host) || host.startsWith('/');

/** This machine's Debian clusters (pg_lsclusters), as {major, port, online}. */
function localClusters() {
  if (!existsSync('/usr/bin/pg_lsclusters')) return [];
  try {
    return execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [major, name, port, status] = line.trim().split(/\s+/);
        return { major, name, port: Number(port), online: status.startsWith('online') };
      });
  } catch {
    return [];
  }
}

/** The Debian cluster serving the test URL, when the URL points at this machine. */
function ownCluster() {
  const u = new URL(dbUrl);
  const host = decodeURIComponent(u.hostname || u.searchParams.get('host') || '');
  if (!isLocalHost(host)) return undefined;
  const port = Number(u.port || u.searchParams.get('port') || 5432);
  return localClusters().find((c) => c.port === port);
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

const PG_FIX_HINT =
  'TEST_DATABASE_URL can point at any PostgreSQL >= 15 with the pgvector (>= 0.5) and pg_trgm extensions available, ' +
  'for example: TEST_DATABASE_URL=postgres://user:password@host:5432/postgres npm test';

async function connect() {
  const client = new pg.Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
}

function describePgError(err) {
  if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') return 'nothing is listening there (connection refused)';
  if (err.code === '28P01' || err.code === '28000') return `the server refused the login (${err.message})`;
  if (err.code === '3D000') return `the database does not exist (${err.message})`;
  return err.message || String(err);
}

async function reachPostgres() {
  try {
    return await connect();
  } catch (err) {
    const cluster = ownCluster();
    const refused = err.code === 'ECONNREFUSED' || err.code === 'ENOENT';
    if (refused && cluster && canFix) {
      step(`starting PostgreSQL ${cluster.major}/${cluster.name} on port ${cluster.port}`);
      startCluster(cluster);
      return connect();
    }
    const start = cluster
      ? `pg_ctlcluster ${cluster.major} ${cluster.name} start`
      : 'start PostgreSQL (Debian: pg_ctlcluster 15 main start; macOS: brew services start postgresql@16)';
    throw new Missing(
      `PostgreSQL at ${redacted(dbUrl)} cannot be used: ${describePgError(err)}.`,
      [refused ? start : 'check the user and password in TEST_DATABASE_URL', PG_FIX_HINT],
    );
  }
}

function startCluster(cluster) {
  run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.major, cluster.name, 'start']);
  for (let i = 0; i < 30; i++) {
    if (spawnSync('pg_isready', ['-q', '-p', String(cluster.port), '-h', '127.0.0.1']).status === 0) return;
    spawnSync('sleep', ['1']);
  }
}

async function availableExtensions(client) {
  const { rows } = await client.query(
    `SELECT name, default_version FROM pg_available_extensions WHERE name IN ('vector', 'pg_trgm')`,
  );
  return new Map(rows.map((r) => [r.name, r.default_version]));
}

async function serverMajor(client) {
  const { rows } = await client.query('SHOW server_version_num');
  return String(Math.floor(Number(rows[0].server_version_num) / 10000));
}

/** pgvector from Debian's source package: Debian 12 ships no binary, trixie has the source (nothing else from it). */
function buildPgvector(major) {
  const pgConfig = `/usr/lib/postgresql/${major}/bin/pg_config`;
  step(`building pgvector for PostgreSQL ${major} from Debian's source package (about a minute)`);
  writeFileSync(
    '/etc/apt/sources.list.d/trixie-src.list',
    'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n',
  );
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', `postgresql-server-dev-${major}`, 'dpkg-dev'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'pgvector-'));
  try {
    run('apt-get', ['source', '-qq', 'pgvector'], { cwd: dir });
    const src = readdirSync(dir, { withFileTypes: true }).find((e) => e.isDirectory() && e.name.startsWith('pgvector-'))?.name;
    if (!src) throw new Error('apt-get source pgvector left no source directory');
    const make = [`PG_CONFIG=${pgConfig}`, 'with_llvm=no', 'OPTFLAGS='];
    run('make', ['-s', '-j2', ...make], { cwd: path.join(dir, src) });
    run('make', ['-s', 'install', ...make], { cwd: path.join(dir, src) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function preparePostgres() {
  let client = await reachPostgres();
  try {
    let ext = await availableExtensions(client);
    const major = await serverMajor(client);
    if (Number(major) < 15) {
      throw new Missing(`PostgreSQL at ${redacted(dbUrl)} is version ${major}; the tests need 15 or later.`, [PG_FIX_HINT]);
    }
    const cluster = ownCluster();
    if (!ext.has('vector') && cluster && canFix) {
      await client.end();
      buildPgvector(major);
      // Installing the server headers can upgrade the server package, which stops the running cluster.
      const again = localClusters().find((c) => c.port === cluster.port);
      if (again && !again.online) {
        step(`starting PostgreSQL ${again.major}/${again.name} again after the package upgrade`);
        startCluster(again);
      }
      client = await connect();
      ext = await availableExtensions(client);
    }
    const missing = ['vector', 'pg_trgm'].filter((e) => !ext.has(e));
    if (missing.length) {
      const fixes = [];
      if (missing.includes('vector')) {
        fixes.push(
          `install pgvector for PostgreSQL ${major} (Debian/Ubuntu: apt-get install postgresql-${major}-pgvector, ` +
            `or build it: see ../shared/notes/database.md; macOS: brew install pgvector)`,
        );
      }
      if (missing.includes('pg_trgm')) fixes.push(`install PostgreSQL's contrib modules (postgresql-contrib-${major})`);
      fixes.push(PG_FIX_HINT);
      throw new Missing(
        `PostgreSQL ${major} at ${redacted(dbUrl)} lacks the ${missing.map((m) => `"${m}"`).join(' and ')} ` +
          `extension${missing.length > 1 ? 's' : ''} the schema needs.`,
        fixes,
      );
    }
    step(`PostgreSQL ${major} at ${redacted(dbUrl)}: vector ${ext.get('vector')}, pg_trgm ${ext.get('pg_trgm')}`);
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Redis

function pingRedis() {
  const u = new URL(redisUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    const fail = (err) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(3000, () => fail(Object.assign(new Error('no answer within 3 s'), { code: 'ETIMEDOUT' })));
    socket.once('error', fail);
    socket.once('connect', () => {
      const auth = u.password
        ? `AUTH ${u.username ? `${decodeURIComponent(u.username)} ` : ''}${decodeURIComponent(u.password)}\r\n`
        : '';
      socket.write(`${auth}PING\r\n`);
    });
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('+PONG')) {
        socket.end();
        resolve();
      } else if (buf.startsWith('-') && buf.includes('\r\n')) {
        fail(new Error(buf.trim().slice(1)));
      }
    });
  });
}

const REDIS_HINT = 'TEST_REDIS_URL can point at any Redis >= 6, for example TEST_REDIS_URL=redis://host:6379 npm test';

async function prepareRedis() {
  try {
    await pingRedis();
  } catch (err) {
    const u = new URL(redisUrl);
    const local = isLocalHost(u.hostname);
    const refused = err.code === 'ECONNREFUSED';
    if (!(local && refused && canFix)) {
      throw new Missing(`Redis at ${redacted(redisUrl)} cannot be used: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}.`, [
        local ? 'start Redis (Debian: apt-get install redis-server && redis-server --daemonize yes; macOS: brew services start redis)' : 'check that Redis is running there',
        REDIS_HINT,
      ]);
    }
    if (!existsSync('/usr/bin/redis-server')) {
      step("installing Redis from Debian's packages");
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    }
    const port = u.port || '6379';
    step(`starting Redis on port ${port}`);
    run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', port, '--save', '', '--appendonly', 'no',
      '--dir', tmpdir(), '--logfile', path.join(tmpdir(), `rocqet-test-redis-${port}.log`)]);
    for (let i = 0; i < 30; i++) {
      try {
        await pingRedis();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await pingRedis();
  }
  step(`Redis at ${redacted(redisUrl)}: reachable`);
}

// ---------------------------------------------------------------------------------------------------------------
// The VS Code test host

async function prepareVscodeHost() {
  const { ensureHost } = await import('../extension/host/install.mjs');
  const problem = ensureHost({ fix: mode === 'fix', log: step });
  if (problem) step(`${problem} Its tests will skip.`);
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  if (mode === 'off') return;
  const problems = [];
  for (const prepare of [preparePostgres, prepareRedis]) {
    try {
      await prepare();
    } catch (err) {
      if (!(err instanceof Missing)) throw err;
      problems.push(err);
    }
  }
  if (problems.length === 0) return prepareVscodeHost();
  const why = canFix
    ? ''
    : mode !== 'fix'
      ? ' (ROCQET_TEST_PREPARE=check: nothing was changed)'
      : !isRoot || !hasApt
        ? ' (this step fixes such things only as root on Debian)'
        : '';
  const fixes = [...new Set(problems.flatMap((p) => p.fix))];
  console.error(
    `\nnpm test cannot start: ${problems.map((p) => p.message).join(' ')}${why}\n` +
      `To fix it:\n${fixes.map((f) => `  - ${f}`).join('\n')}\nNo test was run.\n`,
  );
  process.exit(2);
}

main().catch((err) => {
  console.error(`\nnpm test cannot start: preparing the test services failed: ${err.message}\nNo test was run.\n`);
  process.exit(2);
});
