/** Row types of every table, as Kysely sees them. Times are ISO-8601 UTC strings in both databases. */
export interface MerchantRow {
  id: string;
  name: string;
  status: string;
  created_at: string;
}
export interface ApiKeyRow {
  id: string;
  merchant_id: string;
  key_hash: string;
  prefix: string;
  scopes: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
  /** null: a secret key (tv_sk_…); 'publishable': a publishable key (tv_pk_…). */
  kind: 'publishable' | null;
  /** A publishable key's allowed web origins, as a JSON array; null for a secret key. */
  origins: string | null;
}
export interface SettingRow {
  name: string;
  value: string;
}
export interface DataKeyRow {
  merchant_id: string;
  purpose: string;
  version: number;
  wrapped: string;
  status: string;
  created_at: string;
}
export interface GatewayCredentialRow {
  id: string;
  merchant_id: string;
  gateway: string;
  lookup_key: string;
  public_data: string;
  secret_data: string | null;
  created_at: string;
  revoked_at: string | null;
  key_version: number;
}
export interface CustomerRow {
  id: string;
  merchant_id: string;
  external_id: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  metadata: string | null;
  default_card_id: string | null;
  default_address_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  attributes: string | null;
}
export interface InstrumentRow {
  id: string;
  merchant_id: string;
  fingerprint: string;
  fp_version: number;
  pan_ct: string | null;
  bin6: string;
  bin8: string | null;
  last4: string;
  pan_length: number;
  brand: string;
  funding: string;
  created_at: string;
  key_version: number;
  attributes: string | null;
  retained: number;
  /** 'card' or 'bank' (domain/bank-account.ts InstrumentKind). */
  kind: string;
  /** A bank account's routing number (in clear); null for a card. */
  routing_number: string | null;
}
export interface CardRow {
  id: string;
  merchant_id: string;
  instrument_id: string;
  customer_id: string | null;
  exp_month: number;
  exp_year: number;
  holder_name: string | null;
  billing_address: string | null;
  usage: string;
  status: string;
  metadata: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  attributes: string | null;
}
export interface AddressRow {
  id: string;
  merchant_id: string;
  customer_id: string;
  address: string;
  version: number;
  created_at: string;
  updated_at: string;
}
export interface IdempotencyRow {
  merchant_id: string;
  key: string;
  request_hash: string;
  state: string;
  status_code: number | null;
  response: string | null;
  created_at: string;
  /** When a gateway's kept first answer is forgotten (null: an Idempotency-Key or a single-use reference, kept). */
  expires_at: string | null;
}

/** A single-use claim shared by every instance (vault/replay.ts), when Redis does not hold them. */
export interface ReplayClaimRow {
  /** A hash: the claim's namespace and what it claims never appear in clear. */
  key: string;
  value: string;
  expires_at: string;
}

export interface AuditHeadRow {
  chain: string;
  seq: number;
  hash: string;
}
export interface AuditEventRow {
  chain: string;
  seq: number;
  at: string;
  merchant_id: string | null;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  detail: string | null;
  prev_hash: string;
  hash: string;
}
export interface AuditCheckpointRow {
  id: string;
  at: string;
  payload: string;
  signature: string;
}
export interface CardSecretRow {
  card_id: string;
  merchant_id: string;
  cvv_ct: string;
  expires_at: string;
}

/** bigint columns: SQLite returns numbers, PostgreSQL strings; read them through Number(). */
type BigIntColumn = number | string;

export interface PaymentRow {
  id: string;
  merchant_id: string;
  kind: string;
  card_id: string;
  customer_id: string | null;
  currency: string;
  amount: BigIntColumn;
  authorized_amount: BigIntColumn;
  captured_amount: BigIntColumn;
  refunded_amount: BigIntColumn;
  capture_requested: number;
  status: string;
  decline_code: string | null;
  processor: string;
  processor_ref: string | null;
  auth_code: string | null;
  reference: string | null;
  metadata: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}
export interface PaymentEventRow {
  id: string;
  payment_id: string;
  type: string;
  amount: BigIntColumn | null;
  outcome: string;
  status_after: string;
  detail: string | null;
  created_at: string;
  /** The merchant's own reference of a follow-on call (an AlliancePay refund's merchantRequestId), if it gave one. */
  reference?: string | null;
}

/** One delivery to a merchant's URL (vault/outbox.ts). */
export interface OutboxRow {
  id: string;
  merchant_id: string;
  /** Who builds the request: the handler registered under this name (e.g. `alliancepay.callback`). */
  topic: string;
  payment_id: string | null;
  event_id: string | null;
  url: string;
  /** JSON: what the topic's handler was asked for (e.g. encryption). */
  options: string | null;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string;
  /** Until when the instance that claimed it owns it; past it, another may. */
  claimed_until: string | null;
  claim: string | null;
  /** What the last attempt got: `http 500`, `timeout`, `error`… (never a body). */
  last_result: string | null;
  created_at: string;
  updated_at: string;
}

export interface GatewaySessionRow {
  id: string;
  merchant_id: string;
  credential_id: string;
  refresh_hash: string;
  auth_hash: string;
  server_key_ct: string;
  key_version: number;
  expires_at: string;
  created_at: string;
}

export interface WindowKeyRow {
  id: string;
  wrapped: string;
  ends_at: string;
  created_at: string;
}

export interface Database {
  merchants: MerchantRow;
  api_keys: ApiKeyRow;
  settings: SettingRow;
  data_keys: DataKeyRow;
  gateway_credentials: GatewayCredentialRow;
  customers: CustomerRow;
  instrument_identifiers: InstrumentRow;
  cards: CardRow;
  addresses: AddressRow;
  idempotency_keys: IdempotencyRow;
  replay_claims: ReplayClaimRow;
  audit_heads: AuditHeadRow;
  audit_events: AuditEventRow;
  audit_checkpoints: AuditCheckpointRow;
  card_secrets: CardSecretRow;
  payments: PaymentRow;
  payment_events: PaymentEventRow;
  gateway_sessions: GatewaySessionRow;
  window_keys: WindowKeyRow;
  outbox: OutboxRow;
}
