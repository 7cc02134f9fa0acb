/** TypeBox schemas of the card elements endpoints (validation, answers, the native OpenAPI document). */
import { Type } from 'typebox';
import { CardCreate } from '../native/schemas.ts';
import { ASSET_FILES } from './assets.ts';

const PublishableKeyParam = Type.String({
  pattern: '^tv_pk_[A-Za-z0-9_-]{1,200}$',
  description: 'The merchant’s publishable key, tv_pk_…',
});
const PageOrigin = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'The origin of the page that shows the card fields: one of the key’s origins',
});

export const CardDocumentQuery = Type.Object(
  {
    key: PublishableKeyParam,
    origin: PageOrigin,
    channel: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'The page’s id for this iframe, carried by every message' }),
  },
  { additionalProperties: false },
);

export const TokensQuery = Type.Object(
  {
    key: PublishableKeyParam,
    origin: Type.Optional(PageOrigin),
  },
  { additionalProperties: false },
);

export const AssetParams = Type.Object(
  { file: Type.Union(ASSET_FILES.filter((f) => f !== 'tokenvault.js').map((f) => Type.Literal(f))) },
  {
    additionalProperties: false,
  },
);

export const ElementTokenCreate = Type.Object(
  {
    number: CardCreate.properties.number,
    expMonth: CardCreate.properties.expMonth,
    expYear: CardCreate.properties.expYear,
    cvc: Type.String({
      pattern: '^[0-9]{3,4}$',
      description: 'Security code: held encrypted for the first payment only, as POST /v1/cards holds its cvv',
    }),
    holderName: CardCreate.properties.holderName,
    customer: CardCreate.properties.customer,
  },
  {
    additionalProperties: false,
    examples: [{ number: '4111111111111111', expMonth: 12, expYear: 2030, cvc: '123', holderName: 'ADA LOVELACE' }],
  },
);

export const ElementToken = Type.Object(
  {
    token: Type.String({ description: 'An ordinary native card token: retrieve, attach, pay with and delete it with your secret key' }),
    brand: Type.String(),
    last4: Type.String(),
    expMonth: Type.Integer(),
    expYear: Type.Integer(),
  },
  { examples: [{ token: 'tok_GlZHL0_sZOr9Vy5Sbob_nKoi', brand: 'visa', last4: '1111', expMonth: 12, expYear: 2030 }] },
);

/** A text answer (a script, a stylesheet, a page) as OpenAPI describes it. */
export const textAnswer = (type: string, description: string) => ({
  description,
  content: { [type]: { schema: { type: 'string' } } },
});
