/**
 * Reads and compare-and-set writes of the encrypted values the registry (encrypted-fields.ts) lists, by
 * field: what key rotation, retirement and `keys status` need, whatever table a field lives in.
 */
import { sql } from 'kysely';
import type { Executor } from './db.ts';
import type { DataKeyField, MasterWrappedField } from './encrypted-fields.ts';

export interface EncryptedValueRow {
  id: string;
  merchant_id: string;
  ct: string;
  key_version: number | string;
}

const ct = (f: DataKeyField) => sql.ref(f.column);

export const encryptedValueStore = {
  /** Values of a field that still exist (a wiped card number is NULL), counted by merchant and key version. */
  countsByVersion: async (q: Executor, f: DataKeyField): Promise<{ merchant_id: string; key_version: number; n: number }[]> => {
    const { rows } = await sql<{ merchant_id: string; key_version: number | string; n: number | string }>`
      select merchant_id, key_version, count(*) as n from ${sql.table(f.table)}
      where ${ct(f)} is not null group by merchant_id, key_version`.execute(q);
    return rows.map((r) => ({ merchant_id: r.merchant_id, key_version: Number(r.key_version), n: Number(r.n) }));
  },

  /** How many values of a field exist with an id after `after`. */
  count: async (q: Executor, f: DataKeyField, after = ''): Promise<number> => {
    const { rows } = await sql<{ n: number | string }>`
      select count(*) as n from ${sql.table(f.table)} where ${ct(f)} is not null and id > ${after}`.execute(q);
    return Number(rows[0]?.n ?? 0);
  },

  /** The next `limit` values of a field after id `after`, in id order. */
  batch: async (q: Executor, f: DataKeyField, after: string, limit: number): Promise<EncryptedValueRow[]> =>
    (
      await sql<EncryptedValueRow>`
        select id, merchant_id, ${ct(f)} as ct, key_version from ${sql.table(f.table)}
        where id > ${after} and ${ct(f)} is not null order by id limit ${limit}`.execute(q)
    ).rows,

  /** Writes `next` only if the value is still `current` (a concurrent rewrite or wipe stands); true when it did. */
  replace: async (q: Executor, f: DataKeyField, id: string, current: string, next: string, keyVersion: number): Promise<boolean> => {
    const res = await sql`
      update ${sql.table(f.table)} set ${ct(f)} = ${next}, key_version = ${keyVersion}
      where id = ${id} and ${ct(f)} = ${current}`.execute(q);
    return Number(res.numAffectedRows ?? 0) > 0;
  },

  /** Replaces a master-wrapped value at the row its key columns name, only if it is still `current`. */
  replaceWrapped: async (
    q: Executor,
    f: MasterWrappedField,
    row: Record<string, string | number>,
    current: string,
    next: string,
  ): Promise<boolean> => {
    const where = Object.entries(row).map(([c, v]) => sql`${sql.ref(c)} = ${v}`);
    const res = await sql`update ${sql.table(f.table)} set ${sql.ref(f.column)} = ${next}
      where ${sql.join(where, sql` and `)} and ${sql.ref(f.column)} = ${current}`.execute(q);
    return Number(res.numAffectedRows ?? 0) === 1;
  },

  /** Whether a value of the field is still under data-key `version` (of a merchant that still has that key). */
  usesVersion: async (q: Executor, f: DataKeyField, version: number): Promise<boolean> => {
    const { rows } = await sql`
      select 1 as used from ${sql.table(f.table)} t
      join data_keys k on k.merchant_id = t.merchant_id and k.purpose = 'data' and k.version = t.key_version
      where t.key_version = ${version} and ${sql.ref(`t.${f.column}`)} is not null limit 1`.execute(q);
    return rows.length > 0;
  },
};
