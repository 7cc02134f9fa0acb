import { createWindowKeyring } from '../../crypto/window-keys.ts';
import { binInfo, cvvValid, type Expiry, isExpired, isTooFarInFuture, parsePan } from '../../domain/card.ts';
import { effectiveStatus, type StoredStatus, type Usage } from '../../domain/lifecycle.ts';
import { containsCardNumber } from '../../domain/pan-detector.ts';
import type { CardWithInstrument } from '../../store/card-store.ts';
import { customerStore } from '../../store/customer-store.ts';
import type { Executor } from '../../store/db.ts';
import { windowKeyStore } from '../../store/window-key-store.ts';
import { iso, parseJson, type VaultDeps } from '../deps.ts';
import { fail, succeed, type VaultResult } from '../errors.ts';
import type { Address, CardView, Metadata } from './model.ts';
import { binFieldsOf, cvvAad, cvvWindowMs, panMessage } from './model.ts';

export function cardContext(deps: VaultDeps) {
  const { db, keyring, scrubber } = deps;
  const cvvKeys = createWindowKeyring({
    master: deps.master,
    source: {
      find: (id) => windowKeyStore.find(db, id),
      create: (id, wrapped, endsAt) => windowKeyStore.create(db, id, wrapped, iso(endsAt), iso(deps.now())),
    },
    windowMs: cvvWindowMs(deps.cvvTtlMs),
    now: deps.now,
  });
  /** The security code as stored: sealed under the window key of its expiry. */
  const sealCvv = (merchantId: string, token: string, cvv: string, expiresAt: string) =>
    cvvKeys.seal(cvvAad(merchantId, token), cvv, new Date(expiresAt));

  function view(row: CardWithInstrument, defaultCardId: string | null): CardView {
    const expiry = { month: row.exp_month, year: row.exp_year };
    return {
      token: row.id,
      merchantId: row.merchant_id,
      instrumentId: row.instrument_id,
      customerId: row.customer_id,
      expiry,
      holderName: row.holder_name,
      billingAddress: parseJson<Address>(row.billing_address),
      usage: row.usage as Usage,
      status: effectiveStatus(row.status as StoredStatus, expiry, deps.now()),
      storedStatus: row.status as StoredStatus,
      metadata: parseJson<Metadata>(row.metadata),
      attributes: parseJson<Record<string, string>>(row.attributes) ?? {},
      isDefault: defaultCardId !== null && defaultCardId === row.id,
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      ...binFieldsOf(row),
    };
  }

  async function defaultOf(q: Executor, merchantId: string, customerId: string | null): Promise<string | null> {
    if (customerId === null) return null;
    return (await customerStore.get(q, merchantId, customerId))?.default_card_id ?? null;
  }

  function checkExpiry(expiry: Expiry): VaultResult<null> {
    const now = deps.now();
    if (isExpired(expiry, now))
      return fail('card_expired', 'the card has expired', [{ field: 'expiry', code: 'card_expired', message: 'expiry is in the past' }]);
    if (isTooFarInFuture(expiry, now))
      return fail('invalid_expiry', 'the expiry is too far in the future', [
        { field: 'expiry', code: 'expiry_year', message: 'expiry is more than 20 years ahead' },
      ]);
    return succeed(null);
  }

  /**
   * A holder name is stored and shown in clear: a card number typed into it (in any spelling the detector
   * knows: separators, percent-encoding) would be a PAN outside the encryption.
   */
  function checkHolderName(name: string | null | undefined): VaultResult<null> {
    if (typeof name !== 'string' || !containsCardNumber(name)) return succeed(null);
    return fail('validation_failed', 'the holder name may not contain a card number', [
      { field: 'holderName', code: 'contains_card_number', message: 'may not contain a card number' },
    ]);
  }

  function checkCard(input: { pan: string; expiry: Expiry; cvv?: string }): VaultResult<{ pan: string; info: ReturnType<typeof binInfo> }> {
    const pan = parsePan(input.pan);
    if (!pan.ok) {
      return fail('invalid_card_number', 'the card number is not valid', [
        { field: 'number', code: pan.error, message: panMessage(pan.error) },
      ]);
    }
    const expiryCheck = checkExpiry(input.expiry);
    if (!expiryCheck.ok) return expiryCheck;
    const info = binInfo(pan.value);
    if (input.cvv !== undefined && !cvvValid(info.brand, input.cvv)) {
      const digits = info.brand === 'AMEX' ? 4 : 3;
      return fail('invalid_cvv', `the security code must be ${digits} digits for this card`, [
        { field: 'cvv', code: 'cvv_format', message: `${digits} digits` },
      ]);
    }
    return succeed({ pan: pan.value, info });
  }
  return { deps, db, keyring, scrubber, cvvKeys, sealCvv, view, defaultOf, checkExpiry, checkHolderName, checkCard };
}

export type CardContext = ReturnType<typeof cardContext>;
