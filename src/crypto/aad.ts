/**
 * The one home of every AAD (additional authenticated data) the vault binds to a ciphertext. An AAD names
 * where a value lives, so a ciphertext copied to another merchant, row, column or key slot fails to decrypt.
 * Changing any of these strings makes every stored value unreadable: they are part of the storage format.
 */

/** A field of a record, under a merchant's data key: `tokenvault:<merchant>:<table>:<record>:<field>`. */
export const fieldAad = (merchantId: string, table: string, recordId: string, field: string): string =>
  `tokenvault:${merchantId}:${table}:${recordId}:${field}`;

/** A merchant key (data or fingerprint) wrapped by the master key. */
export const merchantKeyWrapAad = (merchantId: string, purpose: string, version: number): string =>
  `tokenvault:key:${merchantId}:${purpose}:${version}`;

/** The audit checkpoint signing key, wrapped by the master key. */
export const AUDIT_SIGNING_KEY_AAD = 'tokenvault:audit-signing-key';

/** A short-lived window key (held CVVs), wrapped by the master key. */
export const windowKeyWrapAad = (windowId: string): string => `tokenvault:window-key:${windowId}`;
