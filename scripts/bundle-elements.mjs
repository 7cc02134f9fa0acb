/**
 * Bundles the card elements' browser files (src/api/elements/assets/) with esbuild: each JavaScript entry
 * becomes one classic script (an IIFE), with what it imports compiled in (the iframe's script takes the vault's
 * own card rules from src/domain/card.ts, so the browser and the server judge a card by the same code).
 * `npm run build` writes them to dist/elements/, which the built server reads at start; a server run from the
 * TypeScript sources (tests, tsx) bundles them in memory through this same function.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const SOURCE = 'src/api/elements/assets';
export const OUT_DIR = path.join(root, 'dist/elements');

/** Served name → source file. */
export const ELEMENT_ENTRIES = {
  'tokenvault.js': 'tokenvault.js',
  'card.js': 'card-frame.js',
  'card.css': 'card.css',
  'demo.js': 'demo.js',
  'demo.css': 'demo.css',
};

/** Every served file's text, by served name. */
export async function bundleElements() {
  const built = await Promise.all(
    Object.entries(ELEMENT_ENTRIES).map(async ([name, file]) => {
      const result = await esbuild.build({
        absWorkingDir: root,
        entryPoints: [path.join(SOURCE, file)],
        outfile: name,
        bundle: true,
        write: false,
        ...(name.endsWith('.js') ? { format: 'iife' } : {}),
        target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
        platform: 'browser',
        charset: 'utf8',
        legalComments: 'none',
        logLevel: 'warning',
      });
      const [output] = result.outputFiles;
      if (!output) throw new Error(`esbuild wrote nothing for ${file}`);
      return [name, output.text];
    }),
  );
  return Object.fromEntries(built);
}

/** Writes the bundles to dist/elements/ (the build's step). */
export async function writeElements() {
  const files = await bundleElements();
  fs.rmSync(OUT_DIR, { recursive: true, force: true });
  fs.mkdirSync(OUT_DIR, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(OUT_DIR, name), text);
}
