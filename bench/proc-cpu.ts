/**
 * The server's own cost, read from /proc (Linux): CPU time and memory of a process and everything below it
 * (`tokenvault serve` and, with --workers, its cluster workers).
 *
 * CPU is utime + stime + cutime + cstime of every process in the tree, in clock ticks (USER_HZ, `getconf
 * CLK_TCK`, 100/s almost everywhere: 10 ms). All threads of a process count in its own utime/stime (libuv's
 * threadpool, worker threads); a child that exits and is reaped moves its time into its parent's cutime/cstime,
 * so a snapshot of the live tree counts every tick once. A difference of two snapshots can be off by a tick
 * per field and process, which is why the benchmark divides runs of seconds (hundreds of ticks) by the
 * requests answered in them, and records that resolution beside each figure.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  /** The executable name as the kernel keeps it (15 characters at most; may hold spaces and parentheses). */
  comm: string;
  state: string;
  ppid: number;
  /** Clock ticks in user and kernel mode, of the process and of its waited-for children. */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

/**
 * One /proc/<pid>/stat line. The name sits between the first '(' and the LAST ')': it can itself hold
 * spaces and parentheses, so the fields are counted from the last ')' (proc(5): state is field 3, ppid 4,
 * utime 14, stime 15, cutime 16, cstime 17).
 */
export function parseStat(line: string): ProcStat {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 1 || close < open) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  const rest = line
    .slice(close + 2)
    .trim()
    .split(' ');
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const field = (n: number): number => {
    const v = Number(rest[n - 3]);
    if (!Number.isSafeInteger(v)) throw new Error(`/proc stat field ${n} is not a number: ${line.slice(0, 80)}`);
    return v;
  };
  return {
    pid: Number(line.slice(0, open).trim()),
    comm: line.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
  };
}

function readStat(pid: number | string): ProcStat | null {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null; // exited meanwhile
  }
}

/** The stats of `rootPid` and every process below it, found through the ppid of every process in /proc. */
export function processTree(rootPid: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(entry);
    if (s) all.push(s);
  }
  const inTree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of all) {
      if (!inTree.has(s.pid) && inTree.has(s.ppid)) {
        inTree.add(s.pid);
        grew = true;
      }
    }
  }
  return all.filter((s) => inTree.has(s.pid));
}

let clockTicks: number | null = null;
/** USER_HZ: the unit of the /proc CPU fields (`getconf CLK_TCK`; 100 when getconf is missing). */
export function clockTicksPerSecond(): number {
  if (clockTicks === null) {
    try {
      const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      clockTicks = Number.isInteger(v) && v > 0 ? v : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface CpuSnapshot {
  ticks: number;
  processes: number;
}

/** CPU ticks used so far by a process tree (live processes and the children they reaped). */
export function treeCpu(rootPid: number): CpuSnapshot {
  const tree = processTree(rootPid);
  return { ticks: tree.reduce((sum, s) => sum + s.utime + s.stime + s.cutime + s.cstime, 0), processes: tree.length };
}

/** CPU between two snapshots, per request answered in between. */
export interface CpuPerRequest {
  /** Microseconds of server CPU per request answered. */
  usPerRequest: number;
  /** How far off usPerRequest can be from the tick counting alone: 2 ticks per process, spread over the requests. */
  resolutionUs: number;
  ticks: number;
  clockTicksPerSecond: number;
  cpuSeconds: number;
  requests: number;
  processes: number;
}

export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuPerRequest | null {
  if (requests <= 0) return null;
  const hz = clockTicksPerSecond();
  const ticks = after.ticks - before.ticks;
  const processes = Math.max(before.processes, after.processes);
  return {
    usPerRequest: (ticks * 1e6) / hz / requests,
    resolutionUs: (2 * processes * 1e6) / hz / requests,
    ticks,
    clockTicksPerSecond: hz,
    cpuSeconds: ticks / hz,
    requests,
    processes,
  };
}

export interface TreeMemory {
  /** VmRSS summed over the tree, MiB. */
  rssMb: number;
  /** VmHWM (each process's peak RSS) summed over the tree, MiB: with one process its peak, with several an upper bound. */
  peakMb: number;
  processes: number;
}

/** Parses the VmRSS and VmHWM lines of a /proc/<pid>/status text, in kB. */
export function parseStatusMemory(status: string): { rssKb: number; hwmKb: number } | null {
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return rss ? { rssKb: Number(rss[1]), hwmKb: hwm ? Number(hwm[1]) : Number(rss[1]) } : null;
}

/** Resident memory of a process tree; null when none of it could be read. */
export function treeMemory(rootPid: number): TreeMemory | null {
  let rssKb = 0;
  let hwmKb = 0;
  let processes = 0;
  for (const s of processTree(rootPid)) {
    let m: { rssKb: number; hwmKb: number } | null = null;
    try {
      m = parseStatusMemory(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8'));
    } catch {
      // exited meanwhile
    }
    if (!m) continue;
    rssKb += m.rssKb;
    hwmKb += m.hwmKb;
    processes++;
  }
  return processes ? { rssMb: rssKb / 1024, peakMb: hwmKb / 1024, processes } : null;
}
