/**
 * The wire of 2C2P Customer Token Maintenance (customertoken/3.0) as JSON Schema, for the OpenAPI document.
 * The route does not validate with these (documentWire): it verifies the JWS, decrypts the JWE and checks
 * the payload's fields itself (payload.ts FIELDS). So every constraint here mirrors FIELDS, and
 * test/gateways/twoc2p/openapi.test.ts proves that what these schemas forbid the handler refuses.
 *
 * The HTTP body is one compact JWS string in both directions: its `x-payload-schema` is the JSON inside
 * the JWE inside the JWS. Field lengths and types follow 2C2P's parameter tables (gateways.md §1.3);
 * examples are 2C2P's own published samples, with a future expiry and a real email address shape.
 */
import { CODES, type Twoc2pOperation } from './codes.ts';
import { failureExample, REQUEST_EXAMPLES, SEED_REQUEST, SEED_RESPONSE, SUCCESS_EXAMPLES } from './examples.ts';

type Schema = Record<string, unknown>;
type Operation = Twoc2pOperation;

const COMPACT_JWS = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';
/** Free text is any characters but control characters (2C2P type C). */
const TEXT = '^[^\\u0000-\\u001f]*$';

const merchantID: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 15,
  pattern: '^[A-Za-z0-9]+$',
  description: 'Your 2C2P merchant ID (AN 15); must be the merchant whose key signed the message, else 9007.',
};
const token: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[0-9A-Za-z_-]+$',
  description: 'The customer token `add` returned (AN 255); unknown, deleted or another merchant’s: 9040.',
};
const tokenProvider: Schema = { type: 'string', enum: ['CC'], description: 'Token provider: `CC`, card.' };
const name: Schema = {
  type: 'string',
  maxLength: 50,
  pattern: TEXT,
  description: 'Cardholder name (C 50). May not contain a card number.',
};
const email: Schema = {
  type: 'string',
  maxLength: 50,
  pattern: TEXT,
  description: 'Customer email (C 50; 2C2P types it as free characters, so no address format is enforced). May not contain a card number.',
};
const expiry: Schema = {
  type: 'string',
  format: 'date',
  maxLength: 10,
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  description: 'Card expiry as a date `yyyy-MM-dd`, kept and echoed as sent; a past month is refused (9004).',
};
const accountIssuer: Schema = {
  type: 'string',
  maxLength: 50,
  pattern: TEXT,
  description: 'Issuing bank name (C 50). May not contain a card number.',
};
const accountIssuerCountry: Schema = {
  type: 'string',
  maxLength: 2,
  pattern: '^([A-Z]{2})?$',
  description: 'Issuer country, ISO 3166-1 alpha-2 (or empty).',
};
const accountCurrency: Schema = {
  type: 'string',
  maxLength: 3,
  pattern: '^([A-Z]{3})?$',
  description: 'Account currency, ISO 4217 alphabetic (or empty).',
};

const requestRules =
  'Every field is a JSON string (an optional one sent as null is taken as absent); a field not listed here is refused (9004).';

const payloads: Record<Operation, Schema> = {
  add: {
    type: 'object',
    description: `Add a card: stores the card number and answers a new token. ${requestRules}`,
    required: ['merchantID', 'tokenProvider', 'accountNo', 'expiry'],
    additionalProperties: false,
    properties: {
      merchantID,
      accountNo: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: 'The full card number (AN 255); must be a valid card number (length and Luhn), else 9004.',
      },
      name,
      email,
      expiry,
      accountIssuer,
      accountIssuerCountry,
      accountCurrency,
      tokenProvider,
    },
    examples: [REQUEST_EXAMPLES.add],
  },
  update: {
    type: 'object',
    description: `Replace a token's cardholder details and expiry (the card number cannot change). Optional fields left out keep their stored value; sent empty, they are cleared. ${requestRules}`,
    required: ['merchantID', 'token', 'name', 'expiry'],
    additionalProperties: false,
    properties: {
      merchantID,
      token,
      name: { ...name, minLength: 1 },
      email,
      expiry,
      accountIssuer,
      accountIssuerCountry,
      accountCurrency,
      tokenProvider,
    },
    examples: [REQUEST_EXAMPLES.update],
  },
  get: {
    type: 'object',
    description: `Read a token's details (never the card number). ${requestRules}`,
    required: ['merchantID', 'token'],
    additionalProperties: false,
    properties: { merchantID, token },
    examples: [REQUEST_EXAMPLES.get],
  },
  delete: {
    type: 'object',
    description: `Delete a token; it answers 9040 from then on. ${requestRules}`,
    required: ['merchantID', 'token'],
    additionalProperties: false,
    properties: { merchantID, token },
    examples: [REQUEST_EXAMPLES.delete],
  },
};

// --- Responses (inside the envelope) ----------------------------------------------------------------

const out = (description: string): Schema => ({ type: 'string', description });
const success = { type: 'string', const: CODES.success.code, description: '`0000`: success.' };
const successDesc = { type: 'string', description: '`Success`.' };
const cardEcho = {
  name: out('Cardholder name as stored (empty when none).'),
  email: out('As stored (empty when none).'),
  expiry: out('Expiry `yyyy-MM-dd`, as sent.'),
  accountIssuer: out('As stored (empty when none).'),
  accountIssuerCountry: out('As stored (empty when none).'),
  accountCurrency: out('As stored (empty when none).'),
  channelCode: out('Always empty (2C2P returns it empty for card tokens).'),
  subChannelCode: out('Always empty.'),
};
const cardEchoKeys = Object.keys(cardEcho);

const FAILURE_CODES = [CODES.invalid, CODES.missing, CODES.tooLong, CODES.merchant, CODES.token];

function failure(op: Operation): Schema {
  return {
    type: 'object',
    title: 'Refused',
    description:
      'A request that verified and decrypted but was refused: nothing was stored or changed. The codes follow 2C2P’s PGW v4 response-code list.',
    required: ['merchantID', 'responseCode', 'responseDesc'],
    additionalProperties: false,
    properties: {
      merchantID: out('The merchantID the request sent (empty when it sent none as a string).'),
      ...(op === 'add' ? {} : { token: out('The token the request sent, when it sent one as a string.') }),
      responseCode: {
        type: 'string',
        enum: FAILURE_CODES.map((c) => c.code),
        description: FAILURE_CODES.map((c) => `\`${c.code}\` ${c.desc}`).join('; '),
      },
      responseDesc: out('What was wrong, naming the field (never its value).'),
    },
  };
}

const successes: Record<Operation, Schema> = {
  add: {
    type: 'object',
    title: 'Added',
    required: ['merchantID', 'token', 'tokenReference', 'accountNo', ...cardEchoKeys, 'responseCode', 'responseDesc'],
    additionalProperties: false,
    properties: {
      merchantID: out('Your merchant ID.'),
      token: out('The new customer token: 18 digits, `ddMMyyHHmmss` then six random digits.'),
      tokenReference: out('Always empty.'),
      accountNo: out('The card number masked: first 6, `X`s, last 4.'),
      ...cardEcho,
      responseCode: success,
      responseDesc: successDesc,
    },
  },
  update: {
    type: 'object',
    title: 'Updated',
    required: ['merchantID', 'token', ...cardEchoKeys, 'responseCode', 'responseDesc'],
    additionalProperties: false,
    properties: {
      merchantID: out('Your merchant ID.'),
      token: out('The token.'),
      ...cardEcho,
      responseCode: success,
      responseDesc: successDesc,
    },
  },
  get: {
    type: 'object',
    title: 'Found',
    required: ['merchantID', 'token', ...cardEchoKeys, 'responseCode', 'responseDesc'],
    additionalProperties: false,
    properties: {
      merchantID: out('Your merchant ID.'),
      token: out('The token.'),
      ...cardEcho,
      responseCode: success,
      responseDesc: successDesc,
    },
  },
  delete: {
    type: 'object',
    title: 'Deleted',
    required: ['merchantID', 'token', 'responseCode', 'responseDesc'],
    additionalProperties: false,
    properties: {
      merchantID: out('Your merchant ID.'),
      token: out('The deleted token.'),
      responseCode: success,
      responseDesc: successDesc,
    },
  },
};

// --- Route schemas ------------------------------------------------------------------------------------

const TITLES: Record<Operation, { operationId: string; summary: string; description: string }> = {
  add: {
    operationId: 'addCustomerToken',
    summary: 'Add a customer token',
    description: 'Stores a card and answers its new customer token, with the card number masked.',
  },
  update: {
    operationId: 'updateCustomerToken',
    summary: 'Update a customer token',
    description: 'Changes the cardholder name, expiry and details a token keeps; the card number cannot be changed.',
  },
  get: {
    operationId: 'getCustomerToken',
    summary: 'Inquire a customer token',
    description: 'Answers the details a token keeps; the card number is never returned.',
  },
  delete: {
    operationId: 'deleteCustomerToken',
    summary: 'Delete a customer token',
    description: 'Deletes a token; inquiring, updating or deleting it again answers 9040.',
  },
};

/** The request content types the route reads: the raw JWS (2C2P's own clients), or JSON `{"payload": "<jws>"}`. */
export const REQUEST_TYPES = ['text/plain', 'application/jose', 'application/octet-stream', 'application/json'] as const;

const ENVELOPE =
  'A compact JWS (PS256, signed with your merchant private key) whose payload is a compact JWE (RSA-OAEP + A256GCM, encrypted to the vault public key from your provisioning) of the JSON request.';

function requestBody(op: Operation): Schema {
  const content: Record<string, { schema: Schema }> = {};
  for (const type of REQUEST_TYPES) {
    content[type] = {
      schema:
        type === 'application/json'
          ? {
              type: 'object',
              description: 'The same JWS wrapped in JSON, as some 2C2P client code sends it.',
              required: ['payload'],
              properties: {
                payload: { type: 'string', pattern: COMPACT_JWS, maxLength: 200_000, description: 'The JWS, as it would be sent raw.' },
              },
              examples: [{ payload: SEED_REQUEST[op] }],
            }
          : type === 'text/plain'
            ? {
                type: 'string',
                pattern: COMPACT_JWS,
                maxLength: 200_000,
                description: `${ENVELOPE} The JSON inside is \`x-payload-schema\`. Surrounding whitespace is ignored.`,
                'x-payload-schema': payloads[op],
                examples: [SEED_REQUEST[op]],
              }
            : {
                type: 'string',
                pattern: COMPACT_JWS,
                maxLength: 200_000,
                description: 'The same JWS as text/plain, under another content type.',
                examples: [SEED_REQUEST[op]],
              },
    };
  }
  return { description: `${ENVELOPE} 2C2P clients post it raw as text/plain.`, content };
}

function okResponse(op: Operation): Schema {
  return {
    'x-response-description':
      'The message verified and decrypted. Success and refusal alike are HTTP 200: inside, `responseCode` `0000` is success, any other code a refusal that changed nothing.',
    description:
      'A compact JWS (PS256, signed with the vault key, header `kid` "1") of a compact JWE (RSA-OAEP + A256GCM, encrypted to your merchant public key) of the JSON in `x-payload-schema`.',
    type: 'string',
    pattern: COMPACT_JWS,
    'x-payload-schema': {
      oneOf: [successes[op], failure(op)],
      examples: [SUCCESS_EXAMPLES[op], failureExample(op)],
    },
    examples: [SEED_RESPONSE[op]],
  };
}

/** The route schema of one operation; the document's transform (openapi.ts) adds the refusals every operation shares. */
export function routeSchema(op: Operation): Schema {
  return {
    ...TITLES[op],
    tags: ['customer tokens'],
    // The credential is the signed body (document description): no HTTP-level scheme.
    security: [],
    consumes: [...REQUEST_TYPES],
    produces: ['text/plain'],
    body: requestBody(op),
    response: { 200: okResponse(op) },
  };
}
