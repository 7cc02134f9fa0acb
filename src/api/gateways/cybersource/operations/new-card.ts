/**
 * Paying (or crediting) with a card the request gives — its number, or an instrument identifier with the
 * card's expiry — in one vault call (vault/card-payments.ts): its tokens (and, with TOKEN_CREATE, a customer
 * and shipping address) are made, the payment taken, and the tokens kept only as asked and when the
 * processor did not refuse.
 */
import { NEVER_EXPIRES } from '../../../../domain/bank-account.ts';
import { isRefused } from '../../../../domain/payment.ts';
import type { Made, PayWithCardFailure, PayWithCardInput } from '../../../../vault/card-payments.ts';
import { ptsError, ptsFailure } from '../codes.ts';
import type { Ctx } from '../context.ts';
import { holderName, type Json, pts, readAddress, readExpiry } from '../fields.ts';
import { paymentJson, tmsId } from '../present.ts';
import { checkNeedsBank, type FirstCall, paymentInput, paymentRefused } from './pts-common.ts';

const II_FIELD = 'paymentInformation.instrumentIdentifier.id';

/**
 * The card the request names: its number (checked here), or an instrument identifier the vault holds. A bank
 * account sent in full has no identifier yet: `instrumentId` is set once payWithNewCard has made it.
 */
function cardSource(ctx: Ctx, f: FirstCall): { pan: string } | { instrumentId: string } {
  if (f.iiId !== undefined) return { instrumentId: f.iiId };
  if (f.bank !== undefined) return { instrumentId: '' };
  const number = pts.str(ctx.body, 'paymentInformation.card.number', { max: 19, min: 1, required: true }) as string;
  return { pan: number };
}

/**
 * The card (or bank account) in the request, and what TOKEN_CREATE asks to make with it, read and checked
 * before anything is made.
 */
function readNewCard(ctx: Ctx, f: FirstCall, bank: boolean): PayWithCardInput {
  const body = ctx.body;
  const types = f.tokenCreate ? f.types : [];
  const source = cardSource(ctx, f);
  if (bank && pts.at(body, 'paymentInformation.card') !== undefined) {
    throw ptsError(400, 'INVALID_DATA', 'paymentInformation.card is not a field of an electronic check', [
      { field: 'paymentInformation.card', reason: 'INVALID_DATA' },
    ]);
  }
  const expiry = bank
    ? NEVER_EXPIRES
    : (readExpiry(pts, body, 'paymentInformation.card', true) as NonNullable<ReturnType<typeof readExpiry>>);
  const cvv = pts.str(body, 'paymentInformation.card.securityCode', { max: 4, pattern: /^[0-9]{3,4}$/ });
  pts.str(body, 'paymentInformation.card.type', { max: 3 });
  const billTo = readAddress(pts, body, 'orderInformation.billTo');
  const shipTo = readAddress(pts, body, 'orderInformation.shipTo');
  const merchantCustomerId = pts.str(body, 'buyerInformation.merchantCustomerId', { max: 100 });
  if ('pan' in source) {
    const checked = ctx.deps.cards.checkCard({ pan: source.pan, expiry, ...(cvv ? { cvv } : {}) });
    if (!checked.ok) throw ptsFailure(checked);
  }
  if (types.includes('shippingAddress') && !shipTo) {
    throw ptsError(400, 'MISSING_FIELD', 'orderInformation.shipTo is required to create a shipping address', [
      { field: 'orderInformation.shipTo', reason: 'MISSING_FIELD' },
    ]);
  }
  const newCustomer = f.customerId === undefined && types.includes('customer');
  return {
    kind: f.kind,
    card: {
      ...source,
      expiry,
      ...(billTo ? { billingAddress: billTo } : {}),
      ...holderName(billTo),
      ...(cvv ? { cvv } : {}),
      attributes: { cybersource: '{}' },
      newToken: tmsId,
    },
    keep: types.includes('paymentInstrument'),
    ...(f.customerId !== undefined ? { customer: { id: f.customerId } } : {}),
    ...(newCustomer
      ? {
          customer: {
            create: {
              ...(billTo?.email ? { email: billTo.email } : {}),
              // Not unique: kept with the extras, as a TMS customer keeps it (operations/customers.ts).
              attributes: { cybersource: JSON.stringify(merchantCustomerId ? { merchantCustomerID: merchantCustomerId } : {}) },
            },
            newId: tmsId,
          },
        }
      : {}),
    ...(types.includes('shippingAddress') && shipTo ? { shippingAddress: { address: shipTo, newId: tmsId } } : {}),
    payment: paymentInput(f),
  };
}

/** A refused payment with a new card, in PTS's terms: where it failed decides the answer. */
function newCardRefused(f: FirstCall, r: PayWithCardFailure) {
  if (r.error === 'instrument_not_found' || r.error === 'instrument_gone') {
    return ptsError(400, 'INVALID_DATA', 'The instrument identifier is not valid for this payment', [
      { field: II_FIELD, reason: 'INVALID_DATA' },
    ]);
  }
  return r.step === 'card' || r.step === 'customer' ? ptsFailure(r) : paymentRefused(f, r);
}

/** What a TOKEN_CREATE answer says it created. */
function tokenInformation(made: Made, customerId: string | undefined, instrumentNew: boolean): Json {
  const customer = made.customerId ?? customerId;
  return {
    tokenInformation: {
      instrumentidentifierNew: instrumentNew,
      instrumentIdentifier: { id: made.card.instrumentId, state: 'ACTIVE' },
      ...(customer ? { customer: { id: customer } } : {}),
      ...(made.kept ? { paymentInstrument: { id: made.card.token } } : {}),
      ...(made.addressId ? { shippingAddress: { id: made.addressId } } : {}),
    },
  };
}

/**
 * The instrument identifier of a card number, made (or found) before the payment and kept as a token of its
 * own, as TMS keeps one per card: the identifier an approved payment answers stays readable, and the same
 * card paid with again answers the same one. Null when the number is refused (the payment call says why).
 */
async function instrumentOfNumber(ctx: Ctx, pan: string): Promise<{ id: string; created: boolean } | null> {
  const r = await ctx.deps.cards.createInstrument(ctx.caller, pan);
  return r.ok ? { id: r.value.instrument.id, created: r.value.created } : null;
}

/** Whether the request pays with a bank account: one sent in full, or an instrument identifier of one. */
async function paysWithBankAccount(ctx: Ctx, f: FirstCall): Promise<boolean> {
  if (f.bank !== undefined) return true;
  if (f.iiId === undefined) return false;
  const ii = await ctx.deps.cards.getInstrument(ctx.caller, f.iiId);
  return ii.ok && ii.value.kind === 'bank';
}

/** The instrument identifier of the bank account in the request, made (or found) and kept as TMS keeps one. */
async function instrumentOfAccount(
  ctx: Ctx,
  account: { number: string; routingNumber: string },
): Promise<{ id: string; created: boolean }> {
  const r = await ctx.deps.cards.createBankInstrument(ctx.caller, account);
  if (!r.ok) throw ptsFailure(r);
  return { id: r.value.instrument.id, created: r.value.created };
}

/**
 * Pays with the card in the request. A card number gets its instrument identifier first (kept: see
 * instrumentOfNumber); one this call made is deleted again when the payment is refused or fails, so a refused
 * payment leaves nothing behind. Answers the payment JSON.
 */
export async function payWithNewCard(ctx: Ctx, f: FirstCall): Promise<Json> {
  const bank = await paysWithBankAccount(ctx, f);
  if (f.check && !bank) throw checkNeedsBank(f.iiId !== undefined ? II_FIELD : 'paymentInformation.card.number');
  const input = readNewCard(ctx, f, bank);
  const pan = input.card.pan;
  const ii = pan !== undefined ? await instrumentOfNumber(ctx, pan) : f.bank !== undefined ? await instrumentOfAccount(ctx, f.bank) : null;
  if (f.bank !== undefined && ii) input.card.instrumentId = ii.id;
  const r = await ctx.deps.cardPayments.payWithCard(ctx.caller, input);
  const dropMade = async () => {
    if (ii?.created) await ctx.deps.cards.deleteInstrument(ctx.caller, ii.id);
  };
  if (!r.ok) {
    await dropMade();
    throw newCardRefused(f, r);
  }
  const { payment: p, made } = r.value;
  const refused = isRefused(p.status);
  if (refused) await dropMade();
  const instrumentNew = ii ? ii.created : made.instrumentCreated;
  const extra = !refused && f.tokenCreate ? tokenInformation(made, f.customerId, instrumentNew) : {};
  const shown = input.keep ? made.card : { ...made.card, token: '', customerId: null };
  const json = paymentJson(p, shown, extra);
  const info = json.paymentInformation as Json | undefined;
  if (info && !input.keep) delete info.paymentInstrument;
  if (info && refused && ii?.created) delete info.instrumentIdentifier;
  return json;
}
