/**
 * The stable codes vault use cases return. Each API maps them to its own wire shape in one place
 * (native: api/problem.ts; each gateway: its routes' refusal mapping). Messages here are safe to show: no card data, no secrets.
 */
export type VaultErrorCode =
  | 'customer_not_found'
  | 'card_not_found'
  | 'address_not_found'
  | 'merchant_not_found'
  | 'api_key_not_found'
  | 'duplicate_customer_id'
  | 'reference_taken'
  | 'version_mismatch'
  | 'invalid_transition'
  | 'card_deleted'
  | 'invalid_card_number'
  | 'invalid_bank_account'
  | 'invalid_expiry'
  | 'card_expired'
  | 'invalid_cvv'
  | 'invalid_key'
  | 'invalid_origin'
  | 'invalid_request'
  | 'validation_failed'
  | 'invalid_amount'
  | 'payment_not_found'
  | 'no_default_card'
  | 'token_suspended'
  | 'token_deleted'
  | 'token_consumed'
  | 'token_expired'
  | 'processor_unavailable'
  | 'amount_exceeds_authorized'
  | 'amount_exceeds_captured'
  | 'invalid_payment_state'
  | 'default_in_use'
  | 'instrument_not_found'
  | 'instrument_gone'
  | 'instrument_in_use';

export interface FieldIssue {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export interface VaultFailure {
  readonly ok: false;
  readonly error: VaultErrorCode;
  readonly detail?: string;
  readonly fields?: readonly FieldIssue[];
}

export type VaultResult<T> = { readonly ok: true; readonly value: T } | VaultFailure;

export const fail = (error: VaultErrorCode, detail?: string, fields?: FieldIssue[]): VaultFailure => ({
  ok: false,
  error,
  ...(detail !== undefined ? { detail } : {}),
  ...(fields !== undefined ? { fields } : {}),
});

export const succeed = <T>(value: T): VaultResult<T> => ({ ok: true, value });
