/**
 * Fail closed on keys: the database records a key check value per master-key version (rules in
 * crypto/master-key.ts, compareKeyCheck). Opening the vault verifies the loaded key against the record (or
 * records it on a new database); /readyz re-verifies, cached briefly, so a key that stops matching takes the
 * instance out of service instead of answering every card operation with 500.
 */
import type { KeyPurpose, Keyring } from '../crypto/keyring.ts';
import {
  compareKeyCheck,
  formatKeyCheckRecord,
  type KeyCheckRecord,
  keyCheckError,
  MASTER_KEY_CHECK_SETTING,
  MasterKeyError,
  type MasterKeyProvider,
  parseKeyCheckRecord,
} from '../crypto/master-key.ts';
import { dataKeyStore } from '../store/data-key-store.ts';
import { type Db, inTransaction } from '../store/db.ts';
import { merchantStore } from '../store/merchant-store.ts';

export type KeyStatus = 'ok' | 'mismatch';

export interface MasterKeyCheck {
  /** At open: verifies the loaded versions and records new ones; throws MasterKeyError when they do not match. */
  verifyAndRecord(): Promise<void>;
  /** For /readyz: the outcome of a fresh comparison, reused for `cacheMs`. Throws when the database is unreachable. */
  status(): Promise<KeyStatus>;
  /** After `keys retire --master N`: version N no longer vouches for a key on its own. */
  recordRetired(version: number): Promise<void>;
}

export function createMasterKeyCheck(deps: {
  db: Db;
  master: MasterKeyProvider;
  keyring: Keyring;
  /** The setting the key came from, for the refusal message (describeMasterKeySource). */
  source: string;
  cacheMs?: number;
  clock?: () => number;
}): MasterKeyCheck {
  const { db, master } = deps;
  const cacheMs = deps.cacheMs ?? 5000;
  const clock = deps.clock ?? Date.now;
  let cached: { at: number; status: KeyStatus } | null = null;

  const read = async (q: Db): Promise<KeyCheckRecord | null> =>
    parseKeyCheckRecord(await merchantStore.getSetting(q, MASTER_KEY_CHECK_SETTING));

  /**
   * A database that holds wrapped keys but no record predates key check values: the loaded key must unwrap
   * one of them before it is recorded as this database's key.
   */
  async function provesExistingKeys(): Promise<void> {
    const row = await dataKeyStore.anyWrapped(db);
    if (!row) return;
    try {
      await deps.keyring.rewrap(row.merchant_id, { purpose: row.purpose as KeyPurpose, version: row.version, wrapped: row.wrapped });
    } catch {
      throw new MasterKeyError(
        `the master key from ${deps.source} does not open this database's data keys; set TOKENVAULT_MASTER_KEY or TOKENVAULT_MASTER_KEY_FILE to this database's master key`,
      );
    }
  }

  return {
    async verifyAndRecord() {
      const loaded = master.checkValues();
      let record = await read(db);
      if (record === null) {
        await provesExistingKeys();
        const mine: KeyCheckRecord = { versions: Object.fromEntries([...loaded].map(([v, kcv]) => [String(v), kcv])), retired: [] };
        // Two instances starting on a new database at once: the first record wins, the other compares against it.
        record = parseKeyCheckRecord(await merchantStore.putSettingIfAbsent(db, MASTER_KEY_CHECK_SETTING, formatKeyCheckRecord(mine)));
      }
      const outcome = compareKeyCheck(record, loaded);
      if (!outcome.ok) throw keyCheckError(outcome, deps.source, record as KeyCheckRecord);
      if (outcome.add.size === 0) return;
      // A version added for rotation, vouched for by one the database knows: recorded from now on.
      await inTransaction(db, async (tx) => {
        const now = (await read(tx)) as KeyCheckRecord;
        const again = compareKeyCheck(now, loaded);
        if (!again.ok) throw keyCheckError(again, deps.source, now);
        const versions = { ...now.versions, ...Object.fromEntries([...again.add].map(([v, kcv]) => [String(v), kcv])) };
        await merchantStore.setSetting(tx, MASTER_KEY_CHECK_SETTING, formatKeyCheckRecord({ ...now, versions }));
      });
    },

    async status() {
      if (cached && clock() - cached.at < cacheMs) return cached.status;
      const record = await read(db);
      const status: KeyStatus = compareKeyCheck(record, master.checkValues()).ok && record !== null ? 'ok' : 'mismatch';
      cached = { at: clock(), status };
      return status;
    },

    async recordRetired(version) {
      await inTransaction(db, async (tx) => {
        const now = await read(tx);
        if (now === null || now.retired.includes(version)) return;
        await merchantStore.setSetting(tx, MASTER_KEY_CHECK_SETTING, formatKeyCheckRecord({ ...now, retired: [...now.retired, version] }));
      });
    },
  };
}
