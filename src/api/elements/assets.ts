/**
 * The card elements' browser files (assets/), as the server serves them: read from dist/elements/ when the
 * server runs from its build (`npm run build` bundles them there), bundled in memory by the same build function
 * when it runs from the TypeScript sources (tests, tsx). Either way once per process: they never change while it runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The files served under /elements/v1/assets/ (and tokenvault.js at /elements/v1/tokenvault.js). */
export const ASSET_FILES = ['tokenvault.js', 'card.js', 'card.css', 'demo.js', 'demo.css'] as const;
export type AssetFile = (typeof ASSET_FILES)[number];
export type ElementAssets = Readonly<Record<AssetFile, string>>;

export const assetType = (file: AssetFile): string =>
  file.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';

/** The directory holding package.json, above this module wherever it runs from (src/, dist/ or dist/chunks/). */
function packageRoot(): string {
  let dir = import.meta.dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('card elements: no package.json above the server code');
    dir = up;
  }
  return dir;
}

async function load(): Promise<ElementAssets> {
  const root = packageRoot();
  if (!fileURLToPath(import.meta.url).endsWith('.ts')) {
    const dir = path.join(root, 'dist/elements');
    const read = (file: AssetFile) => {
      const where = path.join(dir, file);
      if (!fs.existsSync(where)) throw new Error(`card elements: ${where} is missing; run npm run build`);
      return fs.readFileSync(where, 'utf8');
    };
    return Object.freeze(Object.fromEntries(ASSET_FILES.map((f) => [f, read(f)])) as Record<AssetFile, string>);
  }
  const { bundleElements } = (await import(pathToFileURL(path.join(root, 'scripts/bundle-elements.mjs')).href)) as {
    bundleElements: () => Promise<Record<string, string>>;
  };
  const files = await bundleElements();
  for (const f of ASSET_FILES) if (typeof files[f] !== 'string') throw new Error(`card elements: the bundle has no ${f}`);
  return Object.freeze(files as Record<AssetFile, string>);
}

// Per process, not per app: a test process builds many apps, and the files are the same for all of them.
let loading: Promise<ElementAssets> | null = null;

export function loadElementAssets(): Promise<ElementAssets> {
  loading ??= load().catch((e: Error) => {
    loading = null;
    throw e;
  });
  return loading;
}
