/**
 * The master key (KEK) wraps every merchant data key. Providers are pluggable so an external KMS
 * (AWS KMS, GCP KMS, HashiCorp Vault Transit) can hold it: a provider only wraps and unwraps, and every
 * wrapped value names the KEK version it used. The local provider keeps versioned keys in memory, loaded
 * from TOKENVAULT_MASTER_KEY, a key file, or (development only) a file generated in the data directory.
 *
 * Key text: one base64 key (version 1), or versions as `N:base64`, comma- or newline-separated.
 * Rotation invariant: a version is only removed once no wrapped value names it (`keys retire`).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEV_MASTER_KEY_FILE, SQLITE_FILE } from '../config.ts';
import { open, parseEnvelope, seal } from './envelope.ts';

export interface MasterKeyProvider {
  readonly name: string;
  /** The version new wraps use. */
  currentVersion(): number;
  /** Returns a self-describing wrapped value that names the KEK version it used. */
  wrap(plaintext: Buffer, aad: string): Promise<string>;
  unwrap(wrapped: string, aad: string): Promise<Buffer>;
  /** A key check value per loaded version (see keyCheckValue): what the database compares at start. */
  checkValues(): ReadonlyMap<number, string>;
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
    checkValues() {
      // What this provider can use: the loaded versions, and those a key file gained since (rotation by the
      // CLI), which unwrap loads on first use. Read-only: nothing loaded is replaced here.
      let usable = versions;
      if (reload) {
        try {
          usable = new Map([...reload(), ...versions]);
        } catch {
          // an unreadable file: the loaded versions only
        }
      }
      return new Map([...usable].map(([v, key]) => [v, keyCheckValue(key)]));
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

const SET_A_KEY = 'set TOKENVAULT_MASTER_KEY (base64, 32 bytes) or TOKENVAULT_MASTER_KEY_FILE';

/**
 * Loads the master key. With no env key and no key file, a development key (0600) is generated once, and
 * only for a new embedded SQLite database: never with DATABASE_URL (other instances share that database and
 * would each make their own key), never next to an existing database (a new key would not open it).
 */
export function loadMasterKey(opts: {
  masterKey: string | null;
  masterKeyFile: string | null;
  dataDir: string;
  databaseUrl?: string | null;
}): LoadedMasterKey {
  if (opts.masterKey) {
    const versions = parseKeyText(opts.masterKey, 'TOKENVAULT_MASTER_KEY');
    return { key: versions.get(Math.max(...versions.keys())) as Buffer, versions, source: 'env', reload: null };
  }
  if (opts.masterKeyFile) return fromFile(opts.masterKeyFile, 'file');
  if (opts.databaseUrl) {
    throw new MasterKeyError(
      `no master key: ${SET_A_KEY} to the key this database was initialised with (a development key is only made for a new embedded SQLite database, never with DATABASE_URL)`,
    );
  }
  const file = path.join(opts.dataDir, DEV_MASTER_KEY_FILE);
  if (!fs.existsSync(file) && fs.existsSync(path.join(opts.dataDir, SQLITE_FILE))) {
    throw new MasterKeyError(
      `no master key: ${opts.dataDir} holds a database but not its ${DEV_MASTER_KEY_FILE}; ${SET_A_KEY} to the key it was created with (a new development key would not open it)`,
    );
  }
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
  // The mode above only applies to a new file: a stale temporary file left by a crash keeps its own.
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** The setting that says where this key came from, for messages that tell the operator what to change. */
export function describeMasterKeySource(loaded: Pick<LoadedMasterKey, 'source' | 'path'>): string {
  switch (loaded.source) {
    case 'env':
      return 'TOKENVAULT_MASTER_KEY';
    case 'file':
      return `TOKENVAULT_MASTER_KEY_FILE (${loaded.path})`;
    default:
      return `the development master key ${loaded.path}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Key check values. The database records one per master-key version it has seen (settings row
// MASTER_KEY_CHECK_SETTING), so a server or CLI started with another key refuses to start instead of
// answering every card operation with 500. Invariants: a recorded version's value never changes; a new
// version is recorded only once another loaded version matched; a retired version no longer vouches for a key.

export const MASTER_KEY_CHECK_SETTING = 'master_key_check';
const KCV_LABEL = 'tokenvault:master-key-check:v1';

/** HMAC-SHA256 of a fixed label under the key, truncated to 16 bytes: names the key, reveals nothing of it. */
export const keyCheckValue = (key: Buffer): string => createHmac('sha256', key).update(KCV_LABEL).digest().subarray(0, 16).toString('hex');

export interface KeyCheckRecord {
  /** Key check value by master-key version. */
  readonly versions: Readonly<Record<string, string>>;
  /** Versions removed with `keys retire --master`: still compared, but no longer enough on their own. */
  readonly retired: readonly number[];
}

export function parseKeyCheckRecord(text: string | undefined): KeyCheckRecord | null {
  if (text === undefined) return null;
  const parsed = JSON.parse(text) as Partial<KeyCheckRecord>;
  return { versions: parsed.versions ?? {}, retired: parsed.retired ?? [] };
}

export const formatKeyCheckRecord = (record: KeyCheckRecord): string => JSON.stringify(record);

export type KeyCheckOutcome =
  /** Matches; `add` holds the loaded versions the database does not know yet (to record). */
  | { readonly ok: true; readonly add: ReadonlyMap<number, string> }
  /** `mismatch`: a loaded version differs from the recorded one. `unknown`: no loaded version is recorded. */
  | { readonly ok: false; readonly problem: 'mismatch' | 'unknown'; readonly versions: readonly number[] };

const sameCheckValue = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** The fail-closed rule: compares the loaded versions' check values with what the database recorded. */
export function compareKeyCheck(record: KeyCheckRecord | null, loaded: ReadonlyMap<number, string>): KeyCheckOutcome {
  if (record === null || Object.keys(record.versions).length === 0) return { ok: true, add: new Map(loaded) };
  const differing: number[] = [];
  let vouched = false;
  const add = new Map<number, string>();
  for (const [version, kcv] of loaded) {
    const recorded = record.versions[String(version)];
    if (recorded === undefined) {
      if (!record.retired.includes(version)) add.set(version, kcv);
    } else if (!sameCheckValue(recorded, kcv)) differing.push(version);
    else if (!record.retired.includes(version)) vouched = true;
  }
  if (differing.length > 0) return { ok: false, problem: 'mismatch', versions: differing };
  if (!vouched) return { ok: false, problem: 'unknown', versions: [...loaded.keys()] };
  return { ok: true, add };
}

/** The refusal for a key that does not match: names the setting, says what to do, no stack trace needed. */
export function keyCheckError(outcome: Extract<KeyCheckOutcome, { ok: false }>, source: string, record: KeyCheckRecord): MasterKeyError {
  const known = Object.keys(record.versions)
    .map(Number)
    .filter((v) => !record.retired.includes(v));
  const fix = `set TOKENVAULT_MASTER_KEY or TOKENVAULT_MASTER_KEY_FILE to this database's master key`;
  if (outcome.problem === 'mismatch') {
    return new MasterKeyError(
      `the master key from ${source} does not match this database: version ${outcome.versions.join(', ')} differs from the key the database was initialised with; ${fix}`,
    );
  }
  return new MasterKeyError(
    `the master key from ${source} (version ${outcome.versions.join(', ')}) is not one this database knows (it knows version ${known.join(', ')}); ${fix}`,
  );
}
