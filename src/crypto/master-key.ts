/**
 * The master key (KEK) wraps every merchant data key. Providers are pluggable so an external KMS
 * (AWS KMS, GCP KMS, Vault Transit) can hold it; the local provider keeps it in memory, loaded from
 * TOKENVAULT_MASTER_KEY, a key file, or (development only) a file generated in the data directory.
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

export function createLocalMasterKeyProvider(versions: ReadonlyMap<number, Buffer>): MasterKeyProvider {
  if (versions.size === 0) throw new Error('at least one master key version is needed');
  for (const key of versions.values()) if (key.length !== 32) throw new Error('master keys are 32 bytes');
  const current = Math.max(...versions.keys());
  return {
    name: 'local',
    currentVersion: () => current,
    async wrap(plaintext, aad) {
      return seal(versions.get(current) as Buffer, `k${current}`, plaintext, aad);
    },
    async unwrap(wrapped, aad) {
      const envelope = parseEnvelope(wrapped);
      const version = Number(envelope.keyRef.slice(1));
      const key = versions.get(version);
      if (!envelope.keyRef.startsWith('k') || key === undefined) throw new Error(`master key version ${envelope.keyRef} is not loaded`);
      return open(key, envelope, aad);
    },
  };
}

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

function decodeKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== trimmed.replace(/=+$/, '')) {
    throw new MasterKeyError(`${source} must be 32 bytes encoded as base64`);
  }
  return key;
}

export interface LoadedMasterKey {
  readonly key: Buffer;
  readonly source: 'env' | 'file' | 'generated' | 'dev-file';
  readonly path?: string;
}

/** Loads the master key. With no env key and no key file, generates a development key (0600) once. */
export function loadMasterKey(opts: { masterKey: string | null; masterKeyFile: string | null; dataDir: string }): LoadedMasterKey {
  if (opts.masterKey) return { key: decodeKey(opts.masterKey, 'TOKENVAULT_MASTER_KEY'), source: 'env' };
  if (opts.masterKeyFile) {
    let text: string;
    try {
      text = fs.readFileSync(opts.masterKeyFile, 'utf8');
    } catch {
      throw new MasterKeyError(`cannot read TOKENVAULT_MASTER_KEY_FILE ${opts.masterKeyFile}`);
    }
    return { key: decodeKey(text, 'TOKENVAULT_MASTER_KEY_FILE'), source: 'file', path: opts.masterKeyFile };
  }
  const file = path.join(opts.dataDir, 'master.key');
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if another process (a sibling worker) created it first: then we read theirs.
    fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return { key: decodeKey(fs.readFileSync(file, 'utf8'), file), source: 'generated', path: file };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return { key: decodeKey(fs.readFileSync(file, 'utf8'), file), source: 'dev-file', path: file };
}
