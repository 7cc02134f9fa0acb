/**
 * Shipped as plain JavaScript: the `tokenvault` bin runs the build in dist/ (made by `npm run build`, which
 * `npm install` and `npm test` run), no TypeScript runner is a production dependency, and CLI commands load
 * only what they use. Which packages a command loads is checked, never how fast it starts.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const BIN = path.join(root, 'bin/tokenvault.mjs');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

/** Packages that run TypeScript sources at run time (or compile them): none belongs among production dependencies. */
const TS_RUNNERS = [
  'tsx',
  'ts-node',
  'ts-node-dev',
  'typescript',
  'esbuild',
  'esbuild-register',
  '@swc-node/register',
  'jiti',
  '@esbuild-kit/esm-loader',
];

describe('the build', () => {
  it('bin/tokenvault.mjs imports the built dist/main.js, not a TypeScript runner or a .ts file', () => {
    const bin = fs.readFileSync(BIN, 'utf8');
    expect(bin).not.toMatch(/tsx|ts-node|register\(/);
    expect(bin).not.toMatch(/\.ts['"]/);
    expect(bin).toContain("import('../dist/main.js')");
  });

  it('has no TypeScript runner among production dependencies (tsx is for bench and test tooling)', () => {
    expect(Object.keys(pkg.dependencies).filter((d) => TS_RUNNERS.includes(d))).toEqual([]);
    expect(pkg.devDependencies.tsx).toBeDefined();
  });

  it('builds on install and before the tests, into the directory the bin reads', () => {
    expect(pkg.scripts.build).toBe('tsc -p tsconfig.build.json');
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.scripts.pretest).toBe('npm run build');
    const build = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8'));
    expect(build.compilerOptions).toMatchObject({ noEmit: false, outDir: 'dist', rewriteRelativeImportExtensions: true });
    expect(build.include).toEqual(['src']);
    expect(fs.readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n')).toContain('dist/');
  });
});

/**
 * Runs the real bin with a module hook that reports every package loaded (to a file), and returns their
 * names. Needs dist/ to be built (npm test does it first).
 */
async function packagesLoaded(args: string[], env: NodeJS.ProcessEnv): Promise<Set<string>> {
  expect(fs.existsSync(path.join(root, 'dist/main.js')), 'dist/ is not built: run npm run build (npm test does)').toBe(true);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-loads-'));
  const report = path.join(dir, 'loaded.txt');
  fs.writeFileSync(
    path.join(dir, 'hooks.mjs'),
    `import fs from 'node:fs';
export async function load(url, context, next) {
  const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(url);
  if (m) fs.appendFileSync(${JSON.stringify(report)}, m[1] + '\\n');
  return next(url, context);
}
`,
  );
  fs.writeFileSync(
    path.join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${path.join(dir, 'hooks.mjs')}`)});\n`,
  );
  await run(process.execPath, ['--import', path.join(dir, 'register.mjs'), BIN, ...args], { env, timeout: 120_000 });
  const loaded = new Set(fs.existsSync(report) ? fs.readFileSync(report, 'utf8').split('\n').filter(Boolean) : []);
  fs.rmSync(dir, { recursive: true, force: true });
  return loaded;
}

const SERVER_ONLY = [
  'fastify',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  '@fastify/type-provider-typebox',
  'typebox',
  'jose',
  'prom-client',
];

describe('CLI start-up loads only what the command uses', () => {
  it('--help loads commander and nothing else', async () => {
    const loaded = await packagesLoaded(['--help'], process.env);
    expect([...loaded]).toEqual(['commander']);
  }, 150_000);

  it('merchants list on SQLite loads better-sqlite3 (kysely is bundled into dist/), not pg, the HTTP stack, jose or prom-client', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-loads-data-'));
    const env: NodeJS.ProcessEnv = { ...process.env, TOKENVAULT_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    for (const name of ['DATABASE_URL', 'TOKENVAULT_DATABASE_SCHEMA', 'TOKENVAULT_MASTER_KEY', 'TOKENVAULT_MASTER_KEY_FILE'])
      delete env[name];
    try {
      const loaded = await packagesLoaded(['merchants', 'list'], env);
      // scripts/bundle-cli.mjs compiles kysely (about 260 ESM files) into the vault's chunk for start-up.
      expect(loaded.has('kysely'), 'kysely is loaded from node_modules, not from the bundle').toBe(false);
      expect(loaded.has('better-sqlite3')).toBe(true);
      for (const name of ['pg', ...SERVER_ONLY]) expect(loaded.has(name), name).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
