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

/**
 * A GET under /v1/admin/merchants/:id/gateways/<gateway id>/ answered from the credential's public half
 * (2C2P: the vault's public key as PEM).
 */
export interface CredentialRead {
  /** The path's last part, e.g. vault-public-key. */
  path: string;
  operationId: string;
  summary: string;
  /** The 200 answer as the OpenAPI document shows it. */
  response: { description: string; contentType: string; schema: Record<string, unknown> };
  read(publicData: Readonly<Record<string, unknown>>): string;
}

/**
 * How a gateway's keys change after provisioning: `apply` (the vault calls it, and writes and audits what it
 * returns), the admin route PUT /v1/admin/merchants/:id/gateways/<gateway id>/keys whose body is the change as
 * `apply` takes it, and the CLI command `merchants <gateway id>-keys <merchantId>` whose options set its fields.
 */
export interface KeyRotation extends NonNullable<CredentialHooks['keys']> {
  /** The route's OpenAPI operation and its body and 200 answer (plain JSON schema). */
  admin: { operationId: string; summary: string; description: string; body: Record<string, unknown>; response: Record<string, unknown> };
  /** The command's help, its options, and the error when none is given. */
  cli: { description: string; options: readonly FieldOption[]; missing: string };
  reads?: readonly CredentialRead[];
}

/** `prepare` throws CredentialInputError for a supplied key it cannot use; `keys.apply` returns a refusal. */
export interface GatewayCredentials extends CredentialHooks {
  supplied: readonly SuppliedKey[];
  keys?: KeyRotation;
}
