/**
 * bench/proc-cpu.ts: the benchmark's server CPU and memory figures come from /proc lines parsed here. A name
 * with spaces or parentheses (any program can be started under such a name) must not shift the fields, or
 * a run would report another column's ticks as CPU time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clockTicksPerSecond,
  cpuPerRequest,
  parseStat,
  parseStatusMemory,
  processTree,
  treeCpu,
  treeMemory,
} from '../../bench/proc-cpu.ts';

const onLinux = process.platform === 'linux' && fs.existsSync('/proc/self/stat');

describe.runIf(onLinux)('bench/proc-cpu on real /proc lines', () => {
  // The kernel names a process after the file it executes: a symlink to `sleep` named like this gives a real
  // stat line whose name holds spaces and parentheses, and a ") " before the real end of the name.
  const NAME = 'tv (b) x) y';
  let dir: string;
  let child: ChildProcess;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proc-cpu-'));
    const sleep = ['/bin/sleep', '/usr/bin/sleep'].find((p) => fs.existsSync(p));
    if (!sleep) throw new Error('no sleep binary');
    fs.symlinkSync(sleep, path.join(dir, NAME));
    child = spawn(path.join(dir, NAME), ['30'], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  });

  afterAll(() => {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('parses /proc/self/stat: pid, ppid, state and CPU ticks that follow the CPU this process burns', () => {
    const before = parseStat(fs.readFileSync('/proc/self/stat', 'utf8'));
    expect(before.pid).toBe(process.pid);
    expect(before.ppid).toBe(process.ppid);
    expect(before.state).toBe('R');
    for (const v of [before.utime, before.stime, before.cutime, before.cstime]) expect(v).toBeGreaterThanOrEqual(0);
    // Burn 300 ms of CPU by the kernel's own account (getrusage), then /proc must show at least 200 ms more.
    const start = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage(start).user + process.cpuUsage(start).system < 300_000) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    const after = parseStat(fs.readFileSync('/proc/self/stat', 'utf8'));
    const hz = clockTicksPerSecond();
    expect(hz).toBeGreaterThan(0);
    expect((after.utime + after.stime - before.utime - before.stime) / hz).toBeGreaterThanOrEqual(0.2);
  });

  it('parses the real stat line of a process whose name holds spaces and parentheses', () => {
    const line = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    expect(line).toContain(`(${NAME})`);
    const s = parseStat(line);
    expect(s).toMatchObject({ pid: child.pid, comm: NAME, ppid: process.pid });
    expect(s.state).toMatch(/^[RS]$/);
    expect(s.utime).toBeGreaterThanOrEqual(0);
  });

  it('finds the tree below a process and sums its CPU and memory', () => {
    const tree = processTree(process.pid);
    expect(tree.map((s) => s.pid)).toEqual(expect.arrayContaining([process.pid, child.pid]));
    expect(tree.every((s) => s.pid === process.pid || tree.some((p) => p.pid === s.ppid))).toBe(true);
    const cpu = treeCpu(process.pid);
    expect(cpu.processes).toBe(tree.length);
    expect(cpu.ticks).toBeGreaterThan(0);
    const mem = treeMemory(process.pid);
    expect(mem?.processes).toBe(tree.length);
    expect(mem?.rssMb).toBeGreaterThan(10);
    expect(mem?.peakMb).toBeGreaterThanOrEqual(mem?.rssMb ?? Number.POSITIVE_INFINITY);
  });

  it('reads VmRSS and VmHWM from /proc/self/status', () => {
    const m = parseStatusMemory(fs.readFileSync('/proc/self/status', 'utf8'));
    expect(m?.rssKb).toBeGreaterThan(1024);
    expect(m?.hwmKb).toBeGreaterThanOrEqual(m?.rssKb ?? Number.POSITIVE_INFINITY);
  });
});

describe('bench/proc-cpu arithmetic', () => {
  it('turns ticks into microseconds per request, with the tick resolution beside it', () => {
    const hz = clockTicksPerSecond();
    const r = cpuPerRequest({ ticks: 1000, processes: 1 }, { ticks: 1000 + hz * 3, processes: 1 }, 10_000);
    expect(r?.usPerRequest).toBeCloseTo(300, 9);
    expect(r?.cpuSeconds).toBe(3);
    // 2 ticks (one per field of one process), spread over the 10,000 requests.
    expect(r?.resolutionUs).toBeCloseTo((2 * 1e6) / hz / 10_000, 9);
    expect(cpuPerRequest({ ticks: 0, processes: 1 }, { ticks: 5, processes: 1 }, 0)).toBeNull();
  });

  it('refuses a line that is not a stat line', () => {
    expect(() => parseStat('hello')).toThrow(/not a \/proc stat line/);
    expect(() => parseStat('12 (x) S notanumber 1 1')).toThrow(/field 4/);
  });
});
