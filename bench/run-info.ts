/** The shape of a results file (bench/results/*.json) and the machine it was measured on. */
import os from 'node:os';
import type { ScenarioName } from './options.ts';
import type { CpuPerRequest } from './proc-cpu.ts';

export interface HalfRate {
  targetRate: number;
  achievedRate: number;
  durationSeconds: number;
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** How late the generator sent requests against their schedule (p99, ms). */
  sendLagP99Ms: number;
  /** Connections open at most (32 to start with; more are opened when none is idle). */
  peakConnections: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  statusCodes: Record<string, number>;
  /** Server CPU per request answered in the paced run, µs (absent in results files before issue 21). */
  cpuUsPerReq?: number | null;
}

export interface Row {
  scenario: ScenarioName;
  /** 'scale': measured again after the preload (`storedCards`). */
  phase?: 'small' | 'scale';
  what: string;
  reqPerSec: number;
  ratio: number | null;
  /** What `ratio` divides by: the bare row, the in-process JOSE round trip, or the same scenario before the preload. */
  ratioTo?: 'bare' | 'jose' | 'small';
  p50Ms: number;
  p99Ms: number;
  /** p99 of the paced run at half of reqPerSec (bench/paced.ts); null when not run. */
  p99HalfMs?: number | null;
  half?: HalfRate | null;
  meanLatencyMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches?: number;
  statusCodes: Record<string, number>;
  rssMb: number | null;
  rssProcesses: number;
  /**
   * Server CPU time (utime + stime of its process tree, from /proc) per request answered in the measured run, µs.
   * Absent in results files written before issue 21.
   */
  cpuUsPerReq?: number | null;
  /** cpuUsPerReq ÷ the bare row's cpuUsPerReq of the same run (every row, JOSE and scale rows too). */
  cpuRatio?: number | null;
  /** What cpuUsPerReq was computed from: ticks, clock ticks per second, its resolution, processes. */
  cpu?: CpuPerRequest | null;
  /** Cards in the database when the scenario ran (scale rows). */
  storedCards?: number;
}
export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  memoryGb: number;
  /** 1-minute load average at the start: other work on a shared machine skews absolute numbers. */
  loadAverage: number;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

export const shortCpu = (m: Machine) =>
  `${m.cpu
    .replace(/\((R|TM)\)/gi, '')
    .replace(/\s+CPU\b/i, '')
    .replace(/\s+@.*$/, '')
    .replace(/\s+\d+-Core Processor$/i, '')
    .replace(/\s+/g, ' ')
    .trim()} ×${m.cores}`;

export interface ScaleInfo {
  cards: number;
  preloadSeconds: number;
  cardsPerSecond: number;
  buildWorkers: number;
  writeSeconds: number;
  /** Bulk-loaded cards revealed through the HTTP API and compared with what was loaded. */
  revealChecked: number;
  /** Server RSS after the reruns at scale. */
  rssAfterMb: number | null;
  /** Card numbers this run sent to the server through its APIs (setup and every scenario). */
  cardNumbersSentToServer: number;
}

/** What a --through-api run measured (bench/through-api.ts). */
export interface ThroughApiInfo {
  /** Cards asked for; every one must be answered 201. */
  cards: number;
  created: number;
  connections: number;
  seconds: number;
  cardsPerSecond: number;
  /** Server CPU per card over the whole run, µs. */
  cpuUsPerCard: number | null;
  cpu: CpuPerRequest | null;
  p50Ms: number;
  p99Ms: number;
  rssBeforeMb: number | null;
  rssAfterMb: number | null;
  /** VmHWM summed over the server's processes after the run: the peak resident set (one process) or a bound on it. */
  peakRssMb: number | null;
  processes: number;
  /** The server's RSS as the run went (about every tenth of it). */
  rssSamples: { cards: number; rssMb: number }[];
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

export interface RunInfo {
  date: string;
  startedAt: string;
  machine: Machine;
  config: {
    db: string;
    workers: number;
    durationSeconds: number;
    halfRateSeconds?: number | null;
    connections: number;
    warmupSeconds: number;
    quick: boolean;
    scale?: number;
    /** Cards tokenized through the HTTP API by a --through-api run (which runs no scenarios). */
    throughApi?: number;
    autocannon: string;
  };
  rssNote: string;
  /** In-process JOSE round trips per second, one at a time (the JOSE rows' ratio). */
  joseCeilings?: Partial<Record<ScenarioName, number>>;
  scale?: ScaleInfo | null;
  throughApi?: ThroughApiInfo | null;
  /** Empty in a --through-api run. */
  rows: Row[];
  failures: string[];
}
