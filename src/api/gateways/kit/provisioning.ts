/**
 * What a gateway provisions for a new merchant (DESIGN §7): its credential, generated here unless the
 * merchant supplies its own public key, and the keys that may change later. Light on purpose (node:crypto
 * only): the CLI loads it without the HTTP stack.
 */

import type { CredentialHooks } from '../../../vault/gateway-hooks.ts';

export type { NewCredential } from '../../../vault/gateway-hooks.ts';

/** A CLI option, and how its value is read: a file's text, a JSON file, a number, the text given, or present. */
export interface CliOption {
  /** commander flags, e.g. `--twoc2p-public-key <file>`. */
  flag: string;
  description: string;
  read: 'file-text' | 'file-json' | 'number' | 'text' | 'flag';
  choices?: readonly string[];
  default?: string;
}

/** A field set from a CLI option (of the keys supplied at creation, or of a key change). */
export interface FieldOption {
  field: string;
  cli: CliOption;
}

/** A key the merchant may bring at creation instead of a generated one (`merchants create` option). */
export interface SuppliedKey extends FieldOption {
  /** Its field in the admin API's create body and in `MerchantSuppliedKeys`, e.g. twoc2pPublicKeyPem. */
  field: string;
  /** JSON schema of the field in the admin API's create body (plain JSON schema: no TypeBox here); absent: CLI only. */
  schema?: Record<string, unknown>;
}

/** `prepare` throws CredentialInputError for a supplied key it cannot use. */
export interface GatewayCredentials extends CredentialHooks {
  supplied: readonly SuppliedKey[];
}
