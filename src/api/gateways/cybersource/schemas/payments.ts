/** PTS requests and answers: payments, credits, captures, refunds, reversals. */
import { Address, bool, EXPIRY_MONTH, EXPIRY_YEAR, methodLink, obj, type Schema, str, tokenRef } from './common.ts';
import { billToExample, shipToExample } from './tms.ts';

// ---------------------------------------------------------------------------------------------------
// PTS

const amountDetails = (required: boolean): Schema =>
  obj(
    {
      totalAmount: str(19, 'The amount, a decimal string in the currency’s minor units (e.g. "102.21")'),
      currency: str(3, 'ISO 4217 currency code', { pattern: '^[A-Za-z]{3}$' }),
    },
    required ? { required: ['totalAmount', 'currency'] } : { description: 'Defaults to the whole amount left, in the payment’s currency' },
  );

const clientReferenceInformation = obj({ code: str(50, 'Your reference for this payment') });

const paymentInformation = (withCard: boolean): Schema =>
  obj(
    {
      customer: tokenRef('customer (pays with its default payment instrument unless one is named)'),
      paymentInstrument: tokenRef('payment instrument'),
      shippingAddress: tokenRef('shipping address (with paymentInformation.customer.id, whose address it must be)'),
      ...(withCard
        ? {
            card: obj(
              {
                number: str(19, 'The card number', { minLength: 1 }),
                expirationMonth: EXPIRY_MONTH,
                expirationYear: EXPIRY_YEAR,
                securityCode: str(4, 'CVV', { pattern: '^[0-9]{3,4}$' }),
              },
              { required: ['number', 'expirationMonth', 'expirationYear'] },
            ),
            bank: obj(
              {
                account: obj(
                  {
                    number: str(17, 'The account number: 4 to 17 digits', { minLength: 1 }),
                    type: str(20, 'C, S, X, G (or checking, savings, corporate checking, general ledger)'),
                    checkNumber: str(8, 'Check number (kept by the processor; not stored)'),
                  },
                  { required: ['number'] },
                ),
                routingNumber: str(9, 'The routing (transit) number: 9 digits', { minLength: 1 }),
              },
              {
                required: ['account', 'routingNumber'],
                description: 'A bank account for an electronic check, debited once (or tokenized with TOKEN_CREATE)',
              },
            ),
          }
        : {}),
      paymentType: obj(
        {
          name: str(
            20,
            '`CHECK` (any case): an electronic check; the instrument must be a bank account. Any other value: 400 NOT_SUPPORTED',
          ),
        },
        { required: ['name'] },
      ),
    },
    {
      description: withCard
        ? 'A customer, a payment instrument, a card or a bank account (paid once, or tokenized with TOKEN_CREATE).'
        : 'A customer or a payment instrument.',
      anyOf: [
        { required: ['customer'] },
        { required: ['paymentInstrument'] },
        ...(withCard ? [{ required: ['card'] }, { required: ['bank'] }] : []),
      ],
    },
  );

const firstCall = (kind: 'payment' | 'credit'): Schema =>
  obj(
    {
      clientReferenceInformation,
      processingInformation: obj({
        ...(kind === 'payment' ? { capture: bool('Capture in the same call (default false)') } : {}),
        actionList: {
          type: 'array',
          maxItems: 10,
          items: { type: 'string', maxLength: 64 },
          description:
            kind === 'payment'
              ? '`TOKEN_CREATE` creates the tokens named in actionTokenTypes from paymentInformation.card, kept only when approved; `DECISION_SKIP` is accepted (no Decision Manager runs here); any other action is refused (400 `NOT_SUPPORTED`).'
              : '`DECISION_SKIP` only (no Decision Manager runs here); any other action is refused (400 `NOT_SUPPORTED`).',
        },
        actionTokenTypes: {
          type: 'array',
          description:
            'The tokens TOKEN_CREATE makes (required with it); `shippingAddress` needs orderInformation.shipTo. With `paymentInstrument` the card is kept for the customer (given in paymentInformation.customer.id, or made with `customer`); without it the card is used once.',
          maxItems: 4,
          items: { type: 'string', enum: ['customer', 'paymentInstrument', 'shippingAddress', 'instrumentIdentifier'] },
        },
      }),
      paymentInformation: paymentInformation(kind === 'payment'),
      orderInformation: obj({ amountDetails: amountDetails(true), billTo: Address, shipTo: Address }, { required: ['amountDetails'] }),
      ...(kind === 'payment' ? { buyerInformation: obj({ merchantCustomerId: str(100, 'For a customer TOKEN_CREATE makes') }) } : {}),
    },
    {
      required: ['orderInformation', 'paymentInformation'],
      'x-examples': {
        customerToken: {
          summary: kind === 'payment' ? 'Authorize with a customer token' : 'Credit with a customer token',
          value: {
            clientReferenceInformation: { code: 'TC50171_3' },
            ...(kind === 'payment' ? { processingInformation: { capture: false } } : {}),
            paymentInformation: { customer: { id: '7500BB199B4270EFE05340588D0AFCAD' } },
            orderInformation: { amountDetails: { totalAmount: '102.21', currency: 'USD' } },
          },
        },
        ...(kind === 'payment'
          ? {
              tokenCreate: {
                summary: 'Authorize a card and create a customer, its payment instrument and shipping address',
                value: {
                  clientReferenceInformation: { code: 'TC50171_3' },
                  processingInformation: {
                    actionList: ['TOKEN_CREATE'],
                    actionTokenTypes: ['customer', 'paymentInstrument', 'shippingAddress'],
                    capture: false,
                  },
                  paymentInformation: {
                    card: { number: '4111111111111111', expirationMonth: '12', expirationYear: '2031', securityCode: '123' },
                  },
                  orderInformation: {
                    amountDetails: { totalAmount: '102.21', currency: 'USD' },
                    billTo: billToExample,
                    shipTo: shipToExample,
                  },
                  buyerInformation: { merchantCustomerId: 'Your customer identifier' },
                },
              },
            }
          : {}),
      },
    },
  );
export const CreatePaymentRequest = firstCall('payment');
export const CreateCreditRequest = firstCall('credit');

export const CaptureRequest: Schema = obj(
  { clientReferenceInformation, orderInformation: obj({ amountDetails: amountDetails(false) }) },
  {
    examples: [
      {
        clientReferenceInformation: { code: 'TC50171_3' },
        orderInformation: { amountDetails: { totalAmount: '102.21', currency: 'USD' } },
      },
    ],
  },
);
export const RefundRequest: Schema = CaptureRequest;

export const ReversalRequest: Schema = obj(
  {
    clientReferenceInformation,
    reversalInformation: obj({
      amountDetails: {
        ...amountDetails(false),
        description: 'The amount to release: all that is left of the authorization (the default), or part of it (a partial reversal)',
      },
      reason: str(60, 'Why'),
    }),
  },
  {
    examples: [
      {
        clientReferenceInformation: { code: 'TC50171_3' },
        reversalInformation: { amountDetails: { totalAmount: '102.21' }, reason: 'testing' },
      },
    ],
  },
);

const tokenState = obj({ id: { type: 'string' }, state: { type: 'string' } }, { required: ['id'] });

export const Payment: Schema = obj(
  {
    _links: obj({ self: methodLink, authReversal: methodLink, capture: methodLink, void: methodLink }, { required: ['self'] }),
    id: { type: 'string', description: '22 digits' },
    submitTimeUtc: { type: 'string' },
    status: {
      type: 'string',
      enum: ['AUTHORIZED', 'DECLINED', 'PENDING_AUTHENTICATION', 'REVERSED', 'PENDING', 'VOIDED'],
      description:
        '`AUTHORIZED` (also once captured or refunded), `DECLINED` (see errorInformation), `PENDING_AUTHENTICATION` (3-D Secure challenge), `REVERSED`; a credit, and an accepted electronic check debit, is `PENDING` (`VOIDED` once voided).',
    },
    reconciliationId: { type: 'string' },
    clientReferenceInformation: obj({ code: { type: 'string' } }),
    orderInformation: obj({
      amountDetails: obj({ authorizedAmount: { type: 'string' }, totalAmount: { type: 'string' }, currency: { type: 'string' } }),
    }),
    creditAmountDetails: obj({ creditAmount: { type: 'string' }, currency: { type: 'string' } }),
    paymentAccountInformation: obj({ card: obj({ type: { type: 'string' } }) }),
    paymentInformation: obj({
      paymentType: obj({ name: { type: 'string', const: 'CHECK' } }, { description: 'An electronic check’s' }),
      tokenizedCard: obj({ type: { type: 'string' } }),
      card: obj({ type: { type: 'string' } }),
      instrumentIdentifier: tokenState,
      paymentInstrument: tokenState,
      customer: tokenState,
      shippingAddress: tokenState,
    }),
    tokenInformation: obj({
      instrumentidentifierNew: { type: 'boolean' },
      instrumentIdentifier: tokenState,
      customer: tokenState,
      paymentInstrument: tokenState,
      shippingAddress: tokenState,
    }),
    processorInformation: obj(
      {
        approvalCode: { type: 'string' },
        transactionId: { type: 'string' },
        networkTransactionId: { type: 'string' },
        responseCode: { type: 'string' },
      },
      { required: ['responseCode'] },
    ),
    errorInformation: obj(
      {
        reason: {
          type: 'string',
          enum: [
            'INSUFFICIENT_FUND',
            'EXPIRED_CARD',
            'PROCESSOR_DECLINED',
            'STOLEN_LOST_CARD',
            'CVN_NOT_MATCH',
            'CONSUMER_AUTHENTICATION_FAILED',
            'CONSUMER_AUTHENTICATION_REQUIRED',
          ],
        },
        message: { type: 'string' },
      },
      { required: ['reason', 'message'] },
    ),
  },
  {
    required: ['_links', 'id', 'submitTimeUtc', 'status', 'reconciliationId', 'processorInformation'],
    examples: [
      {
        _links: {
          authReversal: { method: 'POST', href: '/pts/v2/payments/7055952942056876503955/reversals' },
          self: { method: 'GET', href: '/pts/v2/payments/7055952942056876503955' },
          capture: { method: 'POST', href: '/pts/v2/payments/7055952942056876503955/captures' },
        },
        id: '7055952942056876503955',
        submitTimeUtc: '2026-01-18T15:48:07Z',
        status: 'AUTHORIZED',
        reconciliationId: '2056876503955000',
        clientReferenceInformation: { code: 'TC50171_3' },
        orderInformation: { amountDetails: { authorizedAmount: '102.21', currency: 'USD' } },
        paymentAccountInformation: { card: { type: '001' } },
        paymentInformation: {
          tokenizedCard: { type: '001' },
          card: { type: '001' },
          instrumentIdentifier: { id: '7010000000016241111', state: 'ACTIVE' },
          paymentInstrument: { id: '7500BB199B4270EFE05340588D0AFCAD' },
          customer: { id: '7500BB199B4270EFE05340588D0AFCAD' },
        },
        processorInformation: {
          approvalCode: '831000',
          transactionId: '876503955000000',
          networkTransactionId: '876503955000000',
          responseCode: '100',
        },
      },
    ],
  },
);

export const Credit: Schema = {
  ...Payment,
  examples: [
    {
      _links: {
        self: { method: 'GET', href: '/pts/v2/credits/7055954129046502903955' },
        void: { method: 'POST', href: '/pts/v2/credits/7055954129046502903955/voids' },
      },
      id: '7055954129046502903955',
      submitTimeUtc: '2026-01-18T15:50:13Z',
      status: 'PENDING',
      reconciliationId: '9046502903955000',
      clientReferenceInformation: { code: 'TC50171_3' },
      creditAmountDetails: { creditAmount: '102.21', currency: 'USD' },
      paymentAccountInformation: { card: { type: '001' } },
      processorInformation: { transactionId: '046502903955000', networkTransactionId: '046502903955000', responseCode: '100' },
    },
  ],
};

const followUp = (statuses: string[], kind: string, amount: [key: string, schema: Schema, example: Schema]): Schema =>
  obj(
    {
      _links: obj(
        { self: methodLink, ...(kind === 'captures' || kind === 'refunds' ? { void: methodLink } : {}) },
        { required: ['self'], description: 'Each link answers: `self` with a GET of this resource, `void` with a POST' },
      ),
      id: { type: 'string', description: 'Its own id, 22 digits (every capture, refund, reversal and void gets a new one)' },
      submitTimeUtc: { type: 'string' },
      status: { type: 'string', enum: statuses },
      reconciliationId: { type: 'string' },
      clientReferenceInformation: obj({ code: { type: 'string' } }),
      orderInformation: obj({ amountDetails: obj({ totalAmount: { type: 'string' }, currency: { type: 'string' } }) }),
      [amount[0]]: amount[1],
      processorInformation: obj({ responseCode: { type: 'string' } }, { required: ['responseCode'] }),
    },
    {
      required: ['_links', 'id', 'submitTimeUtc', 'status', 'reconciliationId', amount[0]],
      examples: [
        {
          _links: {
            self: { method: 'GET', href: `/pts/v2/${kind}/7055952942056876503955` },
            ...(kind === 'captures' || kind === 'refunds'
              ? { void: { method: 'POST', href: `/pts/v2/${kind}/7055952942056876503955/voids` } }
              : {}),
          },
          id: '7055952942056876503955',
          submitTimeUtc: '2026-01-18T15:52:40Z',
          status: statuses[0],
          reconciliationId: '2056876503955000',
          clientReferenceInformation: { code: 'TC50171_3' },
          ...(amount[0] === 'orderInformation' ? {} : { orderInformation: { amountDetails: { currency: 'USD' } } }),
          [amount[0]]: amount[2],
          processorInformation: { responseCode: '100' },
        },
      ],
    },
  );
const amountOut = (field: string, more: Record<string, Schema> = {}): Schema =>
  obj({ [field]: { type: 'string' }, ...more, currency: { type: 'string' } }, { required: [field, 'currency'] });
const original = { originalTransactionAmount: { type: 'string' } };

export const Capture = followUp(['PENDING'], 'captures', [
  'orderInformation',
  obj({ amountDetails: amountOut('totalAmount') }, { required: ['amountDetails'] }),
  { amountDetails: { totalAmount: '102.21', currency: 'USD' } },
]);
export const Refund = followUp(['PENDING', 'DECLINED'], 'refunds', [
  'refundAmountDetails',
  amountOut('refundAmount'),
  { refundAmount: '102.21', currency: 'USD' },
]);
export const Reversal = followUp(['REVERSED'], 'reversals', [
  'reversalAmountDetails',
  amountOut('reversedAmount', original),
  { reversedAmount: '102.21', originalTransactionAmount: '102.21', currency: 'USD' },
]);
export const Void = followUp(['VOIDED', 'FAILED'], 'voids', [
  'voidAmountDetails',
  amountOut('voidAmount', original),
  { voidAmount: '102.21', originalTransactionAmount: '102.21', currency: 'USD' },
]);

/** A void's body: "If you have no fields to send, use empty braces" (Cybersource's void guide). */
export const VoidRequest: Schema = obj({ clientReferenceInformation }, { examples: [{ clientReferenceInformation: { code: 'test123' } }] });
