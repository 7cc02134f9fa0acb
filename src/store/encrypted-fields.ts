/**
 * The registry of every stored secret: each column that holds ciphertext, the key that protects it, the AAD
 * it binds and how it is destroyed. Rotation, re-encryption, key retirement, crypto-shredding, `keys status`,
 * SECURITY.md and the tests read this list; nothing else names these columns for key purposes. A test scans a
 * database holding every kind of record and fails on any ciphertext in a column missing here.
 */
import { AUDIT_SIGNING_KEY_AAD, fieldAad, merchantKeyWrapAad, windowKeyWrapAad } from '../crypto/aad.ts';

/**
 * A field encrypted under a merchant's data key (`tv1…d<version>…`). Every such table has `id`,
 * `merchant_id` and `key_version` columns, so one generic sweep rotates them all.
 */
export interface DataKeyField {
  readonly kind: 'data';
  readonly table: 'instrument_identifiers' | 'gateway_credentials' | 'gateway_sessions';
  readonly column: 'pan_ct' | 'secret_data' | 'server_key_ct';
  /** What the value is, for operators (keys status, SECURITY.md). */
  readonly holds: string;
  /** How the value is destroyed. */
  readonly destroyed: string;
  /** The AAD a value of record `recordId` binds. */
  aad(merchantId: string, recordId: string): string;
}

/** A field encrypted under a short-lived window key (`tv1…w<window end ms>…`), destroyed when its window ends. */
export interface WindowKeyField {
  readonly kind: 'window';
  readonly table: 'card_secrets';
  readonly column: 'cvv_ct';
  readonly holds: string;
  readonly destroyed: string;
  aad(merchantId: string, recordId: string): string;
}

/** A key wrapped by the master key (`tv1…k<version>…`). */
export interface MasterWrappedField {
  readonly kind: 'master';
  readonly table: 'data_keys' | 'settings' | 'window_keys';
  readonly column: 'wrapped' | 'value';
  /** For `settings`: the row's name. */
  readonly setting?: string;
  readonly holds: string;
  readonly destroyed: string;
}

const dataField = (
  table: DataKeyField['table'],
  column: DataKeyField['column'],
  aadField: string,
  holds: string,
  destroyed: string,
): DataKeyField => ({
  kind: 'data',
  table,
  column,
  holds,
  destroyed,
  aad: (merchantId, recordId) => fieldAad(merchantId, table, recordId, aadField),
});

/** The card number of an instrument identifier. */
export const PAN = dataField(
  'instrument_identifiers',
  'pan_ct',
  'pan',
  'card numbers',
  'set to NULL when the last token of the card (or its identifier) is deleted; unreadable once the merchant is deleted (data keys destroyed)',
);
/** A gateway credential's secret half (shared secrets, private keys). */
export const CREDENTIAL_SECRET = dataField(
  'gateway_credentials',
  'secret_data',
  'secret_data',
  'gateway credential secrets',
  'unreadable once the merchant is deleted (data keys destroyed)',
);
/** An AlliancePay session's server private key. */
export const SESSION_KEY = dataField(
  'gateway_sessions',
  'server_key_ct',
  'server_key',
  'AlliancePay session private keys',
  'row deleted when the session expires or the merchant is deleted',
);

/** A CVV held for its first use. */
export const HELD_CVV: WindowKeyField = {
  kind: 'window',
  table: 'card_secrets',
  column: 'cvv_ct',
  holds: 'security codes (CVV) held for their first use',
  destroyed:
    'row deleted on use, card deletion or TTL; its window key is destroyed when the window ends; the files are scrubbed (SQLite secure_delete + WAL truncation, PostgreSQL VACUUM FULL)',
  aad: (merchantId, recordId) => fieldAad(merchantId, 'card_secrets', recordId, 'cvv'),
};

/** Every field under a merchant data key: what data-key rotation re-encrypts and retirement checks. */
export const DATA_KEY_FIELDS: readonly DataKeyField[] = [PAN, CREDENTIAL_SECRET, SESSION_KEY];

/** Setting rows whose value is wrapped by the master key. */
export const AUDIT_SIGNING_KEY_SETTING = 'audit_signing_key';

export const MASTER_WRAPPED = {
  merchantKeys: {
    kind: 'master',
    table: 'data_keys',
    column: 'wrapped',
    holds: 'merchant data and fingerprint keys',
    destroyed: 'rows deleted with the merchant (crypto-shredding) or on `keys retire`',
    aad: (row: { merchant_id: string; purpose: string; version: number }) => merchantKeyWrapAad(row.merchant_id, row.purpose, row.version),
  },
  auditSigningKey: {
    kind: 'master',
    table: 'settings',
    column: 'value',
    setting: AUDIT_SIGNING_KEY_SETTING,
    holds: 'the audit checkpoint signing key',
    destroyed: 'never (it signs the audit history)',
    aad: () => AUDIT_SIGNING_KEY_AAD,
  },
  windowKeys: {
    kind: 'master',
    table: 'window_keys',
    column: 'wrapped',
    holds: 'window keys that encrypt held CVVs',
    destroyed: 'row deleted (and the file scrubbed) when its window ends',
    aad: (row: { id: string }) => windowKeyWrapAad(row.id),
  },
} as const satisfies Record<string, MasterWrappedField & { aad: (row: never) => string }>;

/** Every registered ciphertext column, as `table.column` (settings rows: `settings.<name>`). */
export const ENCRYPTED_COLUMNS: readonly string[] = [
  ...DATA_KEY_FIELDS.map((f) => `${f.table}.${f.column}`),
  `${HELD_CVV.table}.${HELD_CVV.column}`,
  `${MASTER_WRAPPED.merchantKeys.table}.${MASTER_WRAPPED.merchantKeys.column}`,
  `settings.${AUDIT_SIGNING_KEY_SETTING}`,
  `${MASTER_WRAPPED.windowKeys.table}.${MASTER_WRAPPED.windowKeys.column}`,
];
