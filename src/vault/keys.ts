/**
 * Online key rotation (PCI DSS 3.6–3.7). Invariants, kept while servers serve traffic:
 * - master-key rotation re-wraps data keys only; the data keys themselves, and so every ciphertext, stay
 *   valid throughout (servers holding unwrapped keys never notice; one meeting a new KEK version re-reads
 *   its key file);
 * - data-key rotation adds a version per merchant; servers pick it up within their key-cache TTL and
 *   read every older version meanwhile; records are re-encrypted in batches with a compare-and-set on the
 *   old ciphertext, so a concurrent write is never overwritten; a checkpoint makes the job resumable;
 * - a version is retired only when nothing references it.
 */
import { appendAudit } from '../audit/log.ts';
import { dataKeyVersion } from '../crypto/keyring.ts';
import { kekVersionOf } from '../crypto/master-key.ts';
import { dataKeyStore } from '../store/data-key-store.ts';
import { inTransaction } from '../store/db.ts';
import { DATA_KEY_FIELDS, type DataKeyField, MASTER_WRAPPED, type MasterWrappedField } from '../store/encrypted-fields.ts';
import { encryptedValueStore as values } from '../store/encrypted-value-store.ts';
import { merchantStore } from '../store/merchant-store.ts';
import { windowKeyStore } from '../store/window-key-store.ts';
import { iso, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultResult } from './errors.ts';

const JOB_SETTING = 'rekey_job';
const BATCH = 500;

export interface KeyStatus {
  master: { provider: string; current: number; wrappedValues: Record<string, number> };
  data: { version: number; activeFor: number; records: number }[];
  /** Records under a data key, per registered field (only values that still exist: wiped ones are NULL). */
  fields: { table: string; column: string; holds: string; records: number }[];
  /** Window keys alive (each protects held CVVs until its window ends). */
  windowKeys: number;
  job: { startedAt: string; field: number; lastId: string } | null;
}

export interface Progress {
  done: number;
  total: number;
  phase: string;
}

/** Checkpoint of a data-key rotation: the field (index in DATA_KEY_FIELDS) and the last id done in it. */
interface Job {
  startedAt: string;
  field: number;
  lastId: string;
}

/** A master-wrapped value, wherever the registry says it lives, with how to write it back (compare-and-set). */
interface WrappedValue {
  wrapped: string;
  aad: string;
  replace(next: string): Promise<boolean>;
}

export function createKeyService(deps: VaultDeps & { keyCacheTtlMs: number }) {
  const { db, keyring, master } = deps;
  const system = (action: string, detail: Record<string, string | number>) =>
    inTransaction(db, (tx) => appendAudit(tx, { merchantId: null, actor: 'cli', action, detail }, iso(deps.now())));

  /** Each merchant's newest data-key version; merchants already crypto-shredded have none. */
  const activeDataVersions = () => dataKeyStore.newestDataVersions(db);

  /** Values of a field that still exist (a wiped card number is NULL: there is nothing to re-encrypt). */
  const countsByVersion = (f: DataKeyField) => values.countsByVersion(db, f);

  /** Values on a data key older than their merchant's active one, in every registered field. */
  async function countStale(active: Map<string, number>): Promise<number> {
    let stale = 0;
    for (const f of DATA_KEY_FIELDS)
      for (const r of await countsByVersion(f)) if (r.key_version < (active.get(r.merchant_id) ?? 0)) stale += r.n;
    return stale;
  }

  const countValues = (f: DataKeyField, after = '') => values.count(db, f, after);

  /** One pass over the fields from the checkpoint on; returns how many values it re-encrypted. */
  async function reencryptPass(job: Job, active: Map<string, number>, progress: (p: Progress) => void, total: number, doneBefore: number) {
    let done = doneBefore;
    let changed = 0;
    for (; job.field < DATA_KEY_FIELDS.length; job.field++, job.lastId = '') {
      const f = DATA_KEY_FIELDS[job.field] as DataKeyField;
      for (;;) {
        const rows = await values.batch(db, f, job.lastId, BATCH);
        for (const row of rows) {
          const target = active.get(row.merchant_id);
          if (target !== undefined && Number(row.key_version) < target) {
            const aad = f.aad(row.merchant_id, row.id);
            const next = await keyring.encrypt(row.merchant_id, aad, await keyring.decrypt(row.merchant_id, aad, row.ct));
            // Compare-and-set: if a server rewrote (or wiped) this value meanwhile, its write stands.
            if (await values.replace(db, f, row.id, row.ct, next, dataKeyVersion(next))) changed++;
          }
          done++;
        }
        const last = rows[rows.length - 1];
        if (last) {
          job.lastId = last.id;
          await merchantStore.setSetting(db, JOB_SETTING, JSON.stringify(job));
        }
        progress({ done: Math.min(done, total), total, phase: f.holds });
        if (rows.length < BATCH) break;
      }
    }
    return changed;
  }

  /** Every master-wrapped value the registry lists, read fresh. */
  async function wrappedValues(): Promise<WrappedValue[]> {
    /** A wrapped value at a row (named by its key columns), replaced only if it is still the one read. */
    const at = (f: MasterWrappedField, row: Record<string, string | number>, wrapped: string, aad: string): WrappedValue => ({
      wrapped,
      aad,
      replace: (next) => values.replaceWrapped(db, f, row, wrapped, next),
    });
    const { merchantKeys: mk, auditSigningKey: sk, windowKeys: wk } = MASTER_WRAPPED;
    const out: WrappedValue[] = [];
    for (const r of await dataKeyStore.allWrapped(db))
      out.push(at(mk, { merchant_id: r.merchant_id, purpose: r.purpose, version: r.version }, r.wrapped, mk.aad(r)));
    const signing = await merchantStore.getSetting(db, sk.setting);
    if (signing) out.push(at(sk, { name: sk.setting }, signing, sk.aad()));
    for (const r of await windowKeyStore.all(db)) out.push(at(wk, { id: r.id }, r.wrapped, wk.aad(r)));
    return out;
  }

  return {
    async status(): Promise<KeyStatus> {
      const wrappedCount: Record<string, number> = {};
      for (const w of await wrappedValues()) {
        const k = `k${kekVersionOf(w.wrapped)}`;
        wrappedCount[k] = (wrappedCount[k] ?? 0) + 1;
      }
      const active = await activeDataVersions();
      const byVersion = new Map<number, { activeFor: number; records: number }>();
      const slot = (v: number) => {
        let s = byVersion.get(v);
        if (!s) {
          s = { activeFor: 0, records: 0 };
          byVersion.set(v, s);
        }
        return s;
      };
      for (const v of await dataKeyStore.dataVersions(db)) slot(v);
      for (const v of active.values()) slot(v).activeFor++;
      const fields: KeyStatus['fields'] = [];
      for (const f of DATA_KEY_FIELDS) {
        let records = 0;
        for (const r of await countsByVersion(f)) {
          // Values of a crypto-shredded merchant are under no key at all: not counted against a version.
          if (!active.has(r.merchant_id)) continue;
          slot(r.key_version).records += r.n;
          records += r.n;
        }
        fields.push({ table: f.table, column: f.column, holds: f.holds, records });
      }
      const job = await merchantStore.getSetting(db, JOB_SETTING);
      return {
        master: { provider: master.name, current: master.currentVersion(), wrappedValues: wrappedCount },
        data: [...byVersion].sort((a, b) => a[0] - b[0]).map(([version, s]) => ({ version, ...s })),
        fields,
        windowKeys: await windowKeyStore.count(db),
        job: job ? parseJob(job) : null,
      };
    },

    /** Re-wraps every master-wrapped value the registry lists under the current master-key version. */
    async rewrapAll(): Promise<{ to: number; rewrapped: number }> {
      const to = master.currentVersion();
      let rewrapped = 0;
      for (const w of await wrappedValues()) {
        if (kekVersionOf(w.wrapped) === to) continue;
        // Compare-and-set: a value changed (or destroyed) meanwhile is left as it is now.
        if (await w.replace(await master.wrap(await master.unwrap(w.wrapped, w.aad), w.aad))) rewrapped++;
      }
      await system('key.rotate_master', { to, rewrapped });
      return { to, rewrapped };
    },

    /**
     * Data-key rotation: a new version per active merchant (unless a job is being resumed), then every
     * registered field re-encrypted to it. Passes repeat until no value is left on an older version, waiting
     * a key-cache TTL between them for servers that were still writing with the old one.
     */
    async rotateData(
      progress: (p: Progress) => void = () => {},
      maxPasses = 20,
    ): Promise<{ resumed: boolean; reencrypted: number; passes: number }> {
      const saved = await merchantStore.getSetting(db, JOB_SETTING);
      const resumed = saved !== undefined;
      const job: Job = saved ? parseJob(saved) : { startedAt: iso(deps.now()), field: 0, lastId: '' };
      if (!resumed) {
        const at = iso(deps.now());
        const merchants = await merchantStore.activeIds(db);
        const active = await activeDataVersions();
        for (const m of merchants) {
          const version = (active.get(m.id) ?? 0) + 1;
          const key = await keyring.newKey(m.id, 'data', version);
          await inTransaction(db, async (tx) => {
            await merchantStore.insertDataKeys(tx, [
              { merchant_id: m.id, purpose: 'data', version, wrapped: key.wrapped, status: 'active', created_at: at },
            ]);
            await appendAudit(tx, { merchantId: m.id, actor: 'cli', action: 'key.rotate', target: `data:v${version}` }, at);
          });
          await deps.changes.publish({ kind: 'keys', merchantId: m.id });
        }
        await merchantStore.setSetting(db, JOB_SETTING, JSON.stringify(job));
        await system('key.rotate_data', { merchants: merchants.length });
      }
      const active = await activeDataVersions();
      let total = 0;
      for (const f of DATA_KEY_FIELDS) total += await countValues(f);
      let reencrypted = 0;
      let passes = 0;
      for (; passes < maxPasses; passes++) {
        // A resumed run counts what its checkpoint already covered.
        let doneBefore = 0;
        if (passes === 0 && (job.field > 0 || job.lastId !== '')) {
          for (let i = 0; i < job.field; i++) doneBefore += await countValues(DATA_KEY_FIELDS[i] as DataKeyField);
          const f = DATA_KEY_FIELDS[job.field];
          if (f) doneBefore += (await countValues(f)) - (await countValues(f, job.lastId));
        }
        reencrypted += await reencryptPass(job, active, progress, total, doneBefore);
        // Until every server's key cache has expired since the new versions appeared (plus a margin for a
        // request in flight), a server may still write with an old key: only a sweep after that is final.
        const settled = Date.parse(job.startedAt) + deps.keyCacheTtlMs + 500 - Date.now();
        if (settled <= 0 && (await countStale(active)) === 0) break;
        await new Promise((r) => setTimeout(r, Math.max(settled, 100)));
        job.field = 0;
        job.lastId = '';
      }
      const stale = await countStale(active);
      if (stale > 0)
        throw new Error(`${stale} records still use an old data key after ${passes} passes; run keys rotate --data again to resume`);
      await merchantStore.deleteSetting(db, JOB_SETTING);
      await system('key.rotate_data_done', { reencrypted, passes: passes + 1 });
      return { resumed, reencrypted, passes: passes + 1 };
    },

    /**
     * Removes a data-key version everywhere, refused while a merchant writes with it or any registered field
     * still has a value under it (values of crypto-shredded merchants are under no key and do not count).
     */
    async retireData(version: number): Promise<VaultResult<{ removed: number }>> {
      const active = await activeDataVersions();
      if ([...active.values()].includes(version))
        return fail('invalid_request', `data key v${version} is still the active key of a merchant`);
      for (const f of DATA_KEY_FIELDS) {
        if (await values.usesVersion(db, f, version))
          return fail('invalid_request', `data key v${version} still protects records; run keys rotate --data first`);
      }
      const removed = await dataKeyStore.deleteDataVersion(db, version);
      await system('key.retire_data', { version, removed });
      await deps.changes.publish({ kind: 'keys', merchantId: null });
      // The retired keys' old row versions must leave the files too, or a copy could still open old values.
      deps.scrubber.wiped(['data_keys']);
      await deps.scrubber.scrub();
      return succeed({ removed });
    },

    /** Whether a master-key version may be removed from the key source: nothing may still name it. */
    async masterVersionInUse(version: number): Promise<number> {
      let n = 0;
      for (const w of await wrappedValues()) if (kekVersionOf(w.wrapped) === version) n++;
      return n;
    },

    recordMasterRetired: (version: number) => system('key.retire_master', { version }),
  };
}

/** A checkpoint as saved; one saved before fields were registered (no `field`) resumes at the first field. */
function parseJob(text: string): Job {
  const j = JSON.parse(text) as Partial<Job>;
  return { startedAt: String(j.startedAt), field: Number(j.field ?? 0), lastId: String(j.lastId ?? '') };
}

export type KeyService = ReturnType<typeof createKeyService>;
