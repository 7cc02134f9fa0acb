/** TMS answers with their examples (Cybersource's documented answers, in this server's id formats). */
import type { Schema } from './common.ts';
import {
  billToExample,
  Customer,
  InstrumentIdentifier,
  PaymentInstrument,
  PaymentInstrumentList,
  ShippingAddress,
  ShippingAddressList,
  shipToExample,
} from './tms.ts';

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
