/**
 * No dependency needs a newer Node than package.json's `engines.node` says (issue 17): every package in
 * package-lock.json (production, development and optional alike) must accept the oldest Node the project
 * supports. The lockfile records each package's own `engines`, so this reads no node_modules and no registry.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const semver = createRequire(import.meta.url)('semver') as {
  validRange(range: string): string | null;
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  lockfileVersion: number;
  packages: Record<string, { name?: string; version?: string; engines?: Record<string, string> | string[] }>;
};

describe('engines', () => {
  const oldest = semver.minVersion(pkg.engines.node)?.version;

  it('package.json supports Node 20.19 and later', () => {
    expect(pkg.engines.node).toBe('>=20.19');
    expect(oldest).toBe('20.19.0');
  });

  it('every package in package-lock.json accepts the oldest supported Node', () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    const entries = Object.entries(lock.packages).filter(([where]) => where !== '');
    expect(entries.length).toBeGreaterThan(100);
    const refused: string[] = [];
    for (const [where, entry] of entries) {
      const range = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      if (range === undefined) continue;
      const name = `${entry.name ?? where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${entry.version}`;
      if (semver.validRange(range) === null) refused.push(`${name} (engines.node "${range}" is not a range)`);
      else if (!semver.satisfies(oldest as string, range)) refused.push(`${name} (engines.node "${range}", at ${where})`);
    }
    expect(refused, `packages that refuse Node ${oldest}`).toEqual([]);
  });
});
