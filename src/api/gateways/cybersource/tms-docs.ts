/** The OpenAPI side of each TMS operation (routes.ts maps paths to operations; doc.ts expands these). */
import { doc, GONE, NOT_FOUND, ok, type RouteSchema, STALE } from './doc.ts';
import * as S from './schemas/index.ts';

const C = 'customers';
const CPI = 'customer payment instruments';
const CSA = 'customer shipping addresses';
const II = 'instrument identifiers';
const PI = 'payment instruments';
const customerP = { customerId: 'The customer id' };
const piP = { ...customerP, piId: 'The payment instrument id' };
const addressP = { ...customerP, addressId: 'The shipping address id' };

/** A customer's payment instrument or shipping address: deleted, unless it is the default while others exist. */
const deletedUnlessDefault = () => ({
  204: { description: 'Deleted' },
  404: NOT_FOUND,
  409: { description: 'It is the default while the customer has others: make another the default first' },
});

export const TMS_DOCS = {
  postCustomer: doc('postCustomer', 'Create a customer', C, {
    body: S.CreateCustomerRequest,
    response: { 201: ok('The customer', S.CustomerAnswer) },
  }),
  getCustomer: doc('getCustomer', 'Retrieve a customer', C, {
    description:
      'With its default payment instrument and shipping address embedded. With MLE (`Accept: application/jose` or `v-c-response-mle-kid`) the embedded card number is unmasked.',
    params: customerP,
    response: { 200: ok('The customer', S.CustomerAnswer), 404: NOT_FOUND },
  }),
  patchCustomer: doc('patchCustomer', 'Update a customer', C, {
    description:
      'Changes the fields given; `defaultPaymentInstrument.id` / `defaultShippingAddress.id` change its defaults (checked first: an unknown one changes nothing).',
    params: customerP,
    body: S.PatchCustomerRequest,
    response: {
      200: ok('The customer', S.CustomerAnswer),
      404: NOT_FOUND,
      412: STALE,
      424: { description: 'The payment instrument or shipping address to make default was not found' },
    },
  }),
  deleteCustomer: doc('deleteCustomer', 'Delete a customer', C, {
    description: 'With its payment instruments and shipping addresses.',
    params: customerP,
    response: { 204: { description: 'Deleted' }, 404: NOT_FOUND },
  }),
  postCustomerPaymentInstrument: doc('postCustomerPaymentInstrument', 'Create a customer payment instrument', CPI, {
    description:
      'From an existing instrument identifier (`instrumentIdentifier.id`) or a card number (`instrumentIdentifier.card.number`, tokenized). The customer’s first payment instrument becomes its default.',
    params: customerP,
    body: S.CreateCustomerPaymentInstrumentRequest,
    response: {
      201: ok('The payment instrument', S.PaymentInstrumentAnswer),
      404: { description: 'No such customer' },
      424: { description: 'The instrument identifier was not found' },
    },
  }),
  getCustomerPaymentInstrumentsList: doc('getCustomerPaymentInstrumentsList', 'List a customer’s payment instruments', CPI, {
    params: customerP,
    querystring: S.pagingQuery,
    response: {
      200: ok('One page of payment instruments', S.PaymentInstrumentListAnswer, false),
      404: { description: 'No such customer' },
    },
  }),
  getCustomerPaymentInstrument: doc('getCustomerPaymentInstrument', 'Retrieve a customer payment instrument', CPI, {
    description: 'With MLE the embedded instrument identifier’s card number is unmasked.',
    params: piP,
    response: { 200: ok('The payment instrument', S.PaymentInstrumentAnswer), 404: NOT_FOUND },
  }),
  patchCustomersPaymentInstrument: doc('patchCustomersPaymentInstrument', 'Update a customer payment instrument', CPI, {
    params: piP,
    body: S.PatchPaymentInstrumentRequest,
    response: { 200: ok('The payment instrument', S.PaymentInstrumentAnswer), 404: NOT_FOUND, 412: STALE },
  }),
  deleteCustomerPaymentInstrument: doc('deleteCustomerPaymentInstrument', 'Delete a customer payment instrument', CPI, {
    params: piP,
    response: deletedUnlessDefault(),
  }),
  postCustomerShippingAddress: doc('postCustomerShippingAddress', 'Create a customer shipping address', CSA, {
    description: 'The customer’s first shipping address becomes its default.',
    params: customerP,
    body: S.CreateShippingAddressRequest,
    response: { 201: ok('The shipping address', S.ShippingAddressAnswer), 404: { description: 'No such customer' } },
  }),
  getCustomerShippingAddressesList: doc('getCustomerShippingAddressesList', 'List a customer’s shipping addresses', CSA, {
    params: customerP,
    querystring: S.pagingQuery,
    response: {
      200: ok('One page of shipping addresses', S.ShippingAddressListAnswer, false),
      404: { description: 'No such customer' },
    },
  }),
  getCustomerShippingAddress: doc('getCustomerShippingAddress', 'Retrieve a customer shipping address', CSA, {
    params: addressP,
    response: { 200: ok('The shipping address', S.ShippingAddressAnswer), 404: NOT_FOUND },
  }),
  patchCustomersShippingAddress: doc('patchCustomersShippingAddress', 'Update a customer shipping address', CSA, {
    params: addressP,
    body: S.PatchShippingAddressRequest,
    response: { 200: ok('The shipping address', S.ShippingAddressAnswer), 404: NOT_FOUND, 412: STALE },
  }),
  deleteCustomerShippingAddress: doc('deleteCustomerShippingAddress', 'Delete a customer shipping address', CSA, {
    params: addressP,
    response: deletedUnlessDefault(),
  }),
  postInstrumentIdentifier: doc('postInstrumentIdentifier', 'Create an instrument identifier', II, {
    description: 'Tokenizes a card number. The same card number always gives the same instrument identifier while it exists.',
    body: S.CreateInstrumentIdentifierRequest,
    response: {
      200: ok('The card number already had this instrument identifier', S.InstrumentIdentifierAnswer),
      201: ok('A new instrument identifier', S.InstrumentIdentifierAnswer),
    },
  }),
  getInstrumentIdentifier: doc('getInstrumentIdentifier', 'Retrieve an instrument identifier', II, {
    description: 'The card number is masked, except inside an MLE answer.',
    params: { instrumentId: 'The instrument identifier id' },
    response: { 200: ok('The instrument identifier', S.InstrumentIdentifierAnswer), 404: NOT_FOUND, 410: GONE },
  }),
  patchInstrumentIdentifier: doc('patchInstrumentIdentifier', 'Update an instrument identifier', II, {
    params: { instrumentId: 'The instrument identifier id' },
    body: S.PatchInstrumentIdentifierRequest,
    response: { 200: ok('The instrument identifier', S.InstrumentIdentifierAnswer), 404: NOT_FOUND, 410: GONE },
  }),
  deleteInstrumentIdentifier: doc('deleteInstrumentIdentifier', 'Delete an instrument identifier', II, {
    description: 'Destroys its card number. Refused while payment instruments use it.',
    params: { instrumentId: 'The instrument identifier id' },
    response: {
      204: { description: 'Deleted' },
      404: NOT_FOUND,
      409: { description: 'Payment instruments still use it (`instrumentIdentifierDeletionError`)' },
      410: GONE,
    },
  }),
  getInstrumentIdentifierPaymentInstrumentsList: doc(
    'getInstrumentIdentifierPaymentInstrumentsList',
    'List the payment instruments of an instrument identifier',
    II,
    {
      params: { instrumentId: 'The instrument identifier id' },
      querystring: S.pagingQuery,
      response: { 200: ok('One page of payment instruments', S.InstrumentPaymentInstrumentListAnswer, false), 404: NOT_FOUND, 410: GONE },
    },
  ),
  postPaymentInstrument: doc('postPaymentInstrument', 'Create a payment instrument', PI, {
    description: 'Without a customer; from an existing instrument identifier or a card number.',
    body: S.CreatePaymentInstrumentRequest,
    response: {
      201: ok('The payment instrument', S.StandalonePaymentInstrumentAnswer),
      424: { description: 'The instrument identifier was not found' },
    },
  }),
  getPaymentInstrument: doc('getPaymentInstrument', 'Retrieve a payment instrument', PI, {
    description: 'Any of the merchant’s payment instruments, with or without a customer. With MLE the card number is unmasked.',
    params: { piId: 'The payment instrument id' },
    response: { 200: ok('The payment instrument', S.StandalonePaymentInstrumentAnswer), 404: NOT_FOUND },
  }),
  patchPaymentInstrument: doc('patchPaymentInstrument', 'Update a payment instrument', PI, {
    params: { piId: 'The payment instrument id' },
    body: S.PatchPaymentInstrumentRequest,
    response: { 200: ok('The payment instrument', S.StandalonePaymentInstrumentAnswer), 404: NOT_FOUND, 412: STALE },
  }),
  deletePaymentInstrument: doc('deletePaymentInstrument', 'Delete a payment instrument', PI, {
    params: { piId: 'The payment instrument id' },
    response: {
      204: { description: 'Deleted' },
      404: NOT_FOUND,
      409: { description: 'It is its customer’s default while the customer has others' },
    },
  }),
} satisfies Record<string, RouteSchema>;
