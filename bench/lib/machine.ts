import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memory_gb: number;
  node: string;
  platform: string;
  postgres?: string;
}

/** What the numbers were measured on. */
export function machine(postgres?: string): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    ...(postgres ? { postgres } : {}),
  };
}

/** Today in UTC, as YYYY-MM-DD. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

interface CpuTimes {
  busy: number;
  total: number;
}

function machineCpuTimes(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Starts measuring CPU; the returned function says how many cores this process and the whole machine kept busy
 * since (the machine's share comes from /proc/stat, so it is absent where that does not exist).
 */
export function cpuMeter(): () => { processCores: number; machineCores?: number } {
  const started = process.hrtime.bigint();
  const own = process.cpuUsage();
  const all = machineCpuTimes();
  return () => {
    const wallUs = Number(process.hrtime.bigint() - started) / 1000;
    const used = process.cpuUsage(own);
    const now = machineCpuTimes();
    const processCores = (used.user + used.system) / wallUs;
    if (!all || !now || now.total === all.total) return { processCores };
    const cores = os.availableParallelism();
    return { processCores, machineCores: ((now.busy - all.busy) / (now.total - all.total)) * cores };
  };
}

/** CPU seconds used so far by the live processes whose command line (as /proc shows it) passes `match`. */
function processesSeconds(match: (cmdline: string) => boolean): number {
  let ticks = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      if (!match(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '))) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of proc(5))
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100; // USER_HZ
}

/**
 * Starts measuring the CPU of the processes whose command line passes `match` (Linux; 0 elsewhere); the returned
 * function gives the cores they used since. Processes that end meanwhile take their time with them.
 */
export function processesMeter(match: (cmdline: string) => boolean): () => number {
  const started = process.hrtime.bigint();
  const before = processesSeconds(match);
  return () => (processesSeconds(match) - before) / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** PostgreSQL backends serving `database` (titled "postgres: [CLUSTER: ]USER DATABASE HOST(PORT) STATE"). */
export const postgresBackendsOf = (database: string) => (cmdline: string) =>
  cmdline.startsWith('postgres: ') && cmdline.includes(` ${database} `);
