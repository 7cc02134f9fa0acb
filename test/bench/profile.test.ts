/**
 * bench/profile.ts, the summary of `npm run bench -- --profile` runs, on a profile whose answer is known: self
 * and inclusive shares of the sampled time that was not idle, and the categories of --group.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-profile-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber, scriptId: '0', columnNumber: 0 });

// (root) → handler (10 ms self) → execute (60 ms self, a SQLite statement) and → writev (30 ms self); idle 100 ms.
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 5] },
    { id: 2, callFrame: frame('handler', 'file:///app/dist/chunks/chunk-AB12.js', 9), children: [3, 4] },
    { id: 3, callFrame: frame('execute', 'file:///app/dist/chunks/chunk-AB12.js', 99) },
    { id: 4, callFrame: frame('writev', '') },
    { id: 5, callFrame: frame('(idle)', '') },
  ],
  startTime: 0,
  endTime: 200_000,
  samples: [2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
  timeDeltas: Array.from({ length: 20 }, () => 10_000),
};
fs.writeFileSync(path.join(dir, 'CPU.test.cpuprofile'), JSON.stringify(profile));

const summary = (...args: string[]) =>
  execFileSync(process.execPath, [path.join(ROOT, 'bin/run-ts.mjs'), path.join(ROOT, 'bench/profile.ts'), dir, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });

describe('bench/profile.ts', () => {
  it('gives self and inclusive shares of the time that was not idle', () => {
    const out = summary();
    expect(out).toContain('0.2 s sampled, 0.1 s not idle');
    expect(out).toMatch(/ 60\.0 % {2}execute chunk-AB12\.js:100/);
    expect(out).toMatch(/ 30\.0 % {2}writev :1/);
    expect(out).toMatch(/ 10\.0 % {2}handler chunk-AB12\.js:10/);
    // Inclusive: the handler is on the stack of every busy sample.
    expect(out.split('inclusive time')[1]).toMatch(/100\.0 % {2}handler chunk-AB12\.js:10/);
    expect(out).not.toMatch(/% {2}\(idle\)/);
  });

  it('sums self time by category with --group', () => {
    const out = summary('--group');
    const groups = out.split('self time by category')[1]?.split('self time')[0] ?? '';
    expect(groups).toMatch(/ 60\.0 % {2}SQLite statements \(better-sqlite3\)/);
    expect(groups).toMatch(/ 30\.0 % {2}HTTP and sockets \(node\)/);
    expect(groups).toMatch(/ 10\.0 % {2}application and other JavaScript/);
  });
});
