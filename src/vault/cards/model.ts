/** The card service's shapes: what callers send and read, and the rows a new card or identifier starts as. */

import { dataKeyVersion } from '../../crypto/keyring.ts';
import { randomPooled } from '../../crypto/random.ts';
import { accountSuffix, type BankAccount, type InstrumentKind } from '../../domain/bank-account.ts';
import type { Brand, binInfo, Expiry, Funding } from '../../domain/card.ts';
import type { Status, StoredStatus, Usage } from '../../domain/lifecycle.ts';
import { HELD_CVV, PAN } from '../../store/encrypted-fields.ts';
import type { CustomerRow, InstrumentRow } from '../../store/schema.ts';
import { parseJson } from '../deps.ts';
import type { ReferenceClaim } from '../references.ts';

export interface Address {
  firstName?: string;
  lastName?: string;
  company?: string;
  line1?: string;
  line2?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  country?: string;
  email?: string;
  phone?: string;
}

export type Metadata = Record<string, string>;

/**
 * What an instrument's number says about it, kept in clear beside the ciphertext (its identifier's columns).
 * A bank account (kind 'bank', served to Cybersource callers only) has no BIN: bin6 is empty, brand and
 * funding UNKNOWN, last4 its visible suffix (domain/bank-account.ts) and panLength its account number's length.
 */
export interface BinFields {
  bin6: string;
  bin8: string | null;
  last4: string;
  panLength: number;
  brand: Brand;
  funding: Funding;
  kind: InstrumentKind;
  /** A bank account's routing number; null for a card. */
  routingNumber: string | null;
}

/** The BIN fields of an identifier row (or a card row joined with its identifier). */
export const binFieldsOf = (
  r: Pick<InstrumentRow, 'bin6' | 'bin8' | 'last4' | 'pan_length' | 'brand' | 'funding' | 'kind' | 'routing_number'>,
): BinFields => ({
  bin6: r.bin6,
  bin8: r.bin8,
  last4: r.last4,
  panLength: r.pan_length,
  brand: r.brand as Brand,
  funding: r.funding as Funding,
  kind: r.kind as InstrumentKind,
  routingNumber: r.routing_number,
});

export interface CardView extends BinFields {
  token: string;
  merchantId: string;
  instrumentId: string;
  customerId: string | null;
  expiry: Expiry;
  holderName: string | null;
  billingAddress: Address | null;
  usage: Usage;
  status: Status;
  storedStatus: StoredStatus;
  metadata: Metadata | null;
  /** Gateway-specific fields a token keeps (e.g. 2C2P's accountIssuer); never card data. */
  attributes: Record<string, string>;
  isDefault: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface InstrumentView extends BinFields {
  id: string;
  /** False once its card number was destroyed (deleted, or its last card deleted). */
  available: boolean;
  attributes: Record<string, string>;
  createdAt: string;
}

export const instrumentView = (r: InstrumentRow): InstrumentView => ({
  id: r.id,
  ...binFieldsOf(r),
  available: r.pan_ct !== null,
  attributes: parseJson<Record<string, string>>(r.attributes) ?? {},
  createdAt: r.created_at,
});

export interface TokenizeInput {
  /**
   * A customer to create with the card, in its transaction (customers.draft), unless a live one with its
   * external id exists by then; `customerId` is ignored when this is given.
   */
  newCustomer?: CustomerRow;
  /** A merchant reference claimed in the card's own transaction (fails with reference_taken if used). */
  claim?: ReferenceClaim;
  /** The card number, or `instrumentId`: one the vault already holds. */
  pan?: string;
  instrumentId?: string;
  expiry: Expiry;
  holderName?: string | null;
  billingAddress?: Address | null;
  customerId?: string | null;
  usage?: Usage;
  makeDefault?: boolean;
  metadata?: Metadata | null;
  attributes?: Record<string, string>;
  /** Held encrypted until the first payment takes it, or its TTL ends (PCI DSS 3.3.1.2). */
  cvv?: string;
  /** The API that creates the token decides its string's format (DESIGN §3). */
  newToken?: () => string;
  /** The web origin a card element sent the card from (a publishable key's), kept in the card.create audit event. */
  origin?: string;
}

export interface CardUpdate {
  expiry?: Expiry;
  holderName?: string | null;
  billingAddress?: Address | null;
  metadata?: Metadata | null;
  makeDefault?: boolean;
  /** Replaces the gateway attributes it names; others stay. */
  attributes?: Record<string, string>;
}

/** A CVV taken for its one use, with the expiry it had. */
export interface HeldCvv {
  cvv: string;
  expiresAt: string;
}

export const nativeToken = (): string => `tok_${randomPooled(18).toString('base64url')}`;

export const panAad = PAN.aad;
export const cvvAad = HELD_CVV.aad;

/**
 * Held CVVs are sealed under window keys of this length: a CVV is unrecoverable (its key destroyed) at most
 * one window after its TTL ends, and a TTL spans at most TTL / window + 1 keys.
 */
export const cvvWindowMs = (ttlMs: number): number => Math.max(1000, Math.min(60_000, ttlMs));

/** What every new identifier row has: its id, owner, fingerprint, ciphertext (and its key version), time. */
interface IdentifierBase {
  merchantId: string;
  id: string;
  fingerprint: { value: string; version: number };
  ct: string;
  at: string;
  retained: boolean;
}

const baseRow = (b: IdentifierBase) => ({
  id: b.id,
  merchant_id: b.merchantId,
  fingerprint: b.fingerprint.value,
  fp_version: b.fingerprint.version,
  pan_ct: b.ct,
  created_at: b.at,
  key_version: dataKeyVersion(b.ct),
  attributes: null,
  retained: b.retained ? 1 : 0,
});

/** A new instrument identifier row: the encrypted PAN, its fingerprint and display fields. */
export function instrumentRow(
  merchantId: string,
  id: string,
  fingerprint: { value: string; version: number },
  panCt: string,
  info: ReturnType<typeof binInfo>,
  at: string,
  retained: boolean,
): InstrumentRow {
  return {
    ...baseRow({ merchantId, id, fingerprint, ct: panCt, at, retained }),
    bin6: info.bin6,
    bin8: info.bin8,
    last4: info.last4,
    pan_length: info.length,
    brand: info.brand,
    funding: info.funding,
    kind: 'card',
    routing_number: null,
  };
}

/** A new bank-account identifier row: the encrypted account number, its fingerprint, routing number and suffix. */
export function bankInstrumentRow(base: IdentifierBase, account: BankAccount): InstrumentRow {
  return {
    ...baseRow(base),
    bin6: '',
    bin8: null,
    last4: accountSuffix(account.number),
    pan_length: account.number.length,
    brand: 'UNKNOWN',
    funding: 'UNKNOWN',
    kind: 'bank',
    routing_number: account.routingNumber,
  };
}

export function panMessage(code: string): string {
  switch (code) {
    case 'pan_not_digits':
      return 'the card number must contain digits only';
    case 'pan_leading_zero':
      return 'the card number may not begin with 0';
    case 'pan_length':
      return 'the card number must be 12 to 19 digits, in a length its brand issues';
    default:
      return 'the card number fails the Luhn check';
  }
}
