/** `authorize_virtual_device` in the document: the service code in, the session (a JWE) out. */
import * as ex from '../examples.ts';
import { errorResponse, OVERLOADED, ok, TOO_MANY } from './answers.ts';
import { API_VERSION, NO_CONTROL, REQUEST_ID, type Schema } from './fields.ts';

const sessionAnswer: Schema = {
  type: 'object',
  required: ['authToken', 'refreshToken', 'deviceId', 'serverPublic', 'tokenExpirationDateTime'],
  additionalProperties: false,
  properties: {
    authToken: { type: 'string', description: 'Not needed by any call here.' },
    refreshToken: { type: 'string', description: 'Send as `x-refresh_token`.' },
    deviceId: { type: 'string', description: 'Send as `x-device_id`.' },
    serverPublic: {
      type: 'object',
      required: ['kty', 'crv', 'x', 'y'],
      properties: {
        kty: { type: 'string', enum: ['EC'] },
        crv: { type: 'string', enum: ['P-384'] },
        x: { type: 'string' },
        y: { type: 'string' },
        use: { type: 'string', enum: ['enc'] },
        alg: { type: 'string', enum: ['ECDH-ES+A256KW'] },
        kid: { type: 'string' },
      },
      description: 'This session’s public key (JWK): encrypt every request body to it.',
    },
    tokenExpirationDateTime: { type: 'string', description: 'When the session ends, `yyyy-MM-dd HH:mm:ss.SSSS +0000`.' },
  },
};

/** The route schema of `authorize_virtual_device`. */
export const authorizeRouteSchema: Schema = {
  operationId: 'authorizeVirtualDevice',
  summary: 'Open a session (authorize the virtual device)',
  description:
    'Your `serviceCode` opens a session: the answer, encrypted to the public key registered for your merchant, holds `deviceId` and `refreshToken` (the headers of every other call) and `serverPublic` (the key every request body is encrypted to). A new session does not end earlier ones, up to the live sessions a merchant may hold (1,000 by default): past that it ends your oldest, which then answers `b_expired_token`. Sessions last an hour by default; opening one counts against your rate limit.',
  tags: ['session'],
  security: [],
  consumes: ['application/json'],
  produces: ['application/json'],
  headers: {
    type: 'object',
    required: ['x-request_id'],
    properties: { 'x-request_id': { ...REQUEST_ID, description: 'A new UUID per request.' }, 'x-api_version': API_VERSION },
  },
  body: {
    type: 'object',
    required: ['serviceCode'],
    properties: {
      serviceCode: {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        pattern: NO_CONTROL,
        description: 'The service code (a UUID) of your AlliancePay credentials; it identifies your merchant.',
      },
    },
    examples: [ex.authorizeRequest],
  },
  response: {
    200: ok(
      { schema: sessionAnswer, example: ex.authorizeAnswer, jwe: ex.authorizeAnswerJwe },
      ['b_invalid_request', 'b_merchant_not_found'],
      'The session',
    ),
    400: errorResponse(
      400,
      ['b_error_parse_json', 'b_request_is_not_correct'],
      'The body is not a JSON object, or its Content-Type is not application/json.',
    ),
    429: TOO_MANY,
    503: OVERLOADED,
  },
};
