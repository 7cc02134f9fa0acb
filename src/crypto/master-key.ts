/**
 * The master key (KEK) wraps every merchant data key. Providers are pluggable so an external KMS
 * (AWS KMS, GCP KMS, HashiCorp Vault Transit) can hold it: a provider only wraps and unwraps, and every
 * wrapped value names the KEK version it used. The local provider keeps versioned keys in memory, loaded
 * from TOKENVAULT_MASTER_KEY, a key file, or (development only) a file generated in the data directory.
 *
 * Key text: one base64 key (version 1), or versions as `N:base64`, comma- or newline-separated.
 * Rotation invariant: a version is only removed once no wrapped value names it (`keys retire`).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { open, parseEnvelope, seal } from './envelope.ts';

export interface MasterKeyProvider {
  readonly name: string;
  /** The version new wraps use. */
  currentVersion(): number;
  /** Returns a self-describing wrapped value that names the KEK version it used. */
  wrap(plaintext: Buffer, aad: string): Promise<string>;
  unwrap(wrapped: string, aad: string): Promise<Buffer>;
}

/** The KEK version a wrapped value names (every provider writes `k<version>` as its key reference). */
export const kekVersionOf = (wrapped: string): number => Number(parseEnvelope(wrapped).keyRef.slice(1));

export function createLocalMasterKeyProvider(
  initial: ReadonlyMap<number, Buffer>,
  reload?: () => ReadonlyMap<number, Buffer>,
): MasterKeyProvider {
  let versions = initial;
  const check = (v: ReadonlyMap<number, Buffer>) => {
    if (v.size === 0) throw new Error('at least one master key version is needed');
    for (const key of v.values()) if (key.length !== 32) throw new Error('master keys are 32 bytes');
  };
  check(versions);
  const current = () => Math.max(...versions.keys());
  return {
    name: 'local',
    currentVersion: current,
    async wrap(plaintext, aad) {
      const v = current();
      return seal(versions.get(v) as Buffer, `k${v}`, plaintext, aad);
    },
    async unwrap(wrapped, aad) {
      const envelope = parseEnvelope(wrapped);
      const version = Number(envelope.keyRef.slice(1));
      let key = versions.get(version);
      if (key === undefined && reload) {
        // Another process rotated the master key: its new version is in the key file now.
        const fresh = reload();
        check(fresh);
        versions = fresh;
        key = versions.get(version);
      }
      if (!envelope.keyRef.startsWith('k') || key === undefined) throw new MasterKeyError(`master key version ${version} is not loaded`);
      return open(key, envelope, aad);
    },
  };
}

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

function decodeOne(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== trimmed.replace(/=+$/, '')) {
    throw new MasterKeyError(`${source} must be 32 bytes encoded as base64`);
  }
  return key;
}

/** Parses key text: a bare base64 key is version 1; otherwise `N:base64` entries. */
export function parseKeyText(text: string, source: string): Map<number, Buffer> {
  const entries = text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 1 && !/^\d+:/.test(entries[0] as string)) return new Map([[1, decodeOne(entries[0] as string, source)]]);
  const out = new Map<number, Buffer>();
  for (const entry of entries) {
    const m = /^(\d{1,6}):(.+)$/.exec(entry);
    if (!m) throw new MasterKeyError(`${source}: write each version as N:base64`);
    const version = Number(m[1]);
    if (version < 1 || out.has(version)) throw new MasterKeyError(`${source}: versions must be distinct and ≥ 1`);
    out.set(version, decodeOne(m[2] as string, source));
  }
  if (out.size === 0) throw new MasterKeyError(`${source} holds no key`);
  return out;
}

export const formatKeyText = (versions: ReadonlyMap<number, Buffer>): string =>
  `${[...versions]
    .sort((a, b) => a[0] - b[0])
    .map(([v, k]) => `${v}:${k.toString('base64')}`)
    .join('\n')}\n`;

export interface LoadedMasterKey {
  /** The current (highest) version's key. */
  readonly key: Buffer;
  readonly versions: ReadonlyMap<number, Buffer>;
  readonly source: 'env' | 'file' | 'generated' | 'dev-file';
  readonly path?: string;
  /** Re-reads a file source (another process may have added a version); null for env. */
  readonly reload: (() => Map<number, Buffer>) | null;
}

function fromFile(file: string, source: 'file' | 'generated' | 'dev-file'): LoadedMasterKey {
  const read = () => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new MasterKeyError(`cannot read the master key file ${file}`);
    }
    return parseKeyText(text, file);
  };
  const versions = read();
  return { key: versions.get(Math.max(...versions.keys())) as Buffer, versions, source, path: file, reload: read };
}

/** Loads the master key. With no env key and no key file, generates a development key (0600) once. */
export function loadMasterKey(opts: { masterKey: string | null; masterKeyFile: string | null; dataDir: string }): LoadedMasterKey {
  if (opts.masterKey) {
    const versions = parseKeyText(opts.masterKey, 'TOKENVAULT_MASTER_KEY');
    return { key: versions.get(Math.max(...versions.keys())) as Buffer, versions, source: 'env', reload: null };
  }
  if (opts.masterKeyFile) return fromFile(opts.masterKeyFile, 'file');
  const file = path.join(opts.dataDir, 'master.key');
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if another process created it first: then we read theirs.
    fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return fromFile(file, 'generated');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return fromFile(file, 'dev-file');
}

/** Writes key text atomically with mode 0600 (rename over the old file). */
export function writeKeyFile(file: string, versions: ReadonlyMap<number, Buffer>): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, formatKeyText(versions), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
