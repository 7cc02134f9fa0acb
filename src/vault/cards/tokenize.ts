/** Tokenize: a card number (or an identifier the vault holds) becomes a new token, with its customer if asked. */
import { appendAudit } from '../../audit/log.ts';
import { dataKeyVersion } from '../../crypto/keyring.ts';
import { NEVER_EXPIRES } from '../../domain/bank-account.ts';
import { type Brand, type binInfo, cvvValid } from '../../domain/card.ts';
import { instrumentIdentifierId } from '../../domain/ids.ts';
import { cardSecretStore } from '../../store/card-secret-store.ts';
import { type CardWithInstrument, cardStore } from '../../store/card-store.ts';
import { customerStore } from '../../store/customer-store.ts';
import { type Executor, inTransaction } from '../../store/db.ts';
import { isUniqueViolation } from '../../store/errors.ts';
import type { CardRow, InstrumentRow } from '../../store/schema.ts';
import { type Caller, iso, scopeOf } from '../deps.ts';
import { fail, succeed, type VaultResult } from '../errors.ts';
import { claimInTransaction, ReferenceTaken } from '../references.ts';
import type { CardContext } from './context.ts';
import { type CardView, instrumentRow, nativeToken, panAad, type TokenizeInput } from './model.ts';

/** A checked card number with its display data and fingerprint; null when the card is an identifier the vault holds. */
type Checked = { pan: string; info: ReturnType<typeof binInfo>; fingerprint: { value: string; version: number } } | null;

/** One attempt's values, made before its transaction (crypto may load keys; nothing slow holds a write lock). */
interface Draw {
  token: string;
  candidateId: string;
  candidateCt: string | null;
  cvvCt: string | null;
  cvvExpires: string;
  at: string;
}

type Written = { instrumentCreated: boolean; defaultCardId: string | null; row: CardWithInstrument };

const cardRowOf = (
  input: TokenizeInput,
  merchantId: string,
  token: string,
  instrumentId: string,
  customerId: string | null,
  at: string,
): CardRow => ({
  id: token,
  merchant_id: merchantId,
  instrument_id: instrumentId,
  customer_id: customerId,
  exp_month: input.expiry.month,
  exp_year: input.expiry.year,
  holder_name: input.holderName ?? null,
  billing_address: input.billingAddress ? JSON.stringify(input.billingAddress) : null,
  usage: input.usage ?? 'MULTIPLE',
  status: 'ACTIVE',
  metadata: input.metadata ? JSON.stringify(input.metadata) : null,
  version: 1,
  created_at: at,
  updated_at: at,
  attributes: input.attributes && Object.keys(input.attributes).length > 0 ? JSON.stringify(input.attributes) : null,
});

export function createTokenize(ctx: CardContext) {
  const { deps, db, keyring, sealCvv, view, checkExpiry, checkHolderName, checkCard } = ctx;

  /** The input checks, before anything is written: the card (or the identifier it names), expiry, CVV, holder name. */
  async function check(caller: Caller, input: TokenizeInput): Promise<VaultResult<Checked>> {
    const named = checkHolderName(input.holderName);
    if (!named.ok) return named;
    if (input.instrumentId === undefined) {
      const checked = checkCard({ pan: input.pan ?? '', expiry: input.expiry, ...(input.cvv !== undefined ? { cvv: input.cvv } : {}) });
      if (!checked.ok) return checked;
      const fingerprint = await keyring.fingerprint(caller.merchantId, checked.value.pan);
      return succeed({ ...checked.value, fingerprint });
    }
    // A new token for a card the vault already holds (Cybersource: a payment instrument made from an
    // instrument identifier): the card number is not sent again.
    const existing = await cardStore.getInstrument(db, caller.merchantId, input.instrumentId, scopeOf(caller));
    if (!existing) return fail('instrument_not_found', 'no such instrument identifier');
    if (existing.pan_ct === null) return fail('instrument_gone', 'the instrument identifier was deleted');
    // A bank account has no expiry (its token gets NEVER_EXPIRES) and no security code.
    if (existing.kind === 'bank') {
      return input.cvv === undefined
        ? succeed(null)
        : fail('invalid_cvv', 'a bank account has no security code', [
            { field: 'cvv', code: 'cvv_format', message: 'not for a bank account' },
          ]);
    }
    const expiryCheck = checkExpiry(input.expiry);
    if (!expiryCheck.ok) return expiryCheck;
    if (input.cvv !== undefined && !cvvValid(existing.brand as Brand, input.cvv)) {
      return fail('invalid_cvv', 'the security code is not valid for this card', [
        { field: 'cvv', code: 'cvv_format', message: '3 or 4 digits' },
      ]);
    }
    return succeed(null);
  }

  /** The card's customer: made with its first card in one commit (never one without the other), or the one named. */
  async function customerFor(
    tx: Executor,
    caller: Caller,
    input: TokenizeInput,
    at: string,
  ): Promise<VaultResult<{ customerId: string | null; defaultCardId: string | null }>> {
    const { merchantId } = caller;
    const fresh = input.newCustomer;
    if (fresh) {
      const seen = fresh.external_id ? await customerStore.findByExternalId(tx, merchantId, fresh.external_id) : undefined;
      if (seen) return succeed({ customerId: seen.id, defaultCardId: seen.default_card_id });
      await customerStore.insert(tx, { ...fresh, created_at: at, updated_at: at });
      await appendAudit(tx, { merchantId, actor: caller.actor, action: 'customer.create', target: fresh.id }, at);
      return succeed({ customerId: fresh.id, defaultCardId: null });
    }
    const customerId = input.customerId ?? null;
    if (customerId === null) return succeed({ customerId, defaultCardId: null });
    const customer = await customerStore.get(tx, merchantId, customerId);
    if (!customer) return fail('customer_not_found', 'no such customer');
    return succeed({ customerId, defaultCardId: customer.default_card_id });
  }

  /** The identifier the card points at: the one named, or found by fingerprint (its number stored again if it was wiped), or new. */
  async function instrumentFor(
    tx: Executor,
    caller: Caller,
    input: TokenizeInput,
    card: Checked,
    d: Draw,
  ): Promise<VaultResult<{ instrument: InstrumentRow; created: boolean }>> {
    const { merchantId } = caller;
    if (card === null || d.candidateCt === null) {
      const existing = await cardStore.getInstrument(tx, merchantId, input.instrumentId as string, scopeOf(caller));
      if (!existing) return fail('instrument_not_found', 'no such instrument identifier');
      if (existing.pan_ct === null) return fail('instrument_gone', 'the instrument identifier was deleted');
      return succeed({ instrument: existing, created: false });
    }
    const row = instrumentRow(merchantId, d.candidateId, card.fingerprint, d.candidateCt, card.info, d.at, false);
    const { row: instrument, created } = await cardStore.upsertInstrument(tx, row);
    if (!created && instrument.pan_ct === null) {
      // The identifier's PAN was wiped when its last card was deleted: the card is back, store it again.
      const ct = await keyring.encrypt(merchantId, panAad(merchantId, instrument.id), card.pan);
      await cardStore.setInstrumentPan(tx, instrument.id, ct, dataKeyVersion(ct));
    }
    return succeed({ instrument, created });
  }

  /** Everything tokenize writes, in one transaction. */
  async function write(tx: Executor, caller: Caller, input: TokenizeInput, card: Checked, d: Draw): Promise<VaultResult<Written>> {
    const { merchantId } = caller;
    const owner = await customerFor(tx, caller, input, d.at);
    if (!owner.ok) return owner;
    const { customerId } = owner.value;
    let { defaultCardId } = owner.value;
    const found = await instrumentFor(tx, caller, input, card, d);
    if (!found.ok) return found;
    const { instrument, created } = found.value;
    const expiry = instrument.kind === 'bank' ? NEVER_EXPIRES : input.expiry;
    const cardRow = cardRowOf({ ...input, expiry }, merchantId, d.token, instrument.id, customerId, d.at);
    await cardStore.insertCard(tx, cardRow);
    if (d.cvvCt !== null) {
      await cardSecretStore.insert(tx, { card_id: d.token, merchant_id: merchantId, cvv_ct: d.cvvCt, expires_at: d.cvvExpires });
    }
    if (customerId !== null && (input.makeDefault || defaultCardId === null)) {
      // `is null` lets the database pick one winner among concurrent first cards.
      if (await customerStore.setDefaultCard(tx, customerId, d.token, !input.makeDefault)) defaultCardId = d.token;
    }
    const detail = { instrument: instrument.id, instrumentNew: created, ...(input.origin !== undefined ? { origin: input.origin } : {}) };
    await appendAudit(tx, { merchantId, actor: caller.actor, action: 'card.create', target: d.token, detail }, d.at);
    if (input.claim) await claimInTransaction(tx, merchantId, input.claim, d.at);
    const { bin6, bin8, last4, pan_length, brand, funding, kind, routing_number } = instrument;
    const row = { ...cardRow, bin6, bin8, last4, pan_length, brand, funding, kind, routing_number };
    return succeed({ instrumentCreated: created, defaultCardId, row });
  }

  return {
    /**
     * The card checks of tokenize, on their own: an API that must create other records first (a customer)
     * checks the card before writing anything.
     */
    checkCard,

    async tokenize(caller: Caller, input: TokenizeInput): Promise<VaultResult<{ card: CardView; instrumentCreated: boolean }>> {
      const { merchantId } = caller;
      const checked = await check(caller, input);
      if (!checked.ok) return checked;
      const card = checked.value;
      const at = iso(deps.now());
      let result: VaultResult<Written> | undefined;
      for (let attempt = 0; result === undefined; attempt++) {
        const token = (input.newToken ?? nativeToken)();
        const candidateId = instrumentIdentifierId();
        const candidateCt = card === null ? null : await keyring.encrypt(merchantId, panAad(merchantId, candidateId), card.pan);
        const cvvExpires = new Date(Date.parse(at) + deps.cvvTtlMs).toISOString();
        const cvvCt = input.cvv === undefined ? null : await sealCvv(merchantId, token, input.cvv, cvvExpires);
        const draw: Draw = { token, candidateId, candidateCt, cvvCt, cvvExpires, at };
        try {
          result = await inTransaction(db, (tx) => write(tx, caller, input, card, draw));
        } catch (e) {
          if (e instanceof ReferenceTaken) return fail('reference_taken', 'the reference was already used');
          // A token string drawn twice (short formats such as 2C2P's 18 digits): draw again.
          if (attempt < 4 && isUniqueViolation(e)) continue;
          throw e;
        }
      }
      if (!result.ok) return result;
      // Answered from what was written, not read back: after the commit nothing may fail the request.
      return succeed({ card: view(result.value.row, result.value.defaultCardId), instrumentCreated: result.value.instrumentCreated });
    },
  };
}
