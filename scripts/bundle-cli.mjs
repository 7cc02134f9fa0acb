#!/usr/bin/env node
/**
 * Bundles the CLI entry for start-up; `npm run build` runs it (postbuild) after tsc has type-checked src/ and
 * emitted dist/. dist/main.js, which bin/tokenvault.mjs imports, becomes src/main.ts with the project's own
 * modules in one file, and what commands load lazily (the vault, the server, metrics) in dist/chunks/: a
 * command resolves and reads a few files instead of about eighty. The other files tsc wrote stay in dist/ but
 * nothing loads them.
 *
 * npm packages stay external (loaded from node_modules, and only by the commands that use them, as
 * test/build.test.ts checks), except those in BUNDLED: kysely, whose ESM build is about 260 small files that
 * took half of `merchants list`'s start-up to resolve and load one by one. It is pure JavaScript and lands in
 * the chunk of the commands that open the vault, so `--help` does not load it.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
/** npm packages compiled into the bundle instead of loaded from node_modules. */
const BUNDLED = new Set(['kysely']);

/** Keeps every bare import (an npm package or a node: builtin) external unless its package is in BUNDLED. */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.match(/^(?:@[^/]+\/)?[^/]+/)?.[0];
      return name && BUNDLED.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

const chunks = path.join(root, 'dist/chunks');
fs.rmSync(chunks, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'src/main.ts' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  plugins: [externalPackages],
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
});

// The card elements' browser files, which the server reads from dist/elements/ (scripts/bundle-elements.mjs).
const { writeElements } = await import('./bundle-elements.mjs');
await writeElements();
