/** TMS records and requests: instrument identifiers, payment instruments, shipping addresses, customers. */
import {
  Address,
  bool,
  CARD_TYPE,
  EXPIRY_MONTH,
  EXPIRY_YEAR,
  ID_PATTERN,
  kept,
  link,
  merchantDefinedInformation,
  metadata,
  obj,
  type Schema,
  str,
  tokenRef,
} from './common.ts';
// ---------------------------------------------------------------------------------------------------
// TMS responses

export const InstrumentIdentifier: Schema = obj(
  {
    _links: obj({ self: link, paymentInstruments: link }, { required: ['self', 'paymentInstruments'] }),
    id: { type: 'string', description: 'Instrument identifier id: 19 digits starting 70 (a card), 32 upper-case hex (a bank account)' },
    object: { type: 'string', const: 'instrumentIdentifier' },
    state: { type: 'string', enum: ['ACTIVE', 'CLOSED'] },
    type: { type: 'string', const: 'enrollable card', description: 'A card’s only' },
    card: obj(
      { number: { type: 'string', description: 'Masked (first six, `X`s, last four); full only inside an MLE answer' } },
      { required: ['number'], description: 'A card’s identifier' },
    ),
    bankAccount: obj(
      {
        number: {
          type: 'string',
          description: 'Masked: `X`s, then the last four digits (at most half of a short number); full only inside an MLE answer',
        },
        routingNumber: { type: 'string', description: 'As sent (it names the bank; not secret)' },
      },
      { required: ['number', 'routingNumber'], description: 'A bank account’s identifier (electronic check)' },
    ),
    issuer: { type: 'object' },
    processingInformation: { type: 'object' },
    billTo: { type: 'object' },
    metadata,
  },
  { required: ['_links', 'id', 'object', 'state', 'metadata'], oneOf: [{ required: ['card'] }, { required: ['bankAccount'] }] },
);

export const PaymentInstrument: Schema = obj(
  {
    _links: obj({ self: link, customer: link }, { required: ['self'] }),
    id: { type: 'string', description: 'Payment instrument id (32 upper-case hex for those created here)' },
    object: { type: 'string', const: 'paymentInstrument' },
    default: { type: 'boolean' },
    state: { type: 'string', enum: ['ACTIVE', 'CLOSED'] },
    type: { type: 'string', const: 'cardHash', description: 'A card’s only' },
    bankAccount: obj(
      { type: { type: 'string', description: 'checking, savings, corporate checking, general ledger (or C, S, X, G), as sent' } },
      { description: 'A bank account’s payment instrument (electronic check): no `card`' },
    ),
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
  {
    required: ['_links', 'id', 'object', 'default', 'state', 'instrumentIdentifier', 'metadata', '_embedded'],
    oneOf: [{ required: ['card'] }, { required: ['bankAccount'] }],
  },
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
    merchantCustomerID: str(100, 'Your identifier for the customer; not a key (several customers may share it)', { minLength: 1 }),
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
    paymentInstrument: {
      type: 'object',
      description:
        'A first payment instrument, made with the customer (its default), as in the eCheck guide: the body of `POST /tms/v2/customers/{customerId}/payment-instruments` (a card or a bank account). Refused in full before the customer is made.',
    },
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
};

const bankAccountNumbers = obj(
  {
    number: str(17, 'The account number: 4 to 17 digits', { minLength: 1 }),
    routingNumber: str(9, 'The routing (transit) number: 9 digits', { minLength: 1 }),
  },
  { required: ['number', 'routingNumber'] },
);

const ACCOUNT_TYPE = str(20, 'checking, savings, corporate checking, general ledger, or C, S, X, G', { minLength: 1 });

export const billToExample = {
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
          id: str(64, 'An existing instrument identifier, of a card or a bank account (unknown: 424)', { pattern: ID_PATTERN }),
          card: obj({ number: str(19, 'The card number, to tokenize', { minLength: 1 }) }, { required: ['number'] }),
          bankAccount: bankAccountNumbers,
        },
        {
          description: 'Exactly one of `id` (an existing instrument identifier), `card.number` and `bankAccount`.',
          oneOf: [{ required: ['id'] }, { required: ['card'] }, { required: ['bankAccount'] }],
        },
      ),
      bankAccount: obj(
        { type: ACCOUNT_TYPE },
        {
          required: ['type'],
          description: 'A bank account’s payment instrument (electronic check): required with one, refused with a card',
        },
      ),
      ...piExtras,
    },
    {
      required: ['instrumentIdentifier'],
      description: 'A card’s payment instrument has `card` (with its expiry); a bank account’s has `bankAccount.type` and no `card`.',
      oneOf: [{ required: ['card'] }, { required: ['bankAccount'] }],
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
    bankAccount: obj({ type: ACCOUNT_TYPE }, { description: 'A bank account’s payment instrument only' }),
    ...piExtras,
  },
  {
    description: 'Only the fields to change.',
    examples: [{ card: { expirationMonth: '11', expirationYear: '2032' }, billTo: { address1: '2 Market St', postalCode: '94107' } }],
  },
);

export const shipToExample = { ...billToExample };

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
    bankAccount: { ...bankAccountNumbers, description: 'A bank account (electronic check) instead of a card' },
    ...iiExtras,
  },
  {
    oneOf: [{ required: ['card'] }, { required: ['bankAccount'] }],
    examples: [{ card: { number: '4111111111111111' } }, { bankAccount: { number: '4100', routingNumber: '071923284' } }],
  },
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
