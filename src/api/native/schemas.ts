/** TypeBox schemas of the native API: one per shape, used for validation, output filtering, OpenAPI and types. */
import { Type } from 'typebox';
import { GATEWAYS, type GatewayModule } from '../gateways/index.ts';

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Text = (max: number, opts: Record<string, unknown> = {}) => Type.String({ minLength: 1, maxLength: max, ...opts });

export const Metadata = Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,40}$' }), Type.String({ maxLength: 500 }), {
  maxProperties: 20,
  additionalProperties: false,
  description: 'Up to 20 string pairs of your own; never put card data here.',
});

export const Address = Type.Object(
  {
    firstName: Type.Optional(Text(60)),
    lastName: Type.Optional(Text(60)),
    company: Type.Optional(Text(100)),
    line1: Type.Optional(Text(100)),
    line2: Type.Optional(Text(100)),
    city: Type.Optional(Text(50)),
    state: Type.Optional(Text(50)),
    postalCode: Type.Optional(Text(20)),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' })),
    email: Type.Optional(Text(254, { pattern: '^[^@\\s]+@[^@\\s]+$' })),
    phone: Type.Optional(Text(32, { pattern: '^[0-9+() .-]+$' })),
  },
  { additionalProperties: false },
);

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1 to 100, default 20' })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const CustomerCreate = Type.Object(
  {
    customerId: Type.Optional(Text(100, { description: 'Your own id for this customer; unique among your live customers' })),
    name: Type.Optional(Text(200)),
    email: Type.Optional(Text(254, { pattern: '^[^@\\s]+@[^@\\s]+$' })),
    phone: Type.Optional(Text(32, { pattern: '^[0-9+() .-]+$' })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      { customerId: 'ada-1', name: 'Ada Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0958', metadata: { crm: 'C-1815' } },
    ],
  },
);
export const CustomerUpdate = Type.Object(
  {
    customerId: Type.Optional(Nullable(Text(100))),
    name: Type.Optional(Nullable(Text(200))),
    email: Type.Optional(Nullable(Text(254, { pattern: '^[^@\\s]+@[^@\\s]+$' }))),
    phone: Type.Optional(Nullable(Text(32, { pattern: '^[0-9+() .-]+$' }))),
    metadata: Type.Optional(Nullable(Metadata)),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ email: 'ada.lovelace@example.com', phone: null }] },
);
export const Customer = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('customer'),
    customerId: Nullable(Type.String()),
    name: Nullable(Type.String()),
    email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    metadata: Nullable(Metadata),
    defaultCard: Nullable(Type.String()),
    defaultAddress: Nullable(Type.String()),
    version: Type.Integer(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  {
    examples: [
      {
        id: 'cus_01M96PQYWX2P81C7QWBFHH3WCX',
        object: 'customer',
        customerId: 'ada-1',
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        phone: null,
        metadata: null,
        defaultCard: 'tok_GlZHL0_sZOr9Vy5Sbob_nKoi',
        defaultAddress: null,
        version: 2,
        createdAt: '2026-12-06T22:14:12.125Z',
        updatedAt: '2026-12-06T22:14:12.271Z',
      },
    ],
  },
);
export const CustomerList = Type.Object({ object: Type.Literal('list'), data: Type.Array(Customer), nextCursor: Nullable(Type.String()) });
export const CustomerListQuery = Type.Object(
  { ...ListQuery.properties, customerId: Type.Optional(Text(100)) },
  { additionalProperties: false },
);

const Month = Type.Integer({ minimum: 1, maximum: 12 });
const Year = Type.Integer({ minimum: 2000, maximum: 2099, description: 'four digits' });

export const CardCreate = Type.Object(
  {
    number: Type.String({ minLength: 1, maxLength: 32, description: 'The card number (PAN): 12–19 digits, Luhn-valid' }),
    expMonth: Month,
    expYear: Year,
    cvv: Type.Optional(
      Type.String({
        pattern: '^[0-9]{3,4}$',
        description: 'Security code: held encrypted for the first payment only, wiped on use or after TOKENVAULT_CVV_TTL_SECONDS',
      }),
    ),
    holderName: Type.Optional(Text(100)),
    billingAddress: Type.Optional(Address),
    customer: Type.Optional(Type.String({ maxLength: 64, description: 'A customer id (cus_…) to attach the card to' })),
    usage: Type.Optional(Type.Union([Type.Literal('SINGLE'), Type.Literal('MULTIPLE')], { default: 'MULTIPLE' })),
    default: Type.Optional(Type.Boolean({ description: "Make it the customer's default card" })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        number: '4111111111111111',
        expMonth: 12,
        expYear: 2030,
        cvv: '123',
        holderName: 'ADA LOVELACE',
        customer: 'cus_01M96PQYWX2P81C7QWBFHH3WCX',
        billingAddress: { line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
      },
    ],
  },
);
export const CardUpdate = Type.Object(
  {
    expMonth: Type.Optional(Month),
    expYear: Type.Optional(Year),
    holderName: Type.Optional(Nullable(Text(100))),
    billingAddress: Type.Optional(Nullable(Address)),
    default: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(Nullable(Metadata)),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ expMonth: 11, expYear: 2031, holderName: 'A LOVELACE' }] },
);
export const CardStatusChange = Type.Object(
  { status: Type.Union([Type.Literal('ACTIVE'), Type.Literal('SUSPENDED'), Type.Literal('DELETED')]) },
  { additionalProperties: false, examples: [{ status: 'SUSPENDED' }] },
);
export const Card = Type.Object(
  {
    token: Type.String(),
    object: Type.Literal('card'),
    customer: Nullable(Type.String()),
    status: Type.String({ description: 'ACTIVE, SUSPENDED, DELETED, CONSUMED, or EXPIRED (past its expiry month)' }),
    usage: Type.String(),
    brand: Type.String({ description: 'visa, mastercard, american express, discover, jcb, diners club, unionpay, maestro, unknown' }),
    funding: Type.String(),
    bin: Type.String(),
    last4: Type.String(),
    maskedNumber: Type.String(),
    expMonth: Type.Integer(),
    expYear: Type.Integer(),
    holderName: Nullable(Type.String()),
    billingAddress: Nullable(Address),
    isDefault: Type.Boolean(),
    metadata: Nullable(Metadata),
    instrumentIdentifier: Type.Object({
      id: Type.String({ description: 'Shared by every token of the same card number' }),
      new: Type.Optional(Type.Boolean({ description: 'On create: whether this card number was first seen now' })),
    }),
    version: Type.Integer(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  {
    examples: [
      {
        token: 'tok_GlZHL0_sZOr9Vy5Sbob_nKoi',
        object: 'card',
        customer: 'cus_01M96PQYWX2P81C7QWBFHH3WCX',
        status: 'ACTIVE',
        usage: 'MULTIPLE',
        brand: 'visa',
        funding: 'credit',
        bin: '411111',
        last4: '1111',
        maskedNumber: '411111******1111',
        expMonth: 12,
        expYear: 2030,
        holderName: 'ADA LOVELACE',
        billingAddress: { line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
        isDefault: true,
        metadata: null,
        instrumentIdentifier: { id: '7074378690756798022', new: true },
        version: 1,
        createdAt: '2026-12-06T22:14:12.271Z',
        updatedAt: '2026-12-06T22:14:12.271Z',
      },
    ],
  },
);
export const CardList = Type.Object({ object: Type.Literal('list'), data: Type.Array(Card), nextCursor: Nullable(Type.String()) });
export const CardListQuery = Type.Object(
  { ...ListQuery.properties, customer: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

export const AddressCreate = Type.Object(
  { address: Address, default: Type.Optional(Type.Boolean()) },
  {
    additionalProperties: false,
    examples: [
      {
        address: {
          firstName: 'Ada',
          lastName: 'Lovelace',
          line1: '12 St James Square',
          city: 'London',
          postalCode: 'SW1Y 4JH',
          country: 'GB',
        },
        default: true,
      },
    ],
  },
);
export const AddressUpdate = Type.Object(
  { address: Type.Optional(Address), default: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
export const ShippingAddress = Type.Object({
  id: Type.String(),
  object: Type.Literal('address'),
  customer: Type.String(),
  address: Address,
  isDefault: Type.Boolean(),
  version: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const AddressList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(ShippingAddress),
  nextCursor: Nullable(Type.String()),
});

export const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export const TokenParam = Type.Object({ token: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export const AddressParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }), addressId: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

const FieldIssue = Type.Object({ field: Type.String(), code: Type.String(), message: Type.String() });
export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(FieldIssue)),
});

const Scope = Type.Union([
  Type.Literal('tokenize'),
  Type.Literal('read'),
  Type.Literal('write'),
  Type.Literal('reveal'),
  Type.Literal('pay'),
]);
/**
 * The create body: a name, and each key a gateway lets the merchant bring (its `credentials.supplied` with a
 * schema), optional.
 */
export const merchantCreateSchema = (gateways: readonly Pick<GatewayModule, 'credentials'>[]) =>
  Type.Object(
    {
      name: Text(200),
      ...Object.fromEntries(
        gateways
          .flatMap((g) => g.credentials.supplied)
          .flatMap((s) => (s.schema ? [[s.field, Type.Optional(Type.Unsafe<unknown>(s.schema))]] : [])),
      ),
    },
    { additionalProperties: false, examples: [{ name: 'Acme Books Ltd' }] },
  );
export const MerchantCreate = merchantCreateSchema(GATEWAYS);
export const ApiKeyCreate = Type.Object(
  { scopes: Type.Array(Scope, { minItems: 1, maxItems: 5, uniqueItems: true }), label: Type.Optional(Text(100)) },
  { additionalProperties: false, examples: [{ scopes: ['tokenize', 'read', 'pay'], label: 'checkout service' }] },
);
export const PublishableKeyCreate = Type.Object(
  {
    type: Type.Literal('publishable'),
    origins: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      minItems: 1,
      maxItems: 20,
      description: 'The web origins the card elements are used from, as a browser sends them: https://shop.example, http://127.0.0.1:5173',
    }),
    label: Type.Optional(Text(100)),
  },
  { additionalProperties: false, examples: [{ type: 'publishable', origins: ['https://shop.example'] }] },
);
export const KeyCreate = Type.Union([ApiKeyCreate, PublishableKeyCreate], {
  description: 'A secret API key (scopes) or a publishable key for card elements (type "publishable" and its origins)',
});
export const PublishableKey = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('publishable'),
    key: Type.String({ description: 'The publishable key, tv_pk_…: put it in your checkout page' }),
    origins: Type.Array(Type.String()),
    prefix: Type.String(),
    label: Nullable(Type.String()),
    createdAt: Type.String(),
  },
  {
    examples: [
      {
        id: 'key_01M96PQYWX2P81C7QWBFHH3WCX',
        type: 'publishable',
        key: 'tv_pk_Zr3x0cV1mXQeYq8pJ2kG7wL5sN9tB4dH6fA1uE0iO3y',
        origins: ['https://shop.example'],
        prefix: 'tv_pk_Zr3x',
        label: null,
        createdAt: '2026-12-06T22:14:12.125Z',
      },
    ],
  },
);
export const ApiKey = Type.Object({
  id: Type.String(),
  type: Type.Optional(Type.Literal('publishable', { description: 'Only on a publishable key' })),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  origins: Type.Optional(Type.Array(Type.String())),
  label: Nullable(Type.String()),
  createdAt: Type.String(),
  revokedAt: Nullable(Type.String()),
  apiKey: Type.Optional(Type.String({ description: 'The secret; shown only when the key is created' })),
});
export const MerchantSummary = Type.Object({ id: Type.String(), name: Type.String(), status: Type.String(), createdAt: Type.String() });
export const MerchantList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(MerchantSummary),
  nextCursor: Nullable(Type.String()),
});
export const MerchantListQuery = Type.Object(
  { limit: ListQuery.properties.limit, after: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

export const RevealRequest = Type.Object(
  {
    purpose: Type.String({
      minLength: 3,
      maxLength: 200,
      pattern: '^[^\\u0000-\\u001f]+$',
      description: 'Why the number is needed; recorded in the audit log',
    }),
    jwk: Type.Object(
      {},
      { additionalProperties: true, description: 'Your public JWK: RSA ≥ 2048 (RSA-OAEP-256) or EC P-256/384/521 (ECDH-ES+A256KW)' },
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        purpose: 'card re-issue requested by the issuer, ticket OPS-4411',
        jwk: {
          kty: 'EC',
          crv: 'P-256',
          x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
          y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
        },
      },
    ],
  },
);
export const RevealResponse = Type.Object({
  token: Type.String(),
  alg: Type.String(),
  enc: Type.Literal('A256GCM'),
  jwe: Type.String({ description: 'Compact JWE of {token, number, expMonth, expYear, holderName}' }),
});
