/**
 * Cybersource payments (PTS v2) with customer tokens: authorizations (optionally creating the tokens),
 * credits, captures, reversals and refunds, answered in PTS shapes from the payments engine's outcomes.
 */
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { brandNames } from '../../../domain/card.ts';
import { numericId } from '../../../domain/ids.ts';
import { decimalAmount, parseDecimalAmount } from '../../../domain/money.ts';
import type { DeclineCode, PaymentStatus } from '../../../domain/payment.ts';
import type { CardView } from '../../../vault/cards.ts';
import type { Caller } from '../../../vault/deps.ts';
import type { VaultFailure } from '../../../vault/errors.ts';
import type { PaymentView } from '../../../vault/payments.ts';
import { doc } from './doc.ts';
import type { Answer, Ctx, CybersourceDeps, Handler } from './handler.ts';
import * as S from './schemas.ts';
import { type Json, PtsError, pts, readAddress, readExpiry, submitTime, tmsId } from './wire.ts';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const paymentId = () => numericId(22);

const DECLINE_REASONS: Record<DeclineCode, [reason: string, responseCode: string, message: string]> = {
  insufficient_funds: ['INSUFFICIENT_FUND', '51', 'Decline - Insufficient funds in the account.'],
  expired_card: ['EXPIRED_CARD', '54', 'Decline - Expired card.'],
  do_not_honor: ['PROCESSOR_DECLINED', '05', 'Decline - General decline of the card.'],
  lost_card: ['STOLEN_LOST_CARD', '41', 'Decline - The card was reported lost or stolen.'],
  stolen_card: ['STOLEN_LOST_CARD', '43', 'Decline - The card was reported lost or stolen.'],
  invalid_cvv: ['CVN_NOT_MATCH', 'N7', 'Decline - The card verification number (CVN) did not match.'],
  authentication_failed: ['CONSUMER_AUTHENTICATION_FAILED', '05', 'Decline - The payer could not be authenticated.'],
};

const WIRE_STATUS: Record<PaymentStatus, string> = {
  PENDING_AUTHENTICATION: 'PENDING_AUTHENTICATION',
  AUTHORIZED: 'AUTHORIZED',
  CAPTURED: 'AUTHORIZED',
  PARTIALLY_REFUNDED: 'AUTHORIZED',
  REFUNDED: 'AUTHORIZED',
  VOIDED: 'REVERSED',
  DECLINED: 'DECLINED',
  FAILED: 'DECLINED',
  CREDITED: 'PENDING',
};

/** A payments-engine refusal in PTS terms; `field` names the request field it concerns. */
function ptsFailure(f: VaultFailure, field = 'paymentInformation.customer.id'): PtsError {
  const detail = (reason: string, at = field) => [{ field: at, reason }];
  switch (f.error) {
    case 'invalid_amount':
      return new PtsError(
        400,
        'INVALID_AMOUNT',
        f.detail ?? 'The amount is not valid',
        detail('INVALID_AMOUNT', 'orderInformation.amountDetails.totalAmount'),
      );
    case 'amount_exceeds_authorized':
    case 'amount_exceeds_captured':
      return new PtsError(
        400,
        'INVALID_AMOUNT',
        f.detail ?? 'The amount exceeds what is left',
        detail('INVALID_AMOUNT', 'orderInformation.amountDetails.totalAmount'),
      );
    case 'payment_not_found':
      return new PtsError(400, 'INVALID_PAYMENT_ID', 'The payment id is not valid', detail('INVALID_DATA', 'id'));
    case 'invalid_payment_state':
      return new PtsError(400, 'INVALID_DATA', f.detail ?? 'Not allowed in the payment state', detail('INVALID_DATA', 'id'));
    case 'processor_unavailable':
      return new PtsError(
        502,
        'SERVER_TIMEOUT',
        'The processor did not answer in time; nothing was charged. Retry later.',
        [],
        'SERVER_ERROR',
      );
    case 'token_expired':
      return new PtsError(400, 'INVALID_CARD', 'The card has expired', detail('INVALID_DATA'));
    case 'invalid_card_number':
      return new PtsError(400, 'INVALID_CARD', 'The card number is not valid', detail('INVALID_DATA', 'paymentInformation.card.number'));
    case 'card_expired':
    case 'invalid_expiry':
      return new PtsError(
        400,
        'INVALID_CARD',
        f.detail ?? 'The expiration date is not valid',
        detail('INVALID_DATA', 'paymentInformation.card.expirationYear'),
      );
    case 'invalid_cvv':
      return new PtsError(
        400,
        'INVALID_DATA',
        'The security code is not valid',
        detail('INVALID_DATA', 'paymentInformation.card.securityCode'),
      );
    default:
      // Unknown, another merchant's, deleted, suspended or used-up tokens: indistinguishable on purpose.
      return new PtsError(400, 'INVALID_DATA', 'The token is not valid for this payment', detail('INVALID_DATA'));
  }
}

function readMoney(body: Json | undefined, path: string, required: boolean, currencyDefault?: string) {
  const total = pts.str(body, `${path}.totalAmount`, { max: 19, required });
  const currencyText = pts.str(body, `${path}.currency`, { max: 3, required: required && !currencyDefault, pattern: /^[A-Za-z]{3}$/ });
  if (total === undefined) return undefined;
  const currency = (currencyText ?? currencyDefault ?? '').toUpperCase();
  if (currencyDefault && currency !== currencyDefault) {
    throw new PtsError(400, 'INVALID_DATA', `the currency must be the payment's (${currencyDefault})`, [
      { field: `${path}.currency`, reason: 'INVALID_DATA' },
    ]);
  }
  const m = parseDecimalAmount(total, currency);
  if (!m.ok) {
    const field = m.error === 'currency_unknown' ? `${path}.currency` : `${path}.totalAmount`;
    throw new PtsError(400, m.error === 'currency_unknown' ? 'INVALID_DATA' : 'INVALID_AMOUNT', m.detail ?? 'The amount is not valid', [
      { field, reason: m.error === 'currency_unknown' ? 'INVALID_DATA' : 'INVALID_AMOUNT' },
    ]);
  }
  return m.value;
}

export function registerPts(scope: FastifyInstance, deps: CybersourceDeps, wrap: (h: Handler) => RouteHandlerMethod): void {
  const { cards, customers, payments } = deps;

  function paymentJson(p: PaymentView, card: CardView | null, extra: Json = {}): Json {
    const base = `/pts/v2/${p.kind === 'credit' ? 'credits' : 'payments'}/${p.id}`;
    const approved = p.status !== 'DECLINED' && p.status !== 'FAILED' && p.status !== 'PENDING_AUTHENTICATION';
    const decline = p.declineCode ? DECLINE_REASONS[p.declineCode] : null;
    const type = card ? brandNames(card.brand).cybersourceType : undefined;
    const links: Json =
      p.kind === 'credit'
        ? { self: { method: 'GET', href: base }, ...(approved ? { void: { method: 'POST', href: `${base}/voids` } } : {}) }
        : {
            self: { method: 'GET', href: base },
            ...(p.status === 'AUTHORIZED'
              ? { authReversal: { method: 'POST', href: `${base}/reversals` }, capture: { method: 'POST', href: `${base}/captures` } }
              : {}),
          };
    const amount = decimalAmount(p.amount, p.currency);
    return {
      _links: links,
      id: p.id,
      submitTimeUtc: submitTime(new Date(p.createdAt)),
      status: p.kind === 'credit' && approved ? 'PENDING' : WIRE_STATUS[p.status],
      reconciliationId: p.id.slice(-16),
      ...(p.reference ? { clientReferenceInformation: { code: p.reference } } : {}),
      ...(p.kind === 'credit'
        ? { creditAmountDetails: { creditAmount: amount, currency: p.currency } }
        : {
            orderInformation: {
              amountDetails: { ...(approved ? { authorizedAmount: amount } : { totalAmount: amount }), currency: p.currency },
            },
          }),
      ...(type ? { paymentAccountInformation: { card: { type } } } : {}),
      ...(card
        ? {
            paymentInformation: {
              tokenizedCard: { type },
              card: { type },
              instrumentIdentifier: { id: card.instrumentId, state: 'ACTIVE' },
              paymentInstrument: { id: card.token },
              ...(card.customerId ? { customer: { id: card.customerId } } : {}),
            },
          }
        : {}),
      processorInformation: {
        ...(p.authCode ? { approvalCode: p.authCode } : {}),
        transactionId: p.id.slice(-15),
        networkTransactionId: p.id.slice(-15),
        responseCode: decline ? decline[1] : '100',
      },
      ...(decline ? { errorInformation: { reason: decline[0], message: decline[2] } } : {}),
      ...(p.status === 'PENDING_AUTHENTICATION'
        ? {
            errorInformation: {
              reason: 'CONSUMER_AUTHENTICATION_REQUIRED',
              message: 'The cardholder must complete 3-D Secure authentication.',
            },
          }
        : {}),
      ...extra,
    };
  }

  /** Tokens a TOKEN_CREATE authorization made, undone if the authorization is not approved. */
  interface Made {
    customerId?: string;
    cardToken?: string;
    addressId?: string;
    keepCard: boolean;
    instrumentNew?: boolean;
  }

  async function undo(caller: Caller, made: Made): Promise<void> {
    if (made.customerId) {
      await customers.delete(caller, made.customerId, null);
      return;
    }
    if (made.cardToken) await cards.setStatus(caller, made.cardToken, 'DELETED', null);
  }

  /** Creates what a TOKEN_CREATE (or a plain card payment) needs before the authorization. */
  async function createTokens(ctx: Ctx, body: Json | undefined, customerIdGiven: string | undefined, types: string[]): Promise<Made> {
    const number = pts.str(body, 'paymentInformation.card.number', { max: 19, min: 1, required: true }) as string;
    const expiry = readExpiry(pts, body, 'paymentInformation.card', true);
    const cvv = pts.str(body, 'paymentInformation.card.securityCode', { max: 4, pattern: /^[0-9]{3,4}$/ });
    const billTo = readAddress(pts, body, 'orderInformation.billTo');
    const shipTo = readAddress(pts, body, 'orderInformation.shipTo');
    const merchantCustomerId = pts.str(body, 'buyerInformation.merchantCustomerId', { max: 100 });
    const checked = cards.checkCard({ pan: number, expiry: expiry as NonNullable<typeof expiry>, ...(cvv ? { cvv } : {}) });
    if (!checked.ok) throw ptsFailure(checked);
    if (types.includes('shippingAddress') && !shipTo) {
      throw new PtsError(400, 'MISSING_FIELD', 'orderInformation.shipTo is required to create a shipping address', [
        { field: 'orderInformation.shipTo', reason: 'MISSING_FIELD' },
      ]);
    }
    const made: Made = { keepCard: types.includes('paymentInstrument') };
    let customerId = customerIdGiven;
    if (customerId === undefined && types.includes('customer')) {
      const r = await customers.create(
        ctx.caller,
        {
          ...(merchantCustomerId ? { customerId: merchantCustomerId } : {}),
          ...(billTo?.email ? { email: billTo.email } : {}),
          attributes: { cybersource: '{}' },
        },
        { id: tmsId },
      );
      if (!r.ok)
        throw new PtsError(400, 'INVALID_DATA', 'buyerInformation.merchantCustomerId is already used by another customer', [
          { field: 'buyerInformation.merchantCustomerId', reason: 'INVALID_DATA' },
        ]);
      customerId = r.value.id;
      made.customerId = customerId;
    }
    try {
      const r = await cards.tokenize(ctx.caller, {
        pan: number,
        expiry: expiry as NonNullable<typeof expiry>,
        customerId: made.keepCard ? (customerId ?? null) : null,
        ...(billTo ? { billingAddress: billTo } : {}),
        ...(billTo?.firstName || billTo?.lastName ? { holderName: [billTo.firstName, billTo.lastName].filter(Boolean).join(' ') } : {}),
        ...(cvv ? { cvv } : {}),
        usage: made.keepCard ? 'MULTIPLE' : 'SINGLE',
        attributes: { cybersource: '{}' },
        newToken: tmsId,
      });
      if (!r.ok) throw ptsFailure(r);
      made.cardToken = r.value.card.token;
      made.instrumentNew = r.value.instrumentCreated;
      if (types.includes('shippingAddress') && customerId && shipTo) {
        const a = await customers.createAddress(ctx.caller, customerId, shipTo, false, { id: tmsId });
        if (a.ok) made.addressId = a.value.id;
      }
    } catch (e) {
      if (made.customerId) await customers.delete(ctx.caller, made.customerId, null);
      throw e;
    }
    return made;
  }

  async function cardOf(caller: Caller, token: string): Promise<CardView | null> {
    const r = await cards.get(caller, token);
    return r.ok ? r.value : null;
  }

  async function firstCall(ctx: Ctx, kind: 'payment' | 'credit'): Promise<Answer> {
    const body = ctx.body;
    const code = pts.str(body, 'clientReferenceInformation.code', { max: 50 });
    const money = readMoney(body, 'orderInformation.amountDetails', true);
    if (!money) throw new PtsError(400, 'MISSING_FIELD', 'orderInformation.amountDetails.totalAmount is required');
    const capture = kind === 'payment' ? (pts.bool(body, 'processingInformation.capture') ?? false) : true;
    const actions = pts.strList(body, 'processingInformation.actionList', 10) ?? [];
    const types = pts.strList(body, 'processingInformation.actionTokenTypes', 4) ?? [];
    const customerId = pts.str(body, 'paymentInformation.customer.id', { max: 64, pattern: ID });
    const piId = pts.str(body, 'paymentInformation.paymentInstrument.id', { max: 64, pattern: ID });
    const saId = pts.str(body, 'paymentInformation.shippingAddress.id', { max: 64, pattern: ID });
    const tokenCreate = kind === 'payment' && actions.includes('TOKEN_CREATE');
    const hasCard = pts.obj(body, 'paymentInformation.card')?.number !== undefined;
    if (tokenCreate && types.length === 0) {
      throw new PtsError(400, 'MISSING_FIELD', 'processingInformation.actionTokenTypes is required with TOKEN_CREATE', [
        { field: 'processingInformation.actionTokenTypes', reason: 'MISSING_FIELD' },
      ]);
    }
    if (types.some((t) => !['customer', 'paymentInstrument', 'shippingAddress', 'instrumentIdentifier'].includes(t))) {
      throw new PtsError(
        400,
        'INVALID_DATA',
        'actionTokenTypes may hold customer, paymentInstrument, shippingAddress, instrumentIdentifier',
        [{ field: 'processingInformation.actionTokenTypes', reason: 'INVALID_DATA' }],
      );
    }
    if (!tokenCreate && !hasCard && customerId === undefined && piId === undefined) {
      throw new PtsError(400, 'MISSING_FIELD', 'paymentInformation.customer.id or paymentInstrument.id is required', [
        { field: 'paymentInformation.customer.id', reason: 'MISSING_FIELD' },
      ]);
    }
    if (customerId !== undefined && !(await customers.get(ctx.caller, customerId)).ok)
      throw ptsFailure({ ok: false, error: 'customer_not_found' });
    if (saId !== undefined) {
      if (customerId === undefined || !(await customers.getAddress(ctx.caller, customerId, saId)).ok) {
        throw ptsFailure({ ok: false, error: 'address_not_found' }, 'paymentInformation.shippingAddress.id');
      }
    }

    let made: Made | null = null;
    let token = piId;
    if ((tokenCreate || hasCard) && piId === undefined) {
      made = await createTokens(ctx, body, customerId, tokenCreate ? types : []);
      token = made.cardToken;
    }
    const input = {
      ...(token !== undefined ? { token } : {}),
      ...(customerId !== undefined && (made === null || made.keepCard) ? { customerId } : {}),
      amount: money.amount,
      currency: money.currency,
      capture,
      reference: code ?? null,
      newId: paymentId,
    };
    const r = kind === 'payment' ? await payments.authorize(ctx.caller, input) : await payments.credit(ctx.caller, input);
    if (!r.ok) {
      if (made) await undo(ctx.caller, made);
      throw ptsFailure(r, piId !== undefined ? 'paymentInformation.paymentInstrument.id' : 'paymentInformation.customer.id');
    }
    const p = r.value;
    const card = await cardOf(ctx.caller, p.token);
    let extra: Json = {};
    if (made) {
      const approved = p.status !== 'DECLINED' && p.status !== 'FAILED';
      if (!approved) await undo(ctx.caller, made);
      else if (!made.keepCard && made.cardToken) await cards.setStatus(ctx.caller, made.cardToken, 'DELETED', null);
      if (approved && tokenCreate && card) {
        extra = {
          tokenInformation: {
            instrumentidentifierNew: made.instrumentNew ?? false,
            instrumentIdentifier: { id: card.instrumentId, state: 'ACTIVE' },
            ...((made.customerId ?? customerId) ? { customer: { id: made.customerId ?? customerId } } : {}),
            ...(made.keepCard ? { paymentInstrument: { id: card.token } } : {}),
            ...(made.addressId ? { shippingAddress: { id: made.addressId } } : {}),
          },
        };
      }
    }
    const shown = made && !made.keepCard ? (card ? { ...card, token: '', customerId: null } : null) : card;
    const json = paymentJson(p, shown, extra);
    if (made && !made.keepCard) {
      const info = json.paymentInformation as Json | undefined;
      if (info) delete info.paymentInstrument;
    }
    if (saId !== undefined && json.paymentInformation) (json.paymentInformation as Json).shippingAddress = { id: saId };
    return { status: 201, body: json };
  }

  function followUpId(ctx: Ctx): string {
    const id = ctx.params.id ?? '';
    if (!ID.test(id)) throw ptsFailure({ ok: false, error: 'payment_not_found' });
    return id;
  }

  async function payment(ctx: Ctx, id: string): Promise<PaymentView> {
    const r = await payments.get(ctx.caller, id);
    if (!r.ok) throw ptsFailure(r);
    return r.value;
  }

  const capture: Handler = async (ctx) => {
    const id = followUpId(ctx);
    const p = await payment(ctx, id);
    const money = readMoney(ctx.body, 'orderInformation.amountDetails', false, p.currency);
    // Every field is read (and refused) before anything moves.
    const code = pts.str(ctx.body, 'clientReferenceInformation.code', { max: 50 });
    const r = await payments.capture(ctx.caller, id, money?.amount);
    if (!r.ok) throw ptsFailure(r);
    const amount = money?.amount ?? r.value.capturedAmount;
    return {
      status: 201,
      body: {
        _links: { self: { method: 'GET', href: `/pts/v2/captures/${id}` }, void: { method: 'POST', href: `/pts/v2/captures/${id}/voids` } },
        id,
        submitTimeUtc: submitTime(deps.now()),
        status: 'PENDING',
        reconciliationId: id.slice(-16),
        ...(code ? { clientReferenceInformation: { code } } : {}),
        orderInformation: { amountDetails: { totalAmount: decimalAmount(amount, p.currency), currency: p.currency } },
      },
    };
  };

  const refund: Handler = async (ctx) => {
    const id = followUpId(ctx);
    const p = await payment(ctx, id);
    const money = readMoney(ctx.body, 'orderInformation.amountDetails', false, p.currency);
    const before = p.refundedAmount;
    const code = pts.str(ctx.body, 'clientReferenceInformation.code', { max: 50 });
    const r = await payments.refund(ctx.caller, id, money?.amount);
    if (!r.ok) throw ptsFailure(r);
    const amount = money?.amount ?? r.value.refundedAmount - before;
    return {
      status: 201,
      body: {
        _links: { self: { method: 'GET', href: `/pts/v2/refunds/${id}` }, void: { method: 'POST', href: `/pts/v2/refunds/${id}/voids` } },
        id,
        submitTimeUtc: submitTime(deps.now()),
        status: 'PENDING',
        reconciliationId: id.slice(-16),
        ...(code ? { clientReferenceInformation: { code } } : {}),
        refundAmountDetails: { refundAmount: decimalAmount(amount, p.currency), currency: p.currency },
        processorInformation: { responseCode: '100' },
      },
    };
  };

  const reversal: Handler = async (ctx) => {
    const id = followUpId(ctx);
    const p = await payment(ctx, id);
    const money = readMoney(ctx.body, 'reversalInformation.amountDetails', false, p.currency);
    if (money && money.amount !== p.authorizedAmount) {
      throw new PtsError(400, 'INVALID_AMOUNT', 'only a full reversal of the authorized amount is supported', [
        { field: 'reversalInformation.amountDetails.totalAmount', reason: 'INVALID_AMOUNT' },
      ]);
    }
    pts.str(ctx.body, 'reversalInformation.reason', { max: 60 });
    const code = pts.str(ctx.body, 'clientReferenceInformation.code', { max: 50 });
    const r = await payments.void(ctx.caller, id);
    if (!r.ok) throw ptsFailure(r);
    return {
      status: 201,
      body: {
        _links: { self: { method: 'GET', href: `/pts/v2/reversals/${id}` } },
        id,
        submitTimeUtc: submitTime(deps.now()),
        status: 'REVERSED',
        reconciliationId: id.slice(-16),
        ...(code ? { clientReferenceInformation: { code } } : {}),
        reversalAmountDetails: { reversedAmount: decimalAmount(p.authorizedAmount, p.currency), currency: p.currency },
        processorInformation: { responseCode: '100' },
      },
    };
  };

  const getPayment: Handler = async (ctx) => {
    const p = await payment(ctx, followUpId(ctx));
    return { status: 200, body: paymentJson(p, await cardOf(ctx.caller, p.token)) };
  };

  const P = 'payments';
  const paymentP = { id: 'The payment id' };
  const followUpRefusal = {
    description:
      'A field is invalid, the payment id is unknown (`INVALID_PAYMENT_ID`), the amount is more than is left (`INVALID_AMOUNT`), or the payment’s state does not allow it',
  };
  scope.post(
    '/pts/v2/payments',
    {
      schema: doc('createPayment', 'Authorize a payment', P, {
        description:
          'With a customer token (its default payment instrument unless `paymentInstrument.id` names one), a payment instrument, or a card. `processingInformation.actionList: ["TOKEN_CREATE"]` with `actionTokenTypes` tokenizes the card (and makes a customer and shipping address) in the same call, kept only when approved. A decline is a 201 with `status: DECLINED`.',
        body: S.CreatePaymentRequest,
        response: { 201: { description: 'Authorized, declined or pending authentication', schema: S.Payment } },
      }),
    },
    wrap((ctx) => firstCall(ctx, 'payment')),
  );
  scope.post(
    '/pts/v2/credits',
    {
      schema: doc('createCredit', 'Credit a card', P, {
        description: 'A stand-alone credit to a customer’s default payment instrument or a named one.',
        body: S.CreateCreditRequest,
        response: { 201: { description: 'The credit (`status: PENDING`)', schema: S.Credit } },
      }),
    },
    wrap((ctx) => firstCall(ctx, 'credit')),
  );
  scope.get(
    '/pts/v2/payments/:id',
    {
      schema: doc('getPayment', 'Retrieve a payment', P, {
        params: paymentP,
        response: {
          200: { description: 'The payment', schema: S.Payment },
          400: { description: 'The payment id is unknown (`INVALID_PAYMENT_ID`)' },
        },
      }),
    },
    wrap(getPayment),
  );
  scope.post(
    '/pts/v2/payments/:id/captures',
    {
      schema: doc('capturePayment', 'Capture an authorization', P, {
        description: 'The whole authorized amount, or part of it.',
        params: paymentP,
        body: S.CaptureRequest,
        response: { 201: { description: 'The capture (`status: PENDING`)', schema: S.Capture }, 400: followUpRefusal },
      }),
    },
    wrap(capture),
  );
  scope.post(
    '/pts/v2/payments/:id/reversals',
    {
      schema: doc('authReversal', 'Reverse an authorization', P, {
        description: 'A full reversal of an authorization not yet captured.',
        params: paymentP,
        body: S.ReversalRequest,
        response: { 201: { description: 'The reversal (`status: REVERSED`)', schema: S.Reversal }, 400: followUpRefusal },
      }),
    },
    wrap(reversal),
  );
  scope.post(
    '/pts/v2/payments/:id/refunds',
    {
      schema: doc('refundPayment', 'Refund a captured payment', P, {
        description: 'The whole captured amount left, or part of it.',
        params: paymentP,
        body: S.RefundRequest,
        response: { 201: { description: 'The refund (`status: PENDING`)', schema: S.Refund }, 400: followUpRefusal },
      }),
    },
    wrap(refund),
  );
  scope.post(
    '/pts/v2/captures/:id/refunds',
    {
      schema: doc('refundCapture', 'Refund a capture', P, {
        description: 'A capture’s id is its payment’s; the same as refunding the payment.',
        params: { id: 'The capture id (its payment’s id)' },
        body: S.RefundRequest,
        response: { 201: { description: 'The refund (`status: PENDING`)', schema: S.Refund }, 400: followUpRefusal },
      }),
    },
    wrap(refund),
  );
}
