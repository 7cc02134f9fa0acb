/** The AlliancePay e-commerce tokens and payments OpenAPI document: what it says beyond each route's schema (see src/api/openapi.ts and schemas.ts). */
import type { ApiDocument } from '../../openapi.ts';
import { DEVICE_SCHEME, REFRESH_SCHEME } from './schemas.ts';

export const document: ApiDocument = {
  title: 'AlliancePay e-commerce tokens and payments, wire-compatible',
  description: [
    "AlliancePay's host-to-host token and payment API as tokenvault serves it, with the gateway's own paths, fields, codes, authentication and message encryption (docs/alliancepay.md).",
    '',
    '**Session.** `POST /api-gateway/authorize_virtual_device` with your `serviceCode` opens a session; its answer is a JWE to the public key registered for your merchant, holding `deviceId`, `refreshToken` and the session key `serverPublic`. Every other call sends `x-device_id` and `x-refresh_token` (the two security schemes, always together) and a new `x-request_id`.',
    '',
    '**Encryption.** All JOSE is compact JWE, `alg` ECDH-ES+A256KW, `enc` A256GCM, P-384. A request body is the JSON request encrypted to `serverPublic`, sent as `text/plain` (each operation documents the JSON inside under `x-payload-schema`); card fields inside it (`encryptedCardNumber`, `encryptedExpDate`, `cvv`) are JWEs to your `paymentPublicJwk`. A successful answer is `{"jwe": …}`, encrypted to your merchant key (the JSON inside is documented under `x-payload-schema` of `jwe`).',
    '',
    '**Errors** are plain JSON `{requestId, serviceId, msgCode, msgType, msgText, isLocalized, msgAttrs, errorCauses}`. As at AlliancePay, many come with HTTP 200 (a field refused, a body that does not decrypt, a token not found): read `msgCode`. Others are 400, 401 (session), 404, 429 (with Retry-After) and 503.',
  ].join('\n'),
  securitySchemes: {
    [DEVICE_SCHEME]: {
      type: 'apiKey',
      in: 'header',
      name: 'x-device_id',
      description:
        'The `deviceId` of a session from `authorize_virtual_device`; always sent with `x-refresh_token`. Missing: `b_virtual_device_not_found` (HTTP 200); unknown: `b_unknown_device` (401). The session also encrypts: the body must be a JWE to its `serverPublic`.',
    },
    [REFRESH_SCHEME]: {
      type: 'apiKey',
      in: 'header',
      name: 'x-refresh_token',
      description:
        'The `refreshToken` of the same session. Missing: `b_refresh_token_absent` (HTTP 200); not the session’s: `b_used_token` (401); session expired: `b_expired_token` (401) — authorize again.',
    },
  },
  tags: [
    { name: 'session', description: 'The virtual-device session every other call needs' },
    { name: 'tokens', description: 'Card tokens of your customers' },
    { name: 'payments', description: 'Payments by token or card, with 3-D Secure' },
  ],
};
