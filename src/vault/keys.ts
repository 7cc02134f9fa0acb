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
import { dataKeyVersion, fieldAad } from '../crypto/keyring.ts';
import { kekVersionOf } from '../crypto/master-key.ts';
import { inTransaction } from '../store/db.ts';
import { merchantStore } from '../store/merchant-store.ts';
import { iso, type VaultDeps } from './deps.ts';
import { fail, succeed, type VaultResult } from './errors.ts';

const JOB_SETTING = 'rekey_job';
const SIGNING_KEY_SETTING = 'audit_signing_key';
const BATCH = 500;

export interface KeyStatus {
  master: { provider: string; current: number; wrappedValues: Record<string, number> };
  data: { version: number; activeFor: number; records: number }[];
  job: { startedAt: string; lastId: string } | null;
}

export interface Progress {
  done: number;
  total: number;
  phase: string;
}

interface Job {
  startedAt: string;
  lastId: string;
}

export function createKeyService(deps: VaultDeps & { keyCacheTtlMs: number }) {
  const { db, keyring, master } = deps;
  const system = (action: string, detail: Record<string, string | number>) =>
    inTransaction(db, (tx) => appendAudit(tx, { merchantId: null, actor: 'cli', action, detail }, iso(deps.now())));

  /** Each merchant's newest data-key version. */
  async function activeDataVersions(): Promise<Map<string, number>> {
    const rows = await db
      .selectFrom('data_keys')
      .select(['merchant_id', (eb) => eb.fn.max('version').as('v')])
      .where('purpose', '=', 'data')
      .groupBy('merchant_id')
      .execute();
    return new Map(rows.map((r) => [r.merchant_id, Number(r.v)]));
  }

  async function countStale(active: Map<string, number>): Promise<number> {
    let stale = 0;
    for (const table of ['instrument_identifiers', 'gateway_credentials'] as const) {
      const rows = await db
        .selectFrom(table)
        .select(['merchant_id', 'key_version', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['merchant_id', 'key_version'])
        .execute();
      for (const r of rows) if (Number(r.key_version) < (active.get(r.merchant_id) ?? 0)) stale += Number(r.n);
    }
    return stale;
  }

  /** One pass over a table from the checkpoint on; returns how many rows it re-encrypted. */
  async function reencryptPass(
    job: Job,
    active: Map<string, number>,
    progress: (p: Progress) => void,
    total: number,
    doneBefore: number,
  ): Promise<number> {
    let done = doneBefore;
    let changed = 0;
    for (;;) {
      const rows = await db
        .selectFrom('instrument_identifiers')
        .select(['id', 'merchant_id', 'pan_ct', 'key_version'])
        .where('id', '>', job.lastId)
        .where('pan_ct', 'is not', null)
        .orderBy('id')
        .limit(BATCH)
        .execute();
      for (const row of rows) {
        const target = active.get(row.merchant_id);
        if (target !== undefined && Number(row.key_version) < target && row.pan_ct) {
          const aad = fieldAad(row.merchant_id, 'instrument_identifiers', row.id, 'pan');
          const plain = await keyring.decrypt(row.merchant_id, aad, row.pan_ct);
          const ct = await keyring.encrypt(row.merchant_id, aad, plain);
          // Compare-and-set: if a server rewrote this row meanwhile, its value stands.
          const res = await db
            .updateTable('instrument_identifiers')
            .set({ pan_ct: ct, key_version: dataKeyVersion(ct) })
            .where('id', '=', row.id)
            .where('pan_ct', '=', row.pan_ct)
            .executeTakeFirst();
          changed += Number(res.numUpdatedRows);
        }
        done++;
      }
      const last = rows[rows.length - 1];
      if (last) {
        job.lastId = last.id;
        await merchantStore.setSetting(db, JOB_SETTING, JSON.stringify(job));
      }
      progress({ done: Math.min(done, total), total, phase: 'card numbers' });
      if (rows.length < BATCH) return changed;
    }
  }

  async function reencryptCredentials(active: Map<string, number>): Promise<number> {
    let changed = 0;
    const rows = await db
      .selectFrom('gateway_credentials')
      .select(['id', 'merchant_id', 'secret_data', 'key_version'])
      .where('secret_data', 'is not', null)
      .execute();
    for (const row of rows) {
      const target = active.get(row.merchant_id);
      if (target === undefined || Number(row.key_version) >= target || !row.secret_data) continue;
      const aad = fieldAad(row.merchant_id, 'gateway_credentials', row.id, 'secret_data');
      const ct = await keyring.encrypt(row.merchant_id, aad, await keyring.decrypt(row.merchant_id, aad, row.secret_data));
      const res = await db
        .updateTable('gateway_credentials')
        .set({ secret_data: ct, key_version: dataKeyVersion(ct) })
        .where('id', '=', row.id)
        .where('secret_data', '=', row.secret_data)
        .executeTakeFirst();
      changed += Number(res.numUpdatedRows);
    }
    return changed;
  }

  return {
    async status(): Promise<KeyStatus> {
      const wrappedValues: Record<string, number> = {};
      const count = (w: string) => {
        const k = `k${kekVersionOf(w)}`;
        wrappedValues[k] = (wrappedValues[k] ?? 0) + 1;
      };
      for (const r of await db.selectFrom('data_keys').select('wrapped').execute()) count(r.wrapped);
      const signing = await merchantStore.getSetting(db, SIGNING_KEY_SETTING);
      if (signing) count(signing);
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
      for (const r of await db.selectFrom('data_keys').select('version').where('purpose', '=', 'data').groupBy('version').execute())
        slot(Number(r.version));
      for (const v of active.values()) slot(v).activeFor++;
      for (const table of ['instrument_identifiers', 'gateway_credentials'] as const) {
        const col = table === 'instrument_identifiers' ? 'pan_ct' : 'secret_data';
        const rows = await db
          .selectFrom(table)
          .select(['key_version', (eb) => eb.fn.countAll<number>().as('n')])
          .where(col, 'is not', null)
          .groupBy('key_version')
          .execute();
        for (const r of rows) slot(Number(r.key_version)).records += Number(r.n);
      }
      const job = await merchantStore.getSetting(db, JOB_SETTING);
      return {
        master: { provider: master.name, current: master.currentVersion(), wrappedValues },
        data: [...byVersion].sort((a, b) => a[0] - b[0]).map(([version, s]) => ({ version, ...s })),
        job: job ? (JSON.parse(job) as Job) : null,
      };
    },

    /** Re-wraps every data key (and the audit signing key) under the current master-key version. */
    async rewrapAll(): Promise<{ to: number; rewrapped: number }> {
      const to = master.currentVersion();
      let rewrapped = 0;
      const rows = await db.selectFrom('data_keys').selectAll().execute();
      for (const row of rows) {
        if (kekVersionOf(row.wrapped) === to) continue;
        const wrapped = await keyring.rewrap(row.merchant_id, {
          purpose: row.purpose as 'data' | 'fingerprint',
          version: row.version,
          wrapped: row.wrapped,
        });
        const res = await db
          .updateTable('data_keys')
          .set({ wrapped })
          .where('merchant_id', '=', row.merchant_id)
          .where('purpose', '=', row.purpose)
          .where('version', '=', row.version)
          .where('wrapped', '=', row.wrapped)
          .executeTakeFirst();
        rewrapped += Number(res.numUpdatedRows);
      }
      const signing = await merchantStore.getSetting(db, SIGNING_KEY_SETTING);
      if (signing && kekVersionOf(signing) !== to) {
        const aad = 'tokenvault:audit-signing-key';
        await merchantStore.setSetting(db, SIGNING_KEY_SETTING, await master.wrap(await master.unwrap(signing, aad), aad));
        rewrapped++;
      }
      await system('key.rotate_master', { to, rewrapped });
      return { to, rewrapped };
    },

    /**
     * Data-key rotation: a new version per active merchant (unless a job is being resumed), then every
     * record re-encrypted to it. Passes repeat until no record is left on an older version, waiting a
     * key-cache TTL between them for servers that were still writing with the old one.
     */
    async rotateData(
      progress: (p: Progress) => void = () => {},
      maxPasses = 20,
    ): Promise<{ resumed: boolean; reencrypted: number; passes: number }> {
      const saved = await merchantStore.getSetting(db, JOB_SETTING);
      const resumed = saved !== undefined;
      const job: Job = saved ? (JSON.parse(saved) as Job) : { startedAt: iso(deps.now()), lastId: '' };
      if (!resumed) {
        const at = iso(deps.now());
        const merchants = await db.selectFrom('merchants').select('id').where('status', '=', 'active').execute();
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
          keyring.forget(m.id);
        }
        await merchantStore.setSetting(db, JOB_SETTING, JSON.stringify(job));
        await system('key.rotate_data', { merchants: merchants.length });
      }
      const active = await activeDataVersions();
      const total = Number(
        (
          await db
            .selectFrom('instrument_identifiers')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('pan_ct', 'is not', null)
            .executeTakeFirstOrThrow()
        ).n,
      );
      let reencrypted = 0;
      let passes = 0;
      for (; passes < maxPasses; passes++) {
        const doneBefore =
          passes === 0 && job.lastId !== ''
            ? Number(
                (
                  await db
                    .selectFrom('instrument_identifiers')
                    .select((eb) => eb.fn.countAll<number>().as('n'))
                    .where('pan_ct', 'is not', null)
                    .where('id', '<=', job.lastId)
                    .executeTakeFirstOrThrow()
                ).n,
              )
            : 0;
        reencrypted += await reencryptPass(job, active, progress, total, doneBefore);
        reencrypted += await reencryptCredentials(active);
        // Until every server's key cache has expired since the new versions appeared (plus a margin for a
        // request in flight), a server may still write with an old key: only a sweep after that is final.
        const settled = Date.parse(job.startedAt) + deps.keyCacheTtlMs + 500 - Date.now();
        if (settled <= 0 && (await countStale(active)) === 0) break;
        await new Promise((r) => setTimeout(r, Math.max(settled, 100)));
        job.lastId = '';
      }
      const stale = await countStale(active);
      if (stale > 0)
        throw new Error(`${stale} records still use an old data key after ${passes} passes; run keys rotate --data again to resume`);
      await db.deleteFrom('settings').where('name', '=', JOB_SETTING).execute();
      await system('key.rotate_data_done', { reencrypted, passes: passes + 1 });
      return { resumed, reencrypted, passes: passes + 1 };
    },

    /** Removes a data-key version everywhere, refused while a record uses it or a merchant writes with it. */
    async retireData(version: number): Promise<VaultResult<{ removed: number }>> {
      const active = await activeDataVersions();
      if ([...active.values()].includes(version))
        return fail('invalid_request', `data key v${version} is still the active key of a merchant`);
      for (const table of ['instrument_identifiers', 'gateway_credentials'] as const) {
        const col = table === 'instrument_identifiers' ? 'pan_ct' : 'secret_data';
        const used = await db
          .selectFrom(table)
          .select('id')
          .where('key_version', '=', version)
          .where(col, 'is not', null)
          .limit(1)
          .executeTakeFirst();
        if (used) return fail('invalid_request', `data key v${version} still protects records; run keys rotate --data first`);
      }
      const res = await db.deleteFrom('data_keys').where('purpose', '=', 'data').where('version', '=', version).executeTakeFirst();
      await system('key.retire_data', { version, removed: Number(res.numDeletedRows) });
      for (const m of active.keys()) keyring.forget(m);
      return succeed({ removed: Number(res.numDeletedRows) });
    },

    /** Whether a master-key version may be removed from the key source: nothing may still name it. */
    async masterVersionInUse(version: number): Promise<number> {
      let n = 0;
      for (const r of await db.selectFrom('data_keys').select('wrapped').execute()) if (kekVersionOf(r.wrapped) === version) n++;
      const signing = await merchantStore.getSetting(db, SIGNING_KEY_SETTING);
      if (signing && kekVersionOf(signing) === version) n++;
      return n;
    },

    recordMasterRetired: (version: number) => system('key.retire_master', { version }),
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
