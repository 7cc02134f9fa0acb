/** The OPay international card tokens OpenAPI document: what it says beyond each route's schema (see src/api/openapi.ts). */
import type { ApiDocument } from '../../openapi.ts';

export const document: ApiDocument = {
  title: 'OPay international card tokens, wire-compatible',
  description: [
    "OPay's cashier card token API (`/api/v1/international/token/create|query|delete`), served by tokenvault with the gateway's own paths, fields, codes and request signatures (README, OPay card tokens).",
    '',
    'Every request is a `POST` of a JSON object with two headers: `MerchantId: <your merchant id>` and `Authorization: Bearer <signature>`, where the signature is the lowercase hex HMAC-SHA512 of the JSON body under your secret key (`OPAYPRV…`). The signature may be over the exact bytes sent or over the canonical form of the body (keys sorted recursively, compact, `/` unescaped), as OPay’s own clients sign.',
    '',
    'Every outcome the request decides is HTTP 200 with the envelope `{code, message, data}`: `00000` / `SUCCESSFUL` is success; any other code is a refusal with `data: null`. Authentication is checked first, over the raw body: a missing or malformed header is `98`, an unknown MerchantId or a signature that does not match is `10001` (one answer for both). Then the fields: `99` names the field and why. OPay publishes `00000`, `20000`, `54`, `90`, `98` and `99`; `10001`, `10002`, `20001` and `20002` are this server’s.',
    '',
    'Outside the envelope’s HTTP 200, the same envelope comes with 429 (`10002`: over the merchant’s rate, or an address locked out after repeated failed authentications; `Retry-After`), 503 (`90`: the database is unavailable; `Retry-After`), 500 (`90`), and 400, 413 and 415 (`99`: a malformed URL, a body over the size limit, a body that is not `application/json`).',
  ].join('\n'),
  securitySchemes: {
    opayMerchantId: {
      type: 'apiKey',
      in: 'header',
      name: 'MerchantId',
      description:
        'Your OPay merchant id (digits; the `gateways.opay.merchantId` of the merchant’s credentials). Sent with `opaySignature` on every request; missing or not digits: `98`; unknown: `10001`.',
    },
    opaySignature: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'hex HMAC-SHA512 of the body',
      description:
        '`Authorization: Bearer <signature>`: the hex HMAC-SHA512 (128 hex digits, either case) of the JSON request body, keyed with the merchant’s secret key (`gateways.opay.secretKey`, `OPAYPRV…`). Either the exact bytes sent or the canonical form (keys sorted recursively, compact JSON, `/` unescaped, UTF-8) may be signed; comparison is constant-time. The public key (`OPAYPUB…`) is not accepted. A new signature for every body; missing or without `Bearer`: `98`; not matching: `10001`.',
    },
  },
  tags: [{ name: 'card tokens', description: 'Create, query (by token or by user) and delete card tokens' }],
};
