/**
 * Whole-suite leak scan (DESIGN §6): every test app appends its log lines, and every secret the tests
 * create, to files in one directory; after the last test file this fails the run if any log line holds a
 * card number (the one detector, src/domain/pan-detector.ts: separated, percent-encoded, inside other text)
 * or any of those secrets.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findCardNumbers } from '../src/domain/pan-detector.ts';

export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-scan-'));
  process.env.TOKENVAULT_TEST_SCAN_DIR = dir;
  return () => {
    const files = fs.readdirSync(dir);
    const secrets = new Set<string>();
    for (const f of files.filter((f) => f.startsWith('secrets-'))) {
      for (const s of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) if (s.length >= 8) secrets.add(s);
    }
    const hits: string[] = [];
    let lines = 0;
    for (const f of files.filter((f) => f.startsWith('logs-'))) {
      for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        if (!line) continue;
        lines++;
        // Timestamps and durations are the only long numbers a log line may carry.
        const scanned = line.replace(/"(time|responseTime)":[0-9.]+/g, '');
        for (const m of findCardNumbers(scanned)) hits.push(`${f}: a card number ending ${m.digits.slice(-4)}`);
        for (const s of secrets) if (scanned.includes(s)) hits.push(`${f}: a secret starting ${s.slice(0, 6)}…`);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    // Vitest does not fail the run for an error thrown here, so the exit code is set as well.
    const fail = (message: string): never => {
      process.exitCode = 1;
      process.stderr.write(`\nFAIL ${message}\n`);
      throw new Error(message);
    };
    if (lines === 0 && files.length > 0) fail('log scan: the test apps wrote no log lines, so the scan proves nothing');
    if (hits.length > 0) fail(`log scan: ${hits.length} leak(s) in test-suite logs:\n${[...new Set(hits)].slice(0, 20).join('\n')}`);
    process.stdout.write(`log scan: ${lines} log lines from the whole suite, ${secrets.size} secrets checked, no leak\n`);
  };
}
