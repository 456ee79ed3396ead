import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// PGlite itself does not lock its data directory, and two processes writing it (plus a crash) left it unopenable,
// so every opener goes through this lock file.
export const LOCK_FILE = 'rocqet.lock';

export class EmbeddedLockedError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`Another Rocqet is already running on this data directory (pid ${pid}): ${dataDir}. ` +
      'Stop it first, or set DATABASE_URL to use a PostgreSQL server.');
    this.name = 'EmbeddedLockedError';
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Records the database process too: after a parent crash it keeps the files open until it has closed them. */
  recordChild(pid: number): void;
  release(): void;
}

// Locks this process holds. A lock naming our own pid that is not in here is left over from an earlier
// process that had the same pid (common in containers, where pids restart from 1).
const heldHere = new Set<string>();

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const lockPath = path.join(dataDir, LOCK_FILE);
  // Bounded: each round either creates the file or removes a stale one; losing several races in a row means
  // others keep taking it, and the next read will name a live holder.
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(lockPath)) return handle(lockPath);
    const holder = await liveHolder(lockPath);
    if (holder !== undefined) throw new EmbeddedLockedError(dataDir, holder);
    // Stale (its processes are gone). Two processes taking over the same stale lock at the same instant could
    // both succeed; that needs two starts racing right after a crash, which this does not try to cover.
    fs.rmSync(lockPath, { force: true });
  }
  throw new Error(`Could not take the lock ${lockPath}: it keeps changing`);
}

function tryCreate(lockPath: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, `${process.pid}\n`);
  } finally {
    fs.closeSync(fd);
  }
  heldHere.add(lockPath);
  return true;
}

/** The first live pid in the lock file, or undefined when the lock is stale or gone. */
async function liveHolder(lockPath: string): Promise<number | undefined> {
  for (let read = 0; ; read++) {
    let text: string;
    try {
      text = fs.readFileSync(lockPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const pids = text.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
    // An empty file is normally one being written right now (created, pid not yet in it): look again before
    // calling it stale.
    if (pids.length === 0 && read < 5) {
      await sleep(50);
      continue;
    }
    return pids.find((pid) => isAlive(pid) && (pid !== process.pid || heldHere.has(lockPath)));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

// An orphaned database process that has exited stays a zombie where pid 1 does not reap (some containers); it
// still answers kill(pid, 0) but holds no files.
function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

function handle(lockPath: string): DataDirLock {
  let released = false;
  return {
    path: lockPath,
    recordChild(pid) {
      if (released) return;
      // Replace atomically so a concurrent reader never sees a half-written (empty) file.
      const tmp = `${lockPath}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${process.pid}\n${pid}\n`);
      fs.renameSync(tmp, lockPath);
    },
    release() {
      if (released) return;
      released = true;
      heldHere.delete(lockPath);
      try {
        // Only remove it while it is still ours.
        const first = fs.readFileSync(lockPath, 'utf8').split(/\s+/)[0];
        if (first === String(process.pid)) fs.rmSync(lockPath, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    },
  };
}
