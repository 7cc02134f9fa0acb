/** AlliancePay's answers in the document: the `{jwe}` envelope, the error envelope and its codes by status. */
import { CODES, type Code } from '../codes.ts';
import { JWE_PATTERN, type Schema } from './fields.ts';

/** A successful answer: the JSON inside its `jwe`, an example of it and the example encrypted. */
export interface Answer {
  schema: Schema;
  example: unknown;
  jwe: string;
}

/** What the document says of one session operation. */
export interface OperationDoc {
  operationId: string;
  summary: string;
  description: string;
  tag: 'tokens' | 'payments';
  ok: string;
  extra200?: Code[];
  extra400?: Code[];
  notFound?: boolean;
  /** The JSON inside the request's JWE body, and an example of the body. */
  payload: Schema;
  requestJwe: string;
  answer: Answer;
}

/** The error envelope, with the codes an answer of one status can carry. */
export function errorBody(codes: Code[]): Schema {
  return {
    type: 'object',
    required: ['requestId', 'serviceId', 'msgCode', 'msgType', 'msgText', 'isLocalized', 'msgAttrs', 'errorCauses'],
    additionalProperties: false,
    properties: {
      requestId: { type: 'string', description: 'Your `x-request_id`, or a new UUID when none was sent.' },
      serviceId: { type: 'string', enum: ['api-gateway'] },
      msgCode: {
        type: 'string',
        enum: codes,
        description: codes.map((c) => `\`${c}\`: ${CODES[c][1]}`).join('; '),
      },
      msgType: { type: 'string', enum: ['ERROR', 'VALIDATION_ERROR'], description: '`VALIDATION_ERROR` for a field refused.' },
      msgText: { type: 'string' },
      isLocalized: { type: 'boolean', enum: [false] },
      msgAttrs: { type: 'object', maxProperties: 0 },
      errorCauses: { type: 'array', items: { type: 'string' }, description: 'For a field refused, the field and why.' },
    },
  };
}

const errorExample = (code: Code, causes: string[] = []) => ({
  requestId: 'e1c2b3a4-d5f6-4a7b-8c9d-0e1f2a3b4c5d',
  serviceId: 'api-gateway',
  msgCode: code,
  msgType: causes.length && code === 'b_invalid_request' ? 'VALIDATION_ERROR' : 'ERROR',
  msgText: CODES[code][1],
  isLocalized: false,
  msgAttrs: {},
  errorCauses: causes,
});

const RETRY_AFTER = { 'retry-after': { type: 'string', pattern: '^[0-9]+$', description: 'Seconds to wait before retrying.' } };

export function errorResponse(status: number, codes: Code[], why: string, headers?: Record<string, unknown>) {
  const wrong = codes.filter((c) => CODES[c][0] !== status);
  if (wrong.length) throw new Error(`AlliancePay document: ${wrong.join(', ')} not answered with HTTP ${status}`);
  const example = errorExample(codes[0] as Code);
  return {
    description: `${why} Codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: errorBody(codes), example } },
  };
}

function jweEnvelope(payload: Schema, example: unknown): Schema {
  return {
    type: 'object',
    required: ['jwe'],
    additionalProperties: false,
    properties: {
      jwe: {
        type: 'string',
        pattern: JWE_PATTERN,
        description: 'A compact JWE (ECDH-ES+A256KW / A256GCM) to your merchant public key; decrypt it with your private JWK.',
        'x-payload-schema': { ...payload, examples: [example] },
      },
    },
  };
}

/** 200: the `{jwe}` answer or an error the gateway answers with HTTP 200. */
export function ok(answer: Answer, codes200: Code[], what: string) {
  const example = errorExample(codes200.includes('b_token_not_found') ? 'b_token_not_found' : 'b_invalid_request', []);
  return {
    description: `${what}: \`{"jwe": …}\`, the answer encrypted to your merchant key. Or an error the gateway answers with HTTP 200 (a field refused, a body that does not decrypt, missing session headers; also a body over the size limit and a malformed URL). Codes: ${codes200
      .map((c) => `\`${c}\``)
      .join(', ')}.`,
    content: {
      'application/json': {
        schema: { oneOf: [jweEnvelope(answer.schema, answer.example), errorBody(codes200)] },
        examples: {
          answer: { summary: 'Success (decrypts to the x-payload-schema example)', value: { jwe: answer.jwe } },
          refused: { summary: 'Refused with HTTP 200', value: example },
        },
      },
    },
  };
}

export const TOO_MANY = errorResponse(
  429,
  ['b_too_many_requests'],
  'Over your rate limit, or this client address is locked out after repeated failed authentications.',
  RETRY_AFTER,
);
export const OVERLOADED = errorResponse(
  503,
  ['b_server_is_overloaded'],
  'The database or the payment processor is unavailable; retry later (Retry-After when the database is).',
  RETRY_AFTER,
);

export const SESSION_200: Code[] = [
  'b_invalid_request',
  'b_encryptor_failed_decrypt_message',
  'b_virtual_device_not_found',
  'b_refresh_token_absent',
];
export const SESSION_400: Code[] = [
  'b_duplicate_field_value',
  'b_error_parse_json',
  'b_request_is_not_correct',
  'b_user_merchant_request_mismatch',
];
export const CARD_200: Code[] = ['b_invalid_pan_format', 'b_validation_card_expiration_date'];
export const PAY_200: Code[] = ['b_token_not_found', 'b_token_not_active'];
