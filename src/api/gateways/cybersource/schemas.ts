/**
 * The Cybersource TMS and PTS wire shapes as JSON Schema, for the OpenAPI document (src/api/openapi.ts).
 * The handlers read and refuse fields by hand (routes.ts, pts.ts, wire.ts); these schemas say exactly
 * what those readers accept, and test/gateways/cybersource/openapi.test.ts holds the two together.
 * Objects are open (unknown members are ignored, as Cybersource does), so only what is read is typed.
 */
import { TYPE_NAMES } from './wire.ts';

export type Schema = Record<string, unknown>;

const ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const str = (maxLength: number, description?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  maxLength,
  ...(description ? { description } : {}),
  ...extra,
});
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra });
/** An object tokenvault keeps as sent and echoes back, without reading its members. */
const kept = (description: string): Schema => ({
  type: 'object',
  additionalProperties: true,
  description: `${description} Kept as sent and echoed back; its members are not interpreted.`,
});
const link: Schema = obj({ href: { type: 'string' } }, { required: ['href'] });
const methodLink: Schema = obj(
  { method: { type: 'string', enum: ['GET', 'POST'] }, href: { type: 'string' } },
  { required: ['method', 'href'] },
);
const metadata: Schema = obj(
  { creator: { type: 'string', description: 'The Cybersource merchant id (v-c-merchant-id) of the caller' } },
  { required: ['creator'] },
);
const tokenRef = (what: string): Schema => obj({ id: str(64, `The ${what} id`, { pattern: ID_PATTERN }) }, { required: ['id'] });

// ---------------------------------------------------------------------------------------------------
// Shared pieces

const ADDRESS_MAX: [string, number, string][] = [
  ['firstName', 60, 'First name'],
  ['lastName', 60, 'Last name'],
  ['company', 60, 'Company'],
  ['address1', 60, 'Street address'],
  ['address2', 60, 'Second address line'],
  ['locality', 50, 'City'],
  ['administrativeArea', 20, 'State or province'],
  ['postalCode', 10, 'Postal code'],
  ['country', 2, 'ISO 3166-1 alpha-2 country code (upper-cased when stored)'],
  ['email', 255, 'Email address'],
  ['phoneNumber', 15, 'Phone number'],
];

/** A billTo / shipTo as read (every member optional, each a string of at most its length). */
export const Address: Schema = obj(
  Object.fromEntries(
    ADDRESS_MAX.map(([name, max, description]) => [name, str(max, description, name === 'country' ? { pattern: '^[A-Za-z]{2}$' } : {})]),
  ),
  { description: 'An address; control characters are refused in every member.' },
);

const EXPIRY_MONTH = str(2, 'Expiration month, `MM` (one or two digits)', { pattern: '^[0-9]{1,2}$' });
const EXPIRY_YEAR = str(4, 'Expiration year, `YYYY`', { pattern: '^[0-9]{4}$' });
/** A request boolean: Cybersource's own examples send `"default": "true"`, so the strings are read too. */
const bool = (description: string): Schema => ({ type: ['boolean', 'string'], enum: [true, false, 'true', 'false'], description });

const CARD_TYPE = {
  type: 'string',
  enum: TYPE_NAMES,
  description:
    'The card brand, as a 3-digit Cybersource code (`001` Visa, `002` Mastercard, `003` American Express, `004` Discover, `005` Diners Club, `007` JCB, `024`/`042` Maestro, `062` UnionPay) or a lower-case name (matched case-insensitively). Refused when it contradicts the card number.',
};

const merchantDefinedInformation: Schema = {
  type: 'array',
  maxItems: 8,
  description: 'Up to eight named merchant values.',
  items: obj(
    {
      name: {
        type: 'string',
        maxLength: 60,
        enum: ['data1', 'data2', 'data3', 'data4', 'sensitive1', 'sensitive2', 'sensitive3', 'sensitive4'],
      },
      value: str(100),
    },
    { required: ['name', 'value'] },
  ),
};

// ---------------------------------------------------------------------------------------------------
// Errors

/** A TMS refusal with the `type` values this status can carry. */
export const tmsError = (types: string[], example?: Schema): Schema =>
  obj(
    {
      errors: {
        type: 'array',
        minItems: 1,
        items: obj(
          {
            type: { type: 'string', enum: types },
            message: { type: 'string' },
            details: {
              type: 'array',
              items: obj(
                { name: { type: 'string' }, location: { type: 'string', enum: ['body', 'path', 'query', 'header'] } },
                { required: ['name', 'location'] },
              ),
            },
          },
          { required: ['type', 'message'] },
        ),
      },
    },
    {
      required: ['errors'],
      examples: [{ errors: [example ?? TMS_EXAMPLES[types[0] as string] ?? { type: types[0], message: 'Refused' }] }],
    },
  );

/** An example refusal of each TMS type. */
const TMS_EXAMPLES: Record<string, Schema> = {
  invalidFields: {
    type: 'invalidFields',
    message: 'buyerInformation.email has an invalid format',
    details: [{ name: 'buyerInformation.email', location: 'body' }],
  },
  notFound: { type: 'notFound', message: 'Token not found' },
  conflict: {
    type: 'conflict',
    message: 'A customer with this merchantCustomerID already exists',
    details: [{ name: 'buyerInformation.merchantCustomerID', location: 'body' }],
  },
  notAvailable: { type: 'notAvailable', message: 'The instrument identifier is no longer available: it was deleted' },
  forbidden: { type: 'forbidden', message: 'Message-level encryption needs an MLE key registered for this merchant' },
  tooManyRequests: { type: 'tooManyRequests', message: 'Too many requests; retry later' },
  serviceUnavailable: { type: 'serviceUnavailable', message: 'The service is unavailable; retry later' },
  internalError: { type: 'internalError', message: 'Internal Server Error' },
};

/** The 401 of every route (TMS and PTS alike). */
export const AuthFailed: Schema = obj(
  {
    errors: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      items: obj(
        { type: { type: 'string', const: 'authenticationFailed' }, message: { type: 'string', pattern: '^Authentication Failed: ' } },
        { required: ['type', 'message'] },
      ),
    },
    response: obj({ rmsg: { type: 'string', const: 'Authentication Failed' } }, { required: ['rmsg'] }),
  },
  {
    required: ['errors', 'response'],
    examples: [
      {
        errors: [{ type: 'authenticationFailed', message: 'Authentication Failed: the signature does not match' }],
        response: { rmsg: 'Authentication Failed' },
      },
    ],
  },
);

/** A PTS refusal with the `reason` values this status can carry. */
export const ptsError = (status: string[], reasons: string[]): Schema =>
  obj(
    {
      submitTimeUtc: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' },
      status: { type: 'string', enum: status },
      reason: { type: 'string', enum: reasons },
      message: { type: 'string' },
      details: {
        type: 'array',
        items: obj({ field: { type: 'string' }, reason: { type: 'string' } }, { required: ['field', 'reason'] }),
      },
    },
    {
      required: ['submitTimeUtc', 'status', 'reason', 'message'],
      examples: [
        {
          submitTimeUtc: '2026-01-18T15:48:07Z',
          status: status[0],
          reason: reasons[0],
          message: reasons[0] === 'MISSING_FIELD' ? 'orderInformation.amountDetails.currency is required' : 'Refused',
          ...(reasons[0] === 'MISSING_FIELD'
            ? { details: [{ field: 'orderInformation.amountDetails.currency', reason: 'MISSING_FIELD' }] }
            : {}),
        },
      ],
    },
  );

/** The SDK's response-MLE envelope: the success body, encrypted. */
export const EncryptedResponse: Schema = obj(
  {
    encryptedResponse: {
      type: 'string',
      description:
        'A compact JWE (RSA-OAEP-256, A256GCM, `kid` = the merchant’s MLE key id) of the success body; for a GET of a customer, payment instrument or instrument identifier the card number inside is unmasked.',
    },
  },
  { required: ['encryptedResponse'], additionalProperties: false },
);

// ---------------------------------------------------------------------------------------------------
// TMS responses

export const InstrumentIdentifier: Schema = obj(
  {
    _links: obj({ self: link, paymentInstruments: link }, { required: ['self', 'paymentInstruments'] }),
    id: { type: 'string', description: 'Instrument identifier id: 19 digits starting 70' },
    object: { type: 'string', const: 'instrumentIdentifier' },
    state: { type: 'string', enum: ['ACTIVE', 'CLOSED'] },
    type: { type: 'string', const: 'enrollable card' },
    card: obj(
      { number: { type: 'string', description: 'Masked (first six, `X`s, last four); full only inside an MLE answer' } },
      { required: ['number'] },
    ),
    issuer: { type: 'object' },
    processingInformation: { type: 'object' },
    billTo: { type: 'object' },
    metadata,
  },
  { required: ['_links', 'id', 'object', 'state', 'type', 'card', 'metadata'] },
);

export const PaymentInstrument: Schema = obj(
  {
    _links: obj({ self: link, customer: link }, { required: ['self'] }),
    id: { type: 'string', description: 'Payment instrument id (32 upper-case hex for those created here)' },
    object: { type: 'string', const: 'paymentInstrument' },
    default: { type: 'boolean' },
    state: { type: 'string', enum: ['ACTIVE', 'CLOSED'] },
    type: { type: 'string', const: 'cardHash' },
    card: obj(
      {
        expirationMonth: { type: 'string', pattern: '^[0-9]{2}$' },
        expirationYear: { type: 'string', pattern: '^[0-9]{4}$' },
        type: { type: 'string' },
        issueNumber: { type: 'string' },
        startMonth: { type: 'string' },
        startYear: { type: 'string' },
        useAs: { type: 'string' },
      },
      { required: ['expirationMonth', 'expirationYear', 'type'] },
    ),
    buyerInformation: { type: 'object' },
    billTo: Address,
    processingInformation: { type: 'object' },
    merchantInformation: { type: 'object' },
    instrumentIdentifier: obj({ id: { type: 'string' } }, { required: ['id'] }),
    metadata,
    _embedded: obj({ instrumentIdentifier: InstrumentIdentifier }, { required: ['instrumentIdentifier'] }),
  },
  { required: ['_links', 'id', 'object', 'default', 'state', 'type', 'card', 'instrumentIdentifier', 'metadata', '_embedded'] },
);

export const ShippingAddress: Schema = obj(
  {
    _links: obj({ self: link, customer: link }, { required: ['self', 'customer'] }),
    id: { type: 'string' },
    default: { type: 'boolean' },
    shipTo: Address,
    metadata,
  },
  { required: ['_links', 'id', 'default', 'shipTo', 'metadata'] },
);

export const Customer: Schema = obj(
  {
    _links: obj(
      { self: link, paymentInstruments: link, shippingAddress: link },
      { required: ['self', 'paymentInstruments', 'shippingAddress'] },
    ),
    id: { type: 'string', description: 'Customer id (32 upper-case hex for those created here)' },
    objectInformation: { type: 'object' },
    buyerInformation: obj({ merchantCustomerID: { type: 'string' }, email: { type: 'string' } }),
    clientReferenceInformation: { type: 'object' },
    merchantDefinedInformation: { type: 'array', items: obj({ name: { type: 'string' }, value: { type: 'string' } }) },
    defaultPaymentInstrument: obj({ id: { type: 'string' } }, { required: ['id'] }),
    defaultShippingAddress: obj({ id: { type: 'string' } }, { required: ['id'] }),
    metadata,
    _embedded: obj({ defaultPaymentInstrument: PaymentInstrument, defaultShippingAddress: ShippingAddress }),
  },
  { required: ['_links', 'id', 'buyerInformation', 'metadata'] },
);

const listOf = (key: string, item: Schema): Schema =>
  obj(
    {
      _links: obj({ self: link, first: link, prev: link, next: link, last: link }, { required: ['self', 'first', 'last'] }),
      offset: { type: 'integer', minimum: 0 },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
      count: { type: 'integer', minimum: 0 },
      total: { type: 'integer', minimum: 0 },
      _embedded: obj({ [key]: { type: 'array', items: item } }, { required: [key] }),
    },
    { required: ['_links', 'offset', 'limit', 'count', 'total', '_embedded'] },
  );
export const PaymentInstrumentList = listOf('paymentInstruments', PaymentInstrument);
export const ShippingAddressList = listOf('shippingAddresses', ShippingAddress);

// ---------------------------------------------------------------------------------------------------
// TMS requests

const customerFields = {
  buyerInformation: obj({
    merchantCustomerID: str(100, 'Your identifier for the customer; unique per merchant here (a duplicate is 409)', { minLength: 1 }),
    email: str(255, 'Email address', { pattern: '^[^@\\s]+@[^@\\s]+$' }),
  }),
  clientReferenceInformation: obj({ code: str(50, 'Your reference for this request') }),
  objectInformation: obj({ title: str(60, 'Title'), comment: str(150, 'Comment') }),
  merchantDefinedInformation,
};

export const CreateCustomerRequest: Schema = obj(
  {
    ...customerFields,
    defaultPaymentInstrument: {
      type: 'object',
      description: 'Ignored on create: a customer’s first payment instrument becomes its default.',
    },
    defaultShippingAddress: { type: 'object', description: 'Ignored on create: a customer’s first shipping address becomes its default.' },
  },
  {
    examples: [
      {
        buyerInformation: { merchantCustomerID: 'Your customer identifier', email: 'test@cybs.com' },
        clientReferenceInformation: { code: 'TC50171_3' },
        merchantDefinedInformation: [
          { name: 'data1', value: 'Your customer data' },
          { name: 'sensitive1', value: 'Your sensitive customer data' },
        ],
      },
    ],
  },
);

export const PatchCustomerRequest: Schema = obj(
  {
    ...customerFields,
    defaultPaymentInstrument: tokenRef('customer payment instrument to make the default (unknown: 424)'),
    defaultShippingAddress: tokenRef('shipping address to make the default (unknown: 424)'),
  },
  {
    description: 'Only the fields to change.',
    examples: [
      {
        buyerInformation: { merchantCustomerID: 'Your customer identifier', email: 'test@cybs.com' },
        clientReferenceInformation: { code: 'TC50171_3' },
      },
    ],
  },
);

const CARD_EXTRAS = Object.fromEntries(['issueNumber', 'startMonth', 'startYear', 'useAs'].map((k) => [k, str(20)]));

const piExtras = {
  buyerInformation: kept('Buyer information (companyTaxID, currency, dateOfBirth, personalIdentification).'),
  processingInformation: kept('Processing information (billPaymentProgramEnabled, bankTransferOptions).'),
  merchantInformation: kept('Merchant information (merchantDescriptor).'),
  bankAccount: kept('Bank account type.'),
};

const billToExample = {
  firstName: 'John',
  lastName: 'Doe',
  company: 'CyberSource',
  address1: '1 Market St',
  locality: 'San Francisco',
  administrativeArea: 'CA',
  postalCode: '94105',
  country: 'US',
  email: 'test@cybs.com',
  phoneNumber: '4158880000',
};

const createPi = (customer: boolean): Schema =>
  obj(
    {
      ...(customer ? { default: bool('Make it the customer’s default (its first one is anyway)') } : {}),
      card: obj(
        { expirationMonth: EXPIRY_MONTH, expirationYear: EXPIRY_YEAR, type: CARD_TYPE, ...CARD_EXTRAS },
        {
          required: ['expirationMonth', 'expirationYear'],
        },
      ),
      billTo: Address,
      instrumentIdentifier: obj(
        {
          id: str(64, 'An existing instrument identifier (unknown: 424)', { pattern: ID_PATTERN }),
          card: obj({ number: str(19, 'The card number, to tokenize', { minLength: 1 }) }, { required: ['number'] }),
        },
        {
          description: 'Exactly one of `id` (an existing instrument identifier) and `card.number`.',
          oneOf: [{ required: ['id'] }, { required: ['card'] }],
        },
      ),
      ...piExtras,
    },
    {
      required: ['card', 'instrumentIdentifier'],
      examples: [
        {
          ...(customer ? { default: true } : {}),
          card: { expirationMonth: '12', expirationYear: '2031', type: '001' },
          billTo: billToExample,
          instrumentIdentifier: { id: '7010000000016241111' },
        },
      ],
    },
  );
export const CreateCustomerPaymentInstrumentRequest = createPi(true);
export const CreatePaymentInstrumentRequest = createPi(false);

export const PatchPaymentInstrumentRequest: Schema = obj(
  {
    default: bool('Make it (or stop it being) its customer’s default; refused for an instrument without a customer'),
    card: obj(
      { expirationMonth: EXPIRY_MONTH, expirationYear: EXPIRY_YEAR, type: CARD_TYPE, ...CARD_EXTRAS },
      { dependentRequired: { expirationMonth: ['expirationYear'], expirationYear: ['expirationMonth'] } },
    ),
    billTo: { ...Address, description: 'Members given replace those held; the others are kept.' },
    ...piExtras,
  },
  {
    description: 'Only the fields to change.',
    examples: [{ card: { expirationMonth: '11', expirationYear: '2032' }, billTo: { address1: '2 Market St', postalCode: '94107' } }],
  },
);

const shipToExample = {
  firstName: 'John',
  lastName: 'Doe',
  company: 'CyberSource',
  address1: '1 Market St',
  locality: 'San Francisco',
  administrativeArea: 'CA',
  postalCode: '94105',
  country: 'US',
  email: 'test@cybs.com',
  phoneNumber: '4158880000',
};

export const CreateShippingAddressRequest: Schema = obj(
  {
    default: bool('Make it the customer’s default (its first one is anyway)'),
    shipTo: { ...Address, minProperties: 1 },
  },
  { required: ['shipTo'], examples: [{ default: true, shipTo: shipToExample }] },
);

export const PatchShippingAddressRequest: Schema = obj(
  {
    default: bool('Make it (or stop it being) the customer’s default'),
    shipTo: { ...Address, description: 'Members given replace those held; the others are kept.' },
  },
  { description: 'Only the fields to change.', examples: [{ shipTo: { address1: '2 Market St', postalCode: '94107' } }] },
);

const iiExtras = {
  issuer: kept('Issuer information (paymentAccountReference).'),
  processingInformation: kept(
    'Processing information (authorizationOptions.initiator.merchantInitiatedTransaction.previousTransactionId).',
  ),
  billTo: kept('Billing address.'),
};

export const CreateInstrumentIdentifierRequest: Schema = obj(
  {
    card: obj(
      {
        number: str(19, 'The card number', { minLength: 1 }),
        expirationMonth: EXPIRY_MONTH,
        expirationYear: EXPIRY_YEAR,
      },
      { required: ['number'], dependentRequired: { expirationMonth: ['expirationYear'], expirationYear: ['expirationMonth'] } },
    ),
    ...iiExtras,
  },
  { required: ['card'], examples: [{ card: { number: '4111111111111111' } }] },
);

export const PatchInstrumentIdentifierRequest: Schema = obj(iiExtras, {
  examples: [
    {
      processingInformation: {
        authorizationOptions: { initiator: { merchantInitiatedTransaction: { previousTransactionId: '123456789012345' } } },
      },
    },
  ],
});

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
          }
        : {}),
    },
    {
      description: withCard
        ? 'A customer, a payment instrument, or a card (paid once, or tokenized with TOKEN_CREATE).'
        : 'A customer or a payment instrument.',
      anyOf: [{ required: ['customer'] }, { required: ['paymentInstrument'] }, ...(withCard ? [{ required: ['card'] }] : [])],
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
              ? '`TOKEN_CREATE` creates the tokens named in actionTokenTypes from paymentInformation.card, kept only when approved; other actions are ignored.'
              : 'Ignored for credits.',
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
        description: 'Only a full reversal: the amount, when given, must be the authorized amount',
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
      enum: ['AUTHORIZED', 'DECLINED', 'PENDING_AUTHENTICATION', 'REVERSED', 'PENDING'],
      description:
        '`AUTHORIZED` (also once captured or refunded), `DECLINED` (see errorInformation), `PENDING_AUTHENTICATION` (3-D Secure challenge), `REVERSED`; a credit is `PENDING`.',
    },
    reconciliationId: { type: 'string' },
    clientReferenceInformation: obj({ code: { type: 'string' } }),
    orderInformation: obj({
      amountDetails: obj({ authorizedAmount: { type: 'string' }, totalAmount: { type: 'string' }, currency: { type: 'string' } }),
    }),
    creditAmountDetails: obj({ creditAmount: { type: 'string' }, currency: { type: 'string' } }),
    paymentAccountInformation: obj({ card: obj({ type: { type: 'string' } }) }),
    paymentInformation: obj({
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

const followUp = (
  status: string,
  kind: string,
  amount: [key: string, schema: Schema, example: Schema],
  extra: Record<string, Schema> = {},
): Schema =>
  obj(
    {
      _links: obj({ self: methodLink, void: methodLink }, { required: ['self'] }),
      id: { type: 'string', description: 'The payment’s id' },
      submitTimeUtc: { type: 'string' },
      status: { type: 'string', const: status },
      reconciliationId: { type: 'string' },
      clientReferenceInformation: obj({ code: { type: 'string' } }),
      [amount[0]]: amount[1],
      ...extra,
    },
    {
      required: ['_links', 'id', 'submitTimeUtc', 'status', 'reconciliationId', amount[0], ...Object.keys(extra)],
      examples: [
        {
          _links: {
            self: { method: 'GET', href: `/pts/v2/${kind}/7055952942056876503955` },
            ...(kind === 'reversals' ? {} : { void: { method: 'POST', href: `/pts/v2/${kind}/7055952942056876503955/voids` } }),
          },
          id: '7055952942056876503955',
          submitTimeUtc: '2026-01-18T15:52:40Z',
          status,
          reconciliationId: '2056876503955000',
          clientReferenceInformation: { code: 'TC50171_3' },
          [amount[0]]: amount[2],
          ...(Object.keys(extra).length ? { processorInformation: { responseCode: '100' } } : {}),
        },
      ],
    },
  );
const processorInformation = { processorInformation: obj({ responseCode: { type: 'string' } }, { required: ['responseCode'] }) };
const amountOut = (field: string): Schema =>
  obj({ [field]: { type: 'string' }, currency: { type: 'string' } }, { required: [field, 'currency'] });

export const Capture = followUp('PENDING', 'captures', [
  'orderInformation',
  obj({ amountDetails: amountOut('totalAmount') }, { required: ['amountDetails'] }),
  { amountDetails: { totalAmount: '102.21', currency: 'USD' } },
]);
export const Refund = followUp(
  'PENDING',
  'refunds',
  ['refundAmountDetails', amountOut('refundAmount'), { refundAmount: '102.21', currency: 'USD' }],
  processorInformation,
);
export const Reversal = followUp(
  'REVERSED',
  'reversals',
  ['reversalAmountDetails', amountOut('reversedAmount'), { reversedAmount: '102.21', currency: 'USD' }],
  processorInformation,
);

// ---------------------------------------------------------------------------------------------------
// Parameters

export const idParam = (name: string, description: string): Schema => ({
  type: 'object',
  properties: { [name]: { type: 'string', pattern: ID_PATTERN, description } },
  required: [name],
});

export const pagingQuery: Schema = {
  type: 'object',
  properties: {
    offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0, description: 'The first item to list' },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'How many items to list' },
  },
};

// ---------------------------------------------------------------------------------------------------
// TMS answers with their examples (Cybersource's documented answers, in this server's id formats)

const withExample = (schema: Schema, example: unknown): Schema => ({ ...schema, examples: [example] });

const EX_CUSTOMER_ID = 'D9F340DD3DB9C276E053A2598D0A41A3';
const EX_PI_ID = 'DA0FB6EC4A3D5B3BE053A2598D0A9F5B';
const EX_SA_ID = 'D9F3439F0448C901E053A2598D0AA1CC';
const EX_II_ID = '7010000000016241111';
const EX_MERCHANT = 'testrest';
const customerHref = `/tms/v2/customers/${EX_CUSTOMER_ID}`;

const iiExample = {
  _links: {
    self: { href: `/tms/v1/instrumentidentifiers/${EX_II_ID}` },
    paymentInstruments: { href: `/tms/v1/instrumentidentifiers/${EX_II_ID}/paymentinstruments` },
  },
  id: EX_II_ID,
  object: 'instrumentIdentifier',
  state: 'ACTIVE',
  type: 'enrollable card',
  card: { number: '411111XXXXXX1111' },
  metadata: { creator: EX_MERCHANT },
};

const piExample = {
  _links: {
    self: { href: `${customerHref}/payment-instruments/${EX_PI_ID}` },
    customer: { href: customerHref },
  },
  id: EX_PI_ID,
  object: 'paymentInstrument',
  default: true,
  state: 'ACTIVE',
  type: 'cardHash',
  card: { expirationMonth: '12', expirationYear: '2031', type: 'visa' },
  billTo: billToExample,
  instrumentIdentifier: { id: EX_II_ID },
  metadata: { creator: EX_MERCHANT },
  _embedded: { instrumentIdentifier: iiExample },
};

const saExample = {
  _links: { self: { href: `${customerHref}/shipping-addresses/${EX_SA_ID}` }, customer: { href: customerHref } },
  id: EX_SA_ID,
  default: true,
  shipTo: shipToExample,
  metadata: { creator: EX_MERCHANT },
};

export const CustomerAnswer = withExample(Customer, {
  _links: {
    self: { href: customerHref },
    paymentInstruments: { href: `${customerHref}/payment-instruments` },
    shippingAddress: { href: `${customerHref}/shipping-addresses` },
  },
  id: EX_CUSTOMER_ID,
  buyerInformation: { merchantCustomerID: 'Your customer identifier', email: 'test@cybs.com' },
  clientReferenceInformation: { code: 'TC50171_3' },
  merchantDefinedInformation: [{ name: 'data1', value: 'Your customer data' }],
  defaultPaymentInstrument: { id: EX_PI_ID },
  defaultShippingAddress: { id: EX_SA_ID },
  metadata: { creator: EX_MERCHANT },
  _embedded: { defaultPaymentInstrument: piExample, defaultShippingAddress: saExample },
});

export const PaymentInstrumentAnswer = withExample(PaymentInstrument, piExample);
export const StandalonePaymentInstrumentAnswer = withExample(PaymentInstrument, {
  ...piExample,
  _links: { self: { href: `/tms/v1/paymentinstruments/${EX_PI_ID}` } },
  default: false,
});
export const ShippingAddressAnswer = withExample(ShippingAddress, saExample);
export const InstrumentIdentifierAnswer = withExample(InstrumentIdentifier, iiExample);

const page = (path: string, key: string, item: unknown) => ({
  _links: {
    self: { href: `${path}?offset=0&limit=20` },
    first: { href: `${path}?offset=0&limit=20` },
    last: { href: `${path}?offset=0&limit=20` },
  },
  offset: 0,
  limit: 20,
  count: 1,
  total: 1,
  _embedded: { [key]: [item] },
});
export const PaymentInstrumentListAnswer = withExample(
  PaymentInstrumentList,
  page(`${customerHref}/payment-instruments`, 'paymentInstruments', piExample),
);
export const InstrumentPaymentInstrumentListAnswer = withExample(
  PaymentInstrumentList,
  page(`/tms/v1/instrumentidentifiers/${EX_II_ID}/paymentinstruments`, 'paymentInstruments', {
    ...piExample,
    _links: { self: { href: `/tms/v1/paymentinstruments/${EX_PI_ID}` }, customer: { href: customerHref } },
  }),
);
export const ShippingAddressListAnswer = withExample(
  ShippingAddressList,
  page(`${customerHref}/shipping-addresses`, 'shippingAddresses', saExample),
);
